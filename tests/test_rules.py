"""Pure decision rules (:mod:`sim.rules`): direction, bounds and edge cases, each failing if its rule is removed or inverted.

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
from sim import rules
from sim.scenario import Commissioning, Partnership

_P = Partnership()  # the schema's defaults, read from the schema (never repeated here)
_C = Commissioning()


def defection_chance(tie, cut, pressure):
    return rules.defection_chance(tie, cut, pressure, _P.defection_base, _P.defection_weak_tie,
                                  _P.defection_value_cut, _P.defection_pressure)


def price_score(band, size, noise):
    return rules.price_score(band, size, noise, _C.price_scale_discount, _C.price_coordination_cost)


class TestDefectionChance:
    def test_weaker_tie_to_the_lead_means_more_defection(self):
        for cut in (0.0, -0.5):
            for pressure in (False, True):
                chances = [defection_chance(t, cut, pressure) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
                assert all(a >= b for a, b in zip(chances, chances[1:]))
                assert chances[0] > chances[-1]

    def test_a_value_cut_means_more_defection(self):
        for tie in (0.0, 0.5, 1.0):
            assert defection_chance(tie, -0.5, False) > defection_chance(tie, 0.0, False)
            assert defection_chance(tie, -0.5, False) >= defection_chance(tie, 0.5, False)

    def test_financial_pressure_means_more_defection(self):
        assert defection_chance(0.5, 0.0, True) > defection_chance(0.5, 0.0, False)

    def test_is_a_probability(self):
        for tie in np.linspace(0, 1, 11):
            for cut in (-1.0, -0.5, 0.0, 1.0):
                for pressure in (False, True):
                    p = defection_chance(float(tie), cut, pressure)
                    assert 0.0 <= p <= 1.0


class TestSubsidyNeeded:
    def test_nothing_when_the_contract_pays_its_cost(self):
        assert rules.subsidy_needed(0.5, 10_000.0, 8_000.0) == 0.0
        assert rules.subsidy_needed(0.5, 10_000.0, 10_000.0) == 0.0

    def test_a_member_carries_its_fraction_of_the_shortfall(self):
        assert rules.subsidy_needed(0.25, 6_000.0, 10_000.0) == pytest.approx(1_000.0)
        assert rules.subsidy_needed(1.0, 6_000.0, 10_000.0) == pytest.approx(4_000.0)
        assert rules.subsidy_needed(0.0, 6_000.0, 10_000.0) == 0.0

    def test_halving_the_value_of_the_same_specification_raises_it(self):
        full = rules.subsidy_needed(0.3, 8_000.0, 10_000.0)
        half = rules.subsidy_needed(0.3, 4_000.0, 10_000.0)
        assert half > full > 0.0


class TestFreeFunds:
    def test_reserves_above_target_add_spread_over_the_contract(self):
        out = rules.free_funds(np.array([100.0, 100.0]), np.array([1_200.0, 600.0]), np.array([600.0, 600.0]), 12)
        assert out[0] == pytest.approx(100.0 + 600.0 / 12)
        assert out[1] == pytest.approx(100.0)

    def test_reserves_below_target_add_nothing(self):
        out = rules.free_funds(np.array([50.0]), np.array([-500.0]), np.array([600.0]), 12)
        assert out[0] == pytest.approx(50.0)

    def test_longer_contracts_spread_reserves_thinner(self):
        short = rules.free_funds(np.array([0.0]), np.array([2_000.0]), np.array([0.0]), 12)[0]
        long = rules.free_funds(np.array([0.0]), np.array([2_000.0]), np.array([0.0]), 96)[0]
        assert short > long > 0.0
        assert rules.free_funds(np.array([0.0]), np.array([2_000.0]), np.array([0.0]), 0)[0] == pytest.approx(2_000.0)


class TestBidIntent:
    fit = np.array([0.0, 0.5, 0.5, 0.5, 1.0, 0.0])
    access = np.array([0.0, 0.5, 0.5, 0.5, 1.0, 1.0])  # the last brings only access to the lot's places
    funds = np.array([1e6, 1_000.0, 300.0, 10.0, 1e6, 1e6])

    def test_lead_join_or_stay_out_by_funds_fit_and_access(self):
        out = rules.bid_intent(self.fit, self.access, self.funds, lead_cost=500.0, join_cost=200.0, partnering=True)
        # no fit and no access: no bid however rich; access alone: join, never lead
        assert out.tolist() == [0, 2, 1, 0, 2, 1]

    def test_without_partnering_nobody_joins(self):
        out = rules.bid_intent(self.fit, self.access, self.funds, 500.0, 200.0, partnering=False)
        assert out.tolist() == [0, 2, 0, 0, 2, 0]

    def test_a_small_charity_can_lead_a_cheap_lot(self):
        one, small_funds = np.array([1.0]), np.array([40.0])
        assert rules.bid_intent(one, one, small_funds, 30.0, 10.0, True)[0] == 2
        assert rules.bid_intent(one, one, small_funds, 3_000.0, 10.0, True)[0] == 1

    def test_a_dearer_lot_has_fewer_leads_and_joiners(self):
        rng = np.random.default_rng(1)
        fit, funds = rng.random(200), rng.lognormal(6, 1.5, 200)
        cheap = rules.bid_intent(fit, fit, funds, 200.0, 50.0, True)
        dear = rules.bid_intent(fit, fit, funds, 2_000.0, 500.0, True)
        assert (cheap == 2).sum() > (dear == 2).sum()
        assert (cheap >= 1).sum() > (dear >= 1).sum()


class TestAcceptsShare:
    def test_keeps_its_part_if_its_funds_cover_the_cost(self):
        assert rules.accepts_share(1_000.0, 800.0, 0.0)
        assert not rules.accepts_share(500.0, 800.0, 0.0)

    def test_what_it_absorbs_lowers_the_money_needed(self):
        assert not rules.accepts_share(500.0, 800.0, 200.0)
        assert rules.accepts_share(500.0, 800.0, 300.0)
        assert rules.accepts_share(0.0, 800.0, 800.0)


class TestAcceptsInvitation:
    def test_enough_funds_accepts_too_few_refuses(self):
        assert rules.accepts_invitation(1_000.0, 400.0, 0.0)
        assert not rules.accepts_invitation(100.0, 400.0, 0.0)

    def test_a_trusted_lead_is_joined_with_less_money(self):
        assert not rules.accepts_invitation(500.0, 400.0, 0.0)
        assert rules.accepts_invitation(500.0, 400.0, 0.5)
        ties = np.linspace(0, 1, 11)
        needed = [next(f for f in np.linspace(0, 2_000, 2_001) if rules.accepts_invitation(f, 400.0, t)) for t in ties]
        assert all(a >= b for a, b in zip(needed, needed[1:])) and needed[0] > needed[-1]

    def test_no_funds_refuses_any_cost(self):
        assert not rules.accepts_invitation(0.0, 1.0, 1.0)
        assert rules.accepts_invitation(0.0, 0.0, 0.0)


class TestSubcontractShare:
    def test_none_when_its_own_hours_cover_the_work(self):
        assert rules.subcontract_share(500.0, 400.0, 0.35) == 0.0
        assert rules.subcontract_share(400.0, 400.0, 0.35) == 0.0
        assert rules.subcontract_share(0.0, 0.0, 0.35) == 0.0

    def test_more_passed_on_the_less_it_has(self):
        shares = [rules.subcontract_share(h, 1_000.0, 0.2) for h in (900.0, 700.0, 400.0)]
        assert shares[0] < shares[1] < shares[2]
        assert shares[0] == pytest.approx(0.1)

    def test_the_lead_keeps_its_core(self):
        assert rules.subcontract_share(0.0, 1_000.0, 0.35) == pytest.approx(0.65)
        assert rules.subcontract_share(0.0, 1_000.0, 1.0) == 0.0


class TestCoordinationHours:
    def test_forms_differ_in_who_coordinates(self):
        base = 4.0
        c = rules.coordination_hours
        assert c(base, "consortium", True) == c(base, "consortium", False) == base  # equals share governance
        assert c(base, "one_stop_shop", False) == base
        assert c(base, "alliance", True) == base
        assert c(base, "alliance", False) == pytest.approx(base / 2)  # subcontractors report to the lead
        assert c(base, "informal", True) == pytest.approx(base / 4)
        assert c(base, "single", True) == 0.0

    def test_a_consortium_costs_its_members_more_than_an_alliance(self):
        members = [True, False, False, False]
        consortium = sum(rules.coordination_hours(4.0, "consortium", lead) for lead in members)
        alliance = sum(rules.coordination_hours(4.0, "alliance", lead) for lead in members)
        informal = sum(rules.coordination_hours(4.0, "informal", lead) for lead in members)
        assert consortium > alliance > informal > 0.0

    def test_scales_with_the_base(self):
        assert rules.coordination_hours(8.0, "alliance", False) == pytest.approx(2 * rules.coordination_hours(4.0, "alliance", False))
        assert rules.coordination_hours(0.0, "consortium", True) == 0.0


class TestBidScoring:
    def test_price_score_scale_and_coordination(self):
        # larger leads bid cheaper; coordinating more partners costs more
        assert price_score(3, 2, 0.0) > price_score(0, 2, 0.0)
        assert price_score(1, 1, 0.0) > price_score(1, 8, 0.0)
        assert price_score(1, 2, -0.1) > price_score(1, 2, 0.1)
        for band in range(4):
            for size in (1, 5, 50):
                for noise in (-1.0, 0.0, 1.0):
                    assert 0.0 <= price_score(band, size, noise) <= 1.0

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
    def test_needs_both_the_same_partnership_and_the_record(self):
        same = np.array([True, True, False, False])
        record = np.array([True, False, True, False])
        assert delivery.continuity_kept(same, record).tolist() == [True, False, False, False]

    def test_never_kept_by_another_partnership(self):
        assert not delivery.continuity_kept(np.zeros(50, bool), np.ones(50, bool)).any()


def staff_target(affordable, needed, reserves, target=0.0, subsidy=0.5, adjust=0.0, loaded=20.0):
    out = finance.staff_target(np.atleast_1d(np.asarray(affordable, float)), np.atleast_1d(np.asarray(needed, float)),
                               np.atleast_1d(np.asarray(reserves, float)), np.atleast_1d(np.asarray(target, float)),
                               subsidy, adjust, loaded)
    return float(out[0])


class TestStaffTarget:
    def test_without_reserves_staffs_only_what_the_budget_affords(self):
        assert staff_target(100.0, 300.0, reserves=0.0) == pytest.approx(100.0)
        assert staff_target(100.0, 300.0, reserves=-50.0) == pytest.approx(100.0)

    def test_with_reserves_subsidises_part_of_the_gap(self):
        out = staff_target(100.0, 300.0, reserves=1_000.0)
        assert out == pytest.approx(100.0 + 0.5 * 200.0)
        assert staff_target(100.0, 300.0, reserves=1_000.0, subsidy=1.0) > out

    def test_no_gap_no_subsidy(self):
        assert staff_target(100.0, 20.0, reserves=1_000.0) == pytest.approx(100.0)
        assert staff_target(100.0, 300.0, reserves=1_000.0, subsidy=0.0) == pytest.approx(100.0)

    def test_reserves_above_target_are_spent_below_target_rebuilt(self):
        level = staff_target(100.0, 100.0, reserves=1_000.0, target=1_000.0, adjust=0.1)
        rich = staff_target(100.0, 100.0, reserves=3_000.0, target=1_000.0, adjust=0.1)
        poor = staff_target(100.0, 100.0, reserves=500.0, target=1_000.0, adjust=0.1)
        assert level == pytest.approx(100.0)
        assert rich == pytest.approx(100.0 + 0.1 * 2_000.0 / 20.0)
        assert poor == pytest.approx(100.0 - 0.1 * 500.0 / 20.0)
        assert poor < level < rich

    def test_stronger_feedback_moves_further(self):
        weak = staff_target(100.0, 100.0, reserves=3_000.0, target=1_000.0, adjust=0.05)
        strong = staff_target(100.0, 100.0, reserves=3_000.0, target=1_000.0, adjust=0.2)
        assert strong > weak > 100.0

    def test_never_negative(self):
        assert staff_target(10.0, 10.0, reserves=-1e6, target=1e6, adjust=1.0) == 0.0


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
