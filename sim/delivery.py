"""Service delivery: providers, referrals, monitoring and continuity of care.

Submodel "Service delivery" of the ODD. Each client has a provider: a
delivering partner of the contract that serves their place, or a local charity
otherwise. The provider meets the needs in its own specialisms as far as its
hours allow; other needs are referred to a partner, and referrals succeed more
often with strong frontline ties and co-location (Inspire, 2012: staff "could
informally introduce service users to other relevant specialists directly
rather than simply booking appointments"). Needs beyond the partnership may be
met by signposting to local provision, or by an unfunded joint service. System
barriers cut referral and signposting success. Contracts demand monitoring
hours, duplicated where partners keep separate systems ("one Inspire project
team member was regularly submitting two different sets of monitoring
reports"). A shared case-management system keeps continuity of care for
transferred prisoners (the Prison Family Support Alliance's shared system
"enables them to share information when a prisoner is transferred").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .rules import referral_success, monitoring_hours, continuity_kept  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .model import PartnershipModel


# --------------------------------------------------------------- process

def assign_contracts(model: PartnershipModel) -> None:
    """Contracts take on unassigned clients in their lot, up to the caseload they fund."""
    cl, sc = model.clients, model.scenario
    free = cl.contract < 0
    if not free.any() or not model.contracts:
        return
    per_client = sc.clients.hours_per_need * sc.sector.hourly_cost * model.mean_needs * sc.commissioning.cost_coverage  # the value pays only this share of the full cost
    caseload = np.bincount(cl.contract[~free], minlength=model.max_contract_id() + 1)
    order = list(model.contracts.values())
    model.rng.shuffle(order)
    # one random order of the waiting clients; each contract takes the first that fit
    free_rows = model.rng.permutation(np.flatnonzero(free))
    loc, bits = cl.locality[free_rows], cl.need_bits[free_rows]
    in_lot = np.zeros(model.sector.presence.shape[1], dtype=bool)
    for contract in order:
        room = int(contract.value / per_client) - int(caseload[contract.cid])
        if room <= 0 or free_rows.size == 0:
            continue
        in_lot[:] = False
        in_lot[contract.lot] = True
        fits = np.flatnonzero(in_lot[loc] & ((bits & contract.commissioner.domain_bits) != 0))[:room]
        cl.contract[free_rows[fits]] = contract.cid
        keep = np.ones(free_rows.size, dtype=bool)
        keep[fits] = False
        free_rows, loc, bits = free_rows[keep], loc[keep], bits[keep]


def provider_tables(model: PartnershipModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who serves whom this month.

    Returns:
        provider_at: (contracts, localities) delivering partner serving that place, -1 none.
        partnership_of_contract: holder partnership id of each contract id.
        referral_to: (partnerships, domains) partner a need is referred to, -1 none.
    """
    s = model.sector
    n_c, n_l = model.max_contract_id() + 1, s.presence.shape[1]
    provider_at = np.full((n_c, n_l), -1, dtype=np.int64)
    pship = np.full(n_c, -1, dtype=np.int64)
    referral_to = np.full((model.max_partnership_id() + 1, s.specialisms.shape[1]), -1, dtype=np.int64)
    for contract in model.contracts.values():
        delivering = np.array([m for m in contract.delivering if s.alive[m]], dtype=np.int64)
        if delivering.size == 0:
            continue
        lead = contract.holder.lead if contract.holder.lead in delivering else int(delivering[0])
        present = s.presence[np.ix_(delivering, contract.lot)]
        first = np.where(present.any(axis=0), delivering[np.argmax(present, axis=0)], lead)
        first = np.where(s.presence[lead, contract.lot], lead, first)
        provider_at[contract.cid, contract.lot] = first
        pship[contract.cid] = contract.holder.pid
        spec = s.specialisms[delivering] & contract.domains  # partners are funded for the contract's needs
        referral_to[contract.holder.pid] = np.where(spec.any(axis=0), delivering[np.argmax(spec, axis=0)], -1)
    for p in model.partnerships:
        if p.informal:
            members = np.asarray(p.members)
            spec = s.specialisms[members]
            referral_to[p.pid] = np.where(spec.any(axis=0), members[np.argmax(spec, axis=0)], -1)
    return provider_at, pship, referral_to


def local_providers(model: PartnershipModel) -> np.ndarray:
    """Each client's local (non-contract) provider: a charity present in their place."""
    s, cl = model.sector, model.clients
    loc_of, charity = np.nonzero(s.presence[s.alive].T)
    charity = np.flatnonzero(s.alive)[charity]
    counts = np.bincount(loc_of, minlength=s.presence.shape[1])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = counts[cl.locality]
    pick = offsets[cl.locality] + np.minimum((cl.local_pick * k).astype(np.int64), np.maximum(k - 1, 0))
    return np.where(k > 0, charity[np.minimum(pick, max(charity.size - 1, 0))] if charity.size else -1, -1)


