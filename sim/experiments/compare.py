"""Comparing two scenarios over seeded replications, metric by metric.

For each metric: both means, the difference (B - A) with a 95% confidence
interval (t, or a bootstrap), a test, an effect size, and one plain-language
line. When both scenarios ran with the same seeds (common random numbers,
the default when they share ``run.seed``) the comparison is paired: a paired
t-test on the per-seed differences and Cohen's d_z. Otherwise Welch's t-test
and Hedges' g.

Many metrics are tested at once, so the p-values are adjusted for their
number: Holm's step-down method by default (it controls the chance of any
false "difference" among them), or Benjamini-Hochberg (the expected share of
false discoveries). A difference is called "higher" or "lower" only when the
adjusted p-value is below 0.05, its confidence interval excludes zero, *and*
it is at least the metric's declared ``relevance`` (the smallest difference
of practical relevance); a real but smaller difference is reported as
"not practically relevant". Intervals are clipped to what the metric can
take: a difference of two shares lies in [-1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..metrics import Metric, describe

#: Corrections for testing many metrics at once, by their command-line names.
CORRECTIONS = {"holm": "Holm", "bh": "Benjamini-Hochberg"}
ALPHA = 0.05


@dataclass
class MetricComparison:
    """One metric compared between scenarios A and B: the means, the difference B - A with its CI, and the test."""
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
    p_adjusted: float = float("nan")
    relevance: float = 0.0

    def as_dict(self) -> dict:
        """The comparison as a JSON-ready dict (missing values as ``None``)."""
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
    ci: str = "t", level: float = 0.95, seed: int = 0, declaration: Metric | None = None,
) -> MetricComparison:
    decl = declaration or describe(metric)
    x, y = np.asarray(a, float), np.asarray(b, float)
    if paired:
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    nan = float("nan")
    if x.size == 0 or y.size == 0:
        return MetricComparison(metric, nan, nan, nan, nan, nan, nan, "none", nan, "", int(x.size), int(y.size),
                                "no data", f"{decl.meaning}: no data to compare.", nan, decl.relevance)
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
    lo, hi = _clip_difference(decl, lo, hi)
    verdict, sentence = _sentence(decl, ma, mb, diff, lo, hi, p, effect, label_a, label_b)
    return MetricComparison(metric, ma, mb, diff, lo, hi, p, test, float(effect), effect_name,
                            int(x.size), int(y.size), verdict, sentence, p, decl.relevance)


def _clip_difference(decl: Metric, lo: float, hi: float) -> tuple[float, float]:
    """A difference of two values in [low, high] lies in [-(high - low), high - low]."""
    if decl.low is None or decl.high is None:
        return lo, hi
    span = decl.high - decl.low
    return max(lo, -span), min(hi, span)


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "no data"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 0.1 else f"{v:.3f}"


def _signed(v: float) -> str:
    return ("+" if v > 0 else "") + _num(v)


def _sentence(decl: Metric, ma, mb, diff, lo, hi, p, effect, label_a, label_b,
              p_name: str = "p") -> tuple[str, str]:
    meaning, direction = decl.meaning, decl.direction
    numbers = (f"{_num(mb)} under {label_b} against {_num(ma)} under {label_a} "
               f"(difference {_signed(diff)}, 95% CI {_signed(lo)} to {_signed(hi)}")
    p_text = f"{p_name} = {p:.2g}" if math.isfinite(p) else f"{p_name} n/a"
    significant = math.isfinite(p) and p < ALPHA and not (lo <= 0 <= hi and lo != hi)
    if diff == 0 and lo == hi == 0:
        return "same", f"{meaning}: the same under both ({_num(ma)})."
    if not significant:
        return "no clear difference", (f"{meaning}: no clear difference; {numbers}, {p_text}).")
    if abs(diff) < decl.relevance:
        return "not practically relevant", (f"{meaning}: a difference smaller than the {_num(decl.relevance)} that "
                                            f"matters in practice; {numbers}, {p_text}).")
    word = "higher" if diff > 0 else "lower"
    better = "" if direction == 0 else ("better" if diff * direction > 0 else "worse")
    return (f"{word}, {better}" if better else word,
            f"{meaning}: {word} under {label_b}{f' ({better})' if better else ''}; {numbers}, {p_text}, "
            f"{_effect_label(effect)} effect).")


def adjust_p(p_values: Sequence[float], correction: str = "holm") -> np.ndarray:
    """p-values adjusted for testing them together (``holm`` or ``bh``); nan stays nan and is not counted."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if not ok.any():
        return out
    if correction == "bh":
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
        return out
    if correction != "holm":
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}")
    vals = p[ok]
    order = np.argsort(vals, kind="stable")
    m = vals.size
    adjusted = np.maximum.accumulate((m - np.arange(m)) * vals[order])
    res = np.empty(m)
    res[order] = np.minimum(adjusted, 1.0)
    out[ok] = res
    return out


