"""Tendering (:mod:`sim.tendering`) on small seeded models: defection, viability at re-tender, rollover.

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
from helpers import run_model


def test_market_test_causes_defections_rollover_none(small_scenario, seeded_values):
    kw = dict(run__months=40, commissioning__contract_months=12)
    market = small_scenario("inspire", commissioning__retender="market_test", **kw)
    rollover = small_scenario("inspire", commissioning__retender="rollover", **kw)
    final = lambda m: m.current["defections"]  # noqa: E731
    a, b = seeded_values(market, final), seeded_values(rollover, final)
    assert np.all(b == 0), "a rolled-over contract has no partner bidding against it"
    assert a.sum() > 0
    assert greater(a, b) < ALPHA


def test_defection_damages_ties_and_leaves_the_partnership(small_scenario):
    class AlwaysDefect(sim.Charity):
        def defection_chance(self, lead_tie, value_change):
            return 1.0

    sc = small_scenario("inspire", commissioning__retender="market_test")
    model = sim.PartnershipModel(sc, seed=2, charity_cls=AlwaysDefect)
    model.run_for(3)
    p = next(c.holder for c in model.contracts.values() if c.holder.size >= 2)
    lead, others = p.lead, [m for m in p.members if m != p.lead]
    before = model.network.strength(np.full(len(others), lead), np.asarray(others), "managerial").copy()
    assert np.all(before > 0)
    out = tendering.defect(model, p, 0.0)
    assert sorted(out) == sorted(others)
    assert p.members == [lead]
    after = model.network.strength(np.full(len(others), lead), np.asarray(others), "managerial")
    keep = 1.0 - sc.relationships.defection_damage
    assert np.allclose(after, before * keep)
    assert model.counters["defections"] == len(others)


def test_halving_the_contract_at_retender_drops_delivering_partners(small_scenario):
    """Same specification at half the value: partners who cannot carry their part of the shortfall leave."""
    kw = dict(run__months=30, run__burn_in=6, commissioning__contract_months=12, commissioning__retender="rollover")
    same = small_scenario("inspire", **kw)
    halved = small_scenario("inspire", commissioning__value_change_at_retender=-0.5, **kw)

    def after_retender(model):  # first re-tender at month 7; seeds with no contract at all give NaN
        df = model.monthly_frame()
        return float(df.loc[df["month"] > 8, "partners_delivering_mean"].mean()), model.counters["withdrawals"]

    seeds = sim.replication_seeds(same, 8)
    a = np.array([after_retender(run_model(same, s)) for s in seeds])
    b = np.array([after_retender(run_model(halved, s)) for s in seeds])
    assert np.all(a[:, 1] == 0), "at the same value nobody withdraws"
    assert b[:, 1].sum() > 0
    ok = np.isfinite(a[:, 0]) & np.isfinite(b[:, 0])
    assert ok.sum() >= 5
    assert greater(a[ok, 0], b[ok, 0]) < ALPHA


def test_split_caseload_drops_only_the_partners_who_cannot_carry_their_part(small_scenario):
    # contracts paying 70% of their cost: a partner's part of the shortfall is more than it absorbs
    sc = small_scenario("inspire", run__burn_in=6, commissioning__cost_coverage=0.7)
    for seed in range(2, 12):  # the first seed with a partnership of three or more
        model = sim.PartnershipModel(sc, seed=seed)
        contract = next((c for c in model.contracts.values() if len(c.shares) >= 3), None)
        if contract is not None:
            break
    assert contract is not None
    lead, members = contract.holder.lead, list(contract.shares)
    lot = tendering.offer(model, contract.commissioner, contract.lot_index, None)
    bid = tendering.Bid(members, lead)
    full = tendering.split_caseload(model, lot, bid)
    assert set(full) == set(members)
    assert sum(full.values()) == pytest.approx(lot.value)
    # the lead keeps the money the specification sets for its core case-work
    assert full[lead] == pytest.approx(min(lot.value, sc.partnership.lead_core_share * lot.spec_value))
    # a partner with no money of its own cannot carry its part of the shortfall
    poor = next(m for m in members if m != lead)
    model.sector.own_funds[poor] = 0.0
    model.sector.reserves[poor] = 0.0
    model.cache.clear()  # free funds are cached for the month
    before = model.counters["withdrawals"]
    kept = tendering.split_caseload(model, lot, bid)
    assert poor not in kept and lead in kept
    assert set(kept) <= set(members) - {poor}
    assert sum(kept.values()) == pytest.approx(lot.value)
    assert model.counters["withdrawals"] == before + len(members) - len(kept)
    funds = tendering.charity_free_funds(model)
    core = sc.partnership.lead_core_share
    rest = lot.value - kept[lead]
    for m in kept:  # every partner who stays can carry what its part costs beyond its money and what it absorbs
        if m != lead:
            work = kept[m] * (1.0 - core) / rest  # its share of the work
            own_part = max(work * lot.cost - kept[m], 0.0)
            cost = own_part + tendering.coordination_cost(model, "alliance", False)
            absorbed = sc.partnership.subsidy_tolerance * work * lot.cost
            assert funds[m] >= cost - absorbed - 1e-9
    # the specification costs more than it pays: partners carry a shortfall
    assert lot.shortfall > 0
def test_rollover_keeps_the_incumbent(small_scenario):
    sc = small_scenario("inspire", run__months=30, commissioning__contract_months=12, commissioning__retender="rollover")
    model = sim.PartnershipModel(sc, seed=4)
    model.run_for(6)
    first = {c.lot_index: c.holder for c in model.contracts.values()}
    model.run_for(20)  # past one re-tender
    later = {c.lot_index: c for c in model.contracts.values()}
    assert later
    for lot, c in later.items():
        assert c.start > 1
        assert c.holder is first[lot]


def test_a_small_charity_can_lead_a_bid_for_a_small_local_lot(small_scenario):
    """One-locality lots: charities under 500k a year (bands 0-1) lead some of the winning bids."""
    sc = small_scenario(run__burn_in=12, commissioning__lots=12)
    small_leads = 0
    for seed in sim.replication_seeds(sc, 3):
        model = sim.PartnershipModel(sc, seed=seed)
        model.run_for(3)
        small_leads += sum(1 for c in model.contracts.values()
                           if c.lot.size == 1 and model.sector.band[c.holder.lead] <= 1)
    assert small_leads > 0


def test_a_small_charity_chooses_to_lead_a_cheap_local_lot(small_scenario):
    sc = small_scenario(run__burn_in=0, commissioning__lots=12)
    model = sim.PartnershipModel(sc, seed=1)
    s = model.sector
    lots = [tendering.offer(model, c, i, None) for c in model.commissioners for i in range(len(c.lots))]
    lots = [lot for lot in lots if lot.places.size == 1]
    assert lots
    small_leads = 0
    for lot in lots:
        intent = tendering.intentions(model, lot, set())
        f = tendering.fit(model, lot.places, lot.domains)
        assert np.all(intent[f <= 0] < 2), "nobody leads where it neither works nor serves a funded need"
        away = ~model.sector.presence[:, lot.places].any(axis=1)
        assert np.all(intent[away] == 0), "nobody bids for a lot where it does not work"
        small_leads += int(np.sum((intent == 2) & (s.band <= 1)))
    assert small_leads > 0, "some small charity chooses to lead a local lot"
    # without money of its own nobody can lead
    s.own_funds[:] = 0.0
    s.reserves[:] = 0.0
    model.cache.clear()
    assert not any(np.any(tendering.intentions(model, lot, set()) == 2) for lot in lots)


def test_a_recruited_partner_can_refuse(small_scenario):
    """Invited partners with little money of their own refuse; partners who always accept never do.

    Poor charities normally stay out of a tender altogether (``bid_intent``); here
    they offer to join, so the lead invites them and they weigh the invitation.
    """
    class Keen(sim.Charity):
        def bid_intent(self, lot, fit, access, funds, lead_cost, join_cost):
            return 1 if access > 0 else 0

    class KeenAndAccepting(Keen):
        def accepts_invitation(self, lot, lead, expected_share, lead_tie):
            return True

    sc = small_scenario("inspire", run__burn_in=0, run__months=12, commissioning__cost_coverage=0.7,
                         sector__cj_share_primary=0.02, sector__cj_share_other=0.002)
    seeds = sim.replication_seeds(sc, 2)
    refusals = sum(run_model(sc, seed, lambda m, i: (Keen if i % 2 else sim.Charity)(m, i)).counters["refusals"]
                   for seed in seeds)
    assert refusals > 0
    always = sum(run_model(sc, seed, KeenAndAccepting).counters["refusals"] for seed in seeds)
    assert always == 0


def test_no_contract_is_awarded_at_zero_value(small_scenario):
    sc = small_scenario(run__burn_in=6, funding__commissioned_per_client=0.0)
    model = run_model(sc, sim.replication_seeds(sc, 1)[0])
    df = model.monthly_frame()
    assert (df["contracts_active"] == 0).all()
    assert model.counters["tenders"] == 0
    # ... while the same region with money does award them
    paid = run_model(small_scenario(run__burn_in=6), sim.replication_seeds(sc, 1)[0])
    assert paid.monthly_frame()["contracts_active"].min() > 0


def test_partners_money_funds_posts(small_scenario):
    """The partners' money (the value beyond the lead's core money, as at the award) pays for staff hours
    at the loaded hourly cost: the hours a lead need not find in partners' existing staff."""
    model = sim.PartnershipModel(small_scenario("inspire", run__burn_in=0), seed=1)
    commissioner = next(iter(model.commissioners))
    lot = tendering.offer(model, commissioner, 0, None)
    core = model.scenario.partnership.lead_core_share
    expected = (lot.value - min(lot.value, core * lot.spec_value)) / tendering.loaded_cost(model)
    assert tendering.funded_partner_hours(model, lot) == pytest.approx(expected)
    assert expected > 0


