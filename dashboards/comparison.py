"""Comparing two setups like for like over several seeds, in the background.

The two arms are "your setup" (``scenario``) and whatever it is compared
with (``baseline``): the chosen scenario as its file sets it, another
scenario, or a setup saved earlier. Both run with the same seeds (common random numbers), so each
seed gives a paired difference; the dashboard shows the mean difference with
a 95% confidence interval and one plain-English sentence per metric. Runs go
to a small pool of worker processes so the page's server stays responsive
while they compute. Nothing here imports Solara.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

import sim

from sim.metrics import metrics_of

from .texts import HEADLINES, NO_DATA, export_value, format_difference, format_value, label

#: Scenario keys that make a region bigger or smaller (not a policy): (key, how a commissioner says it).
SIZE_KEYS: tuple[tuple[str, str, str], ...] = (
    ("sector.charities", "charity", "charities"), ("sector.localities", "place", "places"),
    ("sector.prisons", "prison", "prisons"), ("demand.clients", "client at the start", "clients at the start"),
)


def compared_metrics() -> tuple[str, ...]:
    """Every metric the model declares, the headline figures first."""
    names = metrics_of().names
    return tuple(n for n in HEADLINES if n in names) + tuple(n for n in names if n not in HEADLINES)


COMPARED_METRICS: tuple[str, ...] = compared_metrics()


def _get(scenario: sim.Scenario, key: str):
    node = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def size_mismatch(a: sim.Scenario, b: sim.Scenario) -> list[str]:
    """How two setups differ in size rather than policy, one phrase each ("60 charities against 150")."""
    return [f"{_get(a, key):,} {one if _get(a, key) == 1 else many} against {_get(b, key):,}"
            for key, one, many in SIZE_KEYS if _get(a, key) != _get(b, key)]


def same_setup(a: sim.Scenario, b: sim.Scenario) -> bool:
    """True when the two would run identically (only their titles and descriptions differ)."""
    da, db = a.model_dump(), b.model_dump()
    for d in (da, db):
        d["run"] = {k: v for k, v in d["run"].items() if k not in ("title", "description")}
    return da == db

DEFAULT_SEEDS = 5


@dataclass(frozen=True)
class Job:
    """One run of the comparison: which arm, which replication, which seed."""

    arm: str  # "baseline" or "scenario"
    replication: int
    seed: int
    scenario: sim.Scenario


def plan(baseline: sim.Scenario, scenario: sim.Scenario, seeds: int = DEFAULT_SEEDS,
         months: int | None = None, draws: Sequence[dict] | None = None) -> list[Job]:
    """The runs of a comparison: each seed once per arm, the same seeds in both.

    Seeds derive from the baseline's base seed, so a comparison is
    reproducible and the two arms are paired. ``months`` shortens both
    horizons (never lengthens them past their own horizon).
    """
    if seeds < 1:
        raise ValueError("a comparison needs at least one seed")
    if months is not None:
        baseline = sim.load_scenario(baseline, months=min(months, baseline.run.months))
        scenario = sim.load_scenario(scenario, months=min(months, scenario.run.months))
    seed_list = sim.replication_seeds(baseline, seeds)
    jobs = []
    for i, s in enumerate(seed_list):  # interleaved, so partial progress covers both arms
        if draws:  # across plausible assumptions: replication i of both arms under the same posterior draw
            b, a = with_draw(baseline, scenario, draws[i % len(draws)])
            jobs.append(Job("baseline", i, s, b))
            jobs.append(Job("scenario", i, s, a))
        else:
            jobs.append(Job("baseline", i, s, baseline))
            jobs.append(Job("scenario", i, s, scenario))
    return jobs


def with_draw(baseline: sim.Scenario, scenario: sim.Scenario, draw: dict) -> tuple[sim.Scenario, sim.Scenario]:
    """Both arms under one posterior draw; a parameter the two arms set differently (the policy compared) is kept."""
    from sim.experiments.posterior import apply_draw  # noqa: PLC0415 - only when a posterior is used

    keep = [k for k in draw if _get(baseline, k) != _get(scenario, k)]
    return apply_draw(baseline, draw, keep), apply_draw(scenario, draw, keep)


def posterior_draws(path: str, n: int) -> list[dict]:
    """``n`` weighted draws from a calibration's posterior file (seeded, so a comparison repeats)."""
    from sim.experiments.posterior import load_posterior  # noqa: PLC0415

    return load_posterior(path).sample(n)