def local_provision(model: PartnershipModel) -> np.ndarray:
    """(localities, domains): some operating charity present serves that need (cached for the month)."""
    cache = model.cache
    key = (model.month, model.counters["closures"], model.counters["exits"])
    if cache.get("provision_key") != key:
        s = model.sector
        cache["provision"] = np.stack(
            [s.presence[s.alive & s.specialisms[:, d]].any(axis=0) for d in range(s.specialisms.shape[1])], axis=1)
        cache["provision_key"] = key
    return cache["provision"]


def unserved_needs(model: PartnershipModel) -> np.ndarray:
    """(localities, domains): clients here need it, and no operating charity present serves it."""
    cl = model.clients
    n_loc = model.sector.presence.shape[1]
    n_dom = len(model.domains)
    cell = (cl.locality[:, None] * n_dom + np.arange(n_dom))[cl.needs]
    demand = np.bincount(cell, minlength=n_loc * n_dom).reshape(n_loc, n_dom)
    joint = np.zeros(demand.shape, dtype=bool)
    for loc, dom in model.partnerships.joint_services():
        joint[loc, dom] = True
    return (demand > 0) & ~local_provision(model) & ~joint


def monitor(model: PartnershipModel) -> None:
    """Monitoring hours each contract demands of its partners this month."""
    s, cl, c = model.sector, model.clients, model.scenario.commissioning
    s.monitoring_hours[:] = 0.0
    model.funded_hours = 0.0
    if not model.contracts:
        return
    caseload = np.bincount(cl.contract[cl.contract >= 0], minlength=model.max_contract_id() + 1)
    for contract in model.contracts.values():
        delivering = [m for m in contract.delivering if s.alive[m]]
        if not delivering:
            continue
        per_partner = not contract.holder.standard_monitoring
        total = monitoring_hours(int(caseload[contract.cid]), c.monitoring_hours, len(delivering), per_partner, c.duplication)
        value = sum(contract.shares[m] for m in delivering)
        for m in delivering:
            s.monitoring_hours[m] += total * contract.shares[m] / value if value > 0 else total / len(delivering)
        model.funded_hours += contract.value / model.scenario.sector.hourly_cost


#: number of set bits of each byte (needs are held as bit masks over domains)
POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int8)


def unpack(bits: np.ndarray, n_domains: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, domain) pairs of the set bits of a per-client mask."""
    rows = np.flatnonzero(bits)
    flags = np.unpackbits(bits[rows, None], axis=1, bitorder="little")[:, :n_domains]
    r, d = np.nonzero(flags)
    return rows[r], d


def take_up_to(cells: np.ndarray, capacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick at most ``capacity[cell]`` random entries of each cell; returns a mask over ``cells``."""
    order = np.lexsort((rng.random(cells.size), cells))
    sorted_cells = cells[order]
    first = np.searchsorted(sorted_cells, sorted_cells, side="left")
    rank = np.arange(cells.size) - first
    chosen = np.zeros(cells.size, dtype=bool)
    chosen[order] = rank < capacity[sorted_cells]
    return chosen