def compare_runs(
    runs: pd.DataFrame, group_col: str, a: str, b: str, metrics: Sequence[str],
    ci: str = "t", label_a: str | None = None, label_b: str | None = None,
    model_cls: type | None = None, correction: str = "holm",
) -> list[MetricComparison]:
    """Compare two groups of a runs table (one row per run); paired when their seeds match.

    The p-values are adjusted for the number of metrics (``correction``: ``holm`` or ``bh``)
    and the verdicts use the adjusted values and each metric's declared relevance.
    """
    ra = runs[runs[group_col] == a].sort_values("replication")
    rb = runs[runs[group_col] == b].sort_values("replication")
    paired = len(ra) == len(rb) and len(ra) > 1 and list(ra["seed"]) == list(rb["seed"])
    decls = {m: describe(m, model_cls) for m in metrics}
    rows = [compare_metric(m, ra[m].to_numpy(), rb[m].to_numpy(), paired, label_a or a, label_b or b, ci=ci,
                           declaration=decls[m]) for m in metrics]
    adjusted = adjust_p([r.p_value for r in rows], correction)
    p_name = f"p ({CORRECTIONS[correction]}-adjusted)" if len(rows) > 1 else "p"
    for r, p_adj in zip(rows, adjusted):
        r.p_adjusted = float(p_adj)
        if r.verdict != "no data":
            r.verdict, r.sentence = _sentence(decls[r.metric], r.mean_a, r.mean_b, r.difference, r.ci_low, r.ci_high,
                                              r.p_adjusted, r.effect_size, label_a or a, label_b or b, p_name)
    return rows


def comparison_frame(rows: list[MetricComparison]) -> pd.DataFrame:
    """The comparisons as a DataFrame indexed by metric."""
    return pd.DataFrame([r.as_dict() for r in rows]).set_index("metric")


def format_table(rows: list[MetricComparison], label_a: str, label_b: str, correction: str = "holm") -> str:
    """A fixed-width table for the terminal, then one plain line per metric (no data: "no data")."""
    from .text import clean_text

    label_a, label_b = clean_text(label_a), clean_text(label_b)
    # the columns are A and B; their full labels follow the table (truncated labels can look alike)
    head = (f"{'metric':<28} {'A':>12} {'B':>12} {'B - A':>10} {'95% CI':>21} {'p':>8} "
            f"{'p adj.':>8} {'effect':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.verdict == "no data":
            lines.append(f"{r.metric:<28} {'no data':>12}")
            continue
        ci = f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"
        p = f"{r.p_value:.2g}" if math.isfinite(r.p_value) else "n/a"
        padj = f"{r.p_adjusted:.2g}" if math.isfinite(r.p_adjusted) else "n/a"
        eff = f"{r.effect_size:.2f}" if math.isfinite(r.effect_size) else ("inf" if r.effect_size else "n/a")
        lines.append(f"{r.metric:<28} {_num(r.mean_a):>12} {_num(r.mean_b):>12} {_signed(r.difference):>10} "
                     f"{ci:>21} {p:>8} {padj:>8} {eff:>7}")
    lines.append("")
    test = rows[0].test if rows else ""
    lines.append(f"B = {label_b}, A = {label_a}; test: {test}; effect: {rows[0].effect_name if rows else ''}; "
                 f"p adj.: {CORRECTIONS[correction]} correction over {len(rows)} metrics; a difference counts only "
                 "when it is at least the metric's practical relevance")
    lines += [f"- {r.sentence}" for r in rows]
    return "\n".join(lines)