def test_a_fully_funded_contract_recruits_no_partners_for_capacity(small_scenario, monkeypatch):
    """Money buys capacity: the same lead, lot and random state build a bid no larger when the partners' money
    counts as funded posts than when only partners' existing staff count (the rule before), and a smaller one
    where the lead is short of hours; with the contract paying its full cost, no partner joins for hours alone."""
    sc = small_scenario("inspire", run__burn_in=0, commissioning__cost_coverage=1.0)
    smaller = 0
    for seed in sim.replication_seeds(sc, 6):
        model = sim.PartnershipModel(sc, seed=seed)
        lot = tendering.offer(model, next(iter(model.commissioners)), 0, None)
        willing = model.sector.alive.copy()
        lead = int(np.argmax(tendering.fit(model, lot.places, lot.domains) * model.sector.alive))
        state = model.rng.bit_generator.state
        funded = tendering.assemble(model, lead, lot, set(), willing)
        model.rng.bit_generator.state = state
        with monkeypatch.context() as mp:
            mp.setattr(tendering, "funded_partner_hours", lambda model, lot: 0.0)
            staff_only = tendering.assemble(model, lead, lot, set(), willing)
        assert len(funded) <= len(staff_only)
        smaller += len(funded) < len(staff_only)
        # each partner of the funded bid brought a place or a need the members before it lacked
        s = model.sector
        for k in range(1, len(funded)):
            before = funded[:k]
            new_place = (s.presence[funded[k], lot.places] & ~s.presence[before][:, lot.places].any(axis=0)).any()
            new_need = (s.specialisms[funded[k], lot.domains] & ~s.specialisms[before][:, lot.domains].any(axis=0)).any()
            assert new_place or new_need
    assert smaller >= 1


