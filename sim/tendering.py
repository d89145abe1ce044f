"""Tendering: re-tender or roll over, bid formation, bid scoring and award.

Submodel "Tendering" of the ODD. When a contract ends, its commissioner either
rolls it over to the incumbent or tests the market (Inspire: "rather than
continuing existing funding arrangements, the new Community Rehabilitation
Company took the opportunity ... to test the market"). At a market test,
partners may defect to a rival bid, which damages their ties; charities bid
alone, lead a bid or join one as subcontractors; bids are scored on price,
quality, track record and knowledge of existing provision ("before
commissioning, understand what you have"); the winner's partners are kept only
while the contract can fund them (Inspire at half value: "the multi-partner
format was no longer viable").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .rules import defection_chance, bid_score, price_score, viable_shares  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .agents import Commissioner
    from .partnerships import Contract, Partnership
    from .model import PartnershipModel


# --------------------------------------------------------------- bids

@dataclass
class Bid:
    """A bid for a lot: members, lead, the partnership bidding (if an existing one), score, eligibility."""
    members: list[int]
    lead: int
    partnership: Partnership | None = None  # an existing partnership bidding as itself
    score: float = -np.inf
    eligible: bool = False


def coverage(model: PartnershipModel, members: list[int], lot: np.ndarray, domains: np.ndarray) -> tuple[float, float]:
    """Share of the lot's localities and of the contract's domains the members cover."""
    s = model.sector
    idx = np.asarray(members)
    loc = s.presence[np.ix_(idx, lot)].any(axis=0).mean()
    dom = (s.specialisms[idx][:, domains].any(axis=0).mean()) if domains.any() else 1.0
    return float(loc), float(dom)


def assemble(model: PartnershipModel, lead: int, lot: np.ndarray, domains: np.ndarray,
             taken: set[int], start: list[int] | None = None) -> list[int]:
    """Grow a bid from its lead by adding partners with complementary resources.

    Greedy: each step adds the free charity that covers most of what is still
    missing (localities of the lot, then domains), preferring charities the
    members already know (managerial ties).
    """
    s, p = model.sector, model.scenario.partnership
    members = list(start or [lead])
    if not p.enabled:
        return members
    free = s.alive.copy()
    free[list(taken | set(members))] = False
    cand = np.flatnonzero(free & s.presence[:, lot].any(axis=1))
    if cand.size == 0:
        return members
    pres = s.presence[np.ix_(cand, lot)]
    spec = s.specialisms[cand][:, domains]
    while len(members) < p.max_partners:
        have_loc = s.presence[np.ix_(members, lot)].any(axis=0)
        have_dom = s.specialisms[members][:, domains].any(axis=0)
        if have_loc.all() and have_dom.all():
            break
        gain = (pres & ~have_loc).sum(axis=1) / max(lot.size, 1) + (spec & ~have_dom).sum(axis=1) / max(domains.sum(), 1)
        if gain.max() <= 0:
            break
        ties = model.network.strength(np.full(cand.size, lead), cand, "managerial")
        best = int(np.argmax(gain * (1.0 + ties) + 1e-9 * model.rng.random(cand.size)))
        members.append(int(cand[best]))
        gain_mask = np.ones(cand.size, bool)
        gain_mask[best] = False
        cand, pres, spec = cand[gain_mask], pres[gain_mask], spec[gain_mask]
        if cand.size == 0:
            break
    return members


def fit(model: PartnershipModel, lot: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """How well each charity could lead a bid for this lot (0 if it cannot)."""
    s = model.sector
    loc = s.presence[:, lot].mean(axis=1)
    dom = s.specialisms[:, domains].mean(axis=1)
    return np.where(s.alive & (s.band >= 1), loc * (0.5 + dom) * (1 + s.band), 0.0)


# --------------------------------------------------------------- process

def tender(model: PartnershipModel, commissioner: Commissioner, lot_index: int, previous: Contract | None) -> Contract | None:
    """Re-tender (or first tender) one lot; returns the new contract, if any bid was eligible."""
    sc = model.scenario
    c = sc.commissioning
    lot = commissioner.lots[lot_index]
    domains = commissioner.domains
    if previous is None or previous.funding_at_start <= 0:
        value = commissioner.monthly_budget() / len(commissioner.lots)
    else:
        value = previous.value * (1.0 + c.value_change_at_retender) * model.funding_factor() / previous.funding_at_start
    value = max(value, 0.0)
    incumbent = previous.holder if previous is not None else None

    if incumbent is not None and commissioner.retender_mode == "rollover":
        alive = [m for m in incumbent.members if model.sector.alive[m]]
        if alive:
            return award(model, commissioner, lot_index, value, Bid(alive, incumbent.lead if incumbent.lead in alive else alive[0], incumbent), previous)

    bids: list[Bid] = []
    taken: set[int] = set()
    if incumbent is not None and incumbent.active:
        defectors = defect(model, incumbent, c.value_change_at_retender)
        loyal = [m for m in incumbent.members if model.sector.alive[m]]
        if loyal:
            lead = incumbent.lead if incumbent.lead in loyal else loyal[0]
            bids.append(Bid(loyal, lead, incumbent))
            taken |= set(loyal)
        if defectors:
            rival_lead = max(defectors, key=lambda m: model.sector.base_income[m])
            taken |= set(defectors)
            bids.append(Bid(assemble(model, rival_lead, lot, domains, taken, start=[rival_lead, *[d for d in defectors if d != rival_lead]]), rival_lead))
            taken |= set(bids[-1].members)

    # existing informal partnerships with presence in the lot bid as themselves
    for p in model.partnerships:
        if p.active and p.form == "informal" and p.size >= 2 and not (set(p.members) & taken):
            if model.sector.presence[np.ix_(p.members, lot)].any():
                members = assemble(model, p.lead, lot, domains, taken, start=list(p.members))
                bids.append(Bid(members, p.lead, p))
                taken |= set(members)
        if len(bids) >= 4:
            break

    # new bids from the charities that fit the lot best
    score = fit(model, lot, domains)
    if taken:
        score[list(taken)] = 0.0
    for lead in np.argsort(-score)[:3]:
        if score[lead] <= 0 or lead in taken:
            continue
        lead = int(lead)
        loc, dom = coverage(model, [lead], lot, domains)
        alone_ok = loc >= c.min_coverage and dom >= 1.0 and not commissioner.partnership_required
        members = [lead] if alone_ok or not sc.partnership.enabled else assemble(model, lead, lot, domains, taken)
        bids.append(Bid(members, lead))
        taken |= set(members)

    best: Bid | None = None
    required_hours = value / sc.sector.hourly_cost
    for bid in bids:
        loc, dom = coverage(model, bid.members, lot, domains)
        bid.eligible = loc >= c.min_coverage and dom >= 0.5 and (len(bid.members) >= 2 or not commissioner.partnership_required)
        if not bid.eligible:
            continue
        hours = model.sector.staff_hours[bid.members].sum()
        quality = loc * dom * min(1.0, hours / max(required_hours, 1e-9))
        track = float(model.sector.track_record[bid.members].mean())
        existing = 0.0
        if previous is not None and previous.shares:
            prior = set(previous.shares)
            existing = len(prior & set(bid.members)) / len(prior)
        price = price_score(int(model.sector.band[bid.lead]), len(bid.members), float(model.rng.normal(0, c.price_noise)),
                            c.price_scale_discount, c.price_coordination_cost)
        bid.score = bid_score(price, quality, track, existing, c.price_weight, c.quality_weight,
                              c.track_record_weight, c.incumbency_weight) + float(model.rng.normal(0, c.score_noise))
        if best is None or bid.score > best.score:
            best = bid
    if best is None:
        return None
    return award(model, commissioner, lot_index, value, best, previous)


def defect(model: PartnershipModel, partnership: Partnership, value_change: float) -> list[int]:
    """Market test: each non-lead partner decides whether to bid outside the partnership."""
    if partnership.size < 2:
        return []
    defectors = []
    for m in list(partnership.members):
        if m == partnership.lead or not model.sector.alive[m]:
            continue
        tie = float(model.network.strength(m, partnership.lead, "managerial")[0])
        if model.rng.random() < model.charity(m).defection_chance(tie, value_change):
            defectors.append(m)
    for m in defectors:
        partnership.members.remove(m)
        rest = np.asarray(partnership.members)
        model.network.damage(np.full(rest.size, m), rest)
    model.counters["defections"] += len(defectors)
    return defectors


def award(model: PartnershipModel, commissioner: Commissioner, lot_index: int, value: float,
          bid: Bid, previous: Contract | None) -> Contract:
    """Give the contract to the winning bid, keeping only the partners it can fund."""
    from .partnering import form_partnership
    from .partnerships import Contract

    sc = model.scenario
    lot = commissioner.lots[lot_index]
    s = model.sector
    contributions = {m: 1.0 + float((s.specialisms[m] & commissioner.domains).sum()) + float(s.presence[m, lot].sum()) for m in bid.members}
    min_share = sc.commissioning.post_cost * sc.commissioning.min_post_months
    # the specification (caseload) is set at the first tender and follows the funding trend,
    # not the value change at re-tender: a cheaper contract buys the same core service
    if previous is None or previous.funding_at_start <= 0:
        spec_value = value
    else:
        spec_value = previous.spec_value * model.funding_factor() / previous.funding_at_start
    shares = viable_shares(value, bid.lead, contributions, sc.partnership.lead_core_share * spec_value, min_share)
    holder = bid.partnership
    if holder is None or not holder.active:
        holder = form_partnership(model, list(shares), bid.lead, commissioned=True)
    else:
        dropped = [m for m in holder.members if m not in shares]
        for m in dropped:
            holder.members.remove(m)
        for m in shares:
            if m not in holder.members:
                holder.members.append(m)
        if holder.form == "informal":
            holder.form = "single" if holder.size == 1 else "consortium"
            holder.joint_service = None
        holder.lead = bid.lead
    served = model.clients.contract == previous.cid if previous is not None else None
    if previous is not None:
        end_contract(model, previous, successor_holder=holder)
    contract = Contract(
        cid=model.next_id("contract"), commissioner=commissioner, lot=lot, domains=commissioner.domains,
        value=value, start=model.month, end=model.month + commissioner.contract_months, holder=holder, shares=shares,
        lot_index=lot_index, funding_at_start=model.funding_factor(), spec_value=spec_value,
    )
    holder.contracts.append(contract)
    commissioner.contracts.append(contract)
    model.contracts[contract.cid] = contract
    if served is not None:
        model.clients.contract[served] = contract.cid  # clients stay with the lot's new provider
    for m in shares:
        s.track_record[m] = min(1.0, s.track_record[m] + 0.05)
    return contract


def end_contract(model: PartnershipModel, contract: Contract, successor_holder: Partnership | None = None) -> None:
    """Close a contract; its holder dissolves if left with nothing to hold it together."""
    contract.active = False
    commissioner = contract.commissioner
    if contract in commissioner.contracts:
        commissioner.contracts.remove(contract)
    holder = contract.holder
    if contract in holder.contracts:
        holder.contracts.remove(contract)
    model.contracts.pop(contract.cid, None)
    if holder is not successor_holder and not holder.contracts and holder.form != "informal":
        holder.active = False
    model.clients.contract[model.clients.contract == contract.cid] = -1


def retender_due(model: PartnershipModel) -> None:
    """Every lot whose contract ends (or whose first tender is due) is rolled over or tendered now."""
    for contract in list(model.contracts.values()):
        if contract.end <= model.month and contract.active:
            model.tender_queue.append((model.month, contract.commissioner, contract.lot_index, contract))
    due = [t for t in model.tender_queue if t[0] <= model.month]
    model.tender_queue = [t for t in model.tender_queue if t[0] > model.month]
    for _, commissioner, lot_index, previous in due:
        if previous is not None and not previous.active:
            previous = None
        won = tender(model, commissioner, lot_index, previous)
        if won is None:
            if previous is not None:
                end_contract(model, previous)
            model.tender_queue.append((model.month + 6, commissioner, lot_index, None))
