"""Which levers matter most: Morris screening and Sobol indices through SALib.

The sweep samples each lever over the unit interval and maps it onto the
lever's range (or list of values), so indices are per whole range of a lever
and comparable across levers with different units. Replications are averaged
per point before the analysis; the confidence intervals are SALib's
bootstrap intervals (``*_conf``, 95%).

Results must mean what they say: a design below a sensible minimum
(:data:`MIN_TRAJECTORIES` Morris trajectories, :data:`MIN_SOBOL_SAMPLES`
Sobol base samples) is refused, and every analysis carries a convergence
check: the indices recomputed on the first quarter and half of the sample
(whole trajectories, whole Saltelli blocks), with a warning when an
interval is wide, a Sobol index leaves [0, 1] beyond its interval, or the
ranking changes between half and all of the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design import Experiment, _unit_samples, salib_problem


class SensitivityError(ValueError):
    """The sweep cannot be analysed (wrong design, failed points, too small); one line."""


#: Fewest Morris trajectories worth screening with (Campolongo et al. 2007 use 10 and more).
MIN_TRAJECTORIES = 10
#: Fewest Sobol base samples (N) worth estimating indices from (Saltelli et al. 2010 use hundreds).
MIN_SOBOL_SAMPLES = 64
#: Parts of the sample the convergence check recomputes the indices on.
FRACTIONS = (0.25, 0.5, 1.0)
#: An interval wider than this share of the largest index is "wide".
WIDE = 0.25


def check_minimum(exp: Experiment) -> None:
    """Refuse a sensitivity design too small to give indices that mean anything."""
    s = exp.settings
    if s.design == "morris" and s.trajectories < MIN_TRAJECTORIES:
        raise SensitivityError(f"{exp.source}: experiment.trajectories: Morris screening needs at least "
                               f"{MIN_TRAJECTORIES} trajectories (got {s.trajectories})")
    if s.design == "sobol" and (s.samples or 0) < MIN_SOBOL_SAMPLES:
        raise SensitivityError(f"{exp.source}: experiment.samples: Sobol indices need at least "
                               f"{MIN_SOBOL_SAMPLES} base samples (got {s.samples})")


def point_means(exp: Experiment, runs: pd.DataFrame, metric: str) -> np.ndarray:
    """The metric's end-of-run mean per design point, in design order."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    means = ok.groupby("point")[metric].mean().reindex(range(len(exp.points)))
    missing = int(means.isna().sum())
    if missing:
        raise SensitivityError(f"{missing} of {len(exp.points)} design points have no finished run "
                               f"(or no value) for {metric}; SALib needs every point")
    return means.to_numpy(dtype=float)