def test_a_retender_marks_the_holders_ties_and_creates_none(small_scenario):
    """At a re-tender the ties among the holder's operating members join the re-tendered cohort; no tie is made."""
    sc = small_scenario("inspire", commissioning__retender="rollover")
    model = sim.PartnershipModel(sc, seed=2)
    model.run_for(3)
    contract = next(c for c in model.contracts.values() if c.holder.size >= 2)
    members = [m for m in contract.holder.members if model.sector.alive[m]]
    model.network.retendered[:] = False
    a, b = model.network.pairs_within(np.asarray(members))
    before = model.network.edge_index(a, b)  # the members' ties before the re-tender
    assert np.all(before >= 0)
    strength = model.network.managerial[before].copy()
    model.network.mark_retendered(members)
    assert np.all(model.network.retendered[before])
    assert np.count_nonzero(model.network.retendered) == before.size  # only these ties
    assert np.array_equal(model.network.managerial[before], strength)  # marking changes no strength
    model.network.retendered[:] = False
    tendering.tender(model, contract.commissioner, contract.lot_index, contract)  # the re-tender itself marks them
    assert np.all(model.network.retendered[before])


def test_a_market_test_weakens_the_retendered_partners_ties(small_scenario, seeded_values):
    """Inspire: a market test caused "damage to the relationships inherent in the collaboration". Measured on
    the ties of the partners who faced the re-tender together, against a roll-over of the same contracts."""
    kw = dict(run__months=40, commissioning__contract_months=12)
    market = small_scenario("inspire", commissioning__retender="market_test", **kw)
    rollover = small_scenario("inspire", commissioning__retender="rollover", **kw)
    final = lambda m: m.current["rel_retendered_managerial_mean"]  # noqa: E731
    a, b = seeded_values(market, final), seeded_values(rollover, final)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert greater(b, a) < ALPHA


