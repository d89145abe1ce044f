"""Client outcomes and the model's metrics.

Submodel "Outcomes" of the ODD: clients complete their support, breach a
court order or reoffend (:func:`sim.clients.exit_hazards`); the public metrics
of :mod:`sim.metrics` are computed once a month from the state.
"""

from __future__ import annotations

from collections import deque
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .clients import exit_hazards
from .metrics import Metric, MetricSet

if TYPE_CHECKING:
    from .model import PartnershipModel

WINDOW = 12  # months over which rates are measured


class RollingCounts:
    """Sums of monthly counts over the last twelve months."""

    def __init__(self, *names: str):
        self.rows: dict[str, deque] = {n: deque(maxlen=WINDOW) for n in names}

    def push(self, **counts: float) -> None:
        """Record this month's counts, dropping the oldest month once the window is full."""
        for k, v in counts.items():
            self.rows[k].append(float(v))

    def total(self, name: str) -> float:
        """Sum of a count over the window."""
        return float(sum(self.rows[name]))

    def mean(self, name: str) -> float:
        """Mean monthly value of a count over the window (0 with no months yet)."""
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
    leaving = reoffended | breached | completed
    if cl.log_exits:
        how = np.where(reoffended, "reoffence", np.where(breached, "breach", "completion"))
        cl.log_exit(leaving, model.month, how[leaving])
    cl.remove(leaving)


def _share(num: float, den: float, empty: float = 0.0) -> float:
    return float(num / den) if den > 0 else empty


class MetricView:
    """The model at the end of a month, with the quantities several metrics share.

    Metric computations (:class:`sim.metrics.Metric` ``compute``) take a view;
    each shared quantity is computed once, on first use.
    """

    def __init__(self, model: PartnershipModel):
        self.model = model
        self.sector = model.sector
        self.stats = model.month_stats
        self.rolling = model.rolling
        self.alive = model.sector.alive

    @cached_property
    def groups(self) -> list:
        """Active partnerships of two or more."""
        return self.model.partnerships.groups()

    @cached_property
    def contracts(self) -> list:
        """The running contracts and grants."""
        return list(self.model.contracts.values())

    @cached_property
    def delivering(self) -> list[int]:
        """Number of operating charities delivering each contract."""
        alive = self.alive
        return [len([m for m in c.delivering if alive[m]]) for c in self.contracts]

    @cached_property
    def ties(self) -> tuple[np.ndarray, np.ndarray]:
        """(managerial, frontline) strengths of ties between operating charities."""
        net, alive = self.model.network, self.alive
        both_alive = alive[net.a] & alive[net.b] if len(net) else np.zeros(0, dtype=bool)
        return net.managerial[both_alive], net.frontline[both_alive]

    @cached_property
    def partner_ties(self) -> tuple[float, float]:
        """Mean (frontline, managerial) strength over ties within partnerships."""
        net = self.model.network
        pa, pb = [], []
        for p in self.groups:
            a, b = net.pairs_within(np.asarray(p.members))
            pa.append(a)
            pb.append(b)
        if not pa:
            return 0.0, 0.0
        pa_, pb_ = np.concatenate(pa), np.concatenate(pb)
        return float(net.strength(pa_, pb_, "frontline").mean()), float(net.strength(pa_, pb_, "managerial").mean())

    @cached_property
    def income_sorted(self) -> np.ndarray:
        """This month's income of operating charities, largest first."""
        return np.sort(self.sector.income[self.alive])[::-1]


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _top10(v: MetricView) -> float:
    income = v.income_sorted
    top = max(1, int(np.ceil(0.1 * income.size))) if income.size else 0
    return _share(income[:top].sum(), income.sum())


def _member_share(v: MetricView) -> float:
    in_p = v.model.partnerships.in_partnership()
    return _share(in_p[v.alive].sum(), v.alive.sum())


_C = dict(unit="count", integer=True, relevance=0.5)
_S = dict(unit="share", high=1.0, relevance=0.01)
_T = dict(unit="strength", high=1.0, relevance=0.01)

