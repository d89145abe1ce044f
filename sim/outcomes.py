"""Client outcomes and the model's metrics.

Submodel "Outcomes" of the ODD: clients complete their support, breach a
court order or reoffend (:func:`sim.clients.exit_hazards`); the public metrics
of :mod:`sim.metrics` are computed once a month from the state.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from .clients import exit_hazards

if TYPE_CHECKING:
    from .model import PartnershipModel

WINDOW = 12  # months over which rates are measured


class RollingCounts:
    """Sums of monthly counts over the last twelve months."""

    def __init__(self, *names: str):
        self.rows: dict[str, deque] = {n: deque(maxlen=WINDOW) for n in names}

    def push(self, **counts: float) -> None:
        for k, v in counts.items():
            self.rows[k].append(float(v))

    def total(self, name: str) -> float:
        return float(sum(self.rows[name]))

    def mean(self, name: str) -> float:
        r = self.rows[name]
        return float(sum(r) / len(r)) if r else 0.0


def client_exits(model: PartnershipModel) -> None:
    """Clients complete, breach or reoffend; engagement follows the support they got."""
    cl, sc = model.clients, model.scenario
    rng = model.rng
    n = len(cl)
    if n == 0:
        model.rolling.push(reoffended=0, active=0, breached=0, order_exits=0, transfers=0, continued=0)
        return
    cl.engagement = (0.8 * cl.engagement + 0.2 * cl.met_share).astype(np.float32)
    cl.months += 1
    reoffend_p, breach_p = exit_hazards(sc, cl.risk, cl.met_share, cl.engagement, cl.court_order)
    u = rng.random(n)
    reoffended = u < reoffend_p
    breached = ~reoffended & (u < reoffend_p + breach_p)
    completed = ~reoffended & ~breached & (cl.months >= cl.spell)
    f = cl.flows
    f.reoffended += int(reoffended.sum())
    f.breached += int(breached.sum())
    f.completed += int(completed.sum())
    model.rolling.push(
        reoffended=int(reoffended.sum()), active=n, breached=int(breached.sum()),
        order_exits=int((cl.court_order & (breached | completed)).sum()),
        transfers=model.month_stats.get("transfers", 0), continued=model.month_stats.get("continued", 0),
    )
    cl.remove(reoffended | breached | completed)


def _share(num: float, den: float, empty: float = 0.0) -> float:
    return float(num / den) if den > 0 else empty


def compute_metrics(model: PartnershipModel) -> dict[str, float]:
    """Every metric of :data:`sim.metrics.METRICS` for the current month."""
    s, st, r = model.sector, model.month_stats, model.rolling
    alive = s.alive
    groups = [p for p in model.partnerships if p.active and p.size >= 2]
    sizes = [p.size for p in groups]
    in_partnership = model.in_partnership()
    contracts = list(model.contracts.values())
    consortium = sum(1 for c in contracts if len([m for m in c.delivering if alive[m]]) >= 2)
    delivering = [len([m for m in c.delivering if alive[m]]) for c in contracts]

    net = model.network
    both_alive = alive[net.a] & alive[net.b] if len(net) else np.zeros(0, dtype=bool)
    mgr = net.managerial[both_alive]
    front = net.frontline[both_alive]
    pa, pb = [], []
    for p in groups:
        a, b = net.pairs_within(np.asarray(p.members))
        pa.append(a)
        pb.append(b)
    if pa:
        pa_, pb_ = np.concatenate(pa), np.concatenate(pb)
        partner_front = float(net.strength(pa_, pb_, "frontline").mean())
        partner_mgr = float(net.strength(pa_, pb_, "managerial").mean())
    else:
        partner_front = partner_mgr = 0.0

    income = np.sort(s.income[alive])[::-1]
    top = max(1, int(np.ceil(0.1 * income.size))) if income.size else 0
    unfunded = sum(1 for p in groups if p.joint_service is not None and not p.contracts)

    return {
        "partnerships_active": float(len(groups)),
        "partnership_size_mean": float(np.mean(sizes)) if sizes else 0.0,
        "charities_active": float(alive.sum()),
        "charity_closures": float(model.counters["closures"]),
        "small_charity_closures": float(model.counters["small_closures"]),
        "rel_managerial_mean": float(mgr.mean()) if mgr.size else 0.0,
        "rel_frontline_mean": float(front.mean()) if front.size else 0.0,
        "rel_partner_frontline_mean": partner_front,
        "rel_partner_managerial_mean": partner_mgr,
        "defections": float(model.counters["defections"]),
        "contracts_active": float(len(contracts)),
        "consortium_contract_share": _share(consortium, len(contracts)),
        "partners_delivering_mean": float(np.mean(delivering)) if delivering else 0.0,
        "funding_top10_share": _share(income[:top].sum(), income.sum()),
        "partnership_member_share": _share(in_partnership[alive].sum(), alive.sum()),
        "clients_active": float(len(model.clients)),
        "needs_met_share": _share(st.get("met", 0), st.get("needs", 0)),
        "joined_up_share": _share(st.get("joined_up", 0), st.get("multi", 0)),
        "referral_success_rate": _share(st.get("referrals_ok", 0), st.get("referrals", 0)),
        "continuity_on_transfer": _share(r.total("continued"), r.total("transfers"), empty=1.0),
        "reoffending_rate": _share(r.total("reoffended"), r.mean("active")),
        "breach_rate": _share(r.total("breached"), r.total("order_exits")),
        "monitoring_time_share": _share(float(s.monitoring_hours.sum()), model.funded_hours),
        "system_barrier_index": float(model.barrier),
        "unfunded_collaborations": float(unfunded),
    }
