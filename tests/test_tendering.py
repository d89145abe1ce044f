"""Tendering (:mod:`sim.tendering`) on small seeded models: defection, viability at re-tender, rollover.

Stochastic claims compare fixed replication seeds with a one-sided test at 5%,
which is deterministic because the seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim import delivery, finance, partnering, system_change, tendering
from helpers import ALPHA, greater, mean_after  # noqa: F401


def test_market_test_causes_defections_rollover_none(small_scenario, seeded_values):
    kw = dict(run__months=40, commissioning__contract_months=12)
    market = small_scenario("inspire", commissioning__retender="market_test", **kw)
    rollover = small_scenario("inspire", commissioning__retender="rollover", **kw)
    final = lambda m: m.current["defections"]  # noqa: E731
    a, b = seeded_values(market, final), seeded_values(rollover, final)
    assert np.all(b == 0), "a rolled-over contract has no partner bidding against it"
    assert a.sum() > 0
    assert greater(a, b) < ALPHA


def test_defection_damages_ties_and_leaves_the_partnership(small_scenario):
    class AlwaysDefect(sim.Charity):
        def defection_chance(self, lead_tie, value_change):
            return 1.0

    sc = small_scenario("inspire", commissioning__retender="market_test")
    model = sim.PartnershipModel(sc, seed=2, charity_cls=AlwaysDefect)
    model.run_for(3)
    p = next(c.holder for c in model.contracts.values() if c.holder.size >= 2)
    lead, others = p.lead, [m for m in p.members if m != p.lead]
    before = model.network.strength(np.full(len(others), lead), np.asarray(others), "managerial").copy()
    assert np.all(before > 0)
    out = tendering.defect(model, p, 0.0)
    assert sorted(out) == sorted(others)
    assert p.members == [lead]
    after = model.network.strength(np.full(len(others), lead), np.asarray(others), "managerial")
    keep = 1.0 - sc.relationships.defection_damage
    assert np.allclose(after, before * keep)
    assert model.counters["defections"] == len(others)


def test_halving_the_contract_at_retender_drops_delivering_partners(small_scenario, seeded_values):
    kw = dict(run__months=30, commissioning__contract_months=12, commissioning__retender="rollover")
    same = small_scenario("inspire", **kw)
    halved = small_scenario("inspire", commissioning__value_change_at_retender=-0.5, **kw)
    fn = lambda m: m.current["partners_delivering_mean"]  # noqa: E731
    a, b = seeded_values(same, fn), seeded_values(halved, fn)
    assert greater(a, b) < ALPHA


def test_rollover_keeps_the_incumbent(small_scenario):
    sc = small_scenario("inspire", run__months=30, commissioning__contract_months=12, commissioning__retender="rollover")
    model = sim.PartnershipModel(sc, seed=4)
    model.run_for(6)
    first = {c.lot_index: c.holder for c in model.contracts.values()}
    model.run_for(20)  # past one re-tender
    later = {c.lot_index: c for c in model.contracts.values()}
    assert later
    for lot, c in later.items():
        assert c.start > 1
        assert c.holder is first[lot]
