"""Which levers matter most: Morris screening and Sobol indices through SALib.

The sweep samples each lever over the unit interval and maps it onto the
lever's range (or list of values), so indices are per whole range of a lever
and comparable across levers with different units. Replications are averaged
per point before the analysis; the confidence intervals are SALib's
bootstrap intervals (``*_conf``, 95%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design import Experiment, _unit_samples, salib_problem


class SensitivityError(ValueError):
    """The sweep cannot be analysed (wrong design, failed points); one line."""


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
    y = point_means(exp, runs, metric)
    problem = salib_problem(names)
    if design == "morris":
        from SALib.analyze import morris

        x = _unit_samples(exp.settings, len(names))
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
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    table.insert(1, "metric", metric)
    table.insert(2, "method", design)
    return table


def format_ranking(table: pd.DataFrame) -> str:
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
    clear = len(table) == 1 or lo > table.iloc[1]["importance"] + table.iloc[1]["importance_conf"]
    others = ", ".join(table["lever"].iloc[1:3])
    tail = f"; next come {others}" if others else ""
    return (f"For {metric}, the lever that matters most is {top['lever']}"
            f"{' (clearly ahead of the rest)' if clear else ' (its confidence interval overlaps the next)'}{tail} "
            f"[{method}].")
