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

from . import rules
from .agents import Charity, overrides_rule
from .clients import POPCOUNT
from .delivery import _MASK_HAS, referral_row, unserved_needs

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
    form = form_of(model, members, lead, commissioned)
    p = Partnership(
        pid=model.next_id("partnership"), members=list(members), lead=lead, form=form, formed=model.month,
        standard_monitoring=sc.commissioning.monitoring == "standardised", joint_service=joint_service,
    )
    if commissioned:
        commissioned_practice(model, p)
    model.partnerships.add(p)
    if len(members) >= 2:
        a, b = model.network.pairs_within(np.asarray(members))
        model.network.add_contact(a, b, managerial=sc.relationships.managerial_growth,
                                  frontline=sc.relationships.training_boost)
    return p


def commissioned_practice(model: PartnershipModel, p: Partnership) -> None:
    """The ways of working the scenario sets for a partnership that holds a contract: one site (two or more
    members), a shared case-management system and joint training. A partnership formed for a contract starts
    with them; an informal one takes them on when it wins its first contract (:func:`sim.tendering.award`)."""
    sc = model.scenario.partnership
    p.co_located = sc.co_location and len(p.members) >= 2
    p.shared_case_management = sc.shared_case_management
    p.joint_training_months = sc.joint_training_months


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
    by_place = _charities_by_place(model)
    for i in seekers:
        i = int(i)
        if s.knowhow[i].any() and _start_joint_service(model, i, unserved):
            continue
        if pressure[i]:
            _join_for_survival(model, i, informal_of, by_place)


def _charities_by_place(model: PartnershipModel) -> tuple[np.ndarray, np.ndarray]:
    """The charities present in each place, place by place, and where each place's run starts (cached while
    presence is unchanged)."""
    s, cache = model.sector, model.cache
    key = s.presence.tobytes()
    if cache.get("by_place_key") != key:
        where, who = s.presence.T.nonzero()  # place by place, charities in order
        cache["by_place"] = (who, np.searchsorted(where, np.arange(s.presence.shape[1] + 1)))
        cache["by_place_key"] = key
    return cache["by_place"]


def _start_joint_service(model: PartnershipModel, i: int, unserved: np.ndarray) -> bool:
    """Know-how without access meets access without know-how (Fine Cell Work and RECOOP)."""
    s = model.sector
    domains = s.knowhow[i].nonzero()[0]
    d = int(domains[model.rng.integers(0, domains.size)])  # what rng.choice draws, without its overhead
    places = (unserved[:, d] & ~s.presence[i]).nonzero()[0]
    if places.size == 0:
        return False
    loc = int(places[model.rng.integers(0, places.size)])
    hosts = (s.alive & s.presence[:, loc] & ~s.specialisms[:, d] & (s.volunteer_hours + s.staff_hours > 0)).nonzero()[0]
    hosts = hosts[hosts != i]
    if hosts.size == 0:
        return False
    ties = model.network.strength(np.full(hosts.size, i), hosts, "managerial")
    host = int(hosts[np.argmax(ties + model.rng.random(hosts.size) * 0.1)])
    form_partnership(model, [i, host], host, commissioned=False, joint_service=(loc, d))
    unserved[loc, d] = False  # one joint service a place and need: later searchers this month see it taken
    model.counters["unfunded_formed"] += 1
    return True


