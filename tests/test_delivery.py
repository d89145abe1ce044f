"""Service delivery (:mod:`sim.delivery`) on small seeded models: referrals, monitoring, continuity, training.

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


def test_co_location_raises_referral_success(small_scenario, seeded_values):
    together = small_scenario("inspire", partnership__co_location=True)
    apart = small_scenario("inspire", partnership__co_location=False)
    fn = mean_after("referral_success_rate")
    a, b = seeded_values(together, fn), seeded_values(apart, fn)
    assert a.mean() > b.mean()
    assert greater(a, b) < ALPHA


def test_standardised_monitoring_lowers_monitoring_time(small_scenario, seeded_values):
    std = small_scenario("inspire", commissioning__monitoring="standardised")
    per = small_scenario("inspire", commissioning__monitoring="per_partner")
    fn = mean_after("monitoring_time_share", start=2)
    a, b = seeded_values(per, fn), seeded_values(std, fn)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert greater(a, b) < ALPHA


def test_shared_case_management_keeps_continuity_on_transfer(small_scenario, seeded_values):
    kw = dict(run__months=24)
    shared = small_scenario("family_alliance", partnership__shared_case_management=True, **kw)
    separate = small_scenario("family_alliance", partnership__shared_case_management=False, **kw)
    fn = lambda m: m.current["continuity_on_transfer"]  # noqa: E731
    a, b = seeded_values(shared, fn), seeded_values(separate, fn)
    assert greater(a, b) < ALPHA


def test_joint_training_keeps_frontline_ties_strong(small_scenario, seeded_values):
    def partner_frontline(model):
        df = model.monthly_frame()
        return float(df.loc[df["month"] > 6, "rel_partner_frontline_mean"].mean())

    trained = small_scenario("family_alliance", partnership__joint_training_months=3)
    untrained = small_scenario("family_alliance", partnership__joint_training_months=0)
    a, b = seeded_values(trained, partner_frontline), seeded_values(untrained, partner_frontline)
    assert greater(a, b) < ALPHA
