"""Shared fixtures for the top-level model tests.

Scenarios here are deliberately small and short (tens of charities, hundreds of
clients, one or two years) so the whole suite stays quick; the claims they test
are directions and contracts, never tuned numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent

#: The size every model-level mechanism test starts from. It keeps the scenario's burn-in
#: (``run.burn_in``, unrecorded months before month 0); a test where starting in equilibrium
#: does not matter may shorten it (``run__burn_in=12``) to build its models faster.
SMALL = {"run.months": 24, "sector.charities": 60, "demand.clients": 600}


def small(name: str = "baseline", **overrides) -> sim.Scenario:
    """A small, short version of a named scenario; keys as ``section__key=value``."""
    ov = dict(SMALL)
    ov.update({k.replace("__", "."): v for k, v in overrides.items()})
    return sim.load_scenario(name, ov)


def run_model(scenario: sim.Scenario, seed: int, charity_cls=sim.Charity) -> sim.PartnershipModel:
    model = sim.PartnershipModel(scenario, seed=seed, charity_cls=charity_cls)
    model.run_for(scenario.run.months)
    return model


def per_seed(scenario: sim.Scenario, fn, n: int = 8, charity_cls=sim.Charity) -> np.ndarray:
    """``fn(model)`` for each of ``n`` replication seeds of the scenario (fixed, so deterministic)."""
    return np.array([fn(run_model(scenario, s, charity_cls)) for s in sim.replication_seeds(scenario, n)], dtype=float)


@pytest.fixture
def small_scenario():
    """Factory: ``small_scenario("inspire", commissioning__retender="rollover")``."""
    return small


@pytest.fixture
def seeded_values():
    """Factory: per-seed values of ``fn(model)`` over fixed replication seeds."""
    return per_seed
