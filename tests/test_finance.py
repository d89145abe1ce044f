"""Finance and closure (:mod:`sim.finance`) on small seeded models.

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


def test_insolvent_charity_closes_and_leaves_the_model(small_scenario):
    sc = small_scenario(sector__closure_months=3)
    model = sim.PartnershipModel(sc, seed=5)
    model.run_for(4)
    s = model.sector
    # a charity in a contract (so closure must reorganise a partnership), else any operating one
    members = [m for c in model.contracts.values() for m in c.delivering if s.alive[m] and s.negative_months[m] == 0]
    i = int(members[0]) if members else int(np.flatnonzero(s.alive & (s.negative_months == 0))[0])
    agent = model.charity(i)
    assert agent in model.agents and agent in model.charities
    active_before = model.current["charities_active"]
    closures_before = model.current["charity_closures"]
    s.reserves[i] = -1e12
    closed_at = None
    for k in range(1, sc.sector.closure_months + 1):
        model.step()
        if not s.alive[i]:
            closed_at = k
            break
    assert closed_at is not None, "reserves stayed negative for closure_months but the charity did not close"
    if sc.sector.closure_months > 1:
        assert closed_at > 1, "closed before its reserves had stayed negative for closure_months"
    assert agent not in model.agents
    assert agent not in model.charities
    assert model.current["charity_closures"] >= closures_before + 1
    assert model.current["charities_active"] <= active_before - 1
    assert all(i not in p.members for p in model.partnerships if p.active)
    assert all(i not in c.shares for c in model.contracts.values())
    assert s.staff_hours[i] == 0
    model.step()  # its clients are displaced to someone else (or no one)
    assert not np.any(model.clients.provider == i)
    assert s.income[i] == 0 and s.spending[i] == 0


def test_closure_needs_reserves_to_stay_negative(small_scenario):
    sc = small_scenario(sector__closure_months=3)
    model = sim.PartnershipModel(sc, seed=5)
    model.run_for(2)
    s = model.sector
    i = int(np.flatnonzero(s.alive & (s.negative_months == 0) & (s.reserves > 0))[0])
    for _ in range(6):  # negative for one month at a time, then rescued
        s.reserves[i] = -1.0
        model.step()
        s.reserves[i] = 1e9
        model.step()
    assert s.alive[i]


def test_money_buys_staff_hours(small_scenario):
    """Same charity, same seed: more money for these clients means more paid hours (and no more when it is taken away)."""
    sc = small_scenario(run__burn_in=0)
    models = {k: sim.PartnershipModel(sc, seed=7) for k in ("less", "same", "more")}
    s0 = models["same"].sector
    i = int(np.flatnonzero(s0.alive & (s0.own_funds > 0) & (s0.staff_hours > 1.0))[0])
    models["more"].sector.own_funds[i] *= 3.0
    models["less"].sector.own_funds[i] *= 0.2
    for m in models.values():
        m.run_for(12)
    hours = {k: m.sector.staff_hours[i] for k, m in models.items()}
    assert hours["less"] < hours["same"] < hours["more"]


def test_budget_is_own_funds_plus_contract_shares(small_scenario):
    sc = small_scenario(run__burn_in=6)
    model = sim.PartnershipModel(sc, seed=2)
    model.step()
    s = model.sector
    money = finance.budget(model)
    pay = np.zeros(s.n)
    for c in model.contracts.values():
        for m, v in c.shares.items():
            pay[m] += v
    expected = np.where(s.alive, s.own_funds * model.other_income_factor() + pay, 0.0)
    assert np.allclose(money, expected)
    assert pay.sum() > 0


def test_partners_save_part_of_their_fixed_costs(small_scenario):
    sc = small_scenario(run__burn_in=6)
    model = sim.PartnershipModel(sc, seed=2)
    s = model.sector
    inside = model.partnerships.in_partnership()
    assert inside.any() and (~inside & s.alive).any()
    fixed = finance.fixed_costs(model)
    saving = sc.partnership.overhead_saving
    assert saving > 0
    assert np.allclose(fixed[inside], s.fixed_cost[inside] * (1.0 - saving))
    assert np.allclose(fixed[~inside], s.fixed_cost[~inside])


def test_reserves_carry_income_minus_spending(small_scenario):
    sc = small_scenario(run__burn_in=6)
    model = sim.PartnershipModel(sc, seed=4)
    s = model.sector
    for _ in range(3):
        before = s.reserves.copy()
        alive = s.alive.copy()
        model.step()
        kept = alive & s.alive
        assert np.allclose(s.reserves[kept] - before[kept], s.income[kept] - s.spending[kept])


def test_volunteers_add_hours_at_a_supervision_cost(small_scenario):
    model = sim.PartnershipModel(small_scenario(run__burn_in=0), seed=1)
    s, sup = model.sector, model.scenario.sector.volunteer_supervision
    assert 0 < sup < 1
    with_vol = s.alive & (s.volunteer_hours > 0)
    assert with_vol.any()
    free, supervised = s.delivery_hours(0.0), s.delivery_hours(sup)
    assert np.all(supervised[with_vol] < free[with_vol])
    assert np.all(supervised[with_vol] > s.delivery_hours(1.0)[with_vol])  # still more than no volunteers at all


def test_a_deficit_that_would_use_up_reserves_within_the_runway_is_pressure(small_scenario):
    model = sim.PartnershipModel(small_scenario(run__burn_in=0, sector__pressure_runway_months=24.0), seed=1)
    s = model.sector
    i = int(np.flatnonzero(s.alive)[0])
    s.spending[i], s.income[i] = 100.0, 100.0
    s.reserves[i] = 1_000.0
    assert not s.pressure()[i], "balanced books and ten months of reserves: no pressure"
    s.income[i] = 90.0  # a deficit of 10 a month: reserves last 100 months
    assert not s.pressure()[i]
    s.income[i] = 50.0  # a deficit of 50: 20 months, within the 24-month runway
    assert s.pressure()[i]
    s.runway_months = 0.0
    assert not s.pressure()[i], "with no runway only reserves under a month of spending count"
    s.reserves[i] = 50.0
    assert s.pressure()[i]


def test_a_waiting_list_stretches_staffing_from_reserves(small_scenario):
    model = sim.PartnershipModel(small_scenario(run__burn_in=0), seed=1)
    s = model.sector
    money, fixed = finance.budget(model), finance.fixed_costs(model)
    s.waiting_hours[:] = 0.0
    calm = finance.staffing(model, money, fixed)
    s.waiting_hours[:] = 200.0
    stretched = finance.staffing(model, money, fixed)
    with_reserves = s.alive & (s.reserves > 0)
    assert np.all(stretched[with_reserves] >= calm[with_reserves])
    assert np.any(stretched[with_reserves] > calm[with_reserves])
