"""Partnership formation, partner search, relationship investment and reorganisation.

Submodel "Partnership formation" of the ODD. Charities look for partners with
complementary resources: programme know-how joined with local access (Fine
Cell Work "have the know-how to run purposeful activities but didn't have the
contacts, local knowledge or the facilities"; RECOOP had them), or, under
financial pressure, partners to bid with ("basic survival for many voluntary
organisations requires scale, and scale requires collaboration"). Partners
invest staff time in their relationships, more when funding is long
("long-term funding ... allows partners to invest time in nurturing
relationships"). A flexible funder lets a partnership replace a lost partner
within a contract (Golden Key and the Big Lottery Fund).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents import Charity, overrides_rule
from .delivery import unserved_needs

from .rules import coordination_hours, horizon_factor, partnership_form, search_chance  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .partnerships import Partnership
    from .model import PartnershipModel


# --------------------------------------------------------------- formation

def form_partnership(model: PartnershipModel, members: list[int], lead: int, commissioned: bool,
                     joint_service: tuple[int, int] | None = None) -> Partnership:
    """Create a partnership; its members meet at an induction (joint training)."""
    from .partnerships import Partnership

    from .tendering import form_of

    sc = model.scenario
    co_located = commissioned and sc.partnership.co_location and len(members) >= 2
    form = form_of(model, members, lead, commissioned)
    p = Partnership(
        pid=model.next_id("partnership"), members=list(members), lead=lead, form=form, formed=model.month,
        co_located=co_located,
        shared_case_management=commissioned and sc.partnership.shared_case_management,
        standard_monitoring=sc.commissioning.monitoring == "standardised",
        joint_training_months=sc.partnership.joint_training_months if commissioned else 0,
        joint_service=joint_service,
    )
    model.partnerships.add(p)
    if len(members) >= 2:
        a, b = model.network.pairs_within(np.asarray(members))
        model.network.add_contact(a, b, managerial=sc.relationships.managerial_growth,
                                  frontline=sc.relationships.training_boost)
    return p


def search(model: PartnershipModel) -> None:
    """Charities look for partners with complementary resources (monthly)."""
    sc = model.scenario
    if not sc.partnership.enabled:
        return
    s = model.sector
    alive = np.flatnonzero(s.alive)
    pressure = s.pressure()
    # the default rule, vectorised; a charity whose class overrides it is asked itself
    chance = np.minimum(1.0, sc.partnership.search_rate * (1.0 + sc.partnership.pressure_search * pressure[alive]))
    if any(overrides_rule(cls, Charity, "search_chance") for cls in model.charity_classes):
        for k, i in enumerate(alive):
            agent = model.charity(int(i))
            if overrides_rule(type(agent), Charity, "search_chance"):
                chance[k] = agent.search_chance()
    seekers = alive[model.rng.random(alive.size) < chance]
    if seekers.size == 0:
        return
    unserved = unserved_needs(model)  # (localities, domains): clients in need, nobody present to serve
    informal_of = model.partnerships.informal_partnership_of()
    for i in seekers:
        i = int(i)
        if s.knowhow[i].any() and _start_joint_service(model, i, unserved):
            continue
        if pressure[i]:
            _join_for_survival(model, i, informal_of)


def _start_joint_service(model: PartnershipModel, i: int, unserved: np.ndarray) -> bool:
    """Know-how without access meets access without know-how (Fine Cell Work and RECOOP)."""
    s = model.sector
    domains = np.flatnonzero(s.knowhow[i])
    d = int(model.rng.choice(domains))
    places = np.flatnonzero(unserved[:, d] & ~s.presence[i])
    if places.size == 0:
        return False
    loc = int(model.rng.choice(places))
    hosts = np.flatnonzero(s.alive & s.presence[:, loc] & ~s.specialisms[:, d] & (s.volunteer_hours + s.staff_hours > 0))
    hosts = hosts[hosts != i]
    if hosts.size == 0:
        return False
    ties = model.network.strength(np.full(hosts.size, i), hosts, "managerial")
    host = int(hosts[np.argmax(ties + model.rng.random(hosts.size) * 0.1)])
    form_partnership(model, [i, host], host, commissioned=False, joint_service=(loc, d))
    model.counters["unfunded_formed"] += 1
    return True


def _join_for_survival(model: PartnershipModel, i: int, informal_of: np.ndarray) -> None:
    """Under pressure, find a partner in a shared place with other specialisms to bid with."""
    s, p = model.sector, model.scenario.partnership
    if informal_of[i] >= 0:
        return
    # only the columns that can be set: i's places, the specialisms i lacks (the same answer, less to scan)
    shares_place = s.presence[:, s.presence[i]].any(axis=1)
    complementary = s.specialisms[:, ~s.specialisms[i]].any(axis=1)
    cand = np.flatnonzero(s.alive & shares_place & complementary)
    cand = cand[cand != i]
    if cand.size == 0:
        return
    j = int(model.rng.choice(cand))
    pid = informal_of[j]
    if pid >= 0:
        partnership = model.partnerships.by_id[pid]
        if partnership.size < p.max_partners:
            partnership.members.append(i)
            rest = np.asarray([m for m in partnership.members if m != i])
            model.network.add_contact(np.full(rest.size, i), rest, managerial=model.scenario.relationships.managerial_growth)
        return
    lead = i if s.base_income[i] >= s.base_income[j] else j
    form_partnership(model, [i, j], lead, commissioned=False)


# --------------------------------------------------------------- investment

def invest(model: PartnershipModel) -> None:
    """Partners spend staff time on coordination and on their relationships: governance, co-location, training.

    Governance contact grows managerial ties, scaled by the funding horizon
    ("long-term funding ... allows partners to invest time in nurturing
    relationships") and by statutory partners' attendance (their engagement).
    Coordination hours depend on the partnership's form
    (:func:`sim.rules.coordination_hours`); independent grant funders pay for
    development time, so their partners' hours are not taken from clients.
    """
    from .delivery import engagement_of

    sc = model.scenario
    r = sc.relationships
    s = model.sector
    groups, rates_m, rates_f = [], [], []
    who, hours = [], []  # each member's coordination and investment hours, partnership by partnership
    for p in model.partnerships:
        if not p.is_group:
            continue
        if p.contracts:
            months_left = max(c.end - model.month for c in p.contracts)
            horizon = horizon_factor(months_left, sc.system.horizon_months)
            buy_in = 0.5 + 0.5 * max(engagement_of(model, c.commissioner) for c in p.contracts)
            paid = all(c.commissioner.grant for c in p.contracts)
        else:
            horizon, buy_in, paid = 0.5, 1.0, False
        frontline = 0.0
        if p.co_located:
            frontline += r.co_location_growth
        if p.joint_service is not None:
            frontline += r.frontline_growth  # running a group together
        if p.joint_training_months and (model.month - p.formed) % p.joint_training_months == 0 and model.month > p.formed:
            frontline += r.training_boost
        groups.append(p.members)
        rates_m.append(r.managerial_growth * horizon * buy_in)
        rates_f.append(frontline)
        if not paid:
            base = sc.partnership.coordination_hours
            who += p.members
            hours += [coordination_hours(base, p.form, m == p.lead) + r.investment_hours * horizon for m in p.members]
    # summed in the same order as adding partnership by partnership to zeros, so the same sums
    s.relationship_hours[:] = np.bincount(np.asarray(who, dtype=np.int64), weights=np.asarray(hours, dtype=np.float64),
                                          minlength=s.relationship_hours.size)
    if groups:
        a, b, sizes = model.network.pairs_within_groups(groups)
        model.network.add_contact(a, b, managerial=np.repeat(rates_m, sizes), frontline=np.repeat(rates_f, sizes))


# --------------------------------------------------------------- reorganisation

def reorganise(model: PartnershipModel) -> None:
    """Within a flexible contract, a partnership reorganises around the work (Golden Key).

    Golden Key's growth "was facilitated by the flexible approach of the Big
    Lottery Fund which gave its blessing to changes in the make-up of the
    partnership"; the report asks commissioners to be "responsive to requests
    to re-organise partnership arrangements within funding periods". Each month, under a flexible
    funder, a partnership (1) brings in a partner for a need of the contract
    none of its members serves, if one accepts, and (2) moves money between
    members towards where its clients' work is. Under an inflexible contract
    the shares stay as awarded until the re-tender.
    """
    if not model.scenario.partnership.enabled:
        return
    s = model.sector
    for contract in list(model.contracts.values()):
        if not contract.commissioner.flexible or not contract.shares:
            continue
        p = contract.holder
        _fill_gap(model, contract, p)
        work = np.array([s.contract_hours[m] + s.monitoring_hours[m] for m in contract.shares])
        if work.sum() > 0:
            total = sum(contract.shares.values())
            core = model.scenario.partnership.lead_core_share
            new = total * ((1.0 - core) * work / work.sum())
            for (m, old), v in zip(list(contract.shares.items()), new):
                contract.shares[m] = float(v + (core * total if m == p.lead else 0.0))
            if p.lead not in contract.shares:
                contract.shares[p.lead] = core * total
            model.counters["rebalances"] += 1


def contract_needs(model: PartnershipModel) -> np.ndarray:
    """(contract ids, domains): how many of each contract's clients have each need (cached for the month)."""
    cache = model.cache
    key = (model.month, len(model.clients), model.max_contract_id())
    if cache.get("contract_needs_key") != key:
        cl = model.clients
        rows = np.flatnonzero(cl.contract >= 0)
        n_c, n_dom = model.max_contract_id() + 1, cl.needs.shape[1]
        # one count over (contract, domain) cells: whole numbers, so the same as a weighted bincount per domain
        flat = cl.needs[rows].ravel().nonzero()[0]  # (client, domain) needs as flat positions, row by row
        cells = cl.contract[rows].astype(np.int64)[flat // n_dom] * n_dom + flat % n_dom
        cache["contract_needs"] = np.bincount(cells, minlength=n_c * n_dom).reshape(n_c, n_dom).astype(np.float64)
        cache["contract_needs_key"] = key
    return cache["contract_needs"]


def _fill_gap(model: PartnershipModel, contract, p) -> None:
    """Invite a partner for the need no member serves that most of the contract's clients have (at most one a month).

    The gap is read from the clients, not only from the specification: Golden
    Key's partnership grew as the needs its clients brought to light called for
    new partners. Before the contract has clients, the specification's needs count.
    """
    from .tendering import charity_free_funds, coordination_cost

    s = model.sector
    members = [m for m in p.members if s.alive[m]]
    if not members or len(members) >= model.scenario.partnership.max_partners:
        return
    have = s.specialisms[members].any(axis=0)
    demand = contract_needs(model)[contract.cid] if contract.cid <= model.max_contract_id() else np.zeros(have.size)
    if demand.sum() <= 0:
        demand = contract.domains.astype(float)
    gap = np.where(have, 0.0, demand)
    if gap.max() <= 0:
        return
    missing = np.flatnonzero(gap > 0)
    cand = np.flatnonzero(s.alive & s.specialisms[:, missing].any(axis=1) & s.presence[:, contract.lot].any(axis=1))
    cand = cand[~np.isin(cand, members)]
    if cand.size == 0:
        return
    ties = model.network.strength(np.full(cand.size, p.lead), cand, "managerial")
    # the partner who covers most of the clients' unmet needs, then the one the lead knows best
    covers = (s.specialisms[cand][:, missing] * gap[missing]).sum(axis=1) / gap.sum()
    order = np.argsort(-(covers + ties + 1e-9 * model.rng.random(cand.size)), kind="stable")
    # asked in that order, the first who can afford the partnership's coordination joins
    funds = charity_free_funds(model)[cand[order]] * (0.5 + ties[order])
    able = np.flatnonzero(funds >= coordination_cost(model, p.form, False))
    if able.size == 0:
        return
    j = int(cand[order[able[0]]])
    share = sum(contract.shares.values()) / (len(contract.shares) + 1)
    p.add_member(j)
    lead_share = contract.shares.get(p.lead, 0.0)
    moved = min(share, lead_share)
    contract.shares[p.lead] = lead_share - moved
    contract.shares[j] = moved
    a, b = model.network.pairs_within(np.asarray(p.members))
    model.network.add_contact(a, b, managerial=model.scenario.relationships.managerial_growth)
    model.counters["reorganisations"] += 1


# --------------------------------------------------------------- losses

def remove_member(model: PartnershipModel, charity: int) -> None:
    """A charity has left: partnerships reorganise around the loss (a flexible funder lets them replace it)."""
    for p in model.partnerships:
        if not p.active or charity not in p.members:
            continue
        p.members.remove(charity)
        if p.lead == charity and p.members:
            p.lead = max(p.members, key=lambda m: model.sector.base_income[m])
        for contract in p.contracts:
            share = contract.shares.pop(charity, 0.0)
            if share <= 0:
                continue
            if contract.commissioner.flexible and p.members:
                before = set(p.members)
                _fill_gap(model, contract, p)
                newcomers = [m for m in p.members if m not in before]
                if newcomers:
                    contract.shares[newcomers[0]] = contract.shares.get(newcomers[0], 0.0) + share
                else:
                    contract.shares[p.lead] = contract.shares.get(p.lead, 0.0) + share
            elif p.members:
                contract.shares[p.lead] = contract.shares.get(p.lead, 0.0) + share
            if not contract.shares:
                contract.end = model.month + 1  # nobody left to deliver: re-tender next month
        if p.size < 2 and not p.contracts:
            p.active = False
        if p.size == 0:
            p.active = False
