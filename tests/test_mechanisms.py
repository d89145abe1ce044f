"""Each mechanism of the model, on its own.

Pure rules are tested directly (direction, bounds, edge cases), so each test
fails if its mechanism is removed or inverted. Model-level mechanisms run small,
short scenarios; stochastic claims compare fixed replication seeds with a
one-sided test at 5%, which is deterministic because the seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim import delivery, finance, partnering, system_change, tendering

ALPHA = 0.05


def greater(a, b) -> float:
    """One-sided Mann-Whitney p-value that ``a`` tends to exceed ``b``."""
    return float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)


# =============================================================== tendering

class TestDefectionChance:
    def test_weaker_tie_to_the_lead_means_more_defection(self):
        for cut in (0.0, -0.5):
            for pressure in (False, True):
                chances = [tendering.defection_chance(t, cut, pressure) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
                assert all(a >= b for a, b in zip(chances, chances[1:]))
                assert chances[0] > chances[-1]

    def test_a_value_cut_means_more_defection(self):
        for tie in (0.0, 0.5, 1.0):
            assert tendering.defection_chance(tie, -0.5, False) > tendering.defection_chance(tie, 0.0, False)
            assert tendering.defection_chance(tie, -0.5, False) >= tendering.defection_chance(tie, 0.5, False)

    def test_financial_pressure_means_more_defection(self):
        assert tendering.defection_chance(0.5, 0.0, True) > tendering.defection_chance(0.5, 0.0, False)

    def test_is_a_probability(self):
        for tie in np.linspace(0, 1, 11):
            for cut in (-1.0, -0.5, 0.0, 1.0):
                for pressure in (False, True):
                    p = tendering.defection_chance(float(tie), cut, pressure)
                    assert 0.0 <= p <= 1.0


class TestViableShares:
    """The lead's core allowance is 0 here, so the tests do not depend on whether it is
    given as a share of the value or in pounds (both mean 'nothing reserved')."""

    contributions = {0: 3.0, 1: 2.0, 2: 2.0, 3: 1.5, 4: 1.0, 5: 1.0}

    def split(self, value, min_share=3500.0):
        return tendering.viable_shares(value, 0, dict(self.contributions), 0.0, min_share)

    @pytest.mark.parametrize("value", [40_000.0, 20_000.0, 9_000.0, 3_000.0, 0.0])
    def test_shares_sum_to_value_and_kept_partners_are_viable(self, value):
        shares = self.split(value)
        assert 0 in shares  # the lead always keeps the contract
        assert sum(shares.values()) == pytest.approx(value)
        for m, s in shares.items():
            assert s >= -1e-6
            if m != 0:
                assert s >= 3500.0
        assert set(shares) <= set(self.contributions)

    def test_halving_the_value_drops_partners(self):
        full = self.split(40_000.0)
        half = self.split(20_000.0)
        assert len(full) == len(self.contributions)  # all viable at full value
        assert len(half) < len(full)
        assert set(half) <= set(full)
        assert len(self.split(10_000.0)) <= len(half)

    def test_smallest_contributors_are_dropped_first(self):
        kept = self.split(20_000.0)
        dropped = set(self.contributions) - set(kept)
        assert dropped
        assert max(self.contributions[m] for m in dropped) <= min(self.contributions[m] for m in kept if m != 0)

    def test_shares_follow_contributions(self):
        shares = self.split(40_000.0)
        assert shares[1] > shares[4]
        assert shares[1] == pytest.approx(shares[2])
        assert shares[1] / shares[4] == pytest.approx(2.0)

    def test_no_minimum_keeps_everyone(self):
        assert len(self.split(1_000.0, min_share=0.0)) == len(self.contributions)

    def test_lead_alone_gets_everything(self):
        assert tendering.viable_shares(10_000.0, 7, {7: 1.0}, 0.0, 3500.0) == {7: pytest.approx(10_000.0)}


class TestBidScoring:
    def test_price_score_scale_and_coordination(self):
        # larger leads bid cheaper; coordinating more partners costs more
        assert tendering.price_score(3, 2, 0.0) > tendering.price_score(0, 2, 0.0)
        assert tendering.price_score(1, 1, 0.0) > tendering.price_score(1, 8, 0.0)
        assert tendering.price_score(1, 2, -0.1) > tendering.price_score(1, 2, 0.1)
        for band in range(4):
            for size in (1, 5, 50):
                for noise in (-1.0, 0.0, 1.0):
                    assert 0.0 <= tendering.price_score(band, size, noise) <= 1.0

    def test_bid_score_rewards_every_weighted_component(self):
        base = dict(price=0.5, quality=0.5, track=0.5, existing=0.5)
        w = dict(price_w=0.3, quality_w=0.4, track_w=0.3, incumbency_w=0.3)
        s0 = tendering.bid_score(**base, **w)
        for k in base:
            better = {**base, k: 0.9}
            assert tendering.bid_score(**better, **w) > s0, k
        # a zero weight makes a component irrelevant
        assert tendering.bid_score(**{**base, "existing": 1.0}, **{**w, "incumbency_w": 0.0}) == pytest.approx(
            tendering.bid_score(**{**base, "existing": 0.0}, **{**w, "incumbency_w": 0.0}))

    def test_bid_score_is_the_weighted_sum(self):
        assert tendering.bid_score(1, 0, 0, 0, 0.3, 0.4, 0.2, 0.1) == pytest.approx(0.3)
        assert tendering.bid_score(0, 0, 0, 1, 0.3, 0.4, 0.2, 0.1) == pytest.approx(0.1)


# =============================================================== partnering

class TestPartneringRules:
    def test_search_chance_rises_under_pressure(self):
        assert partnering.search_chance(0.05, 2.0, True) > partnering.search_chance(0.05, 2.0, False)
        assert partnering.search_chance(0.05, 2.0, False) == pytest.approx(0.05)
        assert partnering.search_chance(0.0, 5.0, True) == 0.0
        assert partnering.search_chance(0.9, 20.0, True) <= 1.0

    def test_horizon_factor(self):
        vals = [partnering.horizon_factor(m, 36) for m in (0, 6, 12, 24, 36, 96)]
        assert vals[0] == 0.0
        assert all(a <= b for a, b in zip(vals, vals[1:]))
        assert vals[1] < vals[3] < vals[4]
        assert vals[4] == vals[5] == 1.0
        assert partnering.horizon_factor(-5, 36) == 0.0

    def test_partnership_form(self):
        f = partnering.partnership_form
        assert f(1, True, True, 3, -1) == "single"
        assert f(3, False, True, 3, 1) == "informal"
        assert f(3, True, True, 1, 1) == "one_stop_shop"
        assert f(3, True, False, 3, 1) == "alliance"       # a bigger lead with subcontractors
        assert f(3, True, False, 1, 1) == "consortium"     # peers
        assert f(3, True, False, 1, 2) == "consortium"


# =============================================================== delivery

class TestReferralSuccess:
    kw = dict(base=0.35, tie_effect=0.45, co_location=0.15, barrier_effect=0.3)

    def p(self, frontline, co_located, barrier):
        return delivery.referral_success(frontline=np.array([frontline]), co_located=np.array([co_located]),
                                         barrier=barrier, **self.kw)[0]

    def test_stronger_frontline_tie_raises_it(self):
        assert self.p(0.9, False, 1.0) > self.p(0.1, False, 1.0)

    def test_co_location_raises_it(self):
        assert self.p(0.3, True, 1.0) > self.p(0.3, False, 1.0)

    def test_barriers_lower_it(self):
        assert self.p(0.3, False, 1.0) < self.p(0.3, False, 0.0)

    def test_vectorised_and_bounded(self):
        rng = np.random.default_rng(0)
        f = rng.random(200)
        c = rng.random(200) < 0.5
        out = delivery.referral_success(0.9, 1.0, 1.0, f, c, 0.5, 0.5)
        assert out.shape == (200,)
        assert np.all((out >= 0) & (out <= 1))


class TestMonitoringHours:
    def test_one_system_per_partner_duplicates_work(self):
        for partners in (2, 3, 6):
            per = delivery.monitoring_hours(100, 0.5, partners, True, 1.0)
            std = delivery.monitoring_hours(100, 0.5, partners, False, 1.0)
            assert per > std

    def test_no_duplication_for_a_single_provider(self):
        assert delivery.monitoring_hours(100, 0.5, 1, True, 1.0) == delivery.monitoring_hours(100, 0.5, 1, False, 1.0)

    def test_duplication_grows_with_partners_only_per_partner(self):
        per = [delivery.monitoring_hours(100, 0.5, k, True, 1.0) for k in (2, 4, 8)]
        std = [delivery.monitoring_hours(100, 0.5, k, False, 1.0) for k in (2, 4, 8)]
        assert per[0] < per[1] < per[2]
        assert std[0] == std[1] == std[2]

    def test_scales_with_clients(self):
        assert delivery.monitoring_hours(200, 0.5, 3, True, 1.0) == pytest.approx(2 * delivery.monitoring_hours(100, 0.5, 3, True, 1.0))
        assert delivery.monitoring_hours(0, 0.5, 3, True, 1.0) == 0.0


class TestContinuityKept:
    def test_shared_record_keeps_continuity_whatever_the_draw(self):
        draw = np.linspace(0, 0.999, 50)
        kept = delivery.continuity_kept(np.ones(50, bool), np.ones(50, bool), draw, 0.5)
        assert kept.all()

    def test_without_shared_record_only_luck(self):
        draw = np.linspace(0, 0.999, 100)
        kept = delivery.continuity_kept(np.ones(100, bool), np.zeros(100, bool), draw, 0.5)
        assert kept.any() and not kept.all()
        assert np.array_equal(kept, draw >= 0.5)
        assert not delivery.continuity_kept(np.ones(100, bool), np.zeros(100, bool), draw, 1.0).any()

    def test_never_kept_by_another_partnership(self):
        draw = np.linspace(0, 0.999, 50)
        assert not delivery.continuity_kept(np.zeros(50, bool), np.ones(50, bool), draw, 0.0).any()


# =============================================================== finance

class TestStaffTarget:
    def test_without_reserves_staffs_only_what_income_affords(self):
        out = finance.staff_target(np.array([100.0]), np.array([300.0]), 0.5, np.array([False]))
        assert out[0] == pytest.approx(100.0)

    def test_with_reserves_subsidises_part_of_the_gap(self):
        out = finance.staff_target(np.array([100.0]), np.array([300.0]), 0.5, np.array([True]))
        assert 100.0 < out[0] < 300.0
        more = finance.staff_target(np.array([100.0]), np.array([300.0]), 1.0, np.array([True]))
        assert more[0] > out[0]

    def test_never_below_what_income_affords(self):
        out = finance.staff_target(np.array([100.0, 100.0]), np.array([20.0, -50.0]), 0.5, np.array([True, False]))
        assert np.allclose(out, 100.0)

    def test_no_subsidy(self):
        out = finance.staff_target(np.array([100.0]), np.array([300.0]), 0.0, np.array([True]))
        assert out[0] == pytest.approx(100.0)


# =============================================================== system change

class TestBarrierUpdate:
    def test_learning_lowers_barriers(self):
        assert system_change.barrier_update(1.0, 0.05, 0.0) < 1.0
        assert system_change.barrier_update(0.6, 0.05, 0.002) < system_change.barrier_update(0.6, 0.0, 0.002)

    def test_barriers_drift_back_without_learning(self):
        assert system_change.barrier_update(0.5, 0.0, 0.01) > 0.5
        assert system_change.barrier_update(0.0, 0.0, 0.01) > 0.0
        assert system_change.barrier_update(1.0, 0.0, 0.01) == 1.0

    def test_stays_in_unit_interval(self):
        for b in np.linspace(0, 1, 11):
            for learn in (0.0, 0.5, 1.0):
                for relapse in (0.0, 0.5, 1.0):
                    assert 0.0 <= system_change.barrier_update(float(b), learn, relapse) <= 1.0

    def test_repeated_learning_keeps_falling(self):
        b = 1.0
        seq = []
        for _ in range(24):
            b = system_change.barrier_update(b, 0.02, 0.002)
            seq.append(b)
        assert all(x > y for x, y in zip(seq, seq[1:]))


# =============================================================== model level

def mean_after(metric: str, start: int = 6):
    """End-of-window mean of a monthly metric (months after ``start``)."""

    def fn(model: sim.PartnershipModel) -> float:
        df = model.monthly_frame()
        return float(df.loc[df["month"] > start, metric].mean())

    return fn


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


def test_co_location_raises_referral_success(small_scenario, seeded_values):
    together = small_scenario("inspire", partnership__co_location=True)
    apart = small_scenario("inspire", partnership__co_location=False)
    fn = mean_after("referral_success_rate")
    a, b = seeded_values(together, fn), seeded_values(apart, fn)
    assert a.mean() > b.mean()
    assert greater(a, b) < ALPHA


def test_co_location_forms_one_stop_shops(small_scenario):
    sc = small_scenario("inspire", partnership__co_location=True)
    model = sim.PartnershipModel(sc, seed=1)
    model.run_for(6)
    held = [c.holder for c in model.contracts.values() if c.holder.size >= 2]
    assert held and all(p.co_located and p.form == "one_stop_shop" for p in held)


def test_standardised_monitoring_lowers_monitoring_time(small_scenario, seeded_values):
    std = small_scenario("inspire", commissioning__monitoring="standardised")
    per = small_scenario("inspire", commissioning__monitoring="per_partner")
    fn = mean_after("monitoring_time_share", start=2)
    a, b = seeded_values(per, fn), seeded_values(std, fn)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert greater(a, b) < ALPHA


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


def test_shared_case_management_keeps_continuity_on_transfer(small_scenario, seeded_values):
    kw = dict(run__months=24)
    shared = small_scenario("family_alliance", partnership__shared_case_management=True, **kw)
    separate = small_scenario("family_alliance", partnership__shared_case_management=False, **kw)
    fn = lambda m: m.current["continuity_on_transfer"]  # noqa: E731
    a, b = seeded_values(shared, fn), seeded_values(separate, fn)
    assert greater(a, b) < ALPHA


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


def test_joint_training_keeps_frontline_ties_strong(small_scenario, seeded_values):
    def partner_frontline(model):
        df = model.monthly_frame()
        return float(df.loc[df["month"] > 6, "rel_partner_frontline_mean"].mean())

    trained = small_scenario("family_alliance", partnership__joint_training_months=3)
    untrained = small_scenario("family_alliance", partnership__joint_training_months=0)
    a, b = seeded_values(trained, partner_frontline), seeded_values(untrained, partner_frontline)
    assert greater(a, b) < ALPHA


def test_system_change_needs_statutory_engagement(small_scenario):
    """Barriers fall only through long-running partnership work with statutory buy-in."""
    kw = dict(run__months=36, sector__charities=80, demand__clients=800, system__learning_rate=0.1)
    engaged = small_scenario("golden_key", statutory__engagement=1.0, **kw)
    for seed in sim.replication_seeds(engaged, 3):
        model = sim.PartnershipModel(engaged, seed=seed)
        model.run_for(36)
        barrier = model.monthly_frame()["system_barrier_index"]
        assert barrier.iloc[-1] < 1.0
        assert barrier.iloc[0] == 1.0
    for off in (dict(statutory__engagement=0.0), dict(statutory__engagement=1.0, system__learning_rate=0.0)):
        sc = small_scenario("golden_key", **{**kw, **off})
        for seed in sim.replication_seeds(sc, 2):
            model = sim.PartnershipModel(sc, seed=seed)
            model.run_for(36)
            assert (model.monthly_frame()["system_barrier_index"] == 1.0).all()