#: The metrics every :class:`~sim.model.PartnershipModel` records, in table order.
DEFAULT_METRICS = MetricSet([
    Metric("partnerships_active", "Partnerships of two or more active charities, funded or not", **_C,
           label="Partnerships active", compute=lambda v: float(len(v.groups))),
    Metric("partnership_size_mean", "Mean number of charities in an active partnership", unit="count", relevance=0.25,
           label="Partnership size (mean)", compute=lambda v: _mean([p.size for p in v.groups])),
    Metric("charities_active", "Charities still operating", **_C, direction=1,
           label="Charities operating", compute=lambda v: float(v.alive.sum())),
    Metric("charity_closures", "Charities closed since the start (reserves stayed negative)", **_C, direction=-1,
           label="Charity closures", compute=lambda v: float(v.model.counters["closures"])),
    Metric("small_charity_closures", "Closures of charities with income under 500k a year, since the start", **_C,
           direction=-1, label="Small-charity closures", compute=lambda v: float(v.model.counters["small_closures"])),
    Metric("rel_managerial_mean", "Mean managerial relationship strength over ties between charities (0-1)", **_T,
           direction=1, label="Managerial ties (mean)", compute=lambda v: _mean(v.ties[0])),
    Metric("rel_frontline_mean", "Mean frontline relationship strength over ties between charities (0-1)", **_T,
           direction=1, label="Frontline ties (mean)", compute=lambda v: _mean(v.ties[1])),
    Metric("rel_partner_frontline_mean", "Mean frontline strength over ties between members of the same partnership (0-1)",
           **_T, direction=1, label="Frontline ties within partnerships", compute=lambda v: v.partner_ties[0]),
    Metric("rel_partner_managerial_mean", "Mean managerial strength over ties between members of the same partnership (0-1)",
           **_T, direction=1, label="Managerial ties within partnerships", compute=lambda v: v.partner_ties[1]),
    Metric("defections", "Partners who bid outside their partnership at a re-tender, since the start", **_C,
           direction=-1, label="Defections", compute=lambda v: float(v.model.counters["defections"])),
    Metric("contracts_active", "Contracts and grants currently held", **_C,
           label="Contracts and grants held", compute=lambda v: float(len(v.contracts))),
    Metric("consortium_contract_share", "Share of contracts held by a partnership of two or more charities", **_S,
           label="Contracts held by partnerships", compute=lambda v: _share(sum(1 for d in v.delivering if d >= 2), len(v.contracts))),
    Metric("partners_delivering_mean", "Mean number of charities delivering each contract", unit="count", relevance=0.25,
           label="Partners delivering a contract (mean)", compute=lambda v: _mean(v.delivering)),
    Metric("funding_top10_share", "Share of the month's income going to the largest tenth of charities", **_S,
           direction=-1, label="Income to the largest tenth", compute=_top10),
    Metric("partnership_member_share", "Share of active charities that belong to a partnership", **_S,
           label="Charities in partnerships", compute=_member_share),
    Metric("clients_active", "Clients under support", unit="clients", integer=True, relevance=10.0,
           label="Clients under support", compute=lambda v: float(len(v.model.clients))),
    Metric("needs_met_share", "Share of clients' needs met this month", **_S, direction=1,
           label="Needs met", compute=lambda v: _share(v.stats.get("met", 0), v.stats.get("needs", 0))),
    Metric("joined_up_share", "Share of clients with several needs who get support for all of them", **_S, direction=1,
           label="Joined-up support", compute=lambda v: _share(v.stats.get("joined_up", 0), v.stats.get("multi", 0))),
    Metric("referral_success_rate", "Share of referrals to a partner that succeeded this month", **_S, direction=1,
           label="Successful referrals",
           compute=lambda v: _share(v.stats.get("referrals_ok", 0), v.stats.get("referrals", 0))),
    Metric("continuity_on_transfer",
           "Share of transfers of prisoners supported under a contract (last 12 months) whose support continued", **_S,
           direction=1, label="Continuity after transfer",
           compute=lambda v: _share(v.rolling.total("continued"), v.rolling.total("transfers"), empty=1.0)),
    Metric("reoffending_rate", "Annualised proven-reoffending rate among clients (last 12 months)", unit="rate",
           high=1.0, relevance=0.005, direction=-1, label="Reoffending (a year)",
           compute=lambda v: _share(v.rolling.total("reoffended"), v.rolling.mean("active"))),
    Metric("breach_rate", "Share of court orders ended (last 12 months) that ended in breach", **_S, direction=-1,
           label="Breach of court orders",
           compute=lambda v: _share(v.rolling.total("breached"), v.rolling.total("order_exits"))),
    Metric("monitoring_time_share", "Share of funded staff time spent on monitoring", **_S, direction=-1,
           label="Staff time on monitoring",
           compute=lambda v: _share(float(v.sector.monitoring_hours.sum()), v.model.funded_hours)),
    Metric("system_barrier_index", "Barriers clients meet between services (1 = as at the start, 0 = none)",
           unit="index", high=1.0, relevance=0.01, direction=-1, label="System barriers",
           compute=lambda v: float(v.model.barrier)),
    Metric("unfunded_collaborations", "Active joint services with no dedicated funding (know-how joined with local access)",
           **_C, direction=1, label="Unfunded joint services",
           compute=lambda v: float(sum(1 for p in v.groups if p.joint_service is not None and not p.contracts))),
])


def compute_metrics(model: PartnershipModel) -> dict[str, float]:
    """Every metric the model's class declares (``model.metrics``), for the current month."""
    view = MetricView(model)
    return {m.name: float(m.compute(view)) for m in model.metrics}
