"""Partnership formation and reorganisation (:mod:`sim.partnering`) on small seeded models.

Stochastic claims compare fixed replication seeds with a one-sided test at 5%,
which is deterministic because the seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim import delivery, finance, partnering, system_change, tendering
from helpers import ALPHA, greater, mean_after  # noqa: F401


def test_disabling_partnerships_gives_no_partnerships(small_scenario):
    for seed in sim.replication_seeds(small_scenario(), 3):
        model = sim.PartnershipModel(small_scenario(partnership__enabled=False), seed=seed)
        model.run_for(24)
        df = model.monthly_frame()
        assert (df["partnerships_active"] == 0).all()
        assert (df["unfunded_collaborations"] == 0).all()
        assert (df["consortium_contract_share"] == 0).all()
        assert all(p.size == 1 for p in model.partnerships)
    # ... whereas with partnerships enabled they form
    on = small_scenario()
    model = sim.PartnershipModel(on, seed=sim.replication_seeds(on, 1)[0])
    model.run_for(24)
    assert model.monthly_frame()["partnerships_active"].max() > 0


def _multi_partner_holders(sc, n=3, months=3):
    held = []
    for seed in sim.replication_seeds(sc, n):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(months)
        held += [c.holder for c in model.contracts.values() if c.holder.size >= 2]
    return held


def test_co_location_forms_one_stop_shops(small_scenario):
    together = _multi_partner_holders(small_scenario("inspire", run__burn_in=6, partnership__co_location=True))
    assert together and all(p.co_located and p.form == "one_stop_shop" for p in together)
    apart = _multi_partner_holders(small_scenario("inspire", run__burn_in=6, partnership__co_location=False))
    assert apart and all(not p.co_located and p.form in ("alliance", "consortium") for p in apart)


def _close_a_partner(flexible: bool, small_scenario):
    """Close a partner whose loss leaves a need of the contract unserved; per seed (model, contract, before, lost)."""
    sc = small_scenario("inspire", run__burn_in=6, commissioning__flexible=flexible, sector__closure_months=1)
    cases = []
    for seed in sim.replication_seeds(sc, 8):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(2)
        s = model.sector
        contract = next((c for c in model.contracts.values() if len(c.delivering) >= 3), None)
        if contract is None:
            continue
        lead = contract.holder.lead
        gaps = [m for m in contract.delivering if m != lead and (s.specialisms[m] & contract.domains
                & ~s.specialisms[[k for k in contract.shares if k != m]].any(axis=0)).any()]
        if not gaps:
            continue
        lost = gaps[0]
        before = dict(contract.shares)
        reorganised = model.counters["reorganisations"]
        s.reserves[lost] = -1e12
        contacts, add = [], model.network.add_contact  # the month's joint work, as recorded

        def record(i, j, managerial=0.0, frontline=0.0, _add=add, _out=contacts):
            _out.append((np.atleast_1d(i), np.atleast_1d(j), np.broadcast_to(frontline, np.shape(np.atleast_1d(i)))))
            _add(i, j, managerial=managerial, frontline=frontline)

        model.network.add_contact = record
        model.step()
        model.contacts = contacts
        assert not s.alive[lost]
        cases.append((model, contract, before, lost, model.counters["reorganisations"] - reorganised))
    assert len(cases) >= 2
    return cases


def test_flexible_funder_lets_a_partnership_replace_a_lost_partner(small_scenario):
    replaced = 0
    for model, contract, before, lost, reorganised in _close_a_partner(True, small_scenario):
        s = model.sector
        assert contract.active and lost not in contract.shares
        assert sum(contract.shares.values()) == pytest.approx(sum(before.values()))  # the money stays with the work
        newcomers = set(contract.shares) - set(before)
        assert len(newcomers) == reorganised <= 1
        for new in newcomers:
            replaced += 1
            assert s.alive[new] and new in contract.holder.members
            others = [m for m in contract.holder.members if m != new and s.alive[m]]
            gap = s.specialisms[new] & ~s.specialisms[others].any(axis=0)
            clients_need = partnering.contract_place_needs(model, [contract.cid])[contract.cid].sum(axis=0) > 0
            assert (gap & (clients_need | contract.domains)).any(), "it fills a need of the contract no member served"
            assert contract.shares[new] > 0
            # the newcomer is the partnership's route for the gap, and its staff met the members' at an induction
            assert new in contract.holder.routes
            inducted = {int(b if a == new else a) for i, j, f in model.contacts for a, b, x in zip(i, j, f)
                        if new in (a, b) and x == model.scenario.relationships.training_boost}
            assert set(others) <= inducted
    assert replaced > 0


def test_inflexible_funder_does_not_let_a_partnership_replace_a_lost_partner(small_scenario):
    for model, contract, before, lost, reorganised in _close_a_partner(False, small_scenario):
        lead = contract.holder.lead
        assert lost not in contract.shares
        assert set(contract.shares) == set(before) - {lost}  # nobody new comes in
        for m in set(before) - {lost, lead}:
            assert contract.shares[m] == pytest.approx(before[m])
        assert contract.shares[lead] == pytest.approx(before[lead] + before[lost])  # the lead carries the work
        assert reorganised == 0 and model.counters["reorganisations"] == 0


def test_unfunded_joint_services_join_know_how_with_access(small_scenario):
    sc = small_scenario("fine_cell_work")
    seen = 0
    for seed in sim.replication_seeds(sc, 3):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(24)
        s = model.sector
        for p in model.partnerships:
            if p.joint_service is None or p.contracts:
                continue
            seen += 1
            loc, d = p.joint_service
            assert p.form == "informal" and p.size >= 2
            assert any(s.knowhow[m, d] for m in p.members), "someone brings the programme"
            assert any(s.presence[m, loc] for m in p.members), "someone brings access to the place"
            host = p.lead
            assert s.presence[host, loc] and not s.specialisms[host, d]
    assert seen > 0
    off = small_scenario("fine_cell_work", partnership__enabled=False)
    model = sim.PartnershipModel(off, seed=sim.replication_seeds(off, 1)[0])
    model.run_for(24)
    assert model.counters["unfunded_formed"] == 0
    assert all(p.joint_service is None for p in model.partnerships)


def _flexible_contracts(small_scenario, n=3, months=12):
    """Models run under flexible funders, with each contract of two or more members; per seed."""
    sc = small_scenario("inspire", run__burn_in=6, commissioning__flexible=True)
    out = []
    for seed in sim.replication_seeds(sc, n):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(months)
        out += [(model, c) for c in model.contracts.values() if len(c.delivering) >= 2]
    assert out
    return out


def test_referrals_go_to_a_partner_who_works_in_the_clients_place(small_scenario):
    """A partnership refers a need to the member who serves it where the client lives, not only to the first."""
    for model, contract in _flexible_contracts(small_scenario):
        s = model.sector
        members = np.asarray(contract.delivering)
        row = delivery.referral_row(s, members)  # (places, domains)
        for loc in range(s.presence.shape[1]):
            for d in range(s.specialisms.shape[1]):
                able = [m for m in members if s.presence[m, loc] and s.specialisms[m, d]]
                assert row[loc, d] == (able[0] if able else -1)


def test_flexible_rebalancing_pays_this_contracts_work_and_keeps_the_leads_core(small_scenario):
    """After a rebalance the lead holds its core money as at the award, and the partners' money is in
    proportion to their work on this contract's clients, routed among every member, the lead included
    (work on other contracts does not count)."""
    checked = 0
    for model, contract in _flexible_contracts(small_scenario):
        p = contract.holder
        total = sum(contract.shares.values())
        members = [m for m in contract.shares if model.sector.alive[m]]
        partners = [m for m in members if m != p.lead]
        work = partnering.contract_work(model, contract, members)[[m != p.lead for m in members]]
        if work.sum() <= 0:
            continue
        # someone's contract hours elsewhere must not move this contract's money
        model.sector.contract_hours[partners[0]] += 1e6
        assert partnering._rebalance(model, contract, p)
        assert sum(contract.shares.values()) == pytest.approx(total)
        lead_money = min(total, model.scenario.partnership.lead_core_share * contract.spec_value)
        assert contract.shares[p.lead] == pytest.approx(lead_money)
        got = np.array([contract.shares[m] for m in partners])
        assert got == pytest.approx((total - lead_money) * work / work.sum())
        checked += 1
    assert checked >= 2


def test_a_need_the_lead_takes_is_not_a_partners_work(small_scenario):
    """Routed with the lead, referrals the lead takes count as the lead's work: no partner's work grows,
    and where the lead serves a need a partner also serves, the partners' work is smaller than if the
    lead were left out of the routing."""
    smaller = 0
    for model, contract in _flexible_contracts(small_scenario):
        lead = contract.holder.lead
        members = [m for m in contract.shares if model.sector.alive[m]]
        if lead not in members or len(members) < 2:
            continue
        members = [lead] + [m for m in members if m != lead]  # the lead first: it takes what it serves
        with_lead = partnering.contract_work(model, contract, members)[1:]
        without = partnering.contract_work(model, contract, members[1:])
        assert np.all(with_lead <= without + 1e-9)
        smaller += with_lead.sum() < without.sum()
    assert smaller >= 1


class Refuser(sim.Charity):
    """Never joins a running partnership; records who was asked."""

    asked: list[int] = []

    def joins_partnership(self, contract, money: float, cost: float, lead_tie: float) -> bool:
        type(self).asked.append(self.index)
        return False


def _reorganisations(sc, seeds=4, months=24, charity_cls=sim.Charity) -> int:
    joined = 0
    for seed in sim.replication_seeds(sc, seeds):
        model = sim.PartnershipModel(sc, seed=seed, charity_cls=charity_cls)
        before = model.counters["reorganisations"]
        model.run_for(months)
        joined += model.counters["reorganisations"] - before
    return joined


def test_gap_filling_asks_each_charity_by_its_own_rule(small_scenario):
    """The invitation to a running partnership is the charity's decision (an overridable method): charities
    that refuse are asked, and nobody joins."""
    sc = small_scenario("baseline", run__burn_in=6, commissioning__flexible=True)
    assert _reorganisations(sc) > 0
    Refuser.asked = []
    assert _reorganisations(sc, charity_cls=Refuser) == 0
    assert Refuser.asked


def test_a_gap_too_small_for_a_partners_time_is_not_filled(small_scenario):
    """Gap-filling brings a partner in only where the clients' unmet needs take more hours than the
    partnership time a member adds: with that time made huge, nobody is even asked, although gaps remain."""
    cheap = small_scenario("baseline", run__burn_in=6, commissioning__flexible=True)
    costly = small_scenario("baseline", run__burn_in=6, commissioning__flexible=True, relationships__investment_hours=200.0)
    Refuser.asked = []  # refusers: asked, never joining, so both runs see the gaps the clients leave
    _reorganisations(costly, charity_cls=Refuser)
    assert not Refuser.asked, "a candidate was asked although its work is less than its partnership time"
    Refuser.asked = []
    _reorganisations(cheap, charity_cls=Refuser)
    assert Refuser.asked, "with the usual partnership time, the same gaps bring invitations"


def test_the_monitoring_a_newcomer_adds_counts_against_the_gap(small_scenario):
    """With a monitoring system per partner, one more partner duplicates part of the contract's returns
    (``duplication / (k (k + 1))`` of them for the k-th newcomer). Under heavy monitoring (x100) that
    outweighs most gaps, so far fewer candidates are asked than under one standard system with the same
    monitoring, where a newcomer adds no returns; and the same holds against the usual light monitoring."""
    heavy = dict(run__burn_in=6, commissioning__flexible=True, commissioning__monitoring_hours=50.0)
    asked = {}
    for label, extra in (("per partner", {}), ("standard", {"commissioning__monitoring": "standardised"})):
        Refuser.asked = []
        _reorganisations(small_scenario("baseline", **heavy, **extra), charity_cls=Refuser)
        asked[label] = len(Refuser.asked)
    assert asked["standard"] > 0
    assert asked["per partner"] < 0.5 * asked["standard"], asked


def test_needs_absent_in_prisons_are_offered_by_nobody_inside_and_nothing_else_moves(small_scenario):
    d = sim.DOMAINS.index("purposeful_activity")
    plain = sim.PartnershipModel(small_scenario(run__burn_in=0), seed=4).sector
    sc = small_scenario(run__burn_in=0, sector__absent_in_prisons=["purposeful_activity"])
    model = sim.PartnershipModel(sc, seed=4)
    s, prisons = model.sector, model.prisons
    inside = s.presence[:, prisons].any(axis=1)
    assert inside.any() and not (inside & s.specialisms[:, d]).any(), "nobody inside offers it"
    assert s.specialisms[:, d].any(), "charities outside still do"
    assert s.specialisms.any(axis=1).all() and s.presence[np.arange(s.n), s.home].all()
    assert not (s.knowhow & ~s.specialisms).any()
    assert np.array_equal(s.specialism_bits, (s.specialisms * (1 << np.arange(len(sim.DOMAINS)))).sum(axis=1))
    # only charities that served it changed; the rest of the sector is as drawn (no random draw used)
    untouched = ~plain.specialisms[:, d]
    assert np.array_equal(s.presence[untouched], plain.presence[untouched])
    assert np.array_equal(s.specialisms[untouched], plain.specialisms[untouched])
    assert np.array_equal(s.base_income, plain.base_income)


def test_fine_cell_work_forms_in_a_dense_region_too(small_scenario):
    """P1 at four times the baseline's sector in the same places, where random presence alone puts some
    provider of every need in every place: the joint services for the need nobody inside offers still form
    in prisons, and none forms without partnerships."""
    dense = dict(sector__charities=600, demand__clients=12_000, run__months=12)
    d = sim.DOMAINS.index("purposeful_activity")
    on = small_scenario("fine_cell_work", **dense)
    off = small_scenario("fine_cell_work", partnership__enabled=False, **dense)
    formed = 0
    for seed in sim.replication_seeds(on, 2):
        model = sim.PartnershipModel(on, seed=seed)
        model.run_for(12)
        formed += sum(1 for loc, dom in model.partnerships.joint_services() if dom == d and loc in set(model.prisons.tolist()))
        model = sim.PartnershipModel(off, seed=seed)
        model.run_for(12)
        assert model.counters["unfunded_formed"] == 0 and not model.partnerships.joint_services()
    assert formed > 0


def test_one_joint_service_a_place_and_need(small_scenario):
    sc = small_scenario("fine_cell_work", partnership__search_rate=1.0)
    for seed in sim.replication_seeds(sc, 3):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(6)
        cells = model.partnerships.joint_services()
        assert cells and len(cells) == len(set(cells))


def test_the_place_by_place_index_lists_the_charities_present_in_each_place(small_scenario):
    """Partner search finds a charity's neighbours from an index of who works where: each place's run
    holds exactly the charities present there, in order, and follows a change of presence."""
    model = sim.PartnershipModel(small_scenario("baseline", run__months=2), seed=3)
    s = model.sector
    for _ in range(2):
        who, start = partnering._charities_by_place(model)
        for loc in range(s.presence.shape[1]):
            assert np.array_equal(who[start[loc]:start[loc + 1]], np.flatnonzero(s.presence[:, loc]))
        s.presence[0] = ~s.presence[0]  # presence changes: the index is rebuilt


def test_each_charitys_informal_partnership_is_the_later_one_it_belongs_to():
    """``informal_partnership_of``: each charity's active partnership without a contract, the later one where it
    belongs to several; charities in none, or only in inactive, single or contracted ones, read -1."""
    from sim.partnerships import Partnership, PartnershipBook

    book = PartnershipBook(8)
    groups = [[0, 1], [1, 2, 3], [4], [5, 6], [6, 7], [2, 7]]
    made = [book.add(Partnership(pid=10 + i, members=list(m), lead=m[0], form="informal", formed=0))
            for i, m in enumerate(groups)]
    made[3].contracts.append(object())  # a contract: not informal
    made[5].active = False
    expected = np.full(8, -1)
    for p in made:  # the reading the method gives: later partnerships overwrite earlier ones
        if p.active and len(p.members) >= 2 and not p.contracts:
            expected[p.members] = p.pid
    got = book.informal_partnership_of()
    np.testing.assert_array_equal(got, expected)
    assert list(got) == [10, 11, 11, 11, -1, -1, 14, 14]