def _join_for_survival(model: PartnershipModel, i: int, informal_of: np.ndarray,
                       by_place: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Under pressure, find a partner in a shared place with other specialisms to bid with."""
    s, p = model.sector, model.scenario.partnership
    if informal_of[i] >= 0:
        return
    who, start = _charities_by_place(model) if by_place is None else by_place
    shares_place = np.zeros(s.n, dtype=bool)  # the charities present in one of i's places
    for loc in s.presence[i].nonzero()[0]:
        shares_place[who[start[loc]:start[loc + 1]]] = True
    complementary = (s.specialism_bits & ~s.specialism_bits[i]) != 0  # a specialism i lacks
    cand = (s.alive & shares_place & complementary).nonzero()[0]
    cand = cand[cand != i]
    if cand.size == 0:
        return
    j = int(cand[model.rng.integers(0, cand.size)])
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
    flexible = [c for c in model.contracts.values() if c.commissioner.flexible and c.shares]
    if not flexible:
        return
    # the clients of each flexible contract, found once (reorganising changes members, not clients)
    rows = contract_rows(model, [c.cid for c in flexible])
    needs = contract_place_needs(model, [c.cid for c in flexible], rows)
    for contract in flexible:
        p = contract.holder
        _fill_gap(model, contract, p, needs[contract.cid], rows[contract.cid])
        if _rebalance(model, contract, p, rows[contract.cid]):
            model.counters["rebalances"] += 1


def contract_rows(model: PartnershipModel, cids: list[int]) -> dict[int, np.ndarray]:
    """Per contract id, the rows of its clients (ascending)."""
    contract = model.clients.contract
    if len(cids) == 1:
        return {int(cids[0]): np.flatnonzero(contract == cids[0])}
    ids = np.asarray(sorted(cids), dtype=np.int64)
    rows = np.flatnonzero(np.isin(contract, ids))
    rows = rows[np.argsort(contract[rows], kind="stable")]
    bounds = np.searchsorted(contract[rows], ids, side="left"), np.searchsorted(contract[rows], ids, side="right")
    return {int(c): rows[a:b] for c, a, b in zip(ids, *bounds)}


def _place_mask_counts(locality: np.ndarray, masks: np.ndarray, n_loc: int, n_dom: int) -> np.ndarray:
    """(localities, domains): how many of the clients in each place have each domain in their need ``masks``
    (whole numbers: one count per place and mask, then the domains each mask holds)."""
    per_mask = np.bincount(locality.astype(np.int64) * 256 + masks, minlength=n_loc * 256).reshape(n_loc, 256)
    return per_mask.astype(np.float64) @ _MASK_HAS[:, :n_dom]


def place_demand(model: PartnershipModel) -> np.ndarray:
    """(localities, domains): how many clients in each place need each domain (all clients; remembered
    while every client's place and needs are unchanged, compared exactly)."""
    s, cl, cache = model.sector, model.clients, model.cache
    key = (cl.locality.tobytes(), cl.need_bits.tobytes())
    if cache.get("place_demand_key") != key:
        cache["place_demand"] = _place_mask_counts(cl.locality, cl.need_bits, s.presence.shape[1], s.specialisms.shape[1])
        cache["place_demand_key"] = key
    return cache["place_demand"]


def contract_work(model: PartnershipModel, contract, members: list[int], rows: np.ndarray | None = None) -> np.ndarray:
    """Needs of the contract's clients each of ``members`` supports: its own caseload's needs, less
    those it refers on, and the needs referred to it, as the partnership refers them (to the member
    who serves the need where the client lives). It is this contract's part of a member's
    ``contract_hours``, counted in needs."""
    s, cl = model.sector, model.clients
    if rows is None:
        rows = contract_rows(model, [contract.cid])[contract.cid]
    rows = rows[cl.provider[rows] >= 0]
    work = np.zeros(len(members))
    if rows.size == 0 or not members:
        return work
    index = np.full(s.n, -1, dtype=np.int64)
    index[np.asarray(members)] = np.arange(len(members))
    n_loc, n_dom = s.presence.shape[1], s.specialisms.shape[1]
    provider, loc = cl.provider[rows], cl.locality[rows]
    tgt = referral_row(s, np.asarray(members))  # (places, domains): who takes a referral there (never the
    # provider: a need is referred only if the provider does not serve it, and the target does)
    rest = cl.need_bits[rows] & ~s.specialism_bits[provider]  # needs outside the provider's specialisms
    routed = (((tgt >= 0).astype(np.int64) << np.arange(n_dom)).sum(axis=1)).astype(np.uint8)  # per place
    referred = rest & routed[loc]
    own = POPCOUNT[cl.need_bits[rows]].astype(np.int64) - POPCOUNT[referred]
    mine = index[provider] >= 0
    work += np.bincount(index[provider[mine]], weights=own[mine], minlength=len(members))
    taken = _place_mask_counts(loc, referred, n_loc, n_dom)  # (places, domains) referrals routed
    has = tgt >= 0
    work += np.bincount(index[tgt[has]], weights=taken[has], minlength=len(members))
    return work


def _rebalance(model: PartnershipModel, contract, p, rows: np.ndarray | None = None) -> bool:
    """Move the contract's money between partners towards where its clients' work is.

    As at the award (:func:`sim.tendering.split_caseload`), the lead keeps the
    money for the specification's core case-work (``lead_core_share`` of the
    specification's value, at most the contract's); the rest follows each
    other member's part of the work on this contract's clients
    (:func:`contract_work`): the clients it supports and the referrals it
    takes, routed among every operating member as the partnership routes
    them, the lead included (a need the lead takes is the lead's work, paid
    from its core money). Returns whether shares moved (not before the
    partners have such work).
    """
    s = model.sector
    members = [m for m in contract.shares if s.alive[m]]
    work_all = contract_work(model, contract, members, rows)
    partners = [m for m in members if m != p.lead]
    work = work_all[[i for i, m in enumerate(members) if m != p.lead]]
    if work.sum() <= 0:
        return False
    total = sum(contract.shares.values())
    lead_money = _lead_money(model, contract, total)
    for m in contract.shares:  # a member that has closed does no work (it leaves at the next settlement)
        contract.shares[m] = 0.0
    contract.shares[p.lead] = lead_money
    for m, w in zip(partners, work):
        contract.shares[m] = float((total - lead_money) * w / work.sum())
    return True


def _lead_money(model: PartnershipModel, contract, total: float) -> float:
    """The lead's money for the specification's core case-work, as at the award (:func:`sim.tendering.lead_money`)."""
    from .tendering import lead_money

    return lead_money(model, total, contract.spec_value)


def contract_place_needs(model: PartnershipModel, cids: list[int],
                         rows: dict[int, np.ndarray] | None = None) -> dict[int, np.ndarray]:
    """Per contract id, a (localities, domains) count of its clients' needs in each place
    (``rows``: each contract's client rows, from :func:`contract_rows`, when the caller has them)."""
    s, cl = model.sector, model.clients
    n_loc, n_dom = s.presence.shape[1], s.specialisms.shape[1]
    if rows is None:
        rows = contract_rows(model, cids)
    return {int(c): _place_mask_counts(cl.locality[rows[c]], cl.need_bits[rows[c]], n_loc, n_dom).astype(np.float64)
            for c in cids}


def _fill_gap(model: PartnershipModel, contract, p, needs: np.ndarray | None = None,
              rows: np.ndarray | None = None) -> None:
    """Invite a partner for the needs of the contract's clients that no member serves (at most one a month).

    The gap is read from the clients, not from the specification: Golden Key's
    partnership grew as the needs its clients brought to light called for new
    partners. A partner can only take clients where it works, so a candidate is
    weighed by the needs in the gap of the clients in its places. A partner is
    brought in only where that work takes more hours than the partnership time
    a member adds (coordination and relationship investment). The candidates
    are asked in order of the gap they cover, then of the lead's tie, and the
    first who expects to carry its part joins (:meth:`~sim.agents.Charity.joins_partnership`:
    its part of the partners' money, as :func:`_rebalance` would give it, in
    proportion to its work against the partners' work on this contract now,
    against that work's cost and its coordination). It takes an equal part of
    the money from every member until the partnership's next rebalance.
    """
    from .tendering import coordination_cost, loaded_cost

    s, sc = model.sector, model.scenario
    members = [m for m in p.members if s.alive[m]]
    if not members or len(members) >= sc.partnership.max_partners:
        return
    if needs is None:
        needs = contract_place_needs(model, [contract.cid])[contract.cid]  # (places, domains)
    have = s.specialisms[members].any(axis=0)
    gap = np.where(have[None, :], 0.0, needs)
    if gap.max() <= 0:
        return
    missing = np.flatnonzero(gap.sum(axis=0) > 0)
    cand = np.flatnonzero(s.alive & s.specialisms[:, missing].any(axis=1) & s.presence[:, contract.lot].any(axis=1))
    cand = cand[~np.isin(cand, members)]
    if cand.size == 0:
        return
    # the gap's needs each could meet where it works, against the partnership time a member adds
    reach = ((s.presence[cand].astype(np.float64) @ gap) * s.specialisms[cand]).sum(axis=1)
    added = (rules.coordination_hours(sc.partnership.coordination_hours, p.form, False) + sc.relationships.investment_hours
             + _added_monitoring(model, contract, p, rows))
    worth = reach * sc.clients.hours_per_need >= added
    cand, reach = cand[worth], reach[worth]
    if cand.size == 0:
        return
    ties = model.network.strength(np.full(cand.size, p.lead), cand, "managerial")
    order = np.argsort(-(reach / gap.sum() + ties + 1e-9 * model.rng.random(cand.size)), kind="stable")
    total = sum(contract.shares.values())
    # the partners' money follows their work on this contract (as _rebalance splits it), the newcomer's included
    routed = [m for m in contract.shares if s.alive[m]]
    work = contract_work(model, contract, routed, rows)
    partners_work = float(sum(w for m, w in zip(routed, work) if m != p.lead))
    money = (total - _lead_money(model, contract, total)) * reach[order] / (partners_work + reach[order])
    cost = reach[order] * sc.clients.hours_per_need * loaded_cost(model) + coordination_cost(model, p.form, False)
    # asked in that order; the first who accepts joins (each charity decides by its own class's rule)
    j = next((int(cand[order[k]]) for k in range(cand.size)
              if model.charity(int(cand[order[k]])).joins_partnership(contract, float(money[k]), float(cost[k]),
                                                                        float(ties[order[k]]))), None)
    if j is None:
        return
    p.add_member(j)
    p.routes.add(j)  # brought in for these clients' needs: the lead makes it the route for them
    scale = len(contract.shares) / (len(contract.shares) + 1)
    for m in contract.shares:
        contract.shares[m] *= scale
    contract.shares[j] = total * (1.0 - scale)
    a, b = model.network.pairs_within(np.asarray(p.members))
    model.network.add_contact(a, b, managerial=sc.relationships.managerial_growth)
    # the newcomer's staff meet the members' at an induction, as the founders' did (form_partnership)
    others = np.asarray([m for m in p.members if m != j], dtype=np.int64)
    model.network.add_contact(np.full(others.size, j, dtype=np.int64), others, frontline=sc.relationships.training_boost)
    model.counters["reorganisations"] += 1


def _added_monitoring(model: PartnershipModel, contract, p, rows: np.ndarray | None = None) -> float:
    """Monitoring hours one more delivering partner adds to the contract: with a system per partner, its
    own returns duplicate part of the contract's (:func:`sim.rules.monitoring_hours`); none with a standard."""
    s, c = model.sector, model.scenario.commissioning
    if p.standard_monitoring:
        return 0.0
    if rows is None:
        rows = contract_rows(model, [contract.cid])[contract.cid]
    k = sum(1 for m in contract.delivering if s.alive[m])
    per_client = c.monitoring_hours * (c.grant_monitoring if contract.commissioner.grant else 1.0)
    return (rules.monitoring_hours(rows.size, per_client, k + 1, True, c.duplication)
            - rules.monitoring_hours(rows.size, per_client, k, True, c.duplication))


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
