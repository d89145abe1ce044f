"""Clients as arrays: arrivals, needs, prison transfers, exits and exit hazards."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.clients import STATES, ClientPopulation, exit_hazards

PRISONS = np.array([7, 8, 9])
COMMUNITY = np.arange(7)


def population(seed: int = 0, overrides: dict | None = None, prisons=PRISONS, community=COMMUNITY) -> ClientPopulation:
    sc = sim.load_scenario("baseline", overrides or {})
    return ClientPopulation(sc, np.random.default_rng(seed), prisons, community)


def check_aligned(cl: ClientPopulation) -> None:
    for name in STATES:
        assert getattr(cl, name).shape[0] == len(cl), name
    assert cl.needs.shape[1] == len(sim.DOMAINS)


def test_arrivals_get_unique_ids_for_life():
    cl = population()
    first = cl.arrive(500, started=True)
    assert np.array_equal(first, np.arange(500))
    second = cl.arrive(300)
    assert np.array_equal(second, np.arange(500, 800))
    assert len(np.unique(cl.uid)) == len(cl) == 800
    check_aligned(cl)
    cl.remove(np.arange(len(cl)) % 2 == 0)
    third = cl.arrive(200)
    assert len(np.unique(cl.uid)) == len(cl) == 600
    # ids are never reused, even after exits
    assert cl.uid[third].min() >= 800
    assert cl.flows.arrived == 1000
    assert cl.arrive(0).size == 0 and cl.arrive(-3).size == 0
    assert cl.flows.arrived == 1000


def test_every_client_has_at_least_one_need_and_a_valid_place():
    cl = population()
    cl.arrive(3000, started=True)
    assert np.all(cl.need_count >= 1)
    assert np.all(np.isin(cl.locality, np.concatenate([PRISONS, COMMUNITY])))
    assert np.all((cl.months >= 0) & (cl.months < cl.spell))
    assert np.all(cl.spell >= 1)
    assert np.all(cl.contract == -1) and np.all(cl.provider == -1)


def test_needs_counts_follow_the_probabilities():
    probs = [0.4, 0.3, 0.2, 0.1]
    cl = population(overrides={"demand.needs_count_probs": probs})
    n = 20000
    cl.arrive(n)
    observed = np.bincount(cl.need_count, minlength=len(probs) + 1)[1:len(probs) + 1]
    assert observed.sum() == n  # nobody has more needs than the distribution allows
    assert np.allclose(observed / n, probs, atol=0.02)
    assert stats.chisquare(observed, np.asarray(probs) * n).pvalue > 0.001


def test_domains_follow_their_weights():
    w = [5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2]
    cl = population(overrides={"demand.domain_weights": w, "demand.needs_count_probs": [1.0]})
    cl.arrive(10000)
    freq = cl.needs.mean(axis=0)
    assert freq[0] > 3 * freq[1]
    assert freq[6] < freq[1]
    assert freq.sum() == pytest.approx(1.0)


def test_custody_share_and_court_orders():
    cl = population(overrides={"demand.custody_share": 0.3, "demand.court_order_share": 0.5})
    cl.arrive(10000)
    in_prison = np.isin(cl.locality, PRISONS)
    assert in_prison.mean() == pytest.approx(0.3, abs=0.03)
    assert not np.any(cl.court_order & in_prison)  # court orders are community sentences
    assert cl.court_order[~in_prison].mean() == pytest.approx(0.5, abs=0.03)


def test_no_prisons_means_everyone_in_the_community():
    cl = population(prisons=np.arange(0), community=np.arange(1))
    cl.arrive(500)
    assert np.all(cl.locality == 0)
    moved, old = cl.transfer(0.9)
    assert moved.size == 0 and old.size == 0


def test_transfer_moves_only_prisoners_to_a_different_prison():
    cl = population(seed=3)
    cl.arrive(6000)
    before = cl.locality.copy()
    uids = cl.uid.copy()
    moved, old = cl.transfer(0.5)
    assert moved.size > 0
    assert np.array_equal(old, before[moved])
    assert np.all(np.isin(old, PRISONS))
    assert np.all(np.isin(cl.locality[moved], PRISONS))
    assert np.all(cl.locality[moved] != old)
    stay = np.ones(len(cl), bool)
    stay[moved] = False
    assert np.array_equal(cl.locality[stay], before[stay])
    assert np.array_equal(cl.uid, uids)
    assert cl.flows.transfers == moved.size
    # roughly the rate among prisoners
    assert moved.size / np.isin(before, PRISONS).sum() == pytest.approx(0.5, abs=0.05)
    # every other prison is reachable
    assert set(np.unique(cl.locality[moved][old == 7]).tolist()) == {8, 9}


def test_transfer_with_one_prison_or_zero_rate_moves_nobody():
    cl = population(prisons=np.array([9]), community=np.arange(9))
    cl.arrive(2000)
    assert cl.transfer(0.9)[0].size == 0
    cl = population()
    cl.arrive(2000)
    assert cl.transfer(0.0)[0].size == 0


def test_remove_compacts_every_state():
    cl = population()
    cl.arrive(1000)
    cl.months[:] = np.arange(1000) % 7
    drop = np.zeros(1000, bool)
    drop[::3] = True
    kept_uids = cl.uid[~drop].copy()
    kept_months = cl.months[~drop].copy()
    kept_needs = cl.needs[~drop].copy()
    cl.remove(drop)
    assert len(cl) == 1000 - drop.sum()
    check_aligned(cl)
    assert np.array_equal(cl.uid, kept_uids)
    assert np.array_equal(cl.months, kept_months)
    assert np.array_equal(cl.needs, kept_needs)
    cl.remove(np.ones(len(cl), bool))
    assert len(cl) == 0
    check_aligned(cl)


class TestExitHazards:
    sc = sim.load_scenario("baseline")

    def hazards(self, met, engagement=0.5, court=True, risk=1.0, n=5, custody=False):
        return exit_hazards(self.sc, np.full(n, risk), np.full(n, met), np.full(n, engagement), np.full(n, court),
                            np.full(n, custody))

    def test_met_needs_lower_reoffending(self):
        r_none, _ = self.hazards(0.0)
        r_half, _ = self.hazards(0.5)
        r_all, _ = self.hazards(1.0)
        assert np.all(r_all < r_half) and np.all(r_half < r_none)

    def test_risk_raises_reoffending(self):
        assert np.all(self.hazards(0.5, risk=2.0)[0] > self.hazards(0.5, risk=0.5)[0])

    def test_reoffending_matches_the_annual_rate(self):
        r, _ = self.hazards(0.0)
        annual = 1 - (1 - r[0]) ** 12
        assert annual == pytest.approx(self.sc.clients.reoffending_annual, rel=1e-6)

    def test_breach_only_for_court_orders(self):
        _, b_court = self.hazards(0.5, court=True, engagement=0.2)
        _, b_vol = self.hazards(0.5, court=False, engagement=0.2)
        assert np.all(b_court > 0)
        assert np.all(b_vol == 0)

    def test_engagement_lowers_breach(self):
        assert np.all(self.hazards(0.5, engagement=0.1)[1] > self.hazards(0.5, engagement=0.9)[1])

    def test_support_lowers_breach(self):
        assert np.all(self.hazards(0.9, engagement=0.5)[1] < self.hazards(0.1, engagement=0.5)[1])

    def test_breach_follows_engagement_and_support(self):
        _, b = self.hazards(0.25, engagement=0.5)
        assert b[0] == pytest.approx(self.sc.clients.breach_monthly * (2.0 - 0.5 - 0.25))
        _, b_full = self.hazards(1.0, engagement=1.0)
        assert np.all(b_full == 0)  # fully engaged and fully supported: no breach

    def test_nobody_reoffends_in_custody(self):
        for met in (0.0, 0.5, 1.0):
            for risk in (0.5, 1.0, 5.0):
                r_in, _ = self.hazards(met, risk=risk, custody=True)
                r_out, _ = self.hazards(met, risk=risk, custody=False)
                assert np.all(r_in == 0) and np.all(r_out > 0)

    def test_are_probabilities(self):
        rng = np.random.default_rng(0)
        n = 1000
        r, b = exit_hazards(self.sc, rng.lognormal(0, 1.5, n), rng.random(n), rng.random(n), rng.random(n) < 0.5,
                            rng.random(n) < 0.3)
        assert np.all((r >= 0) & (r <= 1))
        assert np.all(b >= 0)


def test_client_flows_balance_in_a_model():
    sc = sim.load_scenario("baseline", {"run.months": 18, "sector.charities": 40, "demand.clients": 500})
    model = sim.PartnershipModel(sc, seed=11)
    assert model.clients.flows.arrived == len(model.clients)  # the flows restart at month 0, after the burn-in
    assert 0.7 * 500 < len(model.clients) < 1.3 * 500
    for _ in range(18):
        model.step()
        f = model.clients.flows
        assert f.arrived == len(model.clients) + f.completed + f.breached + f.reoffended
        assert len(np.unique(model.clients.uid)) == len(model.clients)
        check_aligned(model.clients)
    assert f.completed > 0 and f.reoffended > 0
    # arrivals keep the population near its target
    assert 0.7 * 500 < len(model.clients) < 1.3 * 500


def test_people_in_custody_never_reoffend_in_a_model():
    """Everyone in prison and nobody released: no reoffending at all; released, some reoffend."""
    kw = {"run.months": 12, "run.burn_in": 6, "sector.charities": 40, "demand.clients": 400,
          "demand.custody_share": 1.0, "demand.sentence_months": 240.0}
    inside = sim.load_scenario("baseline", kw)
    no_release = sim.PartnershipModel.phases.without("releases")
    for seed in sim.replication_seeds(inside, 2):
        model = sim.PartnershipModel(inside, seed=seed, phases=no_release)
        model.run_for(12)
        assert model.clients.in_custody().all()
        assert model.clients.flows.reoffended == 0 and model.clients.flows.releases == 0
        assert model.clients.flows.completed > 0  # time passed and support ended in other ways
        assert np.isnan(model.current["reoffending_rate"])  # nobody in the community: no data
    released = sim.load_scenario("baseline", {**kw, "demand.sentence_months": 2.0})
    model = sim.PartnershipModel(released, seed=sim.replication_seeds(released, 1)[0])
    model.run_for(12)
    assert model.clients.flows.releases > 0
    assert model.clients.flows.reoffended > 0
    assert not model.clients.in_custody().all()


def test_release_moves_prisoners_to_the_community():
    sc = sim.load_scenario("baseline", {"run.burn_in": 0, "sector.charities": 30, "demand.clients": 300,
                                        "demand.custody_share": 1.0, "demand.sentence_months": 1.0})
    model = sim.PartnershipModel(sc, seed=3)
    cl = model.clients
    assert cl.in_custody().all()
    rows = cl.release(1.0)  # a monthly chance of one: everyone goes
    assert rows.size == len(cl) and cl.flows.releases == len(cl)
    assert not cl.in_custody().any()
    assert np.isin(cl.locality, model.community).all()


@pytest.mark.parametrize("weights, count_probs", [(None, None), ([5, 1, 1, 1, 1, 1, 1], None),
                                                  ([1, 0, 2, 0, 1, 1, 3], None), (None, [0.1, 0.0, 0.6, 0.3])])
def test_needs_are_the_weighted_draw_without_replacement_of_the_reference_rule(weights, count_probs):
    """Each client's ``k`` needs are the ``k`` largest keys ``u ** (1 / p)`` of one uniform draw per domain
    (weighted sampling without replacement), whichever way the largest are found (by a threshold on
    ``log(u) / p``, or by ranking the powers where some weight is 0); ``need_bits`` is their bit mask.
    The number of needs is what ``rng.choice`` with the count probabilities draws from the same numbers."""
    overrides = {} if weights is None else {"demand.domain_weights": weights}
    if count_probs is not None:
        overrides["demand.needs_count_probs"] = count_probs
    n = 4000
    cl = population(seed=11, overrides=overrides)
    cl.arrive(n, started=True)
    # the same draws again, read by the reference rule
    rng = np.random.default_rng(11)
    rng.random(n)  # custody, then the places, in the order arrive draws them
    rng.integers(0, PRISONS.size, n)
    rng.integers(0, COMMUNITY.size, n)
    counts = rng.choice(np.arange(1, cl._count_p.size + 1), size=n, p=cl._count_p)
    u = rng.random((n, len(sim.DOMAINS)))
    with np.errstate(divide="ignore"):
        keys = u ** (1.0 / cl._domain_p)
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1)
    expected = rank < np.minimum(counts, len(sim.DOMAINS))[:, None]
    np.testing.assert_array_equal(cl.needs, expected)
    assert np.array_equal(cl.need_bits, (expected * (1 << np.arange(len(sim.DOMAINS)))).sum(axis=1))
    if weights is not None and 0 in weights:
        assert not cl.needs[:, np.asarray(weights) == 0][counts <= np.count_nonzero(weights)].any()
