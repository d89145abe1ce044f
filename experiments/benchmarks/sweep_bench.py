"""One sweep of the baseline through the project's own sweep engine, timed from inside.

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
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    child_main(sweep)
