"""Killed sweeps resume; damaged result files are detected and redone, never read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd

from sim.experiments import load_experiment, run_sweep

from sweep_helpers import ENTRY_POINT, ROOT, assert_same_dataset, cli, write_experiment


def _parts(out):
    folder = out / "parts"
    return sorted(p.name for p in folder.glob("*.parquet")) if folder.is_dir() else []


def test_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_dataset(tmp_path):
    path = write_experiment(tmp_path, "killme", replications=6, values=(12, 36), months=24)
    total = 24
    reference = tmp_path / "reference"
    assert run_sweep(load_experiment(path), reference, workers=0, progress=False).done == total

    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", ENTRY_POINT, "sweep", str(path), "--out", str(out), "--workers", "1",
                             "--no-progress"], cwd=ROOT, env=os.environ.copy(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while len(_parts(out)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its Dask workers, no chance to clean up
        proc.wait()
    done_before = len(_parts(out))
    assert 3 <= done_before < total, "the sweep was killed mid-way"
    assert not (out / "runs.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    # started again (here in-process: the worker count does not change results)
    resumed = cli("sweep", str(path), "--out", str(out), "--workers", "0", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["resumed_from_disk"] == done_before, "finished runs are not redone"
    assert (summary["done"], summary["failed"], summary["left"]) == (total, 0, 0)
    assert len(_parts(out)) == total
    assert_same_dataset(reference, out)
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["run_key"].is_unique and set(runs["run_key"]) == set(pd.read_parquet(reference / "runs.parquet")["run_key"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["resumed"]) == 1


def test_corrupt_or_partial_result_files_are_redone_not_read(tmp_path, reference_sweep):
    path, reference = reference_sweep
    exp = load_experiment(path)
    out = tmp_path / "damaged"
    run_sweep(exp, out, workers=0, progress=False)
    parts = sorted((out / "parts").glob("*.parquet"))
    # what a crash or a bad disk can leave behind
    truncated, flipped, garbage, empty = parts[0], parts[1], parts[2], parts[3]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    data = bytearray(flipped.read_bytes())
    middle = len(data) // 3
    data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
    flipped.write_bytes(bytes(data))
    garbage.write_bytes(b"PAR1 this is not a parquet file PAR1")
    empty.write_bytes(b"")
    (out / "parts" / (parts[4].name + ".tmp")).write_bytes(b"half a file")
    # the consolidated files are also gone (killed before consolidation)
    (out / "runs.parquet").unlink()
    (out / "monthly.parquet").unlink()

    summary = run_sweep(exp, out, workers=0, progress=False)
    assert len(summary.redone) == 4, summary.redone
    assert summary.skipped == 8 and summary.done == 12
    assert not list((out / "parts").glob("*.tmp"))
    assert_same_dataset(reference, out)


def test_a_part_file_under_the_wrong_name_is_not_trusted(tmp_path, reference_sweep):
    path, _ = reference_sweep
    exp = load_experiment(path)
    out = tmp_path / "swapped"
    run_sweep(exp, out, workers=0, progress=False)
    a, b = sorted((out / "parts").glob("*.parquet"))[:2]
    # a whole, checksum-valid file that holds another run's results under this run's key
    key_a, sha_b = a.name.split(".")[0], b.name.split(".")[1]
    a.unlink()
    (out / "parts" / f"{key_a}.{sha_b}.parquet").write_bytes(b.read_bytes())
    summary = run_sweep(exp, out, workers=0, progress=False)
    assert len(summary.redone) == 1 and "run key" in summary.redone[0]
    assert_same_dataset(path.parent / "out", out)