def test_a_partner_with_no_work_in_the_lot_is_not_paid(small_scenario):
    """A partner that meets none of the lot's clients' needs where it works has no part in the contract
    (it is not paid for presence alone); the others' expected work is their share of the needs they meet."""
    sc = small_scenario("inspire", run__burn_in=6)
    model = sim.PartnershipModel(sc, seed=3)
    contract = next(c for c in model.contracts.values() if len(c.shares) >= 2)
    lead, members = contract.holder.lead, list(contract.shares)
    lot = tendering.offer(model, contract.commissioner, contract.lot_index, None)
    s = model.sector
    # an outsider present in the lot's places but serving none of its needs
    idle = next(i for i in range(s.n) if s.alive[i] and i not in members)
    s.specialisms[idle] = s.specialisms[idle] & ~lot.domains
    s.presence[idle, lot.places] = True
    work = tendering.has_lot_work(model, lot, [*members, idle])
    assert not work[-1] and work[:-1].any()
    paid = tendering.split_caseload(model, lot, tendering.Bid([*members, idle], lead))
    assert idle not in paid
    assert sum(paid.values()) == pytest.approx(lot.value)


def test_rollover_needs_a_holder_that_still_covers_the_lot(small_scenario):
    """A commissioner renews only a holder that could still win the lot. When partners have closed and the
    rest no longer cover ``min_coverage`` of its places, the lead invites new partners first; if nobody
    joins, the lot goes to the market, where the incumbent's lone lead cannot win it."""

    class Keen(sim.Charity):  # joins any bid it is present for, and can carry any part
        def bid_intent(self, lot, fit, access, funds, lead_cost, join_cost):
            return max(1, super().bid_intent(lot, fit, access, funds, lead_cost, join_cost)) if access > 0 else 0

        def accepts_invitation(self, lot, lead, expected_share, lead_tie):
            return True

        def accepts_share(self, lot, share, funds, cost):
            return True

    class Aloof(Keen):  # joins at first; after ``closing`` nobody accepts an invitation
        closing = False

        def accepts_invitation(self, lot, lead, expected_share, lead_tie):
            return not Aloof.closing

    for cls in (Keen, Aloof):
        Aloof.closing = False
        sc = small_scenario("family_alliance", run__months=3)
        model = sim.PartnershipModel(sc, seed=4, charity_cls=cls)
        model.run_for(2)
        contract = next(c for c in model.contracts.values() if c.holder.size >= 2)
        holder, lead = contract.holder, contract.holder.lead
        lot = tendering.offer(model, contract.commissioner, contract.lot_index, contract)
        assert tendering.eligible(model, lot, holder.members)[0]  # the full partnership could be renewed
        for m in [m for m in holder.members if m != lead]:
            finance.close(model, m)
        Aloof.closing = True
        assert not tendering.eligible(model, lot, [lead])[0], "the lead alone should not cover the national lot"
        invited = model.counters["refusals"]
        renewed = tendering.rollover(model, lot, holder, contract)
        if cls is Keen:  # renewed only if the partners it invited reach the lot's places (those with work there)
            assert renewed is None or (renewed.holder is holder and holder.size >= 2
                                       and tendering.delivers_in_places(model, lot, holder.members))
        else:  # the lead asked, everyone refused: not renewed, and the market does not go to the lone lead
            assert model.counters["refusals"] > invited
            assert renewed is None
            won = tendering.tender(model, contract.commissioner, contract.lot_index, contract)
            assert won is None or won.holder is not holder


