"""Running a sweep on Dask: an embedded local cluster, or an existing one.

The client submits runs with a bounded number in flight, writes each result
to disk as it arrives (:mod:`.storage`), and never holds more than those few
results in memory. Each run's seed comes from the experiment's base seed and
the run's key, so results do not depend on the number of workers or on the
order in which runs finish. Workers need only ``sim`` importable (and the module of the
experiment's ``model`` class, when it names one); they never touch the output
folder (so a remote cluster needs no shared disk).

Failures say so: a run the model failed is recorded as failed (redone only
with ``retry_failed``); a run lost with its worker is recorded as lost to the
infrastructure and redone whenever the sweep resumes. An embedded cluster
that will not start falls back to this process, and a sweep too small to be
worth starting a cluster for runs here anyway.
"""

from __future__ import annotations

import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UsageError
from .design import Experiment, RunSpec
from .outdir import claim, refuse_other_results
from .storage import SweepStore

RunFunction = Callable[[Any, int], Any]

#: Below this much work (seconds on one core) a sweep runs in this process: starting a cluster costs more.
IN_PROCESS_SECONDS = 20.0
#: How long embedded workers may take to start and connect on a loaded machine.
WORKER_START_TIMEOUT = 120


def execute_run(run: RunSpec, metrics: list[str], run_fn: RunFunction | None = None, model: str | None = None) -> dict:
    """Run one point of a sweep on a worker; an exception becomes a recorded failure.

    Args:
        model: ``package.module:ClassName`` of the model class (default :class:`sim.PartnershipModel`).

    Returns ``{"key", "ok", "monthly" | "error"}``; the monthly frame holds
    only ``month`` and the kept metrics.
    """
    try:
        from ..runner import run as sim_run
        from ..scenario import Scenario

        scenario = Scenario.model_validate(run.scenario)
        if run_fn is None:
            from .design import resolve_model

            model_cls = resolve_model(model)
            result = sim_run(scenario, run.seed, model_cls)
        else:
            result = run_fn(scenario, run.seed)
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
    lost: list[tuple[str, str]] = field(default_factory=list)
    where: str = ""

    @property
    def left(self) -> int:
        """Runs not finished (lost runs among them: a resume redoes them)."""
        return self.total - self.done - self.failed

    @property
    def ok(self) -> bool:
        """Every run finished without failing."""
        return self.done == self.total

    def as_dict(self) -> dict:
        """The summary as a JSON-ready dict (written into the results manifest)."""
        return {"total": self.total, "done": self.done, "failed": self.failed, "left": self.left,
                "lost_to_infrastructure": len(self.lost), "resumed_from_disk": self.skipped,
                "redone_damaged": len(self.redone), "seconds": round(self.seconds, 2), "workers": self.workers,
                "where": self.where}

    def lines(self) -> list[str]:
        """Human-readable summary lines: counts, timing, the first failures and lost runs, where the results are."""
        where = f" {self.where}" if self.where else f" on {self.workers} workers"
        out = [f"{self.done} of {self.total} runs done, {self.failed} failed, {self.left} left"
               f" ({self.skipped} already on disk; {self.seconds:.1f} s{where})"]
        for key, err in self.failures[:5]:
            out.append(f"  failed {key}: {err}")
        if len(self.failures) > 5:
            out.append(f"  ... and {len(self.failures) - 5} more (see runs.parquet, column error)")
        for key, err in self.lost[:5]:
            out.append(f"  lost {key} (its worker died: {err}); running the same command again redoes it")
        for note in self.redone[:5]:
            out.append(f"  {note}")
        out.append(f"results: {self.out_dir}")
        return out

    def problem(self) -> str | None:
        """One line for a sweep that did not finish cleanly (None when it did): which runs, and what to do."""
        if self.ok:
            return None
        bits = []
        if self.failed:
            keys = ", ".join(k for k, _ in self.failures[:5]) + (", ..." if len(self.failures) > 5 else "")
            bits.append(f"{self.failed} runs failed ({keys}); fix the cause, then add --retry-failed to redo them")
        if self.left:
            lost = f", {len(self.lost)} of them lost with their worker" if self.lost else ""
            bits.append(f"{self.left} runs not finished{lost}; run the same command again to resume")
        return f"{self.out_dir}: " + "; ".join(bits)


