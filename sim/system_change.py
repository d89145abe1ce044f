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
    """Update the system barrier index from this month's partnership work."""
    sc = model.scenario
    cl = model.clients
    total = max(len(cl), 1)
    caseload = np.bincount(cl.contract[cl.contract >= 0], minlength=model.max_contract_id() + 1)
    s = model.sector
    pressure = float(s.pressure()[s.alive].mean()) if s.alive.any() else 1.0
    work = 0.0
    for p in model.partnerships:
        if not p.active or p.size < 3 or not p.contracts:
            continue
        a, b = model.network.pairs_within(np.asarray(p.members))
        ties = float(model.network.strength(a, b, "managerial").mean())
        months_left = max(c.end - model.month for c in p.contracts)
        tenure = min(1.0, (model.month - p.formed) / sc.system.horizon_months)
        reach = sum(int(caseload[c.cid]) for c in p.contracts) / total
        work += reach * ties * tenure * horizon_factor(months_left, sc.system.horizon_months)
    learning = sc.system.learning_rate * sc.statutory.engagement * min(work, 1.0) * (1.0 - pressure)
    model.barrier = barrier_update(model.barrier, learning, sc.system.relapse)