def test_award_passes_over_a_bid_left_unable_to_reach_the_lot(small_scenario, monkeypatch):
    """The best bid whose partners withdraw at the split, leaving members who no longer reach
    ``min_coverage`` of the lot's places, gives way to the next bid; if every bid is left so, the best is
    awarded as it stands (the commissioner still places the service)."""

    class Picky(sim.Charity):  # the charities in ``refusing`` will not carry any part of a contract
        refusing: set[int] = set()

        def accepts_share(self, lot, share, funds, cost):
            return self.index not in Picky.refusing

    sc = small_scenario("family_alliance", run__months=3, commissioning__min_coverage=0.5)
    model = sim.PartnershipModel(sc, seed=4, charity_cls=Picky)
    model.run_for(2)
    contract = next(c for c in model.contracts.values() if c.holder.size >= 3)
    lot = tendering.offer(model, contract.commissioner, contract.lot_index, contract)
    first = list(contract.holder.members)
    others = [m for m in np.flatnonzero(model.sector.alive) if m not in first]
    working = [m for m, w in zip(others, tendering.has_lot_work(model, lot, others)) if w]
    second = []  # charities with work in the lot, until they reach its places
    for m in sorted(working, key=lambda m: -int(model.sector.presence[m, lot.places].sum())):
        second.append(int(m))
        if tendering.delivers_in_places(model, lot, second):
            break
    assert tendering.eligible(model, lot, first)[0] and tendering.eligible(model, lot, second)[0]
    bids = [tendering.Bid(first, contract.holder.lead), tendering.Bid(second, second[0])]

    def scored(model_, lot_, bids_, previous):  # the first bid is the better one
        for b, score in zip(bids_, (2.0, 1.0)):
            b.eligible, b.score = True, score
        return bids_[0]

    monkeypatch.setattr(tendering, "collect_bids", lambda *a: bids)
    monkeypatch.setattr(tendering, "score_bids", scored)
    Picky.refusing = {m for m in first if m != contract.holder.lead}  # the best bid's partners all withdraw
    assert not tendering.delivers_in_places(model, lot, [contract.holder.lead])
    won = tendering.tender(model, lot.commissioner, lot.index, None)
    assert won is not None and won.holder.lead == second[0]
    assert tendering.delivers_in_places(model, lot, won.holder.members)
    Picky.refusing = set(range(model.sector.n)) - {contract.holder.lead, second[0]}  # both bids left alone
    for b in bids:
        b.partnership = None
    won = tendering.tender(model, lot.commissioner, lot.index, None)
    assert won is not None and won.holder.lead == contract.holder.lead  # the best, as it stands


def test_with_no_eligible_bid_the_commissioner_negotiates_with_the_nearest(small_scenario, monkeypatch):
    """No bid reaches ``min_coverage`` of the lot's places: the bid covering most of them, among those covering
    at least half its places and half its funded needs, is awarded the lot as it stands; a lot no bid comes
    near to is left for a later tender."""
    sc = small_scenario("family_alliance", run__months=3)
    model = sim.PartnershipModel(sc, seed=4)
    model.run_for(2)
    contract = next(iter(model.contracts.values()))
    lot = tendering.offer(model, contract.commissioner, contract.lot_index, contract)
    s = model.sector
    cover = lambda ms: tendering.coverage(model, ms, lot.places, lot.domains)  # noqa: E731
    # two bids built from the charities serving the lot's needs, each stopped below the commissioner's rule
    serving = [int(m) for m in np.flatnonzero(s.alive & s.specialisms[:, lot.domains].any(axis=1))
               if s.presence[m, lot.places].any()]
    serving.sort(key=lambda m: -int(s.presence[m, lot.places].sum()))
    near, far = [], [serving[-1]]
    for m in serving:
        if cover(near + [m])[0] >= sc.commissioning.min_coverage:
            break
        near.append(m)
    assert cover(near)[0] >= 0.5 and len(near) >= 2 and cover(far)[0] < 0.5
    bids = [tendering.Bid(far, far[0]), tendering.Bid(near, near[0])]
    monkeypatch.setattr(tendering, "collect_bids", lambda *a: bids)
    won = tendering.tender(model, lot.commissioner, lot.index, None)
    assert won is not None and set(won.holder.members) <= set(near) and won.holder.lead == near[0]
    assert not any(b.eligible for b in bids)
    monkeypatch.setattr(tendering, "collect_bids", lambda *a: [tendering.Bid(far, far[0])])
    assert tendering.tender(model, lot.commissioner, lot.index, None) is None


def test_an_informal_partnership_that_wins_a_contract_works_as_the_scenario_says(small_scenario):
    """Shared records, one site and joint training are the scenario's ways of working for a partnership
    that holds a contract, whether it was formed for the contract or was informal before it won."""
    sc = small_scenario("baseline", run__months=36, commissioning__contract_months=12,
                        partnership__shared_case_management=True, partnership__co_location=True,
                        partnership__joint_training_months=6)
    held, was_informal = 0, 0
    for seed in sim.replication_seeds(sc, 6):
        model = sim.PartnershipModel(sc, seed=seed)
        informal = set()
        for _ in range(sc.run.burn_in + sc.run.months):
            informal |= {p.pid for p in model.partnerships if p.informal}
            model.step()
            for p in model.partnerships:
                if p.contracts:
                    held += 1
                    was_informal += p.pid in informal
                    assert p.shared_case_management and p.joint_training_months == 6
                    assert p.co_located or len(p.members) < 2
    assert held > 0 and was_informal > 0, "some contracts are won by partnerships that were informal"
