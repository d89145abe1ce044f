"""System change (:mod:`sim.system_change`).

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


def test_system_change_needs_statutory_engagement(small_scenario):
    """Barriers fall only through joint casework in partnerships large enough, with statutory buy-in."""
    kw = dict(run__months=36, run__burn_in=0, sector__charities=80, demand__clients=800, system__learning_rate=0.1)
    engaged = small_scenario("golden_key", statutory__engagement=1.0, **kw)
    for seed in sim.replication_seeds(engaged, 3):
        model = sim.PartnershipModel(engaged, seed=seed)
        model.run_for(36)
        barrier = model.monthly_frame()["system_barrier_index"]
        assert barrier.iloc[-1] < 1.0
        assert barrier.iloc[0] == 1.0
    for off in (dict(statutory__engagement=0.0), dict(statutory__engagement=1.0, system__learning_rate=0.0),
                dict(statutory__engagement=1.0, system__learning_min_partners=100),
                # no joint casework (no referral between partners succeeds): nothing to learn from
                dict(statutory__engagement=1.0, clients__referral_base=0.0, clients__referral_tie_effect=0.0,
                     clients__referral_co_location=0.0)):
        sc = small_scenario("golden_key", **{**kw, **off})
        for seed in sim.replication_seeds(sc, 2):
            model = sim.PartnershipModel(sc, seed=seed)
            model.run_for(36)
            assert (model.monthly_frame()["system_barrier_index"] == 1.0).all()
