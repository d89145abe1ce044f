"""Tendering: re-tender or roll over, bid formation, bid scoring and award.

Submodel "Tendering" of the ODD. When a contract ends, its commissioner either
rolls it over to the incumbent or tests the market (Inspire: "rather than
continuing existing funding arrangements, the new Community Rehabilitation
Company took the opportunity ... to test the market"). At a market test,
partners may defect to a rival bid, which damages their ties; charities bid
alone, lead a bid or join one as subcontractors; bids are scored on price,
quality, track record and knowledge of existing provision ("before
commissioning, understand what you have").

Charities choose at every step (each choice a method of
:class:`~sim.agents.Charity` a subclass can override): whether to bid, to lead
or to join; whether to accept an invitation to a bid; whether to stay in a
partnership or defect at a market test; and, as a lead, how much of the work
to subcontract. Their rules weigh the money against the cost of the work
(:func:`sim.rules.subsidy_needed`, :func:`sim.rules.free_funds`), so a contract
cut in value with the same specification loses the partners who cannot carry
its cost (Inspire at half value: "the multi-partner format was no longer
viable").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .rules import (bid_intent, bid_score, coordination_hours, defection_chance, free_funds,  # noqa: F401  (pure rules, re-exported)
                    partnership_form, price_score, subsidy_needed)

if TYPE_CHECKING:
    from .agents import Commissioner
    from .partnerships import Contract, Partnership
    from .model import PartnershipModel


# --------------------------------------------------------------- the lot on offer

@dataclass
class Lot:
    """What a tender offers: the facts a charity weighs when it decides whether and how to bid."""

    commissioner: Commissioner
    index: int
    places: np.ndarray
    domains: np.ndarray
    value: float            # pounds a month
    spec_value: float       # the specification's value in today's funding (sets the caseload)
    caseload: int           # clients the specification asks the holder to support
    cost: float             # full cost of that caseload, pounds a month
    months: int             # contract length

    @property
    def shortfall(self) -> float:
        """What the holders must add from their own money each month to deliver the specification."""
        return max(self.cost - self.value, 0.0)


def offer(model: PartnershipModel, commissioner: Commissioner, lot_index: int, previous: Contract | None) -> Lot:
    """The lot as tendered now: its value after the funding trend and any value change at re-tender."""
    from .delivery import per_client_price

    sc = model.scenario
    c = sc.commissioning
    if previous is None or previous.funding_at_start <= 0:
        value = commissioner.monthly_budget() / len(commissioner.lots)
        spec_value = value
    else:
        trend = model.funding_factor() / previous.funding_at_start
        value = previous.value * (1.0 + c.value_change_at_retender) * trend
        spec_value = previous.spec_value * trend
    value = max(value, 0.0)
    caseload = int(spec_value / max(per_client_price(model), 1e-9))
    cost = caseload * model.mean_needs * sc.clients.hours_per_need * loaded_cost(model)
    return Lot(commissioner, lot_index, commissioner.lots[lot_index], commissioner.domains, value, spec_value,
               caseload, cost, commissioner.contract_months)


def loaded_cost(model: PartnershipModel) -> float:
    """Cost of one staff hour with its variable overhead, pounds."""
    sec = model.scenario.sector
    return sec.hourly_cost * (1.0 + sec.overhead_share)


def bid_cost(model: PartnershipModel, lot: Lot, share: float) -> float:
    """Cost of preparing a bid, spread over the contract's months, pounds a month."""
    return model.scenario.commissioning.bid_cost_months * share * lot.value / max(lot.months, 1)


def coordination_cost(model: PartnershipModel, form: str, lead: bool) -> float:
    """Monthly cost of a member's partnership work in a commissioned form, pounds."""
    return coordination_hours(model.scenario.partnership.coordination_hours, form, lead) * loaded_cost(model)


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
    idx = np.asarray(members, dtype=np.int64)  # an empty list too
    loc = s.presence[idx][:, lot].any(axis=0).mean()
    dom = (s.specialisms[idx][:, domains].any(axis=0).mean()) if domains.any() else 1.0
    return float(loc), float(dom)


