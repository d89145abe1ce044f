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

from .rules import search_chance, horizon_factor, partnership_form  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .partnerships import Partnership
    from .model import PartnershipModel


# --------------------------------------------------------------- formation

def form_partnership(model: PartnershipModel, members: list[int], lead: int, commissioned: bool,
                     joint_service: tuple[int, int] | None = None) -> Partnership:
    """Create a partnership; its members meet at an induction (joint training)."""
    from .partnerships import Partnership

    sc = model.scenario
    s = model.sector
    others = [m for m in members if m != lead]
    co_located = commissioned and sc.partnership.co_location and len(members) >= 2
    form = partnership_form(len(members), commissioned, co_located, int(s.band[lead]),
                            int(max((s.band[m] for m in others), default=-1)))
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
    shares_place = (s.presence & s.presence[i]).any(axis=1)
    complementary = (s.specialisms & ~s.specialisms[i]).any(axis=1)
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
    """Partners spend staff time on their relationships: governance, co-location, joint training."""
    sc = model.scenario
    r = sc.relationships
    s = model.sector
    s.relationship_hours[:] = 0.0
    engagement = sc.statutory.engagement
    all_a, all_b, all_m, all_f = [], [], [], []
    for p in model.partnerships:
        if not p.active or p.size < 2:
            continue
        members = np.asarray(p.members)
        if p.contracts:
            months_left = max(c.end - model.month for c in p.contracts)
            horizon = horizon_factor(months_left, sc.system.horizon_months)
            buy_in = 0.5 + 0.5 * engagement
        else:
            horizon, buy_in = 0.5, 1.0
        a, b = model.network.pairs_within(members)
        frontline = 0.0
        if p.co_located:
            frontline += r.co_location_growth
        if p.joint_service is not None:
            frontline += r.frontline_growth  # running a group together
        if p.joint_training_months and (model.month - p.formed) % p.joint_training_months == 0 and model.month > p.formed:
            frontline += r.training_boost
        all_a.append(a)
        all_b.append(b)
        all_m.append(np.full(a.size, r.managerial_growth * horizon * buy_in))
        all_f.append(np.full(a.size, frontline))
        s.relationship_hours[members] += r.investment_hours * horizon
    if all_a:
        model.network.add_contact(np.concatenate(all_a), np.concatenate(all_b),
                                  managerial=np.concatenate(all_m), frontline=np.concatenate(all_f))


# --------------------------------------------------------------- losses

def remove_member(model: PartnershipModel, charity: int) -> None:
    """A charity has closed: partnerships reorganise around the loss (or cannot)."""
    from .tendering import assemble

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
                # a flexible funder lets the partnership bring in a replacement
                taken = set(p.members)
                grown = assemble(model, p.lead, contract.lot, contract.domains, taken, start=list(p.members))
                newcomers = [m for m in grown if m not in taken]
                if newcomers:
                    p.members.append(newcomers[0])
                    contract.shares[newcomers[0]] = share
                    model.counters["reorganisations"] += 1
                else:
                    contract.shares[p.lead] = contract.shares.get(p.lead, 0.0) + share
            if not contract.shares:
                contract.end = model.month + 1  # nobody left to deliver: re-tender next month
        if p.size < 2 and not p.contracts:
            p.active = False
        if p.size == 0:
            p.active = False
