"""Running a sweep on Dask: an embedded local cluster, or an existing one.

The client submits runs with a bounded number in flight, writes each result
to disk as it arrives (:mod:`.storage`), and never holds more than those few
results in memory. Each run's seed comes from the experiment's base seed and
the run's key, so results do not depend on the number of workers or on the
order in which runs finish. Workers need only ``sim`` importable; they never
touch the output folder (so a remote cluster needs no shared disk).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .design import Experiment, RunSpec
from .storage import SweepStore

RunFunction = Callable[[Any, int], Any]


def execute_run(run: RunSpec, metrics: list[str], run_fn: RunFunction | None = None) -> dict:
    """Run one point of a sweep on a worker; an exception becomes a recorded failure.

    Returns ``{"key", "ok", "monthly" | "error"}``; the monthly frame holds
    only ``month`` and the kept metrics.
    """
    try:
        from ..runner import run as sim_run
        from ..scenario import Scenario

        scenario = Scenario.model_validate(run.scenario)
        result = (run_fn or sim_run)(scenario, run.seed)
        monthly = result.monthly
        if "month" not in monthly.columns:
            monthly = monthly.reset_index().rename(columns={"index": "month"})
        return {"key": run.key, "ok": True, "monthly": monthly[["month", *metrics]].reset_index(drop=True)}
    except Exception as err:  # noqa: BLE001 - a failing run is recorded, never fatal
        frame = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
        where = f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})" if frame else ""
        return {"key": run.key, "ok": False, "error": " ".join(f"{type(err).__name__}: {err}".split()) + where}


@dataclass
class SweepSummary:
    """What a sweep did: counts, timing, where the results are."""

    out_dir: Path
    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    redone: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.total - self.done - self.failed

    def as_dict(self) -> dict:
        return {"total": self.total, "done": self.done, "failed": self.failed, "left": self.left,
                "resumed_from_disk": self.skipped, "redone_damaged": len(self.redone),
                "seconds": round(self.seconds, 2), "workers": self.workers}

    def lines(self) -> list[str]:
        out = [f"{self.done} of {self.total} runs done, {self.failed} failed, {self.left} left"
               f" ({self.skipped} already on disk; {self.seconds:.1f} s on {self.workers} workers)"]
        for key, err in self.failures[:5]:
            out.append(f"  failed {key}: {err}")
        if len(self.failures) > 5:
            out.append(f"  ... and {len(self.failures) - 5} more (see runs.parquet, column error)")
        for note in self.redone[:5]:
            out.append(f"  {note}")
        out.append(f"results: {self.out_dir}")
        return out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class _Cluster:
    """An embedded LocalCluster, a connection to an existing scheduler, or no cluster at all (workers=0)."""

    def __init__(self, workers: int | None, scheduler: str | None):
        self.client = None
        self.cluster = None
        self.workers = 0
        if scheduler:
            from distributed import Client

            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                from ..cli import UsageError

                raise UsageError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
            self.workers = max(1, sum(self.client.nthreads().values()))
        elif workers == 0:
            self.workers = 1
        else:
            import dask
            from distributed import Client, LocalCluster

            n = workers or default_workers()
            # quiet, no dashboard, and workers that leave no spill files behind
            # no statistical profiler: its samples cost worker CPU and its history grows with every run
            with dask.config.set({"distributed.worker.daemon": True, "logging.distributed": "error",
                                  "distributed.worker.profile.enabled": False,
                                  "distributed.admin.log-length": 100, "distributed.admin.low-level-log-length": 100}):
                # no dashboard (its task-stream history grows with every run); death_timeout: workers orphaned by a
                # killed sweep (SIGKILL) lose their scheduler and close themselves
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                            dashboard_address=None, silence_logs=40, death_timeout=20)
                self.client = Client(self.cluster)
            self.workers = n

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def run_sweep(
    exp: Experiment,
    out_dir: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    run_fn: RunFunction | None = None,
    progress: bool | None = None,
    retry_failed: bool = False,
    max_in_flight: int | None = None,
    stop_after: int | None = None,
    announce: Callable[[str], None] | None = None,
) -> SweepSummary:
    """Run (or resume) an experiment, writing results to ``out_dir`` as they finish.

    Args:
        workers: embedded cluster size (default: the machine's cores); 0 runs in this process.
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        run_fn: ``f(scenario, seed) -> RunResult``; default :func:`sim.run` (tests inject others).
        retry_failed: redo runs that failed last time (by default a recorded failure counts as finished).
        stop_after: stop submitting after this many new runs (used to test resuming).
        announce: called with a one-line description of the sweep once the output folder is accepted.
    """
    from ..runner import package_versions

    store = SweepStore(Path(out_dir))
    runs = list(exp.runs())
    keys = {r.key for r in runs}
    if len(keys) != len(runs):
        from ..cli import UsageError

        raise UsageError(f"{exp.source}: two points of the design are identical; remove duplicate values")
    _check_same_experiment(store, exp)
    versions = package_versions()
    versions.update({n: _version(n) for n in ("dask", "distributed", "SALib", "scikit-learn")})
    store.start(exp, runs, versions)
    if announce is not None:
        from .design import describe_design

        announce(describe_design(exp))
    done, failed, notes = store.scan(keys, retry_failed)
    summary = SweepSummary(store.dir, len(runs), done=len(done), failed=len(failed), skipped=len(done) + len(failed),
                           redone=notes)
    todo = [r for r in runs if r.key not in done and r.key not in failed]
    if stop_after is not None:
        todo = todo[:stop_after]
    metrics = exp.metrics
    bar = _progress_bar(summary, progress)
    start = time.monotonic()
    cluster = _Cluster(workers, scheduler) if todo else None
    summary.workers = cluster.workers if cluster else 0

    def record(result: dict, run: RunSpec) -> None:
        if result["ok"]:
            store.write_part(run, result["monthly"])
            summary.done += 1
        else:
            store.write_error(run, result["error"])
            summary.failed += 1
            summary.failures.append((run.key, result["error"]))
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"done={summary.done} failed={summary.failed} left={summary.left}")

    try:
        if cluster is None:
            pass
        elif cluster.client is None:
            for run in todo:
                record(execute_run(exp.with_scenario(run), metrics, run_fn), run)
        else:
            _run_on_dask(cluster.client, exp, todo, metrics, run_fn, record, max_in_flight or max(4, 2 * cluster.workers))
    finally:
        if bar is not None:
            bar.close()
        if cluster is not None:
            cluster.close()
    summary.seconds = time.monotonic() - start
    if summary.left == 0:
        store.consolidate(exp, iter(runs), metrics)
    store.finish(summary.as_dict())
    return summary


def _run_on_dask(client, exp: Experiment, todo: list[RunSpec], metrics: list[str], run_fn, record,
                 max_in_flight: int) -> None:
    """Submit runs keeping at most ``max_in_flight`` futures alive; record each as it completes."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    by_key = {}
    pending = iter(todo)
    ac = as_completed()

    def submit_next() -> bool:
        run = next(pending, None)
        if run is None:
            return False
        fut = client.submit(execute_run, exp.with_scenario(run), metrics, run_fn, key=f"partnersim-run-{run.key}",
                            pure=False, retries=0)
        by_key[fut.key] = run
        ac.add(fut)
        return True

    for _ in range(max_in_flight):
        if not submit_next():
            break
    for fut in ac:
        run = by_key.pop(fut.key)
        try:
            result = fut.result()
        except KilledWorker as err:  # the run took its worker down (memory, a crash): a failure of this run
            result = {"key": run.key, "ok": False, "error": f"KilledWorker: {err}"}
        except Exception as err:  # noqa: BLE001 - the cluster, not the run, failed: stop; a rerun resumes
            from ..cli import UsageError

            raise UsageError(f"lost the Dask cluster ({type(err).__name__}: {err}); finished runs are on disk, "
                             "run the same command again to resume") from None
        fut.release()
        record(result, run)
        submit_next()


def _check_same_experiment(store: SweepStore, exp: Experiment) -> None:
    previous = store.read_manifest()
    if previous is None:
        if store.dir.exists() and any(p for p in store.dir.iterdir() if p.name != "parts"):
            if (store.dir / "runs.parquet").exists():
                from ..cli import UsageError

                raise UsageError(f"{store.dir}: holds other results (no sweep manifest); choose another --out")
        return
    if previous.get("kind") != "sweep" or previous.get("fingerprint") != exp.fingerprint():
        from ..cli import UsageError

        raise UsageError(f"{store.dir}: holds results of a different experiment; choose another --out "
                         "(or delete the folder to start again)")


def _version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _progress_bar(summary: SweepSummary, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    bar = tqdm(total=summary.total, initial=summary.done + summary.failed, unit="run", file=sys.stderr,
               dynamic_ncols=True, smoothing=0.1)
    bar.set_postfix_str(f"done={summary.done} failed={summary.failed} left={summary.left}")
    return bar


def run_points(
    exp: Experiment, out_dir: str | Path, **kwargs: Any
) -> tuple[SweepSummary, pd.DataFrame]:
    """Run (or resume) a sweep and return its consolidated ``runs`` table (one row per run)."""
    summary = run_sweep(exp, out_dir, **kwargs)
    runs = pd.read_parquet(Path(out_dir) / "runs.parquet") if summary.left == 0 else pd.DataFrame()
    return summary, runs