def run_job(job: Job) -> pd.DataFrame:
    """Run one job to its horizon; the monthly frame with arm, replication and seed columns.

    A top-level function so worker processes can import it.
    """
    result = sim.run(job.scenario, job.seed)
    frame = result.monthly.copy()
    frame.insert(0, "seed", job.seed)
    frame.insert(0, "replication", job.replication)
    frame.insert(0, "arm", job.arm)
    return frame


# --------------------------------------------------------------- worker pool

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def worker_count() -> int:
    """Two workers on a small machine (the OS still schedules the page's server); at most four."""
    cores = os.cpu_count() or 2
    return 2 if cores <= 3 else min(4, cores - 1)


def pool() -> ProcessPoolExecutor:
    """The shared worker pool (created on first use; shared by all sessions, results are not)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=worker_count(), mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_lower_priority)
        return _pool


def _lower_priority() -> None:
    """Workers yield the CPU to the page's server, so the page stays responsive during a comparison."""
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass


def _warm() -> int:
    return os.getpid()


def warm_up() -> None:
    """Start the workers ahead of the first comparison (imports take a few seconds)."""
    try:
        for _ in range(worker_count()):
            pool().submit(_warm)
    except Exception:  # a pool that cannot start shows up later as a plain message
        pass


class Run:
    """A comparison in progress: submits its jobs and reports progress; can be cancelled."""

    def __init__(self, jobs: Sequence[Job], executor: ProcessPoolExecutor | None = None):
        self.jobs = list(jobs)
        self.executor = executor or pool()
        self.futures: list[Future] = []
        self.cancelled = False

    def start(self) -> Run:
        self.futures = [self.executor.submit(run_job, job) for job in self.jobs]
        return self

    @property
    def done(self) -> int:
        return sum(f.done() for f in self.futures)

    def cancel(self) -> None:
        self.cancelled = True
        for f in self.futures:
            f.cancel()

    def wait(self, on_progress: Callable[[int, int], None] | None = None, poll: float = 0.25) -> pd.DataFrame:
        """Block until every job is done; returns all monthly frames stacked.

        Raises:
            RuntimeError: when cancelled, or when a run failed (message in plain words).
        """
        import concurrent.futures as cf

        pending = set(self.futures)
        last = -1
        while pending:
            finished, pending = cf.wait(pending, timeout=poll, return_when=cf.FIRST_COMPLETED)
            if self.cancelled:
                raise RuntimeError("The comparison was stopped.")
            n = len(self.futures) - len(pending)
            if on_progress and n != last:
                on_progress(n, len(self.futures))
                last = n
            for f in finished:
                if f.exception() is not None:
                    self.cancel()
                    raise RuntimeError(f"One of the comparison runs failed ({type(f.exception()).__name__}: "
                                       f"{str(f.exception()).splitlines()[0] if str(f.exception()) else 'no message'}).")
        return pd.concat([f.result() for f in self.futures], ignore_index=True)


# ----------------------------------------------------------------- analysis

@dataclass
class Difference:
    """One metric's end-of-run comparison."""

    metric: str
    baseline: float
    scenario: float
    difference: float
    ci_low: float
    ci_high: float
    n: int
    reading: str


def final_values(monthly: pd.DataFrame) -> pd.DataFrame:
    """End-of-run value per arm and replication (the last month of each run)."""
    last = monthly.sort_values("month").groupby(["arm", "replication"], as_index=False).tail(1)
    return last.set_index(["arm", "replication"]).sort_index()


