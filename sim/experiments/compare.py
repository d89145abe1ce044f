"""Comparing two scenarios over seeded replications, metric by metric.

For each metric: both means, the difference (B - A) with a 95% confidence
interval (t, or a bootstrap), a test, an effect size, and one plain-language
line. When both scenarios ran with the same seeds (common random numbers,
the default when they share ``run.seed``) the comparison is paired: a paired
t-test on the per-seed differences and Cohen's d_z. Otherwise Welch's t-test
and Hedges' g.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..metrics import METRIC_INFO


@dataclass
class MetricComparison:
    metric: str
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    effect_size: float
    effect_name: str
    n_a: int
    n_b: int
    verdict: str
    sentence: str

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def _effect_label(d: float) -> str:
    """Cohen's conventional thresholds (0.2 small, 0.5 medium, 0.8 large)."""
    if not math.isfinite(d):
        return "total separation"
    a = abs(d)
    return "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"


def _bootstrap_ci(x: np.ndarray, y: np.ndarray | None, paired: bool, seed: int, level: float) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    reps = 4000
    if paired or y is None:
        d = x if y is None else y - x
        idx = rng.integers(0, d.size, (reps, d.size))
        boots = d[idx].mean(axis=1)
    else:
        boots = y[rng.integers(0, y.size, (reps, y.size))].mean(axis=1) - x[rng.integers(0, x.size, (reps, x.size))].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(boots, tail)), float(np.quantile(boots, 1 - tail))


def compare_metric(*args, **kwargs) -> MetricComparison:
    """Difference B - A of one metric's end-of-run values, with CI, test and effect size.

    Args: ``metric, a, b, paired, label_a="A", label_b="B", ci="t" | "bootstrap", level=0.95, seed=0``.
    """
    import warnings

    with warnings.catch_warnings():  # near-identical samples: scipy warns, the numbers are still right
        warnings.simplefilter("ignore", RuntimeWarning)
        return _compare_metric(*args, **kwargs)


def _compare_metric(
    metric: str, a: Sequence[float], b: Sequence[float], paired: bool, label_a: str = "A", label_b: str = "B",
    ci: str = "t", level: float = 0.95, seed: int = 0,
) -> MetricComparison:
    x, y = np.asarray(a, float), np.asarray(b, float)
    if paired:
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    nan = float("nan")
    if x.size == 0 or y.size == 0:
        return MetricComparison(metric, nan, nan, nan, nan, nan, nan, "none", nan, "", int(x.size), int(y.size),
                                "no data", f"{_meaning(metric)}: no finished runs to compare.")
    ma, mb = float(x.mean()), float(y.mean())
    diff = mb - ma
    if paired:
        d = y - x
        sd = float(d.std(ddof=1)) if d.size > 1 else 0.0
        test, effect_name = "paired t-test", "Cohen's d_z"
        if sd > 0:
            p = float(stats.ttest_rel(y, x).pvalue)
            half = float(stats.t.ppf(0.5 + level / 2, d.size - 1) * sd / math.sqrt(d.size))
            effect = diff / sd
        else:
            p = 1.0 if diff == 0 else 0.0
            half, effect = 0.0, (0.0 if diff == 0 else math.copysign(math.inf, diff))
    else:
        va = float(x.var(ddof=1)) if x.size > 1 else 0.0
        vb = float(y.var(ddof=1)) if y.size > 1 else 0.0
        test, effect_name = "Welch's t-test", "Hedges' g"
        se = math.sqrt(va / x.size + vb / y.size)
        if se > 0 and x.size > 1 and y.size > 1:
            res = stats.ttest_ind(y, x, equal_var=False)
            p = float(res.pvalue)
            dof = (va / x.size + vb / y.size) ** 2 / (
                (va / x.size) ** 2 / max(x.size - 1, 1) + (vb / y.size) ** 2 / max(y.size - 1, 1))
            half = float(stats.t.ppf(0.5 + level / 2, dof) * se)
            pooled = math.sqrt(((x.size - 1) * va + (y.size - 1) * vb) / (x.size + y.size - 2))
            correction = 1 - 3 / (4 * (x.size + y.size) - 9) if x.size + y.size > 3 else 1.0
            effect = diff / pooled * correction if pooled > 0 else math.copysign(math.inf, diff) if diff else 0.0
        else:
            p = 1.0 if diff == 0 else nan
            half, effect = 0.0, (0.0 if diff == 0 else math.copysign(math.inf, diff))
    lo, hi = diff - half, diff + half
    if ci == "bootstrap" and x.size > 1 and y.size > 1:
        lo, hi = _bootstrap_ci(x, y, paired, seed, level)
    verdict, sentence = _sentence(metric, ma, mb, diff, lo, hi, p, effect, label_a, label_b)
    return MetricComparison(metric, ma, mb, diff, lo, hi, p, test, float(effect), effect_name,
                            int(x.size), int(y.size), verdict, sentence)


