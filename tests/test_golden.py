"""Golden outputs: the monthly and per-run tables of five scenarios, three seeds each.

Recorded by ``tests/golden/record.py`` before the extension-points refactor;
a structural change must leave them identical. When a change of behaviour is
intended, re-record them in the same commit and say so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent / "golden"
spec = importlib.util.spec_from_file_location("golden_record", HERE / "record.py")
record = importlib.util.module_from_spec(spec)
spec.loader.exec_module(record)


@pytest.mark.parametrize("name", record.CASES)
def test_tables_identical(name):
    monthly, final = record.tables(name)
    want_monthly = pd.read_parquet(HERE / f"{name}.monthly.parquet")
    want_final = pd.read_parquet(HERE / f"{name}.runs.parquet")
    pd.testing.assert_frame_equal(monthly[want_monthly.columns].reset_index(drop=True), want_monthly, check_exact=True)
    pd.testing.assert_frame_equal(final[want_final.columns].reset_index(drop=True), want_final, check_exact=True)
