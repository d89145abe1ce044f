"""The two-layer relationship network: growth, decay, damage and the sparse store."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.relationships import RelationshipNetwork, decay, growth
from sim.scenario import Relationships

from helpers import per_seed, small
from helpers import ALPHA, Willing, greater, mean_after


def net(n: int = 10, **params) -> RelationshipNetwork:
    return RelationshipNetwork(n, Relationships(**params))


# ------------------------------------------------------------------ pure rules

def test_growth_moves_towards_one_and_saturates():
    s = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    g = growth(s, 0.3)
    assert np.all(g >= s)
    assert np.all(g[:-1] > s[:-1])
    assert np.all(g <= 1.0)
    assert g[-1] == 1.0
    # more contact, more growth; none, none
    assert np.all(growth(s[:-1], 0.6) > growth(s[:-1], 0.3))
    assert np.array_equal(growth(s, 0.0), s)
    # rates above one (summed contact) never push past full strength
    assert np.all(growth(s, 5.0) <= 1.0)
    assert np.all(growth(s, -1.0) == s)


def test_decay_only_without_contact():
    s = np.array([0.8, 0.8, 0.0])
    contact = np.array([True, False, False])
    d = decay(s, 0.1, contact)
    assert d[0] == pytest.approx(0.8)
    assert d[1] < 0.8 and d[1] == pytest.approx(0.72)
    assert d[2] == 0.0
    assert np.all(decay(s, 1.0, np.zeros(3, bool)) == 0.0)


# ------------------------------------------------------------------ network

def test_ensure_creates_symmetric_ties_once():
    g = net(initial_strength=0.2)
    idx = g.ensure([1, 3], [2, 0])
    assert len(g) == 2 and np.all(idx >= 0)
    # same pairs, either order: no new ties
    idx2 = g.ensure([2, 0], [1, 3])
    assert len(g) == 2
    assert sorted(idx.tolist()) == sorted(idx2.tolist())
    assert g.strength(1, 2)[0] == pytest.approx(0.2)
    assert g.strength(2, 1)[0] == pytest.approx(0.2)
    assert g.strength(1, 2, "managerial")[0] == pytest.approx(0.2)
    # no tie to oneself, and unknown pairs have strength 0
    g.ensure([4], [4])
    assert len(g) == 2
    assert g.strength(4, 5)[0] == 0.0
    assert g.edge_index(4, 5)[0] == -1


def test_strength_of_an_empty_network_is_zero():
    g = net()
    assert np.all(g.strength(np.arange(5), np.arange(5, 10)) == 0.0)
    assert np.all(g.edge_index([0, 1], [2, 3]) == -1)


def test_contact_grows_and_absence_decays():
    g = net(initial_strength=0.3, managerial_decay=0.1, frontline_decay=0.2)
    g.ensure([0, 2], [1, 3])
    g.add_contact([0], [1], managerial=0.5, frontline=0.5)
    g.update()
    assert g.strength(0, 1, "managerial")[0] > 0.3
    assert g.strength(0, 1, "frontline")[0] > 0.3
    assert g.strength(2, 3, "managerial")[0] == pytest.approx(0.3 * 0.9)
    assert g.strength(2, 3, "frontline")[0] == pytest.approx(0.3 * 0.8)
    # contact is for one month only
    before = g.strength(0, 1, "frontline")[0]
    g.update()
    assert g.strength(0, 1, "frontline")[0] < before


def test_layers_are_independent():
    g = net(initial_strength=0.3, managerial_decay=0.1, frontline_decay=0.1)
    g.add_contact([0], [1], managerial=0.5)
    g.update()
    assert g.strength(0, 1, "managerial")[0] > 0.3
    assert g.strength(0, 1, "frontline")[0] < 0.3  # no frontline contact: it decays (managerial ties hold)


def test_add_contact_creates_missing_ties_and_sums_repeats():
    g = net(initial_strength=0.2)
    g.add_contact([0, 0], [1, 1], frontline=0.1)
    assert len(g) == 1
    g.update()
    assert g.strength(0, 1)[0] == pytest.approx(0.2 + 0.2 * 0.8)
    h = net(initial_strength=0.2)
    h.add_contact(np.array([0, 5]), np.array([1, 6]), frontline=np.array([0.1, 0.5]))
    h.update()
    assert h.strength(5, 6)[0] > h.strength(0, 1)[0]


def test_damage_cuts_both_layers_by_the_damage_share():
    g = net(initial_strength=0.6, defection_damage=0.5)
    g.ensure([0, 0], [1, 2])
    g.damage([0], [1])
    assert g.strength(0, 1, "managerial")[0] == pytest.approx(0.3)
    assert g.strength(0, 1, "frontline")[0] == pytest.approx(0.3)
    assert g.strength(0, 2, "managerial")[0] == pytest.approx(0.6)  # only that pair
    g.damage([3], [4])  # no tie: nothing happens, nothing is created
    assert len(g) == 2


def test_dropping_an_organisation_zeroes_its_ties():
    g = net(initial_strength=0.5)
    g.ensure([0, 0, 1], [1, 2, 2])
    g.drop_organisation(0)
    assert g.strength(0, 1)[0] == 0.0 and g.strength(0, 2, "managerial")[0] == 0.0
    assert g.strength(1, 2)[0] == pytest.approx(0.5)


def test_pairs_within():
    g = net()
    a, b = g.pairs_within(np.array([7, 3, 5]))
    pairs = {tuple(sorted(p)) for p in zip(a.tolist(), b.tolist())}
    assert pairs == {(3, 7), (5, 7), (3, 5)}
    a, b = g.pairs_within(np.array([4]))
    assert a.size == b.size == 0


def test_large_ids_are_kept_apart():
    g = net(n=5000, initial_strength=0.2)
    g.ensure([4999, 0], [1, 4998])
    g.add_contact([4999], [1], frontline=1.0)
    g.update()
    assert g.strength(1, 4999)[0] == pytest.approx(1.0)
    assert g.strength(0, 4998)[0] < 0.2
    assert g.strength(0, 1)[0] == 0.0


ops = st.lists(
    st.tuples(st.sampled_from(["contact", "damage", "update", "drop", "ensure"]),
              st.lists(st.integers(0, 11), min_size=2, max_size=8),
              st.floats(0, 3), st.floats(0, 3)),
    max_size=40,
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, decay_m=st.floats(0, 1), decay_f=st.floats(0, 1), dmg=st.floats(0, 1), init=st.floats(0, 1))
def test_strengths_stay_in_unit_interval(ops, decay_m, decay_f, dmg, init):
    g = net(n=12, managerial_decay=decay_m, frontline_decay=decay_f, defection_damage=dmg, initial_strength=init)
    for op, ids, m, f in ops:
        half = len(ids) // 2
        i, j = np.asarray(ids[:half]), np.asarray(ids[half:2 * half])
        if op == "contact":
            g.add_contact(i, j, managerial=m, frontline=f)
        elif op == "damage":
            g.damage(i, j)
        elif op == "update":
            g.update()
        elif op == "drop":
            g.drop_organisation(int(ids[0]))
        else:
            g.ensure(i, j)
        for layer in (g.managerial, g.frontline):
            assert np.all((layer >= 0.0) & (layer <= 1.0))
        assert np.all(g.a < g.b)
        assert len(np.unique(g.a * g.n + g.b)) == len(g)
    g.update()
    assert np.all((g.managerial >= 0) & (g.managerial <= 1)) and np.all((g.frontline >= 0) & (g.frontline <= 1))


def test_model_ties_stay_in_unit_interval_and_partners_know_each_other():
    sc = sim.load_scenario("inspire", {"run.months": 18, "run.burn_in": 12, "sector.charities": 40, "demand.clients": 300})
    model = sim.PartnershipModel(sc, seed=7, charity_cls=Willing)  # a partnership holds the contract
    for _ in range(18):
        model.step()
        n = model.network
        assert np.all((n.managerial >= 0) & (n.managerial <= 1))
        assert np.all((n.frontline >= 0) & (n.frontline <= 1))
    checked = 0
    for c in model.contracts.values():
        members = np.asarray(c.holder.members)
        if members.size >= 2:
            a, b = model.network.pairs_within(members)
            assert np.all(model.network.edge_index(a, b) >= 0)
            checked += 1
    assert checked > 0


def test_statutory_engagement_grows_partners_managerial_ties():
    """Statutory partners who attend governance (engagement) make the contact that builds managerial ties."""
    fn = mean_after("rel_partner_managerial_mean")
    engaged = small("inspire", run__burn_in=12, statutory__engagement=1.0)
    absent = small("inspire", run__burn_in=12, statutory__engagement=0.0)
    a, b = per_seed(engaged, fn, charity_cls=Willing), per_seed(absent, fn, charity_cls=Willing)
    assert greater(a, b) < ALPHA


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=12), max_size=8))
def test_ties_added_in_batches_are_found_as_after_sorting_every_key(batches):
    network = net(30)
    searched = net(30)
    searched._dense = None  # the sorted-key search a large sector uses, beside the small sector's table
    for batch in batches:
        if batch:
            i, j = np.array(batch).T
            np.testing.assert_array_equal(network.ensure(i, j), searched.ensure(i, j))
    keys = network.a * network.n + network.b
    np.testing.assert_array_equal(network._order, np.argsort(keys, kind="stable"))
    np.testing.assert_array_equal(network._keys, np.sort(keys))
    every = np.arange(30)
    i, j = np.repeat(every, 30), np.tile(every, 30)
    found = network.edge_index(i, j)
    assert network._dense is not None
    np.testing.assert_array_equal(found, searched.edge_index(i, j))
    pairs = {(min(a, b), max(a, b)) for batch in batches for a, b in batch if a != b}
    assert {(min(a, b), max(a, b)) for a, b, k in zip(i, j, found) if k >= 0} == pairs
    hit = found >= 0
    np.testing.assert_array_equal(np.minimum(network.a, network.b)[found[hit]], np.minimum(i, j)[hit])


def test_remembered_partner_tie_indices_give_the_ties_looked_up_afresh():
    """The metrics remember the within-partnership tie indices while the groups are unchanged: month by month,
    the strengths they report equal a fresh look-up of every pair."""
    from sim.outcomes import MetricView

    model = sim.PartnershipModel(small("baseline", run__burn_in=0), seed=3)
    reused = 0
    for _ in range(30):
        model.step()
        remembered = model.cache.get("partner_tie_index")
        view = MetricView(model)
        if not view.groups:
            continue
        net = model.network
        a, b, _ = net.pairs_within_groups([p.members for p in view.groups])
        idx = net.edge_index(a, b)
        expected = (net.strength_at(idx, "frontline").mean(), net.strength_at(idx, "managerial").mean())
        reused += remembered is not None and remembered[0] == tuple(tuple(p.members) for p in view.groups)
        assert view.partner_ties == pytest.approx(expected, abs=0.0)
    assert reused > 0  # the remembered indices were used in some month
