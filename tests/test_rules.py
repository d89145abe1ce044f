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
