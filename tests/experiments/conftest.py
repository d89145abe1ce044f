"""Fixtures for the experiment tests (helpers live in sweep_helpers.py)."""

from __future__ import annotations

import pytest

from sweep_helpers import write_experiment


@pytest.fixture(scope="session")
def reference_sweep(tmp_path_factory):
    """The small experiment run once, uninterrupted, in this process: (experiment path, output folder)."""
    from sim.experiments import load_experiment, run_sweep

    folder = tmp_path_factory.mktemp("reference")
    path = write_experiment(folder)
    out = folder / "out"
    summary = run_sweep(load_experiment(path), out, workers=0, progress=False)
    assert summary.done == summary.total == 12 and summary.failed == 0
    return path, out

