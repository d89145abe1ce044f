"""The default scenario stays within the tolerance of every calibration target it produces.

One target, one test: a target whose metric the model does not record yet is
skipped with its name; a produced target outside its tolerance fails. Fixed
seeds (the baseline's own replication seeds, as docs/calibration.md), the full horizon.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.calibration import MISSING_PENALTY, OPEN_TARGETS, TARGETS, Target, clopper_pearson, distance, evaluate, produced, run_targets

#: The seeds of docs/calibration.md (its default), so the test and the table give the same verdict; fewer
#: seeds let a noisy target (the reoffending gap) leave its tolerance by chance.
SEEDS = 20


@pytest.fixture(scope="module")
def baseline_rows():
    rows, _ = run_targets("baseline", seeds=SEEDS)
    return {r.target.name: r for r in rows}


#: Targets the revised model leaves for now, with the reason: measured and reported (docs/calibration.md), never
#: hidden; each is expected to fail until its mechanism is fixed (it passes again when it comes back inside).
OPEN = OPEN_TARGETS


@pytest.mark.parametrize("name", [t.name for t in TARGETS])
def test_default_scenario_within_tolerance(baseline_rows, name):
    row = baseline_rows[name]
    if name in OPEN and row.status == "outside":
        pytest.xfail(f"{name}: {OPEN[name]}")
    if row.status == "not yet produced":
        pytest.skip(f"target {name}: metric {row.target.metric!r} not yet produced by the model")
    assert row.status != "no data", f"{name}: metric {row.target.metric} was missing in every run"
    t = row.target
    assert row.status == "inside", (
        f"{name}: model {row.mean:.3f} (95% CI {row.ci_low:.3f}-{row.ci_high:.3f}) outside the tolerance "
        f"{t.low:.3f}-{t.high:.3f} around {t.published:.3f} ({t.source})")


def test_targets_are_well_formed():
    names = [t.name for t in TARGETS]
    assert len(set(names)) == len(names)
    for t in TARGETS:
        assert t.low <= t.published <= t.high and t.low < t.high
        assert t.source and t.figure and t.tolerance_basis


def test_breach_tolerance_is_the_binomial_interval_of_three_in_forty():
    lo, hi = clopper_pearson(3, 40)
    breach = next(t for t in TARGETS if t.name == "breach_rate")
    assert breach.low == pytest.approx(lo, abs=1e-4) and breach.high == pytest.approx(hi, abs=1e-4)


def test_evaluate_marks_outside_missing_and_unproduced():
    fake = [Target("a", "reoffending_rate", 0.25, 0.2, 0.3, "s", "f", "b"),
            Target("b", "breach_rate", 0.075, 0.02, 0.2, "s", "f", "b"),
            Target("c", "no_such_metric_anywhere", 0.5, 0.4, 0.6, "s", "f", "b")]
    final = pd.DataFrame({"reoffending_rate": [0.5, 0.52], "breach_rate": [float("nan")] * 2})
    rows = {r.target.name: r for r in evaluate(final, fake)}
    assert rows["a"].status == "outside" and rows["a"].mean == pytest.approx(0.51)
    assert rows["b"].status == "no data"
    assert rows["c"].status == "not yet produced"
    have, missing = produced(fake)
    assert [t.name for t in missing] == ["c"]


def test_distance_is_scaled_by_tolerance_on_each_side():
    t = Target("x", "m", 0.1, 0.0, 0.5, "s", "f", "b")
    assert distance({"m": 0.1}, [t]) == 0.0
    assert distance({"m": 0.5}, [t]) == pytest.approx(1.0)  # upper edge
    assert distance({"m": 0.0}, [t]) == pytest.approx(1.0)  # lower edge, a narrower side
    assert distance({"m": 0.3}, [t]) == pytest.approx(0.5)
    assert distance({"m": float("nan")}, [t]) == MISSING_PENALTY
    two = [t, Target("y", "n", 1.0, 0.0, 2.0, "s", "f", "b")]
    assert distance({"m": 0.5, "n": 1.0}, two) == pytest.approx(math.sqrt(0.5))
