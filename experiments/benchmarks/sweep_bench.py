"""One sweep of the baseline through the project's own sweep engine, timed from inside.

The sweep itself is ``sweep_throughput.sweep`` (the sweep-throughput benchmark
next to this file) when it is there; this file only runs it in a fresh
subprocess for bench.py and reports its figures in bench.py's units. Without
it, the fallback below does the same with its own experiment file.

    python sweep_bench.py '{"runs": 24, "workers": 2, "months": null}' RESULT.json

Writes an experiment file (the baseline, ``runs`` replications, one point) to a
temporary folder, runs it with :func:`sim.experiments.run_sweep` (an embedded
Dask LocalCluster of ``workers`` processes; 0 = in this process) and reports:

* ``seconds``: the whole sweep as a user sees it (cluster start, runs, writing
  results, consolidation);
* ``steady_runs_per_s``: runs finished per second between the first and the
  last result written (cluster start-up and consolidation left out), from the
  times the engine wrote each run's part file.

Run by ``bench.py`` in a fresh subprocess, which measures the memory of the
whole process tree (driver, Dask nannies and workers).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from proctree import child_main


def sweep(args: dict) -> dict:
    runs, workers, months = int(args["runs"]), int(args["workers"]), args.get("months")
    try:
        import sweep_throughput
    except ImportError:
        return own_sweep(args)
    r = sweep_throughput.sweep(runs, int(months or 96), workers)
    return {
        "runs": runs, "workers": workers, "months": months or 96, "seconds": r["seconds"],
        "runs_per_s": r["runs_per_min"] / 60, "steady_runs_per_s": r["steady_runs_per_min"] / 60,
        "done": runs, "failed": 0, "engine_workers": workers, "measured_by": "sweep_throughput.sweep",
    }


def own_sweep(args: dict) -> dict:
    from sim.experiments import load_experiment, run_sweep

    runs, workers, months = int(args["runs"]), int(args["workers"]), args.get("months")
    tmp = Path(tempfile.mkdtemp(prefix="partnersim-sweep-bench-"))
    try:
        lines = [
            "[experiment]",
            f'title = "benchmark: {runs} baseline runs on {workers} workers"',
            'scenarios = ["baseline"]',
            'design = "full_factorial"',
            f"replications = {runs}",
            f"seed = {int(args.get('seed', 2017))}",
        ]
        if months:
            lines.append(f"months = {int(months)}")
        path = tmp / "bench_sweep.toml"
        path.write_text("\n".join(lines) + "\n")
        exp = load_experiment(path)
        out = tmp / "out"
        t0 = time.perf_counter()
        summary = run_sweep(exp, out, workers=workers, progress=False)
        seconds = time.perf_counter() - t0
        stamps = sorted(p.stat().st_mtime for p in (out / "parts").glob("*.parquet"))
        steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 and stamps[-1] > stamps[0] else None
        return {
            "runs": runs, "workers": workers, "months": months or 96,
            "seconds": seconds, "runs_per_s": runs / seconds, "steady_runs_per_s": steady,
            "done": summary.done, "failed": summary.failed, "engine_workers": summary.workers,
            "measured_by": "sweep_bench.own_sweep",
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    child_main(sweep)
