"""The size of the work, known before it starts: runs, time and memory.

Every command that runs the model estimates its work first. Beyond the soft
limits below it refuses with one line unless given ``--yes``; beyond the hard
limits it refuses outright, because the plan of the work itself (the design's
points, every run's key and seed) would not fit in memory. Design points are
counted arithmetically, before any is generated.

The time per run-month is a rough, deliberately cautious figure measured on
one core of a small machine (see docs/performance.md for measurements).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import UsageError

#: Soft limits: beyond any of them a command needs ``--yes``.
MAX_RUNS = 5_000
MAX_HOURS = 2.0
MAX_MEMORY_GB = 2.0
#: Hard limits: beyond them no command starts (the plan alone would exhaust memory).
MAX_POINTS = 100_000
MAX_TOTAL_RUNS = 1_000_000
MAX_SEEDS = 100_000

LIMITS_HELP = (f"Before starting, the work is estimated (runs, time, memory); beyond {MAX_RUNS:,} runs, about "
               f"{MAX_HOURS:g} hours or {MAX_MEMORY_GB:g} GB it is refused unless you add --yes. Designs above "
               f"{MAX_POINTS:,} points or {MAX_TOTAL_RUNS:,} runs are refused outright.")


def seconds_per_run(months: int, charities: int, clients: int) -> float:
    """A cautious estimate of one run's time on one core (model set-up plus each month)."""
    return 0.3 + months * (0.004 + 2e-5 * charities + 1e-6 * clients)


def memory_per_worker(charities: int, clients: int) -> float:
    """Bytes one model holds while it runs (interpreter and libraries, agents, client arrays)."""
    return 150e6 + 20e3 * charities + 400 * clients


@dataclass
class Estimate:
    """What a command is about to do."""

    runs: int
    seconds: float
    memory_bytes: float
    workers: int = 1

    def describe(self) -> str:
        """One line: runs, expected duration, cores and memory."""
        return (f"{self.runs:,} runs, about {_duration(self.seconds)} on {self.workers} "
                f"{'core' if self.workers == 1 else 'cores'} and {_size(self.memory_bytes)} of memory")

    def over(self) -> list[str]:
        """Which limits the estimate exceeds (runs, hours, memory), as phrases; empty when within budget."""
        reasons = []
        if self.runs > MAX_RUNS:
            reasons.append(f"more than {MAX_RUNS:,} runs")
        if self.seconds > MAX_HOURS * 3600:
            reasons.append(f"more than {MAX_HOURS:g} hours")
        if self.memory_bytes > MAX_MEMORY_GB * 1e9:
            reasons.append(f"more than {MAX_MEMORY_GB:g} GB")
        return reasons


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def _size(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{max(n / 1e6, 1):,.0f} MB"


def _sizes(scenarios: Iterable) -> tuple[int, int, int]:
    months = charities = clients = 1
    for s in scenarios:
        months = max(months, s.run.months)
        charities = max(charities, s.sector.charities)
        clients = max(clients, s.demand.clients)
    return months, charities, clients


def run_estimate(scenario, seeds: int, metrics: int) -> Estimate:
    """``partnersim run``: runs in this process; every run's monthly rows are kept in memory."""
    months, charities, clients = _sizes([scenario])
    rows = seeds * (months + 1)
    memory = memory_per_worker(charities, clients) + rows * (metrics + 4) * 8 * 3
    return Estimate(seeds, seeds * seconds_per_run(months, charities, clients), memory, 1)


def sweep_estimate(exp, workers: int) -> Estimate:
    """A sweep: runs spread over ``workers``; the driver holds the plan (keys, seeds) and one batch of rows."""
    scenarios = [exp.scenario_for(p) for p in _extreme_points(exp)]
    months, charities, clients = _sizes(scenarios)
    workers = max(1, workers)
    per_run = seconds_per_run(months, charities, clients)
    seconds = exp.n_runs * per_run / workers
    memory = workers * memory_per_worker(charities, clients) + exp.n_runs * 3e3 + 200e6
    return Estimate(exp.n_runs, seconds, memory, workers)


def _extreme_points(exp) -> list[dict]:
    """A few points that bound the size of a run: the first point of each scenario, with size levers at their largest."""
    sizes = ("run.months", "sector.charities", "demand.clients")
    out = []
    for scenario in exp.settings.scenarios:
        first = next((p for p in exp.points if p["scenario"] == scenario), None)
        if first is None:
            continue
        biggest = dict(first)
        for key in sizes:
            values = [p[key] for p in exp.points if key in p and p["scenario"] == scenario]
            if values:
                biggest[key] = max(values)
        out.append(biggest)
    return out


def check(estimate: Estimate, yes: bool, what: str) -> None:
    """Refuse work beyond the soft limits unless ``yes``.

    Raises:
        UsageError: one line with the estimate and how to go ahead.
    """
    reasons = estimate.over()
    if reasons and not yes:
        raise UsageError(f"{what}: {estimate.describe()}: {' and '.join(reasons)}; add --yes to run it anyway, "
                         "or make it smaller")


def count_points(design: str, n_scenarios: int, axes: list[int | None], samples: int | None, trajectories: int) -> int:
    """The number of points a design will have, without generating it.

    Args:
        axes: for a full factorial, the number of values of each lever.
    """
    k = len(axes)
    if design == "full_factorial":
        return n_scenarios * math.prod(a or 1 for a in axes)
    if design == "latin_hypercube":
        return n_scenarios * (samples or 0)
    if design == "morris":
        return n_scenarios * trajectories * (k + 1)
    if design == "sobol":
        return n_scenarios * (samples or 0) * (k + 2)
    return 0


__all__ = ["Estimate", "LIMITS_HELP", "MAX_POINTS", "MAX_SEEDS", "MAX_TOTAL_RUNS", "check", "count_points",
           "run_estimate", "sweep_estimate", "seconds_per_run"]
