"""Golden outputs: the monthly and per-run tables of five scenarios, three seeds each.

Recorded by ``tests/golden/record.py``; a structural change must leave them
identical. When a change of behaviour is intended, re-record them in the same
commit and say so.

Identical means equal to a relative 1e-12: numpy's ``exp``, ``log`` and
``power`` differ in the last bit between CPUs with and without AVX-512, which
is not a change of the model (every seeded decision came out the same on both
when this was checked). Any change of behaviour moves far more than that.
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
    pd.testing.assert_frame_equal(monthly[want_monthly.columns].reset_index(drop=True), want_monthly,
                                  check_exact=False, rtol=1e-12, atol=0.0)
    pd.testing.assert_frame_equal(final[want_final.columns].reset_index(drop=True), want_final,
                                  check_exact=False, rtol=1e-12, atol=0.0)
