"""A larger region is more of the same region, not a denser one.

A charity reaches a number of places, not a share of the region, and a
commissioner splits its places into lots of about one local area each, so a
region twice the size has as many charities in each place and twice the
contracts. The behaviour this keeps (the share of charities in partnerships,
closures per charity) is checked over seeded runs in
``tests/causal/test_region_size.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.sector import PRESENCE_REFERENCE, PRESENCE_SHARE, SectorState


def scaled(k: int) -> dict:
    """The baseline region scaled by k: charities, places, prisons and clients together."""
    return {"sector.charities": 150 * k, "sector.localities": 12 * k, "sector.prisons": 3 * k,
            "demand.clients": 3000 * k}


def _reach(localities: int, n: int = 6000, seed: int = 7) -> SectorState:
    sc = sim.load_scenario("baseline", {"sector.charities": n, "sector.localities": localities,
                                         "sector.prisons": 0})
    return SectorState(sc, np.random.default_rng(seed), localities)


@pytest.mark.parametrize("localities", [24, 48])
def test_a_charitys_reach_is_a_number_of_places_whatever_the_region(localities):
    """Per band, the number of places beyond the home place does not depend on the region's size:
    equal means in the reference region and a larger one (Welch's t-test does not reject at 1%), and
    the reference region's mean is PRESENCE_SHARE of its other places."""
    ref, big = _reach(PRESENCE_REFERENCE), _reach(localities)
    for band in (1, 2, 3):
        a = ref.presence[ref.band == band].sum(axis=1) - 1
        b = big.presence[big.band == band].sum(axis=1) - 1
        expected = PRESENCE_SHARE[band] * (PRESENCE_REFERENCE - 1)
        assert abs(a.mean() - expected) < 4 * a.std() / np.sqrt(a.size) + 0.05, (band, a.mean(), expected)
        assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.01, (band, a.mean(), b.mean())
    # the larger region has as many charities present in each place
    per_place_ref = ref.presence.sum(axis=0).mean() / ref.n
    per_place_big = big.presence.sum(axis=0).mean() / big.n
    assert per_place_big == pytest.approx(per_place_ref * PRESENCE_REFERENCE / localities, rel=0.1)


def test_in_a_small_region_a_reach_covers_at_most_every_place():
    small = _reach(3, n=500)
    assert small.presence[small.band == 3].all(), "0.45 x 11 places > the 2 others: present everywhere"
    assert small.presence.sum(axis=1).max() <= 3


def _lots(overrides: dict) -> dict[str, list[int]]:
    model = sim.PartnershipModel(sim.load_scenario("baseline", overrides), seed=1)
    return {c.spec.name: [lot.size for lot in c.lots] for c in model.commissioners}


def test_a_larger_region_has_more_lots_not_larger_ones():
    one, two, four = _lots(scaled(1)), _lots(scaled(2)), _lots(scaled(4))
    lot_places = sim.load_scenario("baseline").commissioning.lot_places
    for name in one:
        assert len(two[name]) >= len(one[name]) and len(four[name]) > len(one[name]), name
        for sizes in (one[name], two[name], four[name]):
            assert max(sizes) <= max(lot_places, 9), (name, sizes)  # the lottery's area is 9 places
    n_contracts = [sum(len(v) for v in d.values()) for d in (one, two, four)]
    assert n_contracts[0] < n_contracts[1] < n_contracts[2]
    assert n_contracts[2] >= 3 * n_contracts[0]


def test_a_set_number_of_lots_is_kept_and_never_exceeds_the_places():
    fixed = _lots({**scaled(2), "commissioning.lots": 3})
    assert len(fixed["Community Rehabilitation Company"]) == 3
    assert len(fixed["Prison service"]) == 2, "its own lot_places (3) still applies: lots is set per spec only"
    tiny = _lots({"commissioning.lots": 50})
    assert all(len(v) <= 12 for v in tiny.values())
    one_place = _lots({"commissioning.lot_places": 1})
    assert len(one_place["Community Rehabilitation Company"]) == 9
