"""Sweep throughput: runs per minute of a baseline sweep with 1 and 2 Dask workers.

    .venv/bin/python experiments/benchmarks/sweep_throughput.py [--runs 20] [--months 96]

Each sweep runs ``--runs`` replications of the baseline scenario through the
experiment engine (embedded LocalCluster, results written to a temporary
folder). Two figures per worker count: the whole sweep as a user sees it
(cluster start, runs, writing results), and the runs alone (from the first
result to the last, so cluster start-up is left out). The ratio of 2 to 1
workers shows how the sweep scales on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim.experiments import load_experiment, run_sweep  # noqa: E402


def sweep(runs: int, months: int, workers: int) -> dict:
    spec = {"experiment": {"title": "throughput", "scenarios": ["baseline"], "replications": runs, "seed": 7,
                           "months": months}}
    exp = load_experiment(spec, source="sweep_throughput")
    stamps: list[float] = []
    with tempfile.TemporaryDirectory(prefix="partnersim-throughput-") as tmp:
        from sim.experiments import storage

        original = storage.SweepStore.write_part

        def timed(self, run, monthly):  # the moment each result reaches the client
            stamps.append(time.perf_counter())
            return original(self, run, monthly)

        storage.SweepStore.write_part = timed
        try:
            start = time.perf_counter()
            summary = run_sweep(exp, Path(tmp) / "out", workers=workers, progress=False)
            total = time.perf_counter() - start
        finally:
            storage.SweepStore.write_part = original
    assert summary.done == runs, summary.lines()
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) * 60 if len(stamps) > 1 else float("nan")
    return {"workers": workers, "seconds": total, "runs_per_min": runs / total * 60, "steady_runs_per_min": steady}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--months", type=int, default=96)
    args = parser.parse_args()
    results = [sweep(args.runs, args.months, w) for w in (1, 2)]
    print(f"baseline sweep, {args.runs} runs of {args.months} months each")
    print(f"{'workers':>7} {'seconds':>8} {'runs/min':>9} {'runs/min (runs only)':>21}")
    for r in results:
        print(f"{r['workers']:>7} {r['seconds']:>8.1f} {r['runs_per_min']:>9.1f} {r['steady_runs_per_min']:>21.1f}")
    one, two = results
    print(f"ratio 2 workers / 1 worker: {two['runs_per_min'] / one['runs_per_min']:.2f} (whole sweep), "
          f"{two['steady_runs_per_min'] / one['steady_runs_per_min']:.2f} (runs only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
