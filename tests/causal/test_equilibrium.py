"""Start in equilibrium: with no trends or events, the first year looks like the fifth.

The burn-in (``run.burn_in``) settles contracts, staffing, caseloads and ties
before month 0, so the means over months 1-12 of sector income, staff hours,
reserves and capacity cover are within 5% of their means over months 49-60
(issue: the causal chain). Fixed seeds make the test deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim

SEEDS = 4
WATCHED = ("income_total", "staff_hours_total", "reserves_total", "capacity_cover")


@pytest.fixture(scope="module")
def monthly():
    sc = sim.load_scenario("baseline", {"run.months": 60, "demand.growth": 0.0, "funding.change": 0.0})
    assert not sc.events
    frames = [sim.run(sc, s).monthly for s in sim.replication_seeds(sc, SEEDS)]
    return frames


@pytest.mark.parametrize("metric", WATCHED)
def test_first_year_matches_the_fifth(monthly, metric):
    early = np.mean([f.loc[f["month"].between(1, 12), metric].mean() for f in monthly])
    late = np.mean([f.loc[f["month"].between(49, 60), metric].mean() for f in monthly])
    assert abs(early - late) <= 0.05 * abs(late), f"{metric}: months 1-12 {early:.4g} against 49-60 {late:.4g}"


def test_no_shock_in_the_first_year(monthly):
    """Staff hours move by under 5% over the first year (before the burn-in they fell by 30%)."""
    for f in monthly:
        start, year = f["staff_hours_total"].iloc[0], f.loc[f["month"] == 12, "staff_hours_total"].iloc[0]
        assert abs(year - start) <= 0.05 * start, f"staff hours {start:.0f} at month 0, {year:.0f} at month 12"


def test_capacity_is_scarce_in_the_baseline(monthly):
    cover = np.mean([f.loc[f["month"] >= 1, "capacity_cover"].mean() for f in monthly])
    assert 0.6 <= cover <= 0.95, f"capacity_cover {cover:.3f} should sit clearly below 1"