def differences(monthly: pd.DataFrame, metrics: Sequence[str] | None = None,
                against: str = "the baseline", verdicts: bool = True) -> list[Difference]:
    """Paired differences (scenario - baseline) at the end of the run, per metric.

    ``against`` names the other arm in the readings ("the baseline", "Inspire as in its file").
    ``verdicts``: say "better" or "worse" (False when the two differ in size, not policy).
    """
    metrics = compared_metrics() if metrics is None else metrics
    final = final_values(monthly)
    out = []
    for metric in metrics:
        if metric not in final.columns:
            continue
        base = final.loc["baseline", metric] if "baseline" in final.index.get_level_values(0) else pd.Series(dtype=float)
        scen = final.loc["scenario", metric] if "scenario" in final.index.get_level_values(0) else pd.Series(dtype=float)
        paired = (scen - base).dropna()
        mean, lo, hi = sim.mean_ci(paired.to_numpy())
        b_mean = float(np.nanmean(base)) if len(base) else math.nan
        s_mean = float(np.nanmean(scen)) if len(scen) else math.nan
        out.append(Difference(metric, b_mean, s_mean, mean, lo, hi, int(paired.size),
                              reading(metric, b_mean, s_mean, mean, lo, hi, against, verdicts)))
    return out


def reading(metric: str, baseline: float, scenario: float, diff: float, lo: float, hi: float,
            against: str = "the baseline", verdicts: bool = True) -> str:
    """One plain-English sentence: which way, how much, and whether the seeds agree.

    With ``verdicts`` False (the two differ in size) it says which way, never "better" or "worse".
    """
    name = label(metric)
    finite = [math.isfinite(v) for v in (baseline, scenario)]
    if not all(finite):
        return f"{name}: {NO_DATA} in {'one' if any(finite) else 'either'} of the two, so no comparison."
    if not math.isfinite(diff):
        return f"{name}: not enough paired runs to compare."
    declared = metrics_of().get(metric)
    direction = declared.direction if (declared is not None and verdicts) else 0
    b, s = format_value(metric, baseline), format_value(metric, scenario)
    if diff == 0 and lo == hi:
        return f"{name}: no difference ({s} here and {_in(against)})."
    if lo <= 0 <= hi:
        return (f"{name}: no clear difference ({s} here against {b} {_in(against)}; "
                "the runs do not agree on which way it goes).")
    word = "higher" if diff > 0 else "lower"
    verdict = ""
    if direction:
        verdict = " - better" if (diff > 0) == (direction > 0) else " - worse"
    return f"{name} is {word} than {_in(against)} ({s} against {b}){verdict}, consistently across the runs."


def _in(against: str) -> str:
    """ "the baseline" -> "in the baseline"; "without your changes" stays as it is."""
    return against if against.startswith(("without", "with ")) else f"in {against}"


def bands(monthly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per arm and month: mean and 95% CI of a metric over replications (for band charts)."""
    rows = []
    for (arm, month), group in monthly.groupby(["arm", "month"]):
        mean, lo, hi = sim.mean_ci(group[metric].to_numpy())
        rows.append({"arm": arm, "month": month, "mean": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def differences_frame(diffs: Sequence[Difference], titles: dict[str, str] | None = None) -> pd.DataFrame:
    """The differences as a readable table (for export): shares in %, values rounded.

    ``titles``: arm ("baseline", "scenario") -> the name the columns carry.
    """
    titles = titles or {"baseline": "Compared with", "scenario": "Your setup"}
    rows = []
    for d in diffs:
        rows.append({
            "Metric": label(d.metric), "metric": d.metric,
            f"{titles['baseline']} (end of run)": format_value(d.metric, d.baseline),
            f"{titles['scenario']} (end of run)": format_value(d.metric, d.scenario),
            "Difference": format_difference(d.metric, d.difference),
            "difference": export_value(d.metric, d.difference), "ci_low": export_value(d.metric, d.ci_low),
            "ci_high": export_value(d.metric, d.ci_high), "runs": d.n, "reading": d.reading,
        })
    return pd.DataFrame(rows)


def baseline_name(names: Sequence[str]) -> str | None:
    """The scenario file to compare against: baseline.toml, else the first one."""
    if "baseline.toml" in names:
        return "baseline.toml"
    return names[0] if names else None
