"""Where a run's time goes, phase by phase: wall time of each monthly phase, burn-in included.

    .venv/bin/python experiments/benchmarks/phases.py                    # baseline, 3 seeds
    .venv/bin/python experiments/benchmarks/phases.py --national         # national scale, 1 seed
    .venv/bin/python experiments/benchmarks/phases.py --seeds 5 --months 60

Each phase of the model's schedule is wrapped in a timer through the
schedule's own extension point (``Schedule.replace``), so the model runs
unchanged: same phases, same order, same random draws. Prints seconds per
run and share of the run for each phase, largest first, and the time outside
the phases (set-up, data collection's frame). Printed only; a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import NATIONAL  # noqa: E402

import sim  # noqa: E402
from sim.schedule import Phase  # noqa: E402


def timed_schedule(totals: Counter) -> sim.Schedule:
    """The model's schedule with every phase timed into ``totals`` (seconds, by phase name)."""
    schedule = sim.PartnershipModel.phases

    def timer(name, run):
        def timed(model):
            t0 = time.perf_counter()
            run(model)
            totals[name] += time.perf_counter() - t0
        return timed

    for phase in list(schedule):
        schedule = schedule.replace(phase.name, Phase(phase.name, timer(phase.name, phase.run), phase.doc))
    return schedule


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--national", action="store_true", help="the national-scale sector of bench.py")
    ap.add_argument("--seeds", type=int, default=None, help="runs (default 3; 1 with --national)")
    ap.add_argument("--months", type=int, default=None, help="months to run (default: the scenario's)")
    args = ap.parse_args()
    if (args.seeds is not None and args.seeds < 1) or (args.months is not None and args.months < 1):
        ap.exit(2, "phases: --seeds and --months must be at least 1\n")
    overrides = dict(NATIONAL) if args.national else {}
    if args.months:
        overrides["run.months"] = args.months
    seeds = args.seeds or (1 if args.national else 3)
    try:
        scenario = sim.load_scenario("baseline", overrides)
    except sim.ScenarioError as err:
        ap.exit(2, f"phases: {err}\n")
    totals: Counter = Counter()
    schedule = timed_schedule(totals)
    sim.PartnershipModel(sim.load_scenario("baseline", {"run.months": 2}), seed=1, phases=schedule).run_for(2)  # warm-up
    totals.clear()
    t0 = time.perf_counter()
    for seed in sim.replication_seeds(scenario, seeds):
        model = sim.PartnershipModel(scenario, seed=seed, phases=schedule)
        model.run_for(scenario.run.months)
    total = (time.perf_counter() - t0) / seeds
    label = "national scale" if args.national else "baseline"
    print(f"{label}: {scenario.run.months} months after a burn-in of {scenario.run.burn_in}, "
          f"{seeds} run(s), {total:.3f} s a run")
    print(f"{'phase':26s} {'s a run':>9s} {'share':>7s}")
    for name, seconds in totals.most_common():
        print(f"{name:26s} {seconds / seeds:9.4f} {seconds / seeds / total:7.1%}")
    outside = total - sum(totals.values()) / seeds
    print(f"{'(outside the phases)':26s} {outside:9.4f} {outside / total:7.1%}")


if __name__ == "__main__":
    main()
