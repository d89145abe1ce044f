"""Service delivery (:mod:`sim.delivery`) on small seeded models: referrals, monitoring, continuity, training.

Stochastic claims compare fixed replication seeds with a one-sided test at 5%,
which is deterministic because the seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim import delivery, finance, partnering, system_change, tendering
from helpers import ALPHA, Willing, greater, mean_after  # noqa: F401

#: the national lot needs a sector large enough for one consortium to cover its prisons
ALLIANCE = dict(run__burn_in=12, sector__charities=120)


def test_co_location_raises_referral_success(small_scenario, seeded_values):
    together = small_scenario("inspire", run__burn_in=12, partnership__co_location=True)
    apart = small_scenario("inspire", run__burn_in=12, partnership__co_location=False)
    fn = mean_after("referral_success_rate")
    a, b = seeded_values(together, fn, charity_cls=Willing), seeded_values(apart, fn, charity_cls=Willing)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert a.mean() > b.mean()
    assert greater(a, b) < ALPHA


def test_standardised_monitoring_lowers_monitoring_time(small_scenario, seeded_values):
    std = small_scenario("inspire", run__burn_in=12, commissioning__monitoring="standardised")
    per = small_scenario("inspire", run__burn_in=12, commissioning__monitoring="per_partner")
    fn = mean_after("monitoring_time_share", start=2)
    a, b = seeded_values(per, fn, charity_cls=Willing), seeded_values(std, fn, charity_cls=Willing)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert greater(a, b) < ALPHA


def test_shared_case_management_keeps_continuity_on_transfer(small_scenario, seeded_values):
    shared = small_scenario("family_alliance", partnership__shared_case_management=True, **ALLIANCE)
    separate = small_scenario("family_alliance", partnership__shared_case_management=False, **ALLIANCE)
    fn = lambda m: m.current["continuity_on_transfer"]  # noqa: E731
    a, b = seeded_values(shared, fn, charity_cls=Willing), seeded_values(separate, fn, charity_cls=Willing)
    ok = np.isfinite(a) & np.isfinite(b)  # a seed whose contract saw no transfer has no data
    assert ok.sum() >= 6
    assert np.all(b[ok] < 1.0), "without a shared record, some transfers lose the worker's notes"
    assert greater(a[ok], b[ok]) < ALPHA


def test_continuity_on_transfer_is_missing_without_transfers(small_scenario):
    sc = small_scenario("family_alliance", demand__transfer_rate=0.0, **ALLIANCE)
    model = sim.PartnershipModel(sc, seed=1, charity_cls=Willing)
    model.run_for(6)
    assert model.contracts
    assert np.isnan(model.current["continuity_on_transfer"])
    assert np.isnan(model.current["needs_met_after_transfer"])


def test_joint_training_keeps_frontline_ties_strong(small_scenario, seeded_values):
    def partner_frontline(model):
        df = model.monthly_frame()
        return float(df.loc[df["month"] > 6, "rel_partner_frontline_mean"].mean())

    trained = small_scenario("family_alliance", partnership__joint_training_months=3, **ALLIANCE)
    untrained = small_scenario("family_alliance", partnership__joint_training_months=0, **ALLIANCE)
    a, b = seeded_values(trained, partner_frontline, charity_cls=Willing), seeded_values(untrained, partner_frontline, charity_cls=Willing)
    assert greater(a, b) < ALPHA


def _unassigned(small_scenario):
    """A model whose clients have all lost their charity and contract, and whose charities have no caseload."""
    model = sim.PartnershipModel(small_scenario(run__burn_in=0), seed=3)
    model.step()
    cl, s = model.clients, model.sector
    cl.contract[:] = -1
    cl.provider[:] = -1
    s.demand_hours[:] = 0.0
    return model


def test_unassigned_clients_go_where_there_is_fitting_spare_capacity(small_scenario):
    model = _unassigned(small_scenario)
    cl, s = model.clients, model.sector
    full = np.flatnonzero(s.alive)[::2]  # every other charity has no hours to spare
    s.staff_hours[full] = 0.0
    s.volunteer_hours[full] = 0.0
    slots = delivery.spare_slots(model)
    assert np.all(slots[full] == 0)
    delivery.assign_providers(model)
    got = cl.provider >= 0
    assert got.any()
    assert not np.isin(cl.provider[got], full).any(), "a charity with no spare hours gets no new clients"
    prov = cl.provider[got]
    assert np.all(s.presence[prov, cl.locality[got]]), "only to a charity working in the client's place"
    assert np.all((cl.need_bits[got] & s.specialism_bits[prov]) != 0), "only to a charity serving one of their needs"
    taken = np.bincount(prov, minlength=s.n)
    assert np.all(taken <= slots), "no charity beyond its spare capacity"
    # in proportion to spare capacity: charities with more room take more clients
    room = np.flatnonzero(slots > 0)
    rho, p = stats.spearmanr(slots[room], taken[room], alternative="greater")
    assert rho > 0 and p < ALPHA


def test_each_waiting_client_picks_a_fitting_charity_with_chance_in_proportion_to_its_spare_slots(small_scenario):
    """The two-stage draw (a group of charities by specialism mask, then a charity within it) gives each
    fitting charity present in the client's place the chance slots / fitting slots: observed counts
    against the counts expected client by client (chi-square, 5%), with room for everyone."""
    model = sim.PartnershipModel(small_scenario(run__burn_in=0, demand__clients=6000), seed=3)
    model.step()
    cl, s = model.clients, model.sector
    cl.contract[:] = -1
    cl.provider[:] = -1
    s.demand_hours[:] = 0.0
    s.staff_hours[:] = s.staff_hours * 50.0 + 500.0  # ample room: nobody is turned away, only the draw decides
    slots = delivery.spare_slots(model)
    fits = (cl.need_bits[:, None] & s.specialism_bits[None, :]) != 0
    weight = fits * s.presence[:, cl.locality].T * slots[None, :]  # (clients, charities)
    served = weight.sum(axis=1) > 0
    expected = (weight[served] / weight[served].sum(axis=1, keepdims=True)).sum(axis=0)
    delivery.assign_providers(model)
    assert np.array_equal(cl.provider >= 0, served), "every client some charity can serve is placed"
    observed = np.bincount(cl.provider[served], minlength=s.n)
    used = expected > 0
    assert observed[~used].sum() == 0, "nobody goes to a charity that cannot serve them there"
    assert stats.chisquare(observed[used], expected[used] * observed.sum() / expected.sum()).pvalue > ALPHA


def test_the_draw_picks_the_charity_a_client_by_client_reading_gives(small_scenario):
    """The vectorised two-step draw (specialism mask, then charity) gives each client the charity that
    reading the fitting charities of its place one by one gives: ordered by specialism mask then
    index, the first whose cumulative slots reach ``ceil(u * total)``."""
    model = sim.PartnershipModel(small_scenario(run__burn_in=0, demand__clients=1500), seed=5)
    model.step()
    cl, s = model.clients, model.sector
    slots = delivery.spare_slots(model)
    slots[::3] = 0.0  # some charities full
    u = 1.0 - np.random.default_rng(0).random(len(cl))
    got = delivery.draw_charities(delivery._pairs_by_group(model), slots, s.presence.shape[1],
                                  s.specialisms.shape[1], cl.locality, cl.need_bits, u)
    order = np.lexsort((np.arange(s.n), s.specialism_bits))
    expected = np.full(len(cl), -1)
    for i in range(len(cl)):
        fitting = [j for j in order if s.presence[j, cl.locality[i]] and slots[j] > 0
                   and cl.need_bits[i] & s.specialism_bits[j]]
        if fitting:
            cum = np.cumsum(slots[fitting])
            expected[i] = fitting[int(np.searchsorted(cum, np.ceil(u[i] * cum[-1])))]
    assert np.array_equal(got, expected)
    assert (got >= 0).any() and (got < 0).any()
    # with many units of room the owners are found by binary searches instead of a table: the same charities
    # (and clients read in order of their place and need mask, as in a large sector)
    # and with few charities with room, read in one step from a table of every charity: the same charities
    # (each path forced in turn)
    old = delivery._UNIT_TABLE, delivery._SORT_CLIENTS, delivery._DIRECT_WIDTH, delivery._SMALL_PRODUCT
    try:
        for unit_table, sort_clients, direct_width, small_product in ((0, 0, 0, old[3]), (old[0], old[1], 0, old[3]),
                                                                      (old[0], old[1], s.n, 10**9)):
            delivery._UNIT_TABLE, delivery._SORT_CLIENTS = unit_table, sort_clients
            delivery._DIRECT_WIDTH, delivery._SMALL_PRODUCT = direct_width, small_product
            other = delivery.draw_charities(delivery._pairs_by_group(model), slots, s.presence.shape[1],
                                            s.specialisms.shape[1], cl.locality, cl.need_bits, u)
            assert np.array_equal(other, expected), (unit_table, sort_clients, direct_width)
    finally:
        delivery._UNIT_TABLE, delivery._SORT_CLIENTS, delivery._DIRECT_WIDTH, delivery._SMALL_PRODUCT = old


def test_a_client_turned_away_by_a_full_charity_draws_again_among_those_with_room(small_scenario, monkeypatch):
    """With a few slots per charity, many clients draw a charity that fills; a second draw among the
    charities left with room places more of them, never beyond any charity's room."""
    def placed(rounds):
        model = _unassigned(small_scenario)
        s = model.sector
        monkeypatch.setattr(delivery, "ASSIGNMENT_ROUNDS", rounds)
        monkeypatch.setattr(delivery, "spare_slots", lambda m: np.where(s.alive, 2.0, 0.0))
        delivery.assign_providers(model)
        prov = model.clients.provider
        assert np.all(np.bincount(prov[prov >= 0], minlength=s.n) <= 2), "no charity beyond its room"
        return np.count_nonzero(prov >= 0), int(2 * s.alive.sum())

    once, room = placed(1)
    twice, _ = placed(2)
    assert once < room, "the first draw leaves room unused (clients collide on charities that fill)"
    assert twice > once


