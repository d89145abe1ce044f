"""Partnership formation and reorganisation (:mod:`sim.partnering`) on small seeded models.

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


def test_disabling_partnerships_gives_no_partnerships(small_scenario):
    for seed in sim.replication_seeds(small_scenario(), 3):
        model = sim.PartnershipModel(small_scenario(partnership__enabled=False), seed=seed)
        model.run_for(24)
        df = model.monthly_frame()
        assert (df["partnerships_active"] == 0).all()
        assert (df["unfunded_collaborations"] == 0).all()
        assert (df["consortium_contract_share"] == 0).all()
        assert all(p.size == 1 for p in model.partnerships)
    # ... whereas with partnerships enabled they form
    on = small_scenario()
    model = sim.PartnershipModel(on, seed=sim.replication_seeds(on, 1)[0])
    model.run_for(24)
    assert model.monthly_frame()["partnerships_active"].max() > 0


def test_co_location_forms_one_stop_shops(small_scenario):
    sc = small_scenario("inspire", partnership__co_location=True)
    model = sim.PartnershipModel(sc, seed=1)
    model.run_for(6)
    held = [c.holder for c in model.contracts.values() if c.holder.size >= 2]
    assert held and all(p.co_located and p.form == "one_stop_shop" for p in held)


def _close_a_partner(flexible: bool, small_scenario):
    sc = small_scenario("inspire", commissioning__flexible=flexible, sector__closure_months=1)
    model = sim.PartnershipModel(sc, seed=6)
    model.run_for(6)
    contract = next(c for c in model.contracts.values() if len(c.delivering) >= 3)
    before = dict(contract.shares)
    lost = next(m for m in contract.delivering if m != contract.holder.lead)
    model.sector.reserves[lost] = -1e12
    model.step()
    assert not model.sector.alive[lost]
    return model, contract, before, lost


def test_flexible_funder_lets_a_partnership_replace_a_lost_partner(small_scenario):
    model, contract, before, lost = _close_a_partner(True, small_scenario)
    assert contract.active and lost not in contract.shares
    newcomers = set(contract.shares) - set(before)
    assert len(newcomers) == 1
    new = newcomers.pop()
    assert model.sector.alive[new] and new in contract.holder.members
    assert contract.shares[new] == pytest.approx(before[lost])
    assert sum(contract.shares.values()) == pytest.approx(sum(before.values()))
    assert model.counters["reorganisations"] == 1


def test_inflexible_funder_does_not_let_a_partnership_replace_a_lost_partner(small_scenario):
    model, contract, before, lost = _close_a_partner(False, small_scenario)
    assert lost not in contract.shares
    assert set(contract.shares) == set(before) - {lost}  # nobody new comes in
    for m in set(before) - {lost, contract.holder.lead}:
        assert contract.shares[m] == pytest.approx(before[m])
    assert model.counters["reorganisations"] == 0


def test_unfunded_joint_services_join_know_how_with_access(small_scenario):
    sc = small_scenario("fine_cell_work")
    seen = 0
    for seed in sim.replication_seeds(sc, 3):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(24)
        s = model.sector
        for p in model.partnerships:
            if p.joint_service is None or p.contracts:
                continue
            seen += 1
            loc, d = p.joint_service
            assert p.form == "informal" and p.size >= 2
            assert any(s.knowhow[m, d] for m in p.members), "someone brings the programme"
            assert any(s.presence[m, loc] for m in p.members), "someone brings access to the place"
            host = p.lead
            assert s.presence[host, loc] and not s.specialisms[host, d]
    assert seen > 0
    off = small_scenario("fine_cell_work", partnership__enabled=False)
    model = sim.PartnershipModel(off, seed=sim.replication_seeds(off, 1)[0])
    model.run_for(24)
    assert model.counters["unfunded_formed"] == 0
    assert all(p.joint_service is None for p in model.partnerships)
