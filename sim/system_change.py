"""System change: long-running partnerships learn to lower the barriers between services.

Submodel "System change" of the ODD (Golden Key, Bristol): "a process of
learning and system re-design" through which a long-term partnership with
statutory members reduces "the barriers that these people face in accessing
services". Learning needs time (partnership tenure), strong managerial ties,
a funding horizon long enough to invest in ("short-term commissioning
arrangements made it more difficult for organisations to undertake the kind of
long-term changes"), statutory buy-in, and partners with capacity to spare
("austerity negatively impacted the capacity of the partner organisations to
adopt the lessons").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .rules import barrier_update, horizon_factor  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .model import PartnershipModel


def learn(model: PartnershipModel) -> None:
    """Update the system barrier index from this month's partnership work.

    Learning comes from what partnerships actually do together: the clients
    whose needs they met jointly this month (successful referrals between
    partners), weighted by the partners' managerial ties, their tenure and
    funding horizon, in commissioned partnerships of at least
    ``system.learning_min_partners`` members, and by the statutory partners'
    engagement ("a process of learning and system re-design").
    """
    from .delivery import engagement_of

    sc = model.scenario
    total = max(len(model.clients), 1)
    joint = model.cache.get("joint_cases", np.zeros(0))
    s = model.sector
    pressure = float(s.pressure()[s.alive].mean()) if s.alive.any() else 1.0
    learning_partnerships, cases_of = [], []
    for p in model.partnerships:
        if not p.is_group or p.size < sc.system.learning_min_partners or not p.contracts:
            continue
        cases = float(joint[p.pid]) if p.pid < joint.size else 0.0
        if cases <= 0:
            continue
        learning_partnerships.append(p)
        cases_of.append(cases)
    # the ties of every learning partnership in one look-up; each partnership's mean over its own pairs
    a, b, sizes = model.network.pairs_within_groups([p.members for p in learning_partnerships])
    strength = model.network.strength(a, b, "managerial") if learning_partnerships else None
    ends = np.cumsum(sizes)
    work = 0.0
    for p, cases, end, size in zip(learning_partnerships, cases_of, ends, sizes):
        ties = float(strength[end - size:end].mean())
        months_left = max(c.end - model.month for c in p.contracts)
        tenure = min(1.0, (model.month - p.formed) / sc.system.horizon_months)
        engaged = max(engagement_of(model, c.commissioner) for c in p.contracts)
        work += (cases / total) * ties * tenure * horizon_factor(months_left, sc.system.horizon_months) * engaged
    learning = sc.system.learning_rate * min(work, 1.0) * (1.0 - pressure)
    model.barrier = barrier_update(model.barrier, learning, sc.system.relapse)
