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
#: Monthly counts kept over the last twelve months.
ROLLING = ("reoffended", "active", "breached", "order_exits", "transfers", "continued", "releases",
           "releases_continued", "transfer_needs", "transfer_met", "ju_active", "ju_reoffended",
           "nju_active", "nju_reoffended")


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
    st = model.month_stats
    moves = {k: st.get(k, 0) for k in ("transfers", "continued", "releases", "releases_continued",
                                       "transfer_needs", "transfer_met")}
    if n == 0:
        model.rolling.push(reoffended=0, active=0, breached=0, order_exits=0, ju_active=0, ju_reoffended=0,
                           nju_active=0, nju_reoffended=0, **moves)
        return
    k = sc.clients.engagement_memory
    cl.engagement = (k * cl.engagement + (1.0 - k) * cl.met_share).astype(np.float32)
    cl.months += 1
    custody = cl.in_custody()
    reoffend_p, breach_p = exit_hazards(sc, cl.risk, cl.met_share, cl.engagement, cl.court_order, custody)
    u = rng.random(n)
    reoffended = u < reoffend_p
    breached = ~reoffended & (u < reoffend_p + breach_p)
    completed = ~reoffended & ~breached & (cl.months >= cl.spell)
    f = cl.flows
    f.reoffended += int(np.count_nonzero(reoffended))
    f.breached += int(np.count_nonzero(breached))
    f.completed += int(np.count_nonzero(completed))
    community = ~custody
    multi = cl.need_count >= 2
    ju = community & multi & cl.joined_up
    nju = community & multi & ~cl.joined_up
    model.rolling.push(
        reoffended=int(np.count_nonzero(reoffended)), active=int(np.count_nonzero(community)),
        breached=int(np.count_nonzero(breached)),
        order_exits=int(np.count_nonzero(cl.court_order & (breached | completed))),
        ju_active=int(np.count_nonzero(ju)), ju_reoffended=int(np.count_nonzero(ju & reoffended)),
        nju_active=int(np.count_nonzero(nju)), nju_reoffended=int(np.count_nonzero(nju & reoffended)), **moves,
    )
    leaving = reoffended | breached | completed
    if cl.log_exits:
        how = np.where(reoffended, "reoffence", np.where(breached, "breach", "completion"))
        cl.log_exit(leaving, model.month, how[leaving])
    cl.remove(leaving)


NAN = float("nan")


def _share(num: float, den: float, empty: float = NAN) -> float:
    """``num / den``; missing (nan) when the denominator is empty."""
    return float(num / den) if den > 0 else empty


def _rate(r: RollingCounts, events: str, exposed: str) -> float:
    """Events over the last twelve months per mean number exposed (an annual rate); nan if none exposed."""
    return _share(r.total(events), r.mean(exposed))


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
    def alive_count(self) -> float:
        """Number of operating charities."""
        return float(np.count_nonzero(self.alive))

    @cached_property
    def alive_bands(self) -> np.ndarray:
        """Income band of each operating charity."""
        return self.sector.band[self.alive]

    @cached_property
    def need_count(self) -> np.ndarray:
        """Number of needs of each active client."""
        return self.model.clients.need_count

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
    def retendered_ties(self) -> np.ndarray:
        """Managerial strengths of ties between operating charities that faced a re-tender as partners."""
        net, alive = self.model.network, self.alive
        keep = net.retendered & alive[net.a] & alive[net.b] if len(net) else np.zeros(0, dtype=bool)
        return net.managerial[keep]

    @cached_property
    def partner_ties(self) -> tuple[float, float]:
        """Mean (frontline, managerial) strength over ties within partnerships."""
        net = self.model.network
        if not self.groups:
            return NAN, NAN
        # the ties' indices, remembered while the groups' members are the same and every pair has a tie (a tie,
        # once made, keeps its index; a missing one may be made later)
        members = tuple(tuple(p.members) for p in self.groups)
        known = self.model.cache.get("partner_tie_index")
        if known is not None and known[0] == members:
            idx = known[1]
        else:
            pa, pb, _ = net.pairs_within_groups(members)
            idx = net.edge_index(pa, pb)  # one look-up for both layers
            self.model.cache["partner_tie_index"] = (members, idx) if (idx >= 0).all() else None
        return float(net.strength_at(idx, "frontline").mean()), float(net.strength_at(idx, "managerial").mean())

    @cached_property
    def income_sorted(self) -> np.ndarray:
        """This month's income of operating charities, largest first."""
        return np.sort(self.sector.income[self.alive])[::-1]


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else NAN


