"""Helpers shared by the model tests (imported as ``helpers``; pytest puts tests/ on the path)."""

from __future__ import annotations

import numpy as np
from scipy import stats

import sim

ALPHA = 0.05


def greater(a, b) -> float:
    """One-sided Mann-Whitney p-value that ``a`` tends to exceed ``b``."""
    return float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)


def mean_after(metric: str, start: int = 6):
    """End-of-window mean of a monthly metric (months after ``start``)."""

    def fn(model: sim.PartnershipModel) -> float:
        df = model.monthly_frame()
        return float(df.loc[df["month"] > start, metric].mean())

    return fn


class Willing(sim.Charity):
    """Charities that bid wherever they fit, accept every invitation and carry any share.

    Used where a test is about what a partnership does once it holds a contract
    (delivery, continuity, training), not about whether the money makes it
    worth forming: it takes the bidding economics out of the way.
    """

    def bid_intent(self, lot, fit, access, funds, lead_cost, join_cost):
        return 2 if fit > 0 else (1 if access > 0 else 0)

    def accepts_invitation(self, lot, lead, expected_share, lead_tie):
        return True

    def accepts_share(self, lot, share, funds, cost):
        return True


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