def default_workers() -> int:
    """Number of cores this process may use (the default size of an embedded cluster)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


_ADDRESS = re.compile(r"((tcp|tls|inproc|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?/?")


def check_scheduler_address(address: str) -> None:
    """Refuse text that is not a Dask scheduler address, before any work starts."""
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address.strip()) or ":" not in address:
        raise UsageError(f"--scheduler {address!r}: not a Dask scheduler address; expected e.g. tcp://10.0.0.5:8786")


class _Cluster:
    """An embedded LocalCluster, a connection to an existing scheduler, or no cluster at all (workers=0)."""

    def __init__(self, workers: int | None, scheduler: str | None, announce: Callable[[str], None] | None = None):
        self.client = None
        self.cluster = None
        self.workers = 0
        self.where = ""
        if scheduler:
            from distributed import Client

            check_scheduler_address(scheduler)
            try:
                self.client = Client(scheduler, timeout="20s")
            except Exception as err:  # noqa: BLE001 - unreachable, refused, malformed: one line
                raise UsageError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                                 f"({type(err).__name__}: {' '.join(str(err).split())[:200]})") from None
            self.workers = max(1, sum(self.client.nthreads().values()))
            self.where = f"on the cluster at {scheduler} ({self.workers} workers)"
        elif workers == 0:
            self.workers = 1
            self.where = "in this process"
        else:
            n = workers or default_workers()
            try:
                self._start_local(n)
                self.workers = n
                self.where = f"on {n} local {'worker' if n == 1 else 'workers'}"
            except Exception as err:  # noqa: BLE001 - a cluster that will not start: run here instead
                self.close()
                self.client = self.cluster = None
                self.workers = 1
                self.where = "in this process (the local cluster did not start)"
                if announce is not None:
                    announce(f"could not start a local Dask cluster of {n} workers ({type(err).__name__}: "
                             f"{' '.join(str(err).split())[:160] or 'no detail'}); running in this process instead")

    def _start_local(self, n: int) -> None:
        import dask
        from distributed import Client, LocalCluster

        # quiet, no dashboard, and workers that leave no spill files behind
        # no statistical profiler: its samples cost worker CPU and its history grows with every run
        # generous start-up timeouts: on a loaded machine workers can take well over 20 s to connect
        with warnings.catch_warnings(), dask.config.set({"distributed.worker.daemon": True, "logging.distributed": "error",
                              "distributed.worker.profile.enabled": False,
                              "distributed.comm.timeouts.connect": f"{WORKER_START_TIMEOUT}s",
                              "distributed.deploy.lost-worker-timeout": "60s",
                              "distributed.admin.log-length": 100, "distributed.admin.low-level-log-length": 100}):
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            # no dashboard (its task-stream history grows with every run); death_timeout: workers orphaned by a
            # killed sweep (SIGKILL) lose their scheduler and close themselves
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, silence_logs=40, death_timeout=WORKER_START_TIMEOUT)
            self.client = Client(self.cluster, timeout=f"{WORKER_START_TIMEOUT}s")

    def close(self) -> None:
        for part in (self.client, self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # noqa: BLE001 - closing a half-started cluster must not hide the real error
                    pass


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

    The folder is locked while the sweep works in it; a folder that holds
    other results is refused (:class:`sim.errors.UsageError`), never changed.

    Args:
        workers: embedded cluster size (default: the machine's cores, or this process when the
            work is too small to be worth a cluster); 0 runs in this process.
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        run_fn: ``f(scenario, seed) -> RunResult``; default :func:`sim.run` with the experiment's model class.
        retry_failed: redo runs the model failed last time (runs lost to the infrastructure are always redone).
        stop_after: stop submitting after this many new runs (used to test resuming).
        announce: called with one-line notes (what is run, where, a cluster that did not start).
    """
    from ..runner import package_versions

    if scheduler:
        check_scheduler_address(scheduler)
    runs = list(exp.runs())
    keys = {r.key for r in runs}
    if len(keys) != len(runs):
        raise UsageError(f"{exp.source}: two points of the design are identical; remove duplicate values")
    with claim(out_dir):
        store = SweepStore(Path(out_dir))
        _check_same_experiment(store, exp)
        versions = package_versions()
        versions.update({n: _version(n) for n in ("dask", "distributed", "SALib", "scikit-learn")})
        store.start(exp, runs, versions)
        summary = SweepSummary(store.dir, len(runs))
        try:
            _sweep(exp, store, runs, keys, summary, workers, scheduler, run_fn, progress, retry_failed,
                   max_in_flight, stop_after, announce)
        finally:
            store.finish(summary.as_dict())
    return summary