def test_with_no_spare_capacity_anywhere_clients_wait(small_scenario):
    model = _unassigned(small_scenario)
    s = model.sector
    s.staff_hours[:] = 0.0
    s.volunteer_hours[:] = 0.0
    delivery.assign_providers(model)
    assert np.all(model.clients.provider < 0)
    delivery.serve(model)
    assert model.month_stats["waiting"] == len(model.clients)


def test_contract_clients_are_spread_over_partners_in_proportion_to_their_shares(small_scenario):
    model = sim.PartnershipModel(small_scenario("inspire", run__burn_in=12), seed=1, charity_cls=Willing)
    contract = next(c for c in model.contracts.values() if len(c.delivering) >= 3)
    tables = delivery.ProviderTables(model)
    loc = int(contract.lot[0])
    present = [m for m in contract.delivering if model.sector.presence[m, loc]]
    n = 20_000
    draw = (np.arange(n) + 0.5) / n
    who = tables.provider(np.full(n, contract.cid), np.full(n, loc), draw)
    assert set(np.unique(who)) == set(present)
    total = sum(contract.shares[m] for m in present)
    for m in present:
        assert np.mean(who == m) == pytest.approx(contract.shares[m] / total, abs=1e-3)


def test_key_work_meets_other_needs_with_spare_hours(small_scenario, seeded_values):
    kw = dict(run__months=12, run__burn_in=12)
    keywork = small_scenario(clients__generalist_effect=1.0, **kw)
    specialist_only = small_scenario(clients__generalist_effect=0.0, **kw)
    fn = mean_after("needs_met_share", start=1)
    a, b = seeded_values(keywork, fn, n=6), seeded_values(specialist_only, fn, n=6)
    assert greater(a, b) < ALPHA