def analyse(exp: Experiment, runs: pd.DataFrame, metric: str, seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices of one metric, one row per lever, most influential first.

    Morris: ``mu_star`` (mean absolute elementary effect) with ``mu_star_conf``,
    and ``sigma`` (interaction or non-linearity). Sobol: first-order ``S1`` and
    total ``ST`` indices with their ``_conf`` half-widths. The ``importance``
    column (mu_star or ST) orders the table.
    """
    design = exp.settings.design
    names = exp.parameter_names
    if design not in ("morris", "sobol"):
        raise SensitivityError(f"{exp.source}: design is {design!r}; sensitivity needs design = \"morris\" or \"sobol\"")
    check_minimum(exp)
    y = point_means(exp, runs, metric)
    if not np.isfinite(y).all() or np.ptp(y) == 0:
        raise SensitivityError(f"{metric}: the same value (or no data) at every point; no lever moves it")
    x = _unit_samples(exp.settings, len(names))
    table = _indices(exp, x, y, seed)
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    table.insert(1, "metric", metric)
    table.insert(2, "method", design)
    convergence = _convergence(exp, x, y, seed)
    table.attrs["convergence"] = convergence.to_dict(orient="records")
    table.attrs["warnings"] = _warnings(table, convergence)
    return table


def _indices(exp: Experiment, x: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    names = exp.parameter_names
    problem = salib_problem(names)
    if exp.settings.design == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, num_levels=exp.settings.levels, conf_level=0.95, seed=seed,
                             print_to_console=False)
        table = pd.DataFrame({"lever": names, "mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                              "mu": res["mu"], "sigma": res["sigma"]})
        table["importance"], table["importance_conf"] = table["mu_star"], table["mu_star_conf"]
    else:
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed, print_to_console=False)
        table = pd.DataFrame({"lever": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                              "ST_conf": res["ST_conf"]})
        table["importance"], table["importance_conf"] = table["ST"], table["ST_conf"]
    return table


def _convergence(exp: Experiment, x: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """The indices on the first part of the sample: whole Morris trajectories, or whole Saltelli blocks."""
    import warnings

    k = len(exp.parameter_names)
    block = k + 1 if exp.settings.design == "morris" else k + 2
    n_blocks = len(y) // block
    rows = []
    for fraction in FRACTIONS:
        n = max(2, int(round(n_blocks * fraction)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            part = _indices(exp, x[: n * block], y[: n * block], seed)
        for _, r in part.iterrows():
            rows.append({"fraction": fraction, "blocks": n, "lever": r["lever"], "importance": float(r["importance"]),
                         "importance_conf": float(r["importance_conf"])})
    return pd.DataFrame(rows)


def _warnings(table: pd.DataFrame, convergence: pd.DataFrame) -> list[str]:
    out = []
    metric = table["metric"].iloc[0]
    scale = max(float(table["importance"].abs().max()), 1e-12)
    for _, r in table.iterrows():
        if r["importance_conf"] > WIDE * scale:
            out.append(f"{metric}: the interval of {r['lever']} is wide (+/- {r['importance_conf']:.3g} against a "
                       f"largest index of {scale:.3g}); more {'trajectories' if r['method'] == 'morris' else 'samples'} "
                       "would sharpen it")
        if r["method"] == "sobol":
            for col in ("S1", "ST"):
                if r[col] - r[f"{col}_conf"] > 1 or r[col] + r[f"{col}_conf"] < 0:
                    out.append(f"{metric}: {col} of {r['lever']} is {r[col]:.3g}, outside [0, 1] beyond its "
                               "interval; the sample is too small for these indices")
    half = convergence[convergence["fraction"] == 0.5].sort_values("importance", ascending=False, kind="stable")
    if len(table) > 1 and not half.empty and half["lever"].iloc[0] != table["lever"].iloc[0]:
        out.append(f"{metric}: the most important lever changes between half the sample ({half['lever'].iloc[0]}) "
                   f"and all of it ({table['lever'].iloc[0]}); the ranking has not converged")
    return out


def records(table: pd.DataFrame) -> dict:
    """The JSON form of an analysis: its indices, convergence check and warnings."""
    import math

    def clean(rows):
        return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]

    return {"indices": clean(table.to_dict(orient="records")), "convergence": clean(table.attrs.get("convergence", [])),
            "warnings": list(table.attrs.get("warnings", []))}


def format_ranking(table: pd.DataFrame) -> str:
    """A fixed-width ranking, the convergence check, and any warning."""
    lines = [_ranking(table)]
    conv = pd.DataFrame(table.attrs.get("convergence", []))
    if not conv.empty:
        wide = conv.pivot_table(index="lever", columns="fraction", values="importance").reindex(table["lever"])
        lines.append("convergence (importance on " + ", ".join(f"{f:.0%}" for f in wide.columns) + " of the sample):")
        for lever, row in wide.iterrows():
            lines.append(f"      {lever:<40} " + " ".join(f"{v:>10.4g}" for v in row.to_numpy()))
    lines += [f"warning: {w}" for w in table.attrs.get("warnings", [])]
    return "\n".join(lines)


def _ranking(table: pd.DataFrame) -> str:
    """A sensitivity table as aligned text, one lever a line, with a note on what the columns mean."""
    metric, method = table["metric"].iloc[0], table["method"].iloc[0]
    if method == "morris":
        head = f"{'rank':>4}  {'lever':<40} {'mu*':>10} {'+/- 95%':>10} {'sigma':>10}"
        rows = [f"{r['rank']:>4}  {r['lever']:<40} {r['mu_star']:>10.4g} {r['mu_star_conf']:>10.3g} {r['sigma']:>10.4g}"
                for _, r in table.iterrows()]
        note = "mu* = mean absolute change in the metric when the lever moves across its range; sigma = interactions"
    else:
        head = f"{'rank':>4}  {'lever':<40} {'ST':>8} {'+/- 95%':>8} {'S1':>8} {'+/- 95%':>8}"
        rows = [f"{r['rank']:>4}  {r['lever']:<40} {r['ST']:>8.3f} {r['ST_conf']:>8.3f} {r['S1']:>8.3f} {r['S1_conf']:>8.3f}"
                for _, r in table.iterrows()]
        note = "ST = share of the metric's variance due to the lever, with its interactions; S1 = on its own"
    return "\n".join([f"Sensitivity of {metric} ({method}):", head, "-" * len(head), *rows, note])


def plain_summary(table: pd.DataFrame) -> str:
    """One sentence a commissioner can read."""
    metric, method = table["metric"].iloc[0], table["method"].iloc[0]
    top = table.iloc[0]
    lo = top["importance"] - top["importance_conf"]
    scale = max(float(table["importance"].abs().max()), 1e-12)
    ahead = len(table) == 1 or lo > table.iloc[1]["importance"] + table.iloc[1]["importance_conf"]
    settled = top["importance_conf"] <= WIDE * scale and not table.attrs.get("warnings")
    verdict = (" (clearly ahead of the rest)" if ahead and settled else
               " (not yet settled: see the warnings)" if ahead else " (its confidence interval overlaps the next)")
    others = ", ".join(table["lever"].iloc[1:3])
    tail = f"; next come {others}" if others else ""
    return f"For {metric}, the lever that matters most is {top['lever']}{verdict}{tail} [{method}]."