def _subsidising(v: MetricView) -> float:
    """Share of charities paid under a contract or grant whose work for it (at full cost, with its
    part of fixed costs, monitoring and partnership work) costs more than it pays (NCVO 2024: 87%)."""
    s, sec = v.sector, v.model.scenario.sector
    paid = v.alive & (s.contract_income >= 1.0)  # a pound a month or more (not a rounding remainder)
    loaded = sec.hourly_cost * (1.0 + sec.overhead_share)
    hours = s.contract_hours + s.monitoring_hours + s.relationship_hours
    # full cost recovery: the contract's work carries its part of the fixed costs too
    fixed_part = s.fixed_cost * np.clip(hours / np.maximum(s.staff_hours, 1e-9), 0.0, 1.0)
    cost = hours * loaded + fixed_part
    return _share(float((paid & (cost > s.contract_income)).sum()), float(paid.sum()))


def _contract_money(v: MetricView) -> float:
    """Share of commissioners' money this month paid under contracts rather than grants."""
    contract = grant = 0.0
    for c in v.contracts:
        paid = sum(c.shares.values())
        if c.commissioner.grant:
            grant += paid
        else:
            contract += paid
    return _share(contract, contract + grant)


def _band_share(band: int):
    def share(v: MetricView) -> float:
        return _share(float(np.count_nonzero(v.alive_bands == band)), v.alive_count)

    return share


