"""Reproducible seeds: the same scenario and seed give the same run; different seeds differ."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas.testing as pdt
import pytest

import sim

OVERRIDES = {"run.months": 18, "sector.charities": 60, "demand.clients": 600}


def frame(name: str, seed: int) -> sim.PartnershipModel:
    model = sim.PartnershipModel(sim.load_scenario(name, OVERRIDES), seed=seed)
    model.run_for(18)
    return model


@pytest.mark.parametrize("name", ["baseline", "inspire_market_test", "fine_cell_work"])
def test_same_seed_same_run(name):
    a, b = frame(name, 123), frame(name, 123)
    pdt.assert_frame_equal(a.monthly_frame(), b.monthly_frame())
    na, nb = a.network_snapshot(), b.network_snapshot()
    pdt.assert_frame_equal(na["nodes"], nb["nodes"])
    pdt.assert_frame_equal(na["edges"], nb["edges"])
    assert np.array_equal(a.clients.uid, b.clients.uid)
    assert np.array_equal(a.sector.reserves, b.sector.reserves)


@pytest.mark.parametrize("name", ["baseline", "inspire_market_test"])
def test_different_seeds_differ(name):
    a, b = frame(name, 1), frame(name, 2)
    fa, fb = a.monthly_frame(), b.monthly_frame()
    assert fa.shape == fb.shape
    assert not fa.equals(fb)
    assert not np.array_equal(a.sector.reserves, b.sector.reserves)


def test_seed_argument_overrides_run_seed():
    sc = sim.load_scenario("baseline", OVERRIDES)
    default = sim.PartnershipModel(sc)
    assert default.seed == sc.run.seed
    explicit = sim.PartnershipModel(sc, seed=sc.run.seed)
    default.run_for(6)
    explicit.run_for(6)
    pdt.assert_frame_equal(default.monthly_frame(), explicit.monthly_frame())


def test_run_and_run_seeds_agree():
    sc = sim.load_scenario("baseline", OVERRIDES)
    seeds = sim.replication_seeds(sc, 2)
    monthly, final = sim.run_seeds(sc, seeds, progress=False)
    assert list(final["seed"]) == seeds
    for i, s in enumerate(seeds):
        one = sim.run(sc, s)
        got = monthly[monthly["seed"] == s].drop(columns=["seed", "replication"]).reset_index(drop=True)
        pdt.assert_frame_equal(got, one.monthly)
        assert final.iloc[i][list(sim.METRICS)].to_dict() == pytest.approx(one.final)
    again_monthly, again_final = sim.run_seeds(sc, 2, progress=False)
    pdt.assert_frame_equal(monthly, again_monthly)
    pdt.assert_frame_equal(final, again_final)


def test_replication_seeds_are_stable_and_distinct():
    sc = sim.load_scenario("baseline")
    five = sim.replication_seeds(sc, 5)
    assert sim.replication_seeds(sc, 3) == five[:3]  # independent of how many runs there are
    assert len(set(five)) == 5
    assert all(0 <= s < 2**63 for s in five)
    other = sim.load_scenario("baseline", {"run.seed": sc.run.seed + 1})
    assert set(sim.replication_seeds(other, 5)).isdisjoint(five)
    assert sim.derive_seed(7, 1, "x") == sim.derive_seed(7, 1, "x")
    assert sim.derive_seed(7, 1, "x") != sim.derive_seed(7, 1, "y")


_CHILD = """
import sim, hashlib
sc = sim.load_scenario("baseline", {"run.months": 12, "sector.charities": 40, "demand.clients": 300})
r = sim.run(sc, 99)
print(hashlib.sha256(r.monthly.to_csv(float_format="%.12g").encode()).hexdigest())
"""


def test_same_result_in_fresh_processes_with_different_hash_seeds():
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_the_burn_in_is_seeded_and_unrecorded():
    sc = sim.load_scenario("baseline", {**OVERRIDES, "run.burn_in": 12})
    a, b = sim.PartnershipModel(sc, seed=5), sim.PartnershipModel(sc, seed=5)
    assert a.month == 0 and np.array_equal(a.sector.reserves, b.sector.reserves)
    assert np.array_equal(a.sector.staff_hours, b.sector.staff_hours)
    first = a.monthly_frame()
    assert list(first["month"]) == [0]  # the burn-in months are not recorded
    assert first.loc[0, "charity_closures"] == 0 and first.loc[0, "defections"] == 0  # counts restart at month 0
    assert a.clients.flows.arrived == len(a.clients)
    assert a.contracts, "contracts were let in the burn-in"
    none = sim.PartnershipModel(sim.load_scenario("baseline", {**OVERRIDES, "run.burn_in": 0}), seed=5)
    assert not none.contracts and not np.array_equal(none.sector.staff_hours, a.sector.staff_hours)