def test_statutory_referral_does_not_pull_clients_from_another_charity(small_scenario):
    """A client supported by a charity outside the contract is not referred into it; its own partners' clients are."""
    model = sim.PartnershipModel(small_scenario("inspire", run__burn_in=12, statutory__engagement=1.0,
                                                statutory__self_referral=0.0), seed=2, charity_cls=Willing)
    cl = model.clients
    contract = next(iter(model.contracts.values()))
    members = set(contract.delivering)
    outsiders = np.flatnonzero(model.sector.alive & ~np.isin(np.arange(model.sector.n), list(members)))
    assert outsiders.size and len(cl)
    # every client loses their contract; half are with a charity outside the contract, half with a member
    cl.contract[:] = -1
    half = np.arange(len(cl)) % 2 == 0
    cl.provider[half] = model.rng.choice(outsiders, int(half.sum()))
    cl.provider[~half] = model.rng.choice(sorted(members), int((~half).sum()))
    cl.referral_draw[:] = 0.0  # all within statutory reach
    contract.spec_value = 1e9  # room for everyone
    delivery.assign_contracts(model)
    assert not (cl.contract[half] >= 0).any(), "clients of an outside charity stay with it"
    assert (cl.contract[~half] >= 0).any(), "clients of a member are referred in, keeping their worker"