def _need_share(at_least: int):
    def share(v: MetricView) -> float:
        cl = v.model.clients
        return _share(float(np.count_nonzero(v.need_count >= at_least)), float(len(cl)))

    return share


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
           label="Charities operating", compute=lambda v: v.alive_count),
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
    Metric("rel_retendered_managerial_mean",
           "Mean managerial strength over ties between charities that were partners in a contract's holder when it "
           "was re-tendered, now (0-1; Inspire: a market test caused \"damage to the relationships inherent in the "
           "collaboration\")", **_T, direction=1, label="Managerial ties of re-tendered partners",
           compute=lambda v: _mean(v.retendered_ties)),
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
    Metric("referral_success_rate",
           "Share of referrals to a partner that succeeded this month: the partner took the client on and the "
           "client got there", **_S, direction=1,
           label="Successful referrals",
           compute=lambda v: _share(v.stats.get("referrals_ok", 0), v.stats.get("referrals", 0))),
    Metric("continuity_on_transfer",
           "Share of transfers of prisoners supported under a contract (last 12 months) whose support continued", **_S,
           direction=1, label="Continuity after transfer",
           compute=lambda v: _share(v.rolling.total("continued"), v.rolling.total("transfers"))),
    Metric("reoffending_rate", "Annualised proven-reoffending rate among clients in the community (last 12 months)",
           # reoffences per person-year: above 1 only in a tiny group whose members turn over within the year
           unit="rate", high=None, relevance=0.005, direction=-1, label="Reoffending (a year)",
           compute=lambda v: _rate(v.rolling, "reoffended", "active")),
    Metric("breach_rate", "Share of court orders ended (last 12 months) that ended in breach", **_S, direction=-1,
           label="Breach of court orders",
           compute=lambda v: _share(v.rolling.total("breached"), v.rolling.total("order_exits"))),
    Metric("monitoring_time_share",
           "Monitoring hours as a share of the staff hours contracts fund (above 1 when monitoring takes more "
           "hours than a small contract pays for)", unit="share", high=None, relevance=0.01, direction=-1,
           label="Staff time on monitoring",
           compute=lambda v: _share(float(v.sector.monitoring_hours.sum()), v.model.funded_hours)),
    Metric("system_barrier_index", "Barriers clients meet between services (1 = as at the start, 0 = none)",
           unit="index", high=1.0, relevance=0.01, direction=-1, label="System barriers",
           compute=lambda v: float(v.model.barrier)),
    Metric("unfunded_collaborations", "Active joint services with no dedicated funding (know-how joined with local access)",
           **_C, direction=1, label="Unfunded joint services",
           compute=lambda v: float(sum(1 for p in v.groups if p.joint_service is not None and not p.contracts))),
    Metric("capacity_cover", "Staff and volunteer hours available to these clients over the hours their needs demand",
           unit="ratio", relevance=0.02, direction=1, label="Capacity cover",
           compute=lambda v: _share(v.stats.get("hours_available", 0.0), v.stats.get("demand_hours", 0.0))),
    Metric("clients_waiting", "Clients with no contract and no charity with room to take them on, waiting this month",
           unit="clients", integer=True, relevance=10.0, direction=-1, label="Clients waiting",
           compute=lambda v: float(v.stats.get("waiting", 0))),
    Metric("income_total", "Money operating charities have this month for these clients: contracts, grants and own funds",
           unit="pounds", relevance=1000.0, label="Income for this work",
           compute=lambda v: float(v.sector.income[v.alive].sum())),
    Metric("staff_hours_total", "Paid staff hours a month of operating charities for these clients", unit="hours",
           relevance=100.0, label="Staff hours", compute=lambda v: float(v.sector.staff_hours[v.alive].sum())),
    Metric("reserves_total", "Reserves held by operating charities", unit="pounds", low=None, relevance=10000.0,
           label="Reserves", compute=lambda v: float(v.sector.reserves[v.alive].sum())),
    Metric("continuity_on_release", "Share of supported prisoners released (last 12 months) whose support continued in the community",
           **_S, direction=1, label="Continuity through the gate",
           compute=lambda v: _share(v.rolling.total("releases_continued"), v.rolling.total("releases"))),
    Metric("needs_met_after_transfer", "Share of transferred prisoners' needs met in the month of their transfer (last 12 months)",
           **_S, direction=1, label="Needs met after a transfer",
           compute=lambda v: _share(v.rolling.total("transfer_met"), v.rolling.total("transfer_needs"))),
    Metric("joined_up_reoffending_gap", "Annual reoffending of community clients with several needs without joined-up support, minus with it",
           unit="rate", low=None, high=None, relevance=0.005, direction=0, label="Reoffending gap from joined-up support",
           compute=lambda v: _rate(v.rolling, "nju_reoffended", "nju_active") - _rate(v.rolling, "ju_reoffended", "ju_active")),
    Metric("subsidising_share", "Share of charities paid under a contract or grant whose work for it costs more than it pays",
           **_S, label="Charities subsidising their contracts", compute=_subsidising),
    Metric("contract_money_share", "Share of commissioners' money paid as contracts rather than grants this month",
           **_S, label="Money as contracts (not grants)", compute=_contract_money),
    Metric("band_share_under_10k", "Share of operating charities with annual income under 10k", **_S,
           label="Charities under 10k", compute=_band_share(0)),
    Metric("band_share_10k_500k", "Share of operating charities with annual income 10k-500k", **_S,
           label="Charities 10k-500k", compute=_band_share(1)),
    Metric("band_share_500k_10m", "Share of operating charities with annual income 500k-10m", **_S,
           label="Charities 500k-10m", compute=_band_share(2)),
    Metric("band_share_over_10m", "Share of operating charities with annual income over 10m", **_S,
           label="Charities over 10m", compute=_band_share(3)),
    Metric("multi_need_share", "Share of clients with two or more needs at once", **_S,
           label="Clients with several needs", compute=_need_share(2)),
    Metric("three_need_share", "Share of clients with three or more needs at once", **_S,
           label="Clients with three or more needs", compute=_need_share(3)),
    Metric("holder_changes", "Re-tenders won by a different partnership from the one that held the lot, since the start",
           **_C, direction=-1, label="Contracts changing hands",
           compute=lambda v: float(v.model.counters["holder_changes"])),
    Metric("mergers", "Charities merged into another since the start (not closures)", **_C,
           label="Mergers", compute=lambda v: float(v.model.counters["mergers"])),
])


def compute_metrics(model: PartnershipModel) -> dict[str, float]:
    """Every metric the model's class declares (``model.metrics``), for the current month."""
    view = MetricView(model)
    return {m.name: float(m.compute(view)) for m in model.metrics}