def serve(model: PartnershipModel) -> None:
    """Meet clients' needs directly, by referral, by a joint service or by signposting."""
    s, cl, sc = model.sector, model.clients, model.scenario
    n, n_dom = len(cl), s.specialisms.shape[1]
    model.month_stats.update(needs=0, met=0, multi=0, joined_up=0, referrals=0, referrals_ok=0)
    model.joint_served = 0
    if n == 0:
        s.demand_hours[:] = 0.0
        return
    rng = model.rng
    provider_at, pship_of, referral_to = provider_tables(model)
    has_c = cl.contract >= 0
    provider = local_providers(model)
    provider[has_c] = provider_at[cl.contract[has_c], cl.locality[has_c]]
    # displaced clients (their provider closed) lose engagement
    changed = (cl.provider >= 0) & ~s.alive[np.maximum(cl.provider, 0)]
    cl.engagement[changed] *= 0.5
    if cl.log_exits and changed.any():
        cl.log_exit(changed, model.month, np.full(int(changed.sum()), "displacement"))
    cl.provider = provider
    ok = provider >= 0
    pship = np.where(has_c, pship_of[np.maximum(cl.contract, 0)], model.partnerships.informal_partnership_of()[np.maximum(provider, 0)])
    pship = np.where(ok, pship, -1)

    # the provider meets the needs in its own specialisms; the rest may be referred
    direct_bits = np.where(ok, cl.need_bits & s.specialism_bits[np.maximum(provider, 0)], 0).astype(np.uint8)
    rest_bits = np.where(pship >= 0, cl.need_bits & ~direct_bits, 0).astype(np.uint8)
    rows, doms = unpack(rest_bits, n_dom)
    tgt = referral_to[pship[rows], doms]
    keep = (tgt >= 0) & (tgt != provider[rows])
    rows, doms, tgt = rows[keep], doms[keep], tgt[keep]
    reachable = s.presence[tgt, cl.locality[rows]]  # a partner can only take clients where it works
    rows, doms, tgt = rows[reachable], doms[reachable], tgt[reachable]
    co_located = model.partnerships.co_located_mask(referral_to.shape[0])
    frontline = model.network.strength(provider[rows], tgt, "frontline")
    p_ok = referral_success(sc.clients.referral_base, sc.clients.referral_tie_effect, sc.clients.referral_co_location,
                            frontline, co_located[pship[rows]], sc.system.barrier_effect, model.barrier)
    referred = rng.random(rows.size) < p_ok

    # capacity: hours each charity's clients need against the hours it has
    hpn = sc.clients.hours_per_need
    direct_count = POPCOUNT[direct_bits]
    demand = np.bincount(provider[ok], weights=direct_count[ok], minlength=s.n) * hpn
    demand += np.bincount(tgt[referred], minlength=s.n) * hpn
    s.demand_hours[:] = demand
    ratio = np.where(demand > 0, np.minimum(1.0, s.delivery_hours() / np.maximum(demand, 1e-9)), 1.0)

    met = np.zeros((n, n_dom), dtype=bool)
    d_rows, d_doms = unpack(direct_bits, n_dom)
    got = rng.random(d_rows.size) < ratio[provider[d_rows]]
    met[d_rows[got], d_doms[got]] = True
    by_partner = referred & (rng.random(rows.size) < ratio[tgt])
    met[rows[by_partner], doms[by_partner]] = True

    # frontline contact from shared clients
    pair_a, pair_b = provider[rows[referred]], tgt[referred]
    if pair_a.size:
        key = np.minimum(pair_a, pair_b) * s.n + np.maximum(pair_a, pair_b)
        uniq, counts = np.unique(key, return_counts=True)
        model.network.add_contact(uniq // s.n, uniq % s.n,
                                  frontline=sc.relationships.frontline_growth * np.minimum(1.0, counts / 5.0))

    # unfunded joint services (know-how meets access) take a few clients a month per place and need
    remaining = cl.needs & ~met
    n_loc = s.presence.shape[1]
    capacity = np.zeros(n_loc * n_dom, dtype=np.int64)
    for loc_, dom_ in model.partnerships.joint_services():
        capacity[loc_ * n_dom + dom_] += sc.partnership.unfunded_capacity
    if capacity.any():
        r_rows, r_doms = np.nonzero(remaining)
        cells = cl.locality[r_rows].astype(np.int64) * n_dom + r_doms
        open_ = capacity[cells] > 0
        r_rows, r_doms, cells = r_rows[open_], r_doms[open_], cells[open_]
        chosen = take_up_to(cells, capacity, rng)
        met[r_rows[chosen], r_doms[chosen]] = True
        remaining[r_rows[chosen], r_doms[chosen]] = False
        model.joint_served = int(chosen.sum())

    # signposting to local provision where someone serves that need
    s_rows, s_doms = np.nonzero(remaining & local_provision(model)[cl.locality])
    got = rng.random(s_rows.size) < sc.clients.signposting * (1.0 - sc.system.barrier_effect * model.barrier)
    met[s_rows[got], s_doms[got]] = True

    counts = POPCOUNT[cl.need_bits]
    met_counts = met.sum(axis=1, dtype=np.int8)
    cl.met_share = (met_counts / np.maximum(counts, 1)).astype(np.float32)
    multi = counts >= 2
    model.month_stats.update(
        needs=int(counts.sum()), met=int(met_counts.sum()), multi=int(multi.sum()),
        joined_up=int((multi & (met_counts == counts)).sum()),
        referrals=int(rows.size), referrals_ok=int(referred.sum()),
    )
    # track record follows how well each charity's clients are served
    share = np.bincount(provider[ok], weights=met_counts[ok], minlength=s.n) / np.maximum(
        np.bincount(provider[ok], weights=counts[ok], minlength=s.n), 1)
    served = np.bincount(provider[ok], minlength=s.n) > 0
    s.track_record[served] = 0.97 * s.track_record[served] + 0.03 * share[served]


def transfer(model: PartnershipModel) -> None:
    """Prison transfers: support continues only if the record follows the prisoner."""
    cl = model.clients
    rows, old = cl.transfer(model.scenario.demand.transfer_rate)
    if rows.size == 0:
        model.month_stats.update(transfers=0, continued=0)
        return
    supported = cl.contract[rows] >= 0  # continuity is about support a contract was giving
    rows = rows[supported]
    n_c = model.max_contract_id() + 1
    in_lot = np.zeros((n_c, model.sector.presence.shape[1]), dtype=bool)
    shared_by = np.zeros(n_c, dtype=bool)
    for contract in model.contracts.values():
        in_lot[contract.cid, contract.lot] = True
        shared_by[contract.cid] = contract.holder.shared_case_management
    c = cl.contract[rows]
    same = in_lot[c, cl.locality[rows]]
    shared = shared_by[c]
    kept = continuity_kept(same, shared, model.rng.random(rows.size), model.scenario.clients.continuity_loss)
    lost = rows[~kept]
    cl.engagement[lost] = np.minimum(cl.engagement[lost], 0.3)
    cl.months[lost] = 0
    cl.contract[rows[~same]] = -1
    cl.flows.transfers_continued += int(kept.sum())
    model.month_stats.update(transfers=int(rows.size), continued=int(kept.sum()))
