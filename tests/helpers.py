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