def test_contract_clients_go_to_a_partner_who_serves_one_of_their_needs(small_scenario):
    model = sim.PartnershipModel(small_scenario("inspire", run__burn_in=12), seed=1, charity_cls=Willing)
    s = model.sector
    contract = next(c for c in model.contracts.values() if len(c.delivering) >= 3)
    tables = delivery.ProviderTables(model)
    loc = int(contract.lot[0])
    present = [m for m in contract.delivering if s.presence[m, loc]]
    bits = np.array([s.specialism_bits[m] for m in present], dtype=np.uint8)
    n = 5_000
    need = np.repeat(bits, n // len(present) + 1)[:n]
    who = tables.provider(np.full(n, contract.cid), np.full(n, loc), model.rng.random(n), need, s.specialism_bits)
    assert np.all((need & s.specialism_bits[who]) != 0), "a partner serving one of the needs, where one does"
    # with no fitting partner, the draw falls back to the money shares
    none = np.zeros(n, dtype=np.uint8)
    who = tables.provider(np.full(n, contract.cid), np.full(n, loc), model.rng.random(n), none, s.specialism_bits)
    assert set(np.unique(who)) == set(present)


def test_waiting_list_is_shared_among_charities_that_could_serve_it(small_scenario):
    model = _unassigned(small_scenario)
    cl, s = model.clients, model.sector
    waiting = np.ones(len(cl), dtype=bool)
    hours = delivery.waiting_list_hours(model, waiting)
    hpn = model.scenario.clients.hours_per_need
    # every waiting need that some charity present could serve is counted once, no more
    servable = 0
    for loc in np.unique(cl.locality):
        here = s.alive & s.presence[:, loc] & (s.staff_hours + s.volunteer_hours > 0)
        able = s.specialisms[here].any(axis=0)
        servable += int((cl.needs[cl.locality == loc] & able).sum())
    assert hours.sum() == pytest.approx(servable * hpn, rel=1e-9)
    assert np.all(hours[~s.alive] == 0)
    # a charity with twice the hours sees twice the share of the same list
    i = int(np.flatnonzero(hours > 0)[0])
    s.staff_hours[i] = 2.0 * s.staff_hours[i] + s.volunteer_hours[i]
    assert delivery.waiting_list_hours(model, waiting)[i] > hours[i]
    assert delivery.waiting_list_hours(model, np.zeros(len(cl), dtype=bool)).sum() == 0.0


def test_statutory_service_access_meets_more_of_contract_clients_needs(small_scenario, seeded_values):
    """Engaged statutory partners open their services to a contract's clients: more of their needs met."""
    kw = dict(run__burn_in=12, run__months=12)
    open_ = small_scenario("inspire", statutory__service_access=0.6, **kw)
    closed = small_scenario("inspire", statutory__service_access=0.0, **kw)
    fn = mean_after("needs_met_share", start=1)
    a, b = seeded_values(open_, fn, n=6, charity_cls=Willing), seeded_values(closed, fn, n=6, charity_cls=Willing)
    assert greater(a, b) < ALPHA


def test_a_moved_client_whose_record_follows_keeps_engagement_even_with_a_new_worker(small_scenario):
    """Whether support restarts after a transfer is decided by the record (shared case management),
    not again in the service phase because the partner serving the new prison is another charity."""
    sc = small_scenario("family_alliance", partnership__shared_case_management=True, demand__transfer_rate=1.0,
                        **ALLIANCE)
    model = sim.PartnershipModel(sc, seed=2, charity_cls=Willing)
    model.run_for(3)
    cl = model.clients
    before_provider = cl.provider.copy()
    delivery.transfer(model)
    moved = delivery.continuity_decided(model)
    engagement = cl.engagement.copy()  # after the transfer's own restarts
    delivery.serve(model)
    continued = moved[cl.contract[moved] >= 0]
    new_worker = continued[(before_provider[continued] >= 0) & (cl.provider[continued] != before_provider[continued])]
    assert new_worker.size > 0, "some transferred clients are served by another partner in the new prison"
    assert np.array_equal(cl.engagement[new_worker], engagement[new_worker])


def test_workers_always_refer_to_a_partner_brought_in_for_their_clients_needs(small_scenario):
    """A partner a flexible partnership brought in for a gap (``Partnership.routes``) is asked for every
    referral of that need; another partner only by chance (``clients.referral_awareness``) or a frontline tie."""
    import copy

    sc = small_scenario("inspire", run__burn_in=6, clients__referral_awareness=0.0)
    model = sim.PartnershipModel(sc, seed=3, charity_cls=Willing)
    model.run_for(2)
    held = [p for p in model.partnerships if p.contracts and len(p.members) >= 2]
    assert held
    asked = {}
    for routed in (False, True):
        twin = copy.deepcopy(model)  # the same state and random stream, with or without the routes
        for p in twin.partnerships:
            p.routes = set(p.members) if routed and p.pid in {q.pid for q in held} else set()
        delivery.serve(twin)
        asked[routed] = twin.month_stats["referrals"]
    assert asked[True] > asked[False]


def _fresh_wanted(model, contract):
    """``_wanted_cells``' answer for ``contract`` computed with nothing remembered."""
    saved = {k: model.cache.pop(k) for k in ("wanted", "wanted_key") if k in model.cache}
    try:
        return delivery._wanted_cells(model)(contract)
    finally:
        model.cache.update(saved)


def test_remembered_provider_and_referral_tables_match_tables_built_afresh_month_by_month(small_scenario):
    # several lots per commissioner, so closures touch some contracts and not others
    model = sim.PartnershipModel(small_scenario(commissioning__lots=3, run__months=36), seed=3)
    closures_seen = 0
    for _ in range(36):
        before = model.counters["exits"]
        model.step()
        closures_seen += model.counters["exits"] > before
        remembered, fresh = delivery.provider_tables(model), delivery.ProviderTables(model)
        for name in ("members", "cumulative", "partnership_of_contract", "referral_to"):
            np.testing.assert_array_equal(getattr(remembered, name), getattr(fresh, name), err_msg=name)
        wanted = delivery._wanted_cells(model)
        for contract in model.contracts.values():
            np.testing.assert_array_equal(wanted(contract), _fresh_wanted(model, contract))
    assert closures_seen >= 3  # the case the tables' memory must get right


def test_a_closure_rebuilds_only_the_rows_of_contracts_the_charity_delivered(small_scenario):
    model = sim.PartnershipModel(small_scenario(commissioning__lots=3), seed=3)
    blocks = dict(delivery.provider_tables(model).blocks)
    wanted = delivery._wanted_cells(model)
    for contract in model.contracts.values():
        wanted(contract)  # remembered, as after a month's referrals
    delivering = {m for c in model.contracts.values() for m in c.delivering}
    outsider = next(i for i in np.flatnonzero(model.sector.alive) if int(i) not in delivering)
    finance.leave(model, int(outsider))
    after = delivery.provider_tables(model).blocks
    assert all(after[cid] is blocks[cid] for cid in model.contracts)  # nothing it touched: every block kept
    contract = next(c for c in model.contracts.values() if len(c.delivering) >= 2)
    partner = next(m for m in contract.delivering if m != contract.holder.lead)
    model.sector.alive[partner] = False  # the partner stops operating (its membership is not yet updated)
    model.counters["exits"] += 1
    np.testing.assert_array_equal(delivery._wanted_cells(model)(contract), _fresh_wanted(model, contract))
    again = delivery.provider_tables(model)
    assert again.blocks[contract.cid] is not after[contract.cid]
    assert partner not in again.blocks[contract.cid].delivering
    np.testing.assert_array_equal(again.members, delivery.ProviderTables(model).members)


def _assign_contracts_by_full_scan(model):
    """The referral rule of :func:`delivery.assign_contracts` written plainly: every contract, in one random
    order, scans every client without a contract, in one random order, and takes the first that fit."""
    cl, sc = model.clients, model.scenario
    free = cl.contract < 0
    price = delivery.per_client_price(model)
    caseload = np.bincount(cl.contract[~free], minlength=model.max_contract_id() + 1)
    order = list(model.contracts.values())
    model.rng.shuffle(order)
    rows = model.rng.permutation(free.nonzero()[0])
    for contract in order:
        room = int(contract.spec_value / price) - int(caseload[contract.cid])
        engaged = sc.statutory.referral_rate * delivery.engagement_of(model, contract.commissioner)
        reach = engaged + sc.statutory.self_referral
        served = delivery.served_here(model.sector, contract.delivering)
        taken = 0
        for r in rows:
            if taken >= room:
                break
            loc, bits, worker = int(cl.locality[r]), int(cl.need_bits[r]), int(cl.provider[r])
            if cl.contract[r] >= 0 or loc not in set(contract.lot.tolist()):
                continue
            if not bits & contract.commissioner.domain_bits & int(served[loc]):
                continue
            if cl.referral_draw[r] >= reach or (worker >= 0 and worker not in contract.delivering):
                continue
            cl.contract[r] = contract.cid
            taken += 1


def test_contract_referrals_match_a_plain_scan_of_every_client(small_scenario):
    # several lots per commissioner: a contract's lot is some places, not all
    model = sim.PartnershipModel(small_scenario(commissioning__lots=3, run__months=24), seed=5)
    compared = 0
    for _ in range(24):
        model.step()
        before, state = model.clients.contract.copy(), model.rng.bit_generator.state
        # a few clients free up (as exits and moves free them), so every contract has room this month
        rng = np.random.default_rng(compared)
        model.clients.contract[rng.random(before.size) < 0.3] = -1
        freed = model.clients.contract.copy()
        delivery.assign_contracts(model)
        fast = model.clients.contract.copy()
        model.clients.contract[:] = freed
        model.rng.bit_generator.state = state
        _assign_contracts_by_full_scan(model)
        np.testing.assert_array_equal(fast, model.clients.contract)
        compared += int(np.count_nonzero(fast != freed))
        model.clients.contract[:] = before  # the run goes on from where it was
        model.rng.bit_generator.state = state
    assert compared > 100  # many referrals were made and compared