def eligible(model: PartnershipModel, lot: Lot, members: list[int],
             places: float | None = None) -> tuple[bool, float, float]:
    """Whether ``members`` may hold the lot (the commissioner's rule for a bid, and for a roll-over):
    they cover ``commissioning.min_coverage`` of its places (``places`` instead, if given) and half its
    funded needs, and are a partnership if the commissioner requires one. Returns (eligible, place coverage,
    need coverage)."""
    loc, dom = coverage(model, members, lot.places, lot.domains)
    need = model.scenario.commissioning.min_coverage if places is None else places
    ok = loc >= need and dom >= 0.5 and (
        len(members) >= 2 or not lot.commissioner.partnership_required)
    return ok, loc, dom


def fit(model: PartnershipModel, lot: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """How much of the lot each charity covers itself: places times needs (0 for closed charities)."""
    s = model.sector
    loc = s.presence[:, lot].mean(axis=1)
    dom = s.specialisms[:, domains].mean(axis=1) if domains.any() else np.ones(s.n)
    return np.where(s.alive, loc * dom, 0.0)


def charity_free_funds(model: PartnershipModel) -> np.ndarray:
    """Own money each charity could put into a contract each month (:func:`sim.rules.free_funds`)."""
    key = (model.month, model.counters["exits"])
    if model.cache.get("free_funds_key") != key:  # finance changes them once a month
        s = model.sector
        model.cache["free_funds"] = free_funds(s.own_funds * model.other_income_factor(), s.reserves,
                                               s.reserves_target, model.scenario.commissioning.contract_months)
        model.cache["free_funds_key"] = key
    return model.cache["free_funds"]


def intentions(model: PartnershipModel, lot: Lot, taken: set[int]) -> np.ndarray:
    """Each charity's choice for this lot: 2 lead, 1 join, 0 stay out.

    The default rule (:func:`sim.rules.bid_intent`) is applied to all
    charities at once; a charity whose class overrides
    :meth:`~sim.agents.Charity.bid_intent` is asked itself.
    """
    from .agents import Charity, overrides_rule

    s, sc = model.sector, model.scenario
    f = fit(model, lot.places, lot.domains)
    share_core = sc.partnership.lead_core_share if sc.partnership.enabled else 1.0
    # a lead delivers what the money buys; it must carry its coordination and the cost of bidding
    lead_cost = coordination_cost(model, "alliance", True) + bid_cost(model, lot, share_core)
    # a partner's part of the work follows the share of the lot's places and needs it brings
    places = s.presence[:, lot.places].sum(axis=1)
    needs = s.specialisms[:, lot.domains].sum(axis=1)
    access = np.where(s.alive, places / max(lot.places.size, 1), 0.0)
    part = max(1.0 - share_core, 0.0) * (places + needs) / max(lot.places.size + int(lot.domains.sum()), 1)
    absorbed = sc.partnership.subsidy_tolerance * part * lot.cost
    join_cost = np.maximum(part * lot.shortfall - absorbed, 0.0) + coordination_cost(model, "alliance", False) \
        + bid_cost(model, lot, 1.0) * part
    funds = charity_free_funds(model)
    intent = bid_intent(f, access, funds, lead_cost, join_cost, sc.partnership.enabled)
    if taken:
        intent[list(taken)] = 0
    if any(overrides_rule(cls, Charity, "bid_intent") for cls in model.charity_classes):
        for i in np.flatnonzero(s.alive & (access > 0)):
            agent = model.charity(int(i))
            if overrides_rule(type(agent), Charity, "bid_intent") and int(i) not in taken:
                intent[i] = agent.bid_intent(lot, float(f[i]), float(access[i]), float(funds[i]), lead_cost,
                                             float(join_cost[i]))
    return np.where(s.alive, intent, 0)


def assemble(model: PartnershipModel, lead: int, lot: Lot, taken: set[int], willing: np.ndarray,
             start: list[int] | None = None) -> list[int]:
    """Grow a bid from its lead by inviting partners with complementary resources.

    Greedy: each step invites the free, willing charity that covers most of
    what is still missing (places of the lot, needs of the contract), or, when
    the lead subcontracts for capacity, adds most hours; charities the members
    know (managerial ties) first. The invited charity accepts or refuses
    (:meth:`~sim.agents.Charity.accepts_invitation`).

    Money buys capacity: the partners' money (the contract's value beyond the
    lead's core money) funds posts, at the loaded hourly cost, whoever
    delivers it. So partners are sought for capacity only for the work the
    money does not fund, which must come from partners' existing hours: a
    fully funded contract needs partners for its places and needs, not for
    its hours.
    """
    s, p = model.sector, model.scenario.partnership
    members = list(start or [lead])
    if not p.enabled:
        return members
    free = s.alive & willing
    free[list(taken | set(members))] = False
    cand = np.flatnonzero(free & s.presence[:, lot.places].any(axis=1))
    if cand.size == 0:
        return members
    pres = s.presence[cand][:, lot.places]
    spec = s.specialisms[cand][:, lot.domains]
    need_hours = lot.caseload * model.mean_needs * model.scenario.clients.hours_per_need
    sub = model.charity(lead).subcontract_share(lot, float(s.staff_hours[lead]), need_hours)
    # the partners' money funds posts (:func:`funded_partner_hours`); only the rest must come from their staff
    hours_wanted = max(sub * need_hours - funded_partner_hours(model, lot), 0.0)
    refused = np.zeros(cand.size, dtype=bool)
    # the lead's estimate of the partners the bid needs: one per missing need or place, or for capacity
    have_loc0 = s.presence[members][:, lot.places].any(axis=0)
    have_dom0 = s.specialisms[members][:, lot.domains].any(axis=0)
    expected_partners = max(int((~have_loc0).sum() + (~have_dom0).sum()), 1 if sub > 0 else 0, len(members) - 1, 1)
    expected = max(1.0 - p.lead_core_share, 0.0) / expected_partners
    ties = model.network.strength(np.full(cand.size, lead), cand, "managerial")  # no tie changes while a bid grows
    # what the members cover, kept up to date as partners join (the same as recomputing it from the members)
    have_loc, have_dom = have_loc0.copy(), have_dom0.copy()
    n_places, n_domains = max(lot.places.size, 1), max(lot.domains.sum(), 1)
    capable = spec.any(axis=1) & pres.any(axis=1)  # adds capacity when the bid is short of hours
    while len(members) < p.max_partners:
        partner_hours = float(s.staff_hours[[m for m in members if m != lead]].sum()) if len(members) > 1 else 0.0
        short = partner_hours < hours_wanted
        if have_loc.all() and have_dom.all() and not short:
            break
        gain = (pres & ~have_loc).sum(axis=1) / n_places + (spec & ~have_dom).sum(axis=1) / n_domains
        if short:
            gain = gain + capable * 0.5
        gain = np.where(refused, 0.0, gain)
        if gain.max() <= 0:
            break
        best = int(np.argmax(gain * (1.0 + ties) + 1e-9 * model.rng.random(cand.size)))
        j = int(cand[best])
        if model.charity(j).accepts_invitation(lot, lead, expected, float(ties[best])):
            members.append(j)
            have_loc |= pres[best]
            have_dom |= spec[best]
            keep = np.ones(cand.size, bool)
            keep[best] = False
            cand, pres, spec, refused, ties = cand[keep], pres[keep], spec[keep], refused[keep], ties[keep]
            capable = capable[keep]
        else:
            refused[best] = True
            model.counters["refusals"] += 1
        if cand.size == 0:
            break
    return members


def lead_money(model: PartnershipModel, value: float, spec_value: float) -> float:
    """The lead's money for the specification's core case-work: ``lead_core_share`` of the specification's
    value, at most the contract's (at the award, :func:`split_caseload`, and at a rebalance)."""
    return min(value, model.scenario.partnership.lead_core_share * spec_value)


def funded_partner_hours(model: PartnershipModel, lot: Lot) -> float:
    """Staff hours a month the partners' money (the lot's value beyond the lead's core money, as at the award
    in :func:`split_caseload`) pays for at the loaded hourly cost: posts the contract funds."""
    return max(lot.value - lead_money(model, lot.value, lot.spec_value), 0.0) / loaded_cost(model)


# --------------------------------------------------------------- process

def tender(model: PartnershipModel, commissioner: Commissioner, lot_index: int, previous: Contract | None) -> Contract | None:
    """Re-tender (or first tender) one lot; returns the new contract, if any bid was eligible."""
    lot = offer(model, commissioner, lot_index, previous)
    if lot.value <= 0.0 or lot.caseload <= 0:
        return None  # no contract is awarded at zero value
    incumbent = previous.holder if previous is not None else None
    if incumbent is not None:  # the partners who face this re-tender together (whose ties a market test can damage)
        model.network.mark_retendered([m for m in incumbent.members if model.sector.alive[m]])
    if incumbent is not None and commissioner.retender_mode == "rollover":
        won = rollover(model, lot, incumbent, previous)
        if won is not None:
            return won
    bids = collect_bids(model, lot, incumbent, previous)
    if score_bids(model, lot, bids, previous) is None:
        bid = negotiate(model, lot, bids)
        return None if bid is None else award(model, lot, bid, previous)
    # the best eligible bid wins, unless partners' withdrawals at the award leave it unable to reach the
    # lot's places; then the next (ties keep the order the bids were made in). If every bid is left so,
    # the best is awarded as it stands: the commissioner still places the service.
    best = None
    for bid in sorted((b for b in bids if b.eligible), key=lambda b: -b.score):
        shares = split_caseload(model, lot, bid, previous)  # partners who decline count as withdrawals
        if delivers_in_places(model, lot, list(shares)):
            return award(model, lot, bid, previous, shares)
        best = best or (bid, shares)
    return award(model, lot, best[0], previous, best[1])


def negotiate(model: PartnershipModel, lot: Lot, bids: list[Bid]) -> Bid | None:
    """When no bid is eligible, the commissioner negotiates with the bid that comes nearest: among the bids
    the commissioner's rule would take at half the lot's places (:func:`eligible`), the one with the largest
    place coverage times need coverage (the first made, on a tie). It is awarded the lot as it stands, as a
    bid slimmed by withdrawals is (:func:`tender`): the commissioner still places the service where it can.
    None if no bid comes near (then the lot is tendered again later)."""
    best, best_cover = None, -1.0
    for bid in bids:
        near, loc, dom = eligible(model, lot, bid.members, places=0.5)
        if near and loc * dom > best_cover:
            best, best_cover = bid, loc * dom
    return best


def delivers_in_places(model: PartnershipModel, lot: Lot, members: list[int]) -> bool:
    """Whether the members left after withdrawals still cover ``commissioning.min_coverage`` of the lot's
    places: a commissioner awards a slimmed-down bid that meets fewer needs (Inspire at half value, "now
    delivered by only two agencies") but not one that cannot reach the places it is for."""
    return coverage(model, members, lot.places, lot.domains)[0] >= model.scenario.commissioning.min_coverage


def rollover(model: PartnershipModel, lot: Lot, incumbent: Partnership, previous: Contract) -> Contract | None:
    """Roll the contract over to the incumbent, if it can still hold the lot and its lead wants it on the new terms.

    Where partners have closed or left, the lead first invites new ones for the places and needs they
    covered (:func:`assemble`); a holder that still does not cover the lot is not renewed (the
    commissioner tests the market instead), nor is one whose partners' withdrawals at the new terms
    leave it unable to reach the lot's places."""
    alive = [m for m in incumbent.members if model.sector.alive[m]]
    if not alive:
        return None
    lead = incumbent.lead if incumbent.lead in alive else alive[0]
    if not eligible(model, lot, alive)[0]:
        willing = intentions(model, lot, set()) >= 1
        alive = assemble(model, lead, lot, set(), willing, start=alive)
        if not eligible(model, lot, alive)[0]:
            return None
    funds = charity_free_funds(model)
    cost = coordination_cost(model, incumbent.form, True)
    if not model.charity(lead).accepts_share(lot, 1.0, float(funds[lead]), cost):
        return None  # the incumbent walks away; the lot goes to the market
    bid = Bid(alive, lead, incumbent)
    shares = split_caseload(model, lot, bid, previous)
    if not delivers_in_places(model, lot, list(shares)):
        return None  # partners who cannot carry the new terms withdrew and the rest no longer reach the lot
    return award(model, lot, bid, previous, shares)


def collect_bids(model: PartnershipModel, lot: Lot, incumbent: Partnership | None, previous: Contract | None) -> list[Bid]:
    """The bids for a lot put to the market: the incumbent's and its defectors', informal partnerships', new ones."""
    sc = model.scenario
    bids: list[Bid] = []
    taken: set[int] = set()
    intent = intentions(model, lot, taken)
    willing = intent >= 1
    if incumbent is not None and incumbent.active:
        defectors = defect(model, incumbent, sc.commissioning.value_change_at_retender)
        loyal = [m for m in incumbent.members if model.sector.alive[m]]
        if loyal:  # the incumbent bids again, inviting partners for the places and needs it has lost
            lead = incumbent.lead if incumbent.lead in loyal else loyal[0]
            if not eligible(model, lot, loyal)[0]:
                loyal = assemble(model, lead, lot, taken, willing, start=loyal)
            bids.append(Bid(loyal, lead, incumbent))
            taken |= set(loyal)
        if defectors:
            rival_lead = max(defectors, key=lambda m: model.sector.base_income[m])
            taken |= set(defectors)
            bids.append(Bid(assemble(model, rival_lead, lot, taken, willing,
                                     start=[rival_lead, *[d for d in defectors if d != rival_lead]]), rival_lead))
            taken |= set(bids[-1].members)

    # existing informal partnerships with presence in the lot bid as themselves, if their lead wants to
    for p in model.partnerships:
        if p.informal and not (set(p.members) & taken) and intent[p.lead] >= 1:
            if model.sector.presence[np.ix_(p.members, lot.places)].any():
                members = assemble(model, p.lead, lot, taken, willing, start=list(p.members))
                bids.append(Bid(members, p.lead, p))
                taken |= set(members)
        if len(bids) >= sc.commissioning.max_bids:
            break

    # new bids from the charities that choose to lead, the most able first
    leads = np.flatnonzero(intent == 2)
    leads = leads[~np.isin(leads, list(taken))] if taken else leads
    ability = fit(model, lot.places, lot.domains)[leads] * (1.0 + model.sector.staff_hours[leads])
    for lead in leads[np.argsort(-ability, kind="stable")]:
        if len(bids) >= sc.commissioning.max_bids:
            break
        lead = int(lead)
        if lead in taken:
            continue
        loc, dom = coverage(model, [lead], lot.places, lot.domains)
        alone_ok = loc >= sc.commissioning.min_coverage and dom >= 1.0 and not lot.commissioner.partnership_required
        members = [lead] if alone_ok and model.charity(lead).subcontract_share(
            lot, float(model.sector.staff_hours[lead]), lot.caseload * model.mean_needs * sc.clients.hours_per_need) <= 0 \
            else assemble(model, lead, lot, taken, willing)
        bids.append(Bid(members, lead))
        taken |= set(members)
    return bids


def existing_provision(model: PartnershipModel, members: list[int], lot: Lot, previous: Contract | None,
                       serving: np.ndarray | None = None) -> float:
    """Share of the lot's current clients whose charity is in the bid ("understand what you have").

    ``serving`` is :func:`lot_providers`' answer for the lot, when the caller has it (one per lot, not per bid).
    """
    if serving is None:
        serving = lot_providers(model, lot)
    if serving.size == 0:
        if previous is not None and previous.shares:
            return len(set(previous.shares) & set(members)) / len(previous.shares)
        return 0.0
    in_bid = np.zeros(model.sector.n, dtype=bool)
    in_bid[members] = True
    return float(in_bid[serving].mean())


def lot_providers(model: PartnershipModel, lot: Lot) -> np.ndarray:
    """The charity of each supported client in the lot's places who needs one of its domains."""
    cl = model.clients
    in_lot = np.zeros(model.sector.presence.shape[1], dtype=bool)  # look-up tables: np.isin sorts every call
    in_lot[lot.places] = True
    here = in_lot[cl.locality] & ((cl.need_bits & lot.commissioner.domain_bits) != 0)
    return cl.provider[here & (cl.provider >= 0)]


def score_bids(model: PartnershipModel, lot: Lot, bids: list[Bid], previous: Contract | None) -> Bid | None:
    """Score the eligible bids; independent grant funders do not compete on price."""
    c = model.scenario.commissioning
    s = model.sector
    best: Bid | None = None
    required_hours = lot.caseload * model.mean_needs * model.scenario.clients.hours_per_need
    price_w = 0.0 if lot.commissioner.grant else c.price_weight
    if not bids:
        return None
    serving = lot_providers(model, lot)  # who serves the lot's clients now, the same for every bid
    for bid in bids:
        bid.eligible, loc, dom = eligible(model, lot, bid.members)
        if not bid.eligible:
            continue
        hours = s.staff_hours[bid.members].sum() + s.volunteer_hours[bid.members].sum()
        quality = loc * dom * min(1.0, hours / max(required_hours, 1e-9))
        track = float(s.track_record[bid.members].mean())
        existing = existing_provision(model, bid.members, lot, previous, serving)
        price = price_score(int(s.band[bid.lead]), len(bid.members), float(model.rng.normal(0, c.price_noise)),
                            c.price_scale_discount, c.price_coordination_cost)
        bid.score = bid_score(price, quality, track, existing, price_w, c.quality_weight,
                              c.track_record_weight, c.incumbency_weight) + float(model.rng.normal(0, c.score_noise))
        if best is None or bid.score > best.score:
            best = bid
    return best


def defect(model: PartnershipModel, partnership: Partnership, value_change: float) -> list[int]:
    """Market test: each non-lead partner decides whether to stay or to bid outside the partnership."""
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


def has_lot_work(model: PartnershipModel, lot: Lot, members: list[int]) -> np.ndarray:
    """Whether each member has work to expect in the lot: in a place of the lot where it works, some client
    needs one of the lot's domains that the member meets (closed members have none).

    What a partnership can plan on at the award, before the contract's clients are known (the
    flexible rebalance later pays by the work actually done, :func:`sim.partnering.contract_work`).
    """
    from .partnering import place_demand

    s, cl = model.sector, model.clients
    idx = np.asarray(members, dtype=np.int64)
    if idx.size == 0 or len(cl) == 0:
        return np.zeros(idx.size, dtype=bool)
    demand = place_demand(model)
    needed = demand[lot.places][:, lot.domains] > 0  # (places, domains)
    can = s.presence[idx][:, lot.places][:, :, None] & s.specialisms[idx][:, None, lot.domains]
    return s.alive[idx] & (can & needed[None]).any(axis=(1, 2))


def split_caseload(model: PartnershipModel, lot: Lot, bid: Bid, previous: Contract | None = None) -> dict[int, float]:
    """Each member's share of the contract's money; members who cannot carry their part drop out.

    The lead keeps the specification's core case-work, ``lead_core_share`` of
    the work, and the money the specification sets for it (all of it alone);
    the rest of the money follows each partner's contribution (needs and
    places it covers). A partner with no work to expect (:func:`has_lot_work`:
    none of the lot's clients' needs that it meets in a place where it works)
    has no part in it: it is not paid for presence alone. A cut in value with
    the same specification falls on the partners first (Inspire at half
    value). Who
    carries a change in value depends on the form: in a consortium (or a
    one-stop shop) every member's money moves with the contract's, so a cut
    is shared; in an alliance the lead holds the contract and keeps its
    subcontractors' money where it was, absorbing the cut itself as far as its
    own funds allow. A partner accepts its share only if it can carry the rest
    of its part's cost and its coordination from its own money
    (:meth:`~sim.agents.Charity.accepts_share`); if it cannot, it leaves and
    the rest is split again, the smallest contributor first.
    """
    sc = model.scenario
    s = model.sector
    funds = charity_free_funds(model)
    members = [m for m in bid.members if m != bid.lead]
    holder = bid.partnership
    form = holder.form if holder is not None and holder.is_group else "alliance"
    trend = model.funding_factor() / previous.funding_at_start if previous is not None and previous.funding_at_start > 0 else 1.0
    members = [m for m, w in zip(members, has_lot_work(model, lot, members)) if w]  # no work, no part
    while True:
        contributions = {m: 1.0 + float((s.specialisms[m] & lot.domains).sum()) + float(s.presence[m, lot.places].sum())
                         for m in members}
        core = sc.partnership.lead_core_share if members else 1.0
        total = sum(contributions.values())
        fractions = {bid.lead: core, **{m: (1.0 - core) * w / total for m, w in contributions.items()}}
        # the specification's core case-work stays with the lead at its specified cost; partners share the rest
        lead_part = lead_money(model, lot.value, lot.spec_value) if members else lot.value
        rest = lot.value - lead_part
        money = {bid.lead: lead_part, **{m: rest * fractions[m] / max(1.0 - core, 1e-9) for m in members}}
        if form == "alliance" and previous is not None and holder is previous.holder:
            for m in members:  # subcontracts keep their money; the lead absorbs what it can
                kept = previous.shares.get(m, 0.0) * trend
                extra = min(max(kept - money[m], 0.0), max(money[bid.lead] - 1e-9, 0.0))
                if extra > 0 and funds[bid.lead] >= extra:
                    money[m] += extra
                    money[bid.lead] -= extra
        leaving = []
        for m in members:
            own_part = max(fractions[m] * lot.cost - money[m], 0.0)
            cost = own_part + coordination_cost(model, form, False)
            if not model.charity(m).accepts_share(lot, fractions[m], float(funds[m]), cost):
                leaving.append(m)
        if not leaving:
            break
        model.counters["withdrawals"] += len(leaving)
        drop = min(leaving, key=lambda m: contributions[m])  # the smallest leaves first, then the rest reconsider
        members.remove(drop)
    return money


def award(model: PartnershipModel, lot: Lot, bid: Bid, previous: Contract | None,
          shares: dict[int, float] | None = None) -> Contract:
    """Give the contract to the winning bid; members who cannot carry their part of the work drop out
    (``shares``: :func:`split_caseload`'s answer, when the caller has it already)."""
    from .partnering import commissioned_practice, form_partnership
    from .partnerships import Contract

    s = model.sector
    commissioner = lot.commissioner
    if shares is None:
        shares = split_caseload(model, lot, bid, previous)
    holder = bid.partnership
    if holder is None or not holder.active:
        holder = form_partnership(model, list(shares), bid.lead, commissioned=True)
    else:
        for m in [m for m in holder.members if m not in shares]:
            holder.members.remove(m)
        for m in shares:
            holder.add_member(m)
        if holder.form == "informal" or holder.form == "single":
            holder.form = form_of(model, list(shares), bid.lead, commissioned=True)
            holder.joint_service = None
        if not holder.contracts:  # an informal partnership takes on the commissioned ways of working
            commissioned_practice(model, holder)
        holder.lead = bid.lead
    served = model.clients.contract == previous.cid if previous is not None else None
    if previous is not None:
        if holder is not previous.holder:
            model.counters["holder_changes"] += 1  # the lot's existing provision is replaced
        end_contract(model, previous, successor_holder=holder)
    model.counters["tenders"] += 1
    contract = Contract(
        cid=model.next_id("contract"), commissioner=commissioner, lot=lot.places, domains=commissioner.domains,
        value=lot.value, start=model.month, end=model.month + commissioner.contract_months, holder=holder, shares=shares,
        lot_index=lot.index, funding_at_start=model.funding_factor(), spec_value=lot.spec_value,
    )
    holder.contracts.append(contract)
    commissioner.contracts.append(contract)
    model.contracts[contract.cid] = contract
    if served is not None:
        model.clients.contract[served] = contract.cid  # clients stay with the lot's new provider
    for m in shares:
        s.track_record[m] = min(1.0, s.track_record[m] + 0.05)
    return contract


def form_of(model: PartnershipModel, members: list[int], lead: int, commissioned: bool) -> str:
    """The partnership form for these members (:func:`sim.rules.partnership_form`)."""
    s, sc = model.sector, model.scenario
    others = [m for m in members if m != lead]
    co_located = commissioned and sc.partnership.co_location and len(members) >= 2
    return partnership_form(len(members), commissioned, co_located, int(s.band[lead]),
                            int(max((s.band[m] for m in others), default=-1)))


def end_contract(model: PartnershipModel, contract: Contract, successor_holder: Partnership | None = None) -> None:
    """Close a contract; its holder dissolves if left with nothing to hold it together."""
    contract.active = False
    model.counters["tenders"] += 1
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
