"""Dated events (:mod:`sim.events`).

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


def test_funding_event_changes_funding_factor(small_scenario):
    sc = small_scenario(events=[{"month": 6, "kind": "funding", "change": -0.5}], funding__change=0.0)
    model = sim.PartnershipModel(sc, seed=1)
    model.run_for(5)
    assert model.funding_factor() == pytest.approx(1.0)
    budget = {c.name: c.monthly_budget() for c in model.commissioners}
    model.step()
    assert model.funding_factor() == pytest.approx(0.5)
    for c in model.commissioners:
        assert c.monthly_budget() == pytest.approx(0.5 * budget[c.name])
    model.step()
    assert model.funding_factor() == pytest.approx(0.5)


def test_demand_event_raises_arrivals(small_scenario):
    sc = small_scenario(events=[{"month": 4, "kind": "demand", "change": 1.0}])
    model = sim.PartnershipModel(sc, seed=1)
    model.run_for(3)
    assert model.demand_factor() == pytest.approx(1.0)
    model.run_for(8)
    assert model.demand_factor() == pytest.approx(2.0)
    assert len(model.clients) > 1.5 * sc.demand.clients


def test_retender_event_ends_contracts_that_month(small_scenario):
    name = "Community Rehabilitation Company"
    sc = small_scenario(events=[{"month": 10, "kind": "retender", "commissioner": name}],
                        commissioning__contract_months=36)
    model = sim.PartnershipModel(sc, seed=3)
    model.run_for(9)
    old = [c for c in model.contracts.values() if c.commissioner.name == name]
    others = [c for c in model.contracts.values() if c.commissioner.name != name]
    assert old, "the commissioner should hold contracts before the event"
    assert all(c.end > 10 for c in old)
    model.step()
    assert model.month == 10
    assert all(not c.active for c in old)
    now = [c for c in model.contracts.values() if c.commissioner.name == name]
    assert all(c.start == 10 for c in now)
    # other commissioners' contracts are untouched
    assert all(c.active for c in others if c.end > 10)


def test_new_commissioner_event_adds_a_commissioner(small_scenario):
    spec = {"name": "New funder", "kind": "pcc", "budget_share": 0.5, "domains": ["housing", "mental_health"],
            "setting": "community"}
    sc = small_scenario(events=[{"month": 5, "kind": "commissioner", "spec": spec}])
    model = sim.PartnershipModel(sc, seed=1)
    n = len(model.commissioners)
    model.run_for(4)
    assert len(model.commissioners) == n
    assert "New funder" not in [c.name for c in model.commissioners]
    model.run_for(3)
    assert len(model.commissioners) == n + 1
    new = next(c for c in model.commissioners if c.name == "New funder")
    assert new in model.agents
    assert new.monthly_budget() > 0
    assert any(c.commissioner is new for c in model.contracts.values())
