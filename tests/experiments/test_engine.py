"""The sweep engine: same dataset however it is run, failures recorded, not fatal."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim.experiments import load_experiment, run_sweep

from sweep_helpers import assert_same_dataset


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster():
    """A real scheduler and one worker, started on 127.0.0.1 as separate processes; stopped afterwards."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", "127.0.0.1:0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                                       "--nthreads", "1", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_external_scheduler_embedded_cluster_and_one_worker_give_identical_datasets(reference_sweep, tmp_path,
                                                                                     dask_cluster):
    path, reference = reference_sweep
    exp = load_experiment(path)
    for name, kwargs in [("scheduler", {"scheduler": dask_cluster}), ("embedded", {}), ("one", {"workers": 1})]:
        out = tmp_path / name
        summary = run_sweep(exp, out, progress=False, **kwargs)
        assert (summary.done, summary.failed, summary.left) == (12, 0, 0), name
        assert_same_dataset(reference, out)


def test_failing_runs_are_recorded_and_do_not_stop_the_sweep(tmp_path, reference_sweep):
    path, reference = reference_sweep
    exp = load_experiment(path)

    def flaky_model(scenario, seed):  # pickled by value to the workers
        import sim

        if scenario.partnership.co_location and scenario.commissioning.contract_months == 12:
            raise RuntimeError("model exploded in month 3")
        return sim.run(scenario, seed)

    out = tmp_path / "flaky"
    summary = run_sweep(exp, out, workers=2, run_fn=flaky_model, progress=False)
    assert (summary.done, summary.failed, summary.left) == (9, 3, 0)
    assert "3 failed" in summary.lines()[0]
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert len(failed) == 3 and failed["error"].str.contains("model exploded in month 3").all()
    assert set(failed["scenario"]) == {"colocated"}
    # the runs that did finish are exactly those of the uninterrupted reference
    ref = pd.read_parquet(reference / "runs.parquet")
    ok = runs[runs["status"] == "ok"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ok, ref[ref["run_key"].isin(ok["run_key"])].reset_index(drop=True))

    # a recorded failure counts as finished; --retry-failed redoes it (here with the real model)
    again = run_sweep(exp, out, workers=0, progress=False)
    assert (again.skipped, again.failed, again.done) == (12, 3, 9)
    retried = run_sweep(exp, out, workers=0, progress=False, retry_failed=True)
    assert (retried.done, retried.failed) == (12, 0)
    assert_same_dataset(reference, out)


def test_manifest_is_written_first_and_records_the_sweep(tmp_path, reference_sweep):
    import json

    _, reference = reference_sweep
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["status"] == "complete"
    assert len(manifest["seeds"]["runs"]) == 12 and manifest["n_runs"] == 12
    assert {"mesa", "numpy", "dask"} <= set(manifest["versions"])
    assert "partnersim" in manifest["code_version"]
    assert manifest["experiment"]["scenarios"]["colocated"]["partnership"]["co_location"] is True

    # started but stopped before any run: the manifest is already there
    exp = load_experiment(reference.parent / "small.toml")
    out = tmp_path / "early"
    summary = run_sweep(exp, out, workers=0, progress=False, stop_after=0)
    assert summary.left == 12 and (out / "manifest.json").is_file() and not (out / "runs.parquet").exists()


def test_a_folder_of_another_experiment_is_refused(tmp_path, reference_sweep):
    from sim.cli import UsageError

    from sweep_helpers import write_experiment

    _, reference = reference_sweep
    other = load_experiment(write_experiment(tmp_path, "other", values=(12, 24)))
    with pytest.raises(UsageError, match="different experiment"):
        run_sweep(other, reference, workers=0, progress=False)


def test_futures_in_flight_stay_bounded(tmp_path, reference_sweep):
    """Memory stays flat: never more than max_in_flight runs submitted and not yet recorded."""
    from distributed import Client, LocalCluster

    from sim.experiments.engine import _run_on_dask

    path, _ = reference_sweep
    exp = load_experiment(path)
    todo = list(exp.runs())
    seen, recorded = [], []
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        def record(result, run):
            seen.append(len(client.futures))
            recorded.append(run.key)

        _run_on_dask(client, exp, todo, exp.metrics, None, record, max_in_flight=3)
    assert sorted(recorded) == sorted(r.key for r in todo)
    assert max(seen) <= 3