def _sweep(exp, store, runs, keys, summary, workers, scheduler, run_fn, progress, retry_failed, max_in_flight,
           stop_after, announce) -> None:
    if announce is not None:
        from .design import describe_design

        announce(describe_design(exp))
    done, failed, notes = store.scan(keys, retry_failed)
    summary.done, summary.failed, summary.skipped, summary.redone = len(done), len(failed), len(done) + len(failed), notes
    summary.failures = [(k, store.read_error(k)["error"]) for k in sorted(failed)]
    todo = [r for r in runs if r.key not in done and r.key not in failed]
    if stop_after is not None:
        todo = todo[:stop_after]
    metrics = exp.metrics
    if todo and workers is None and not scheduler and _small(exp, len(todo)):
        workers = 0
    bar = _progress_bar(summary, progress)
    start = time.monotonic()
    cluster = _Cluster(workers, scheduler, announce) if todo else None
    summary.workers = cluster.workers if cluster else 0
    summary.where = cluster.where if cluster else ""

    def record(result: dict, run: RunSpec) -> None:
        if result["ok"]:
            store.write_part(run, result["monthly"])
            summary.done += 1
        elif result.get("lost"):
            store.write_error(run, result["error"], cause="infrastructure")
            summary.lost.append((run.key, result["error"]))
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
                record(execute_run(exp.with_scenario(run), metrics, run_fn, exp.settings.model), run)
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


def _small(exp: Experiment, n_runs: int) -> bool:
    """Whether ``n_runs`` of this experiment take less time here than starting a local cluster would."""
    from .budget import sweep_estimate

    if default_workers() < 2:
        return True
    per_run = sweep_estimate(exp, 1).seconds / max(exp.n_runs, 1)
    return per_run * n_runs < IN_PROCESS_SECONDS


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
        fut = client.submit(execute_run, exp.with_scenario(run), metrics, run_fn, exp.settings.model,
                            key=f"partnersim-run-{run.key}", pure=False, retries=0)
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
        except KilledWorker as err:  # the worker died under the run: the infrastructure's loss, redone on resume
            result = {"key": run.key, "ok": False, "lost": True, "error": f"KilledWorker: {' '.join(str(err).split())}"}
        except Exception as err:  # noqa: BLE001 - the cluster, not the run, failed: stop; a rerun resumes
            from ..errors import WorkFailed

            raise WorkFailed(f"lost the Dask cluster ({type(err).__name__}: {' '.join(str(err).split())[:200]}); "
                             "finished runs are on disk, run the same command again to resume") from None
        fut.release()
        record(result, run)
        submit_next()


def check_folder(exp: Experiment, out_dir: str | Path) -> None:
    """Before any work: the folder must be usable and hold nothing but this experiment's results."""
    from .outdir import check_out_path

    check_out_path(out_dir)
    _check_same_experiment(SweepStore(Path(out_dir)), exp)


def _check_same_experiment(store: SweepStore, exp: Experiment) -> None:
    """A folder that holds results is accepted only when they are this experiment's (a resume)."""
    fingerprint = exp.fingerprint()

    def ours(manifest: dict | None) -> bool:
        if manifest is None:  # part files without a manifest: whose they are cannot be told
            return False
        return manifest.get("kind") == "sweep" and manifest.get("fingerprint") == fingerprint

    refuse_other_results(store.dir, ours)


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