def _meaning(metric: str) -> str:
    return METRIC_INFO.get(metric, (metric, 0))[0]


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 0.1 else f"{v:.3f}"


def _signed(v: float) -> str:
    return ("+" if v > 0 else "") + _num(v)


def _sentence(metric, ma, mb, diff, lo, hi, p, effect, label_a, label_b) -> tuple[str, str]:
    meaning, direction = METRIC_INFO.get(metric, (metric, 0))
    numbers = (f"{_num(mb)} under {label_b} against {_num(ma)} under {label_a} "
               f"(difference {_signed(diff)}, 95% CI {_signed(lo)} to {_signed(hi)}")
    significant = math.isfinite(p) and p < 0.05 and not (lo <= 0 <= hi and lo != hi)
    if diff == 0 and lo == hi == 0:
        return "same", f"{meaning}: the same under both ({_num(ma)})."
    if not significant:
        return "no clear difference", (f"{meaning}: no clear difference; {numbers}, p = {p:.2g}).")
    word = "higher" if diff > 0 else "lower"
    better = "" if direction == 0 else ("better" if diff * direction > 0 else "worse")
    return (f"{word}, {better}" if better else word,
            f"{meaning}: {word} under {label_b}{f' ({better})' if better else ''}; {numbers}, p = {p:.2g}, "
            f"{_effect_label(effect)} effect).")


def compare_runs(
    runs: pd.DataFrame, group_col: str, a: str, b: str, metrics: Sequence[str],
    ci: str = "t", label_a: str | None = None, label_b: str | None = None,
) -> list[MetricComparison]:
    """Compare two groups of a runs table (one row per run); paired when their seeds match."""
    ra = runs[runs[group_col] == a].sort_values("replication")
    rb = runs[runs[group_col] == b].sort_values("replication")
    paired = len(ra) == len(rb) and len(ra) > 1 and list(ra["seed"]) == list(rb["seed"])
    return [compare_metric(m, ra[m].to_numpy(), rb[m].to_numpy(), paired, label_a or a, label_b or b, ci=ci)
            for m in metrics]


def comparison_frame(rows: list[MetricComparison]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in rows]).set_index("metric")


def format_table(rows: list[MetricComparison], label_a: str, label_b: str) -> str:
    """A fixed-width table for the terminal, then one plain line per metric."""
    head = f"{'metric':<28} {label_a[:12]:>12} {label_b[:12]:>12} {'B - A':>10} {'95% CI':>21} {'p':>8} {'effect':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ci = f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"
        p = f"{r.p_value:.2g}" if math.isfinite(r.p_value) else "n/a"
        eff = f"{r.effect_size:.2f}" if math.isfinite(r.effect_size) else ("inf" if r.effect_size else "n/a")
        lines.append(f"{r.metric:<28} {_num(r.mean_a):>12} {_num(r.mean_b):>12} {_signed(r.difference):>10} "
                     f"{ci:>21} {p:>8} {eff:>7}")
    lines.append("")
    test = rows[0].test if rows else ""
    lines.append(f"B = {label_b}, A = {label_a}; test: {test}; effect: {rows[0].effect_name if rows else ''}")
    lines += [f"- {r.sentence}" for r in rows]
    return "\n".join(lines)
