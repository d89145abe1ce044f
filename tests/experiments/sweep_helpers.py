"""Helpers for the experiment tests: small experiment files, dataset comparison, the CLI.

Every sweep here is small (a 40-charity region, 24 months) so the whole suite
stays fast on two cores; equality of datasets is checked frame by frame.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Dask workers and CLI subprocesses must import the same `sim`
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

SMALL_SET = """
[set]
"sector.charities" = 30
"sector.localities" = 5
"sector.prisons" = 1
"demand.clients" = 400
"""


def write_experiment(folder: Path, name: str = "small", replications: int = 3, values=(12, 36), months: int = 24,
                     extra: str = "") -> Path:
    """A two-scenario, one-lever experiment file; returns its path."""
    text = f"""
[experiment]
title = "Small test sweep"
scenarios = ["baseline", "colocated"]
replications = {replications}
seed = 99
months = {months}
metrics = ["partnerships_active", "rel_frontline_mean", "referral_success_rate", "charities_active"]
{extra}
{SMALL_SET}
[parameters]
"commissioning.contract_months" = {list(values)}

[variants.colocated]
extends = "baseline"
"partnership.co_location" = true
"""
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def read_dataset(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.read_parquet(out / "runs.parquet")
    monthly = pd.read_parquet(out / "monthly.parquet")
    return runs, monthly


def assert_same_dataset(a: Path, b: Path) -> None:
    runs_a, monthly_a = read_dataset(a)
    runs_b, monthly_b = read_dataset(b)
    pd.testing.assert_frame_equal(runs_a, runs_b)
    pd.testing.assert_frame_equal(monthly_a, monthly_b)
    assert runs_a["run_key"].is_unique


#: What the installed ``partnersim`` script runs (``python -m sim.cli`` would load cli.py twice).
ENTRY_POINT = "import sys; from sim.cli import main; sys.exit(main(sys.argv[1:]))"


def cli(*args: str, cwd: Path | None = None, timeout: float = 300):
    """Run the ``partnersim`` entry point (``sim.cli:main``) in a subprocess; returns the CompletedProcess."""
    import subprocess

    return subprocess.run([sys.executable, "-c", ENTRY_POINT, *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env=os.environ.copy())
