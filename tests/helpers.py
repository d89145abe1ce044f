"""Helpers shared by the model tests (imported as ``helpers``; pytest puts tests/ on the path)."""

from __future__ import annotations

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
