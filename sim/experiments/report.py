"""Reports a commissioner can read: figures and a Markdown summary of a results folder.

Works on a sweep's folder (``partnersim sweep``) and on a single scenario's
folder (``partnersim run --out``). Writes ``figures/*.png`` (matplotlib, Agg)
and ``report.md`` into the folder:

- what was actually run: every ``[set]`` and ``--set`` override, the levers,
  and each scenario's size as run (a scenario's description speaks of the
  file, the table of what ran);
- time series of key metrics, mean and 95% band across seeds, per condition,
  optionally with every run drawn behind (``show_runs``);
- end-of-run bars with 95% confidence intervals, per condition;
- scatter plots of outcomes against each lever (sweeps that vary levers);
- lever importance (a tornado; for Morris also the mu*-sigma plot) when
  ``sensitivity.json`` is there, with its convergence check;
- PRIM's peeling trajectory and chosen box, and the tree's boxes, when
  ``discovery.json`` is there;
- a snapshot of the partnership network (one seeded run, drawn with networkx).

Every axis says what it measures and in which unit (the metric declarations
of the model class the results came from); every interval is clipped to the
metric's feasible range; a condition whose label is long gets a short code in
the figures and a key table in the report.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import UNITS, describe, metrics_of
from ..runner import mean_ci
from .compare import CORRECTIONS, compare_runs
from .storage import load_results
from .text import clean_text, fmt, markdown_cell

#: Metrics shown first when present (the ones the report's lessons are about).
KEY_METRICS = (
    "partnerships_active", "charities_active", "rel_frontline_mean", "rel_managerial_mean",
    "joined_up_share", "needs_met_share", "referral_success_rate", "defections",
    "monitoring_time_share", "system_barrier_index", "charity_closures", "unfunded_collaborations",
)
MAX_GROUPS = 8
#: Condition labels longer than this get a code (C1, C2, ...) in figures and a key table.
LABEL_WIDTH = 26
#: The sizes that say what was actually run.
SIZE_KEYS = (("run.months", "months"), ("sector.charities", "charities"), ("sector.localities", "localities"),
             ("sector.prisons", "prisons"), ("demand.clients", "clients"))


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _model_cls(manifest: dict):
    """The model class the results came from, or None (the default's declarations) when it cannot be imported."""
    from .design import ExperimentError, resolve_model

    name = manifest.get("model")
    if not name or name == "sim.model:PartnershipModel":
        return None
    try:
        return resolve_model(name, "manifest")
    except ExperimentError:
        return None


def _key_metrics(available: list[str], limit: int, model_cls=None) -> list[str]:
    """Metrics a subclass adds come first (a researcher added them to see them), then the key ones, then the rest."""
    default = set(metrics_of(None).names)
    added = [m for m in available if m not in default]
    first = [m for m in KEY_METRICS if m in available]
    rest = [m for m in available if m not in first and m not in added]
    return (added + first + rest)[:limit]


def _groups(runs: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(runs.sort_values("point")["group"]))


def condition_codes(groups: list[str]) -> dict[str, str]:
    """Full labels when they are short; otherwise C1, C2, ... (the report carries the key table)."""
    if all(len(g) <= LABEL_WIDTH for g in groups):
        return {g: g for g in groups}
    return {g: f"C{i + 1}" for i, g in enumerate(groups)}


def axis_label(metric: str, model_cls=None) -> str:
    """An axis label for a metric: its declared label, and its unit on a second line."""
    decl = describe(metric, model_cls)
    return f"{decl.label}\n[{UNITS.get(decl.unit, decl.unit)}]"


def _clip(values, decl):
    lo = -np.inf if decl.low is None else decl.low
    hi = np.inf if decl.high is None else decl.high
    return np.clip(np.asarray(values, dtype=float), lo, hi)


def plot_timeseries(monthly: pd.DataFrame, metrics: list[str], groups: list[str], path: Path,
                    codes: dict[str, str] | None = None, model_cls=None, show_runs: bool = False) -> Path:
    """Mean over seeds per month with a 95% band (t interval, clipped to the feasible range), one line per condition."""
    from scipy import stats

    plt = _plt()
    codes = codes or {g: g for g in groups}
    cols = 2
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.2 * rows), squeeze=False, sharex=True)
    for ax, metric in zip(axes.flat, metrics):
        decl = describe(metric, model_cls)
        for i, g in enumerate(groups):
            colour = f"C{i % 10}"
            sub = monthly[monthly["group"] == g]
            if show_runs:
                for _, one in sub.groupby("run_key" if "run_key" in sub else "seed"):
                    ax.plot(one["month"], one[metric], color=colour, lw=0.5, alpha=0.25)
            by_month = sub.groupby("month")[metric]
            mean, sd, n = by_month.mean(), by_month.std(ddof=1), by_month.count()
            ax.plot(mean.index, mean.values, color=colour, lw=1.6, label=codes[g])
            if (n > 1).any():
                half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd.fillna(0.0) / np.sqrt(n)
                ok = (n > 1).to_numpy()
                ax.fill_between(mean.index[ok], _clip((mean - half).values[ok], decl), _clip((mean + half).values[ok], decl),
                                color=colour, alpha=0.2, lw=0)
        ax.set_title(decl.label, fontsize=10)
        ax.set_ylabel(f"[{UNITS.get(decl.unit, decl.unit)}]", fontsize=8)
        if decl.integer:
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("month")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, max(len(labels), 1)), fontsize=8, frameon=False)
    runs_note = "; thin lines: individual runs" if show_runs else ""
    fig.suptitle(f"Monthly metrics: mean across seeds with 95% band{runs_note}", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_comparison(runs: pd.DataFrame, metrics: list[str], groups: list[str], path: Path,
                    codes: dict[str, str] | None = None, model_cls=None, show_runs: bool = False) -> Path:
    """End-of-run mean per condition with its 95% confidence interval (clipped), and optionally every run."""
    plt = _plt()
    codes = codes or {g: g for g in groups}
    cols = 3
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 3.1 * rows), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, metric in zip(axes.flat, metrics):
        decl = describe(metric, model_cls)
        stats_ = [mean_ci(runs.loc[runs["group"] == g, metric]) for g in groups]
        means = np.array([s[0] for s in stats_])
        lo = _clip([s[1] for s in stats_], decl)
        hi = _clip([s[2] for s in stats_], decl)
        err = np.nan_to_num(np.array([means - lo, hi - means]), nan=0.0).clip(min=0)
        x = np.arange(len(groups))
        ax.bar(x, np.nan_to_num(means), yerr=err, capsize=3, color=[f"C{i % 10}" for i in range(len(groups))],
               alpha=0.6 if show_runs else 1.0)
        if show_runs:
            for i, g in enumerate(groups):
                vals = runs.loc[runs["group"] == g, metric].to_numpy(dtype=float)
                ax.scatter(i + rng.uniform(-0.2, 0.2, vals.size), vals, s=6, color="k", alpha=0.5, zorder=3)
        ax.set_xticks(x, [codes[g] for g in groups], rotation=30 if len(groups) > 3 else 0, ha="right", fontsize=7)
        ax.set_title(decl.label, fontsize=10)
        ax.set_ylabel(f"[{UNITS.get(decl.unit, decl.unit)}]", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    note = "; dots: individual runs" if show_runs else ""
    fig.suptitle(f"End of run: mean across seeds with 95% confidence interval{note}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_levers(runs: pd.DataFrame, levers: list[str], metrics: list[str], path: Path, model_cls=None) -> Path:
    """Scatter of each outcome (rows) against each lever (columns), one dot per run: the pairs plot of a sweep."""
    plt = _plt()
    rows, cols = len(metrics), len(levers)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols + 1, 2.3 * rows + 0.8), squeeze=False)
    rng = np.random.default_rng(0)
    for i, metric in enumerate(metrics):
        for j, lever in enumerate(levers):
            ax = axes[i][j]
            x = runs[lever]
            y = runs[metric].to_numpy(dtype=float)
            if pd.api.types.is_numeric_dtype(x) and x.dtype != bool:
                ax.scatter(x.to_numpy(dtype=float), y, s=6, alpha=0.5)
            else:  # categorical: one jittered column per value
                values = sorted(x.astype(str).unique())
                pos = x.astype(str).map({v: k for k, v in enumerate(values)}).to_numpy(dtype=float)
                ax.scatter(pos + rng.uniform(-0.15, 0.15, pos.size), y, s=6, alpha=0.5)
                ax.set_xticks(range(len(values)), values, fontsize=7)
            if i == rows - 1:
                ax.set_xlabel(lever, fontsize=7)
            if j == 0:
                ax.set_ylabel(axis_label(metric, model_cls), fontsize=7)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
    fig.suptitle("End-of-run outcomes against each lever (one dot per run)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def nonnegative_whiskers(value, conf) -> np.ndarray:
    """Error bars for an index that cannot be negative (mu*, ST): the lower whisker stops at zero."""
    value, conf = np.asarray(value, dtype=float), np.asarray(conf, dtype=float)
    return np.array([np.minimum(conf, np.maximum(value, 0)), conf])


def plot_tornado(table: pd.DataFrame, path: Path) -> Path:
    """Lever importance (Morris mu* or Sobol ST) with 95% intervals, most important on top; indices are never below 0."""
    plt = _plt()
    t = table.sort_values("importance")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(t) + 1.8))
    y = np.arange(len(t))
    imp = t["importance"].to_numpy(dtype=float)
    conf = t["importance_conf"].to_numpy(dtype=float)
    xerr = nonnegative_whiskers(imp, conf)
    ax.barh(y, np.maximum(imp, 0), xerr=xerr, color="C0", capsize=3)
    if "S1" in t:
        ax.barh(y, np.maximum(t["S1"].to_numpy(dtype=float), 0), height=0.35, color="C1", label="first order (S1)")
        ax.legend(fontsize=8)
    ax.set_yticks(y, t["lever"], fontsize=8)
    ax.set_ylabel("lever")
    method = t["method"].iloc[0]
    metric = t["metric"].iloc[0]
    ax.set_xlabel(f"mu* (Morris): mean absolute change in {metric} over the lever's range" if method == "morris"
                  else "total-order index ST (Sobol): share of variance, 0-1")
    ax.set_title(f"Which levers matter for {metric}", fontsize=11)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_morris(table: pd.DataFrame, path: Path) -> Path:
    """The Morris mu*-sigma plane: importance against interaction or non-linearity, with sigma/mu* reference lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5.5))
    mu, sigma = table["mu_star"].to_numpy(dtype=float), table["sigma"].to_numpy(dtype=float)
    conf = table["mu_star_conf"].to_numpy(dtype=float)
    ax.errorbar(mu, sigma, xerr=nonnegative_whiskers(mu, conf), fmt="o", capsize=3)
    for x, y, name in zip(mu, sigma, table["lever"]):
        ax.annotate(name, (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points")
    top = max(float(np.nanmax(mu)) if mu.size else 1.0, 1e-12) * 1.15
    xs = np.linspace(0, top, 50)
    for ratio, style in ((0.1, ":"), (0.5, "--"), (1.0, "-")):
        ax.plot(xs, ratio * xs, color="grey", lw=0.8, ls=style, label=f"sigma/mu* = {ratio:g}")
    metric = table["metric"].iloc[0]
    ax.set_xlabel(f"mu*: mean absolute change in {metric} over the lever's range")
    ax.set_ylabel("sigma: spread of the changes (interactions, non-linearity)")
    ax.set_xlim(0, top)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(f"Morris screening for {metric}", fontsize=11)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_network(panels: list[tuple[dict, str]], path: Path, seed: int = 0) -> Path:
    """One panel per snapshot: charities as nodes (colour: partnership, size: income), ties as edges (width: frontline)."""
    import networkx as nx

    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 7), squeeze=False)
    for ax, (snapshot, title) in zip(axes[0], panels):
        nodes, edges = snapshot["nodes"], snapshot["edges"]
        if "active" in nodes:
            nodes = nodes[nodes["active"].astype(bool)]
        graph = nx.Graph()
        for _, n in nodes.iterrows():
            graph.add_node(n["org_id"], partnership=int(n.get("partnership_id", -1)), income=float(n.get("income", 0.0)))
        for _, e in edges.iterrows():
            strength = max(float(e.get("frontline", 0.0)), float(e.get("managerial", 0.0)))
            if e["source"] in graph and e["target"] in graph and strength > 0.01:
                graph.add_edge(e["source"], e["target"], frontline=float(e.get("frontline", 0.0)), weight=strength)
        pos = nx.spring_layout(graph, seed=seed, weight="weight", k=1.5 / math.sqrt(max(len(graph), 1)))
        parts = sorted({d["partnership"] for _, d in graph.nodes(data=True)} - {-1})
        colour_of = {p: f"C{i % 10}" for i, p in enumerate(parts)}
        colours = [colour_of.get(d["partnership"], "lightgrey") for _, d in graph.nodes(data=True)]
        income = np.array([d["income"] for _, d in graph.nodes(data=True)] or [0.0])
        sizes = 20 + 280 * np.sqrt(income / income.max()) if income.max() > 0 else 40
        widths = [0.3 + 3 * d["frontline"] for _, _, d in graph.edges(data=True)]
        nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, alpha=0.45)
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=sizes, linewidths=0.5, edgecolors="k")
        ax.set_title(f"{title}\n{len(parts)} partnerships (colours), {graph.number_of_edges()} ties; grey: no partnership",
                     fontsize=9)
        ax.axis("off")
    fig.suptitle("Node size: income; edge width: frontline relationship strength", fontsize=9, y=0.02)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _scenario_of_point(manifest: dict, point_index: int):
    """The scenario a sweep's point actually ran: base, then [set], then the point's levers, then months."""
    from ..scenario import apply_overrides, build_scenario

    exp = manifest["experiment"]
    point = exp["points"][point_index]
    base = exp["scenarios"][point["scenario"]]
    overrides = {**exp["set"], **{k: v for k, v in point.items() if k != "scenario"}}
    if exp["experiment"].get("months"):
        overrides["run.months"] = exp["experiment"]["months"]
    return build_scenario(apply_overrides(base, overrides), "manifest")


def _network_snapshot(manifest: dict, point_index: int = 0, model_cls=None) -> tuple[dict, str]:
    """Re-run one point's scenario with its first seed, to draw the network at the end of the run."""
    from ..model import PartnershipModel
    from ..scenario import Scenario

    if manifest.get("kind") == "sweep":
        exp = manifest["experiment"]
        point = exp["points"][point_index]
        scenario = _scenario_of_point(manifest, point_index)
        seed = _first_seed(manifest, point_index)
        label = ", ".join([point["scenario"], *(f"{k.split('.')[-1]}={v}" for k, v in point.items() if k != "scenario")])
    else:
        scenario = Scenario.model_validate(manifest["scenario"])
        seed = manifest["seeds"][0]
        label = scenario.run.title
    model = (model_cls or PartnershipModel)(scenario, seed=seed)
    model.run_for(scenario.run.months)
    return model.network_snapshot(), f"{clean_text(label)}: month {scenario.run.months}, seed {seed}"


def _first_seed(manifest: dict, point_index: int) -> int:
    """The seed of replication 0 of a point, from the runs index the sweep wrote."""
    runs = pd.read_parquet(Path(manifest["_dir"]) / "runs.parquet", columns=["point", "replication", "seed"])
    row = runs[(runs["point"] == point_index) & (runs["replication"] == 0)]
    return int(row["seed"].iloc[0])


def write_report(out_dir: str | Path, network: bool = True, max_metrics: int = 8, show_runs: bool = False) -> Path:
    """Write ``figures/`` and ``report.md`` into a results folder; returns the Markdown path.

    The folder is locked while the report is written (a sweep still working in it is refused).
    """
    from .outdir import claim

    d = Path(out_dir)
    manifest, runs, monthly = load_results(d)
    with claim(d, option="DIR"):
        return _write_report(d, manifest, runs, monthly, network, max_metrics, show_runs)


def _write_report(d: Path, manifest: dict, runs: pd.DataFrame, monthly: pd.DataFrame, network: bool,
                  max_metrics: int, show_runs: bool) -> Path:
    figs = d / "figures"
    figs.mkdir(exist_ok=True)
    model_cls = _model_cls(manifest)
    sweep = manifest.get("kind") == "sweep"
    exp = manifest.get("experiment", {}) if sweep else {}
    settings = exp.get("experiment", {})
    metric_cols = [m for m in manifest.get("metrics", []) if m in runs.columns]
    chosen = settings.get("metrics") if sweep else None
    metrics = [m for m in chosen if m in metric_cols][:max_metrics] if chosen else _key_metrics(metric_cols, max_metrics)
    groups = _groups(runs) if not runs.empty else []
    full_runs = runs
    notes: list[str] = []
    design = settings.get("design", "full_factorial")
    if sweep and (design != "full_factorial" or len(groups) > MAX_GROUPS) and groups:
        # a sampled design has one or two runs per point: pool them; the lever plots show each run
        pooled = f"all {len(runs)} runs"
        runs, monthly = runs.assign(group=pooled), monthly.assign(group=pooled)
        notes.append(f"The {len(groups)} points of this {design.replace('_', ' ')} design are pooled in the table "
                     "and the first figures (bands span every run); the plots against each lever, and the sections "
                     "on levers and collapse, say which levers matter.")
        groups = [pooled]
    shown = groups[:MAX_GROUPS]
    if len(groups) > MAX_GROUPS:
        notes.append(f"Only the first {MAX_GROUPS} of {len(groups)} conditions are shown.")
    codes = condition_codes(shown)

    md: list[str] = []
    if sweep:
        title, description = settings.get("title", "Sweep"), settings.get("description", "")
    else:
        run_cfg = manifest.get("scenario", {}).get("run", {})
        title, description = run_cfg.get("title", "Scenario run"), run_cfg.get("description", "")
    md += [f"# {clean_text(title)}", ""]
    if description:
        md += [clean_text(description, 2000), ""]
    md += _what_was_run(manifest, full_runs, model_cls)
    md += notes and [*notes, ""] or []

    if runs.empty or not metrics:
        md += ["No finished runs to report.", ""]
    else:
        if any(codes[g] != g for g in shown):
            md += ["## Conditions", "", "| code | condition |", "| --- | --- |"]
            md += [f"| {codes[g]} | {markdown_cell(g)} |" for g in shown]
            md.append("")
        md += ["## Results at the end of the run", "",
               "Mean across seeds, with the 95% confidence interval in brackets (clipped to what the metric can "
               "take; \"n/a\" from a single run; \"no data\" where the metric had nothing to measure).", ""]
        md += ["| metric | unit | " + " | ".join(markdown_cell(codes[g]) for g in shown) + " |",
               "| --- | --- | " + " | ".join("---" for _ in shown) + " |"]
        for m in metrics:
            decl = describe(m, model_cls)
            cells = [_cell(runs.loc[runs["group"] == g, m], decl) for g in shown]
            md.append(f"| {markdown_cell(decl.label)} (`{m}`) | {UNITS.get(decl.unit, decl.unit)} | "
                      + " | ".join(cells) + " |")
        md += ["", "What the metrics mean: " + "; ".join(
            f"**{m}**: {clean_text(describe(m, model_cls).meaning).rstrip('.').lower()}" for m in metrics) + ".", ""]
        if len(shown) > 1:
            md += ["## How the conditions differ", "",
                   f"Each compared with **{markdown_cell(codes[shown[0]])}**. A difference is listed when its "
                   f"{CORRECTIONS['holm']}-adjusted p-value (over the {len(metrics)} metrics) is below 0.05, its 95% "
                   "confidence interval excludes zero, and it is at least the metric's declared practical "
                   "relevance.", ""]
            for g in shown[1:]:
                rows = compare_runs(runs, "group", shown[0], g, metrics, label_a=codes[shown[0]], label_b=codes[g],
                                    model_cls=model_cls, correction="holm")
                clear = [r for r in rows if r.verdict not in ("no clear difference", "same", "no data",
                                                              "not practically relevant")]
                md += [f"**{markdown_cell(codes[g])}**:", ""]
                md += [f"- {clean_text(r.sentence)}" for r in clear] or ["- no clear, practically relevant difference "
                                                                         "on these metrics."]
                md.append("")
        ts = plot_timeseries(monthly, metrics[:6], shown, figs / "timeseries.png", codes, model_cls, show_runs)
        bars = plot_comparison(runs, metrics, shown, figs / "comparison.png", codes, model_cls, show_runs)
        md += ["## Figures", "", f"![Monthly metrics]({ts.relative_to(d)})", "",
               f"![End-of-run comparison]({bars.relative_to(d)})", ""]
        levers = [k for k in exp.get("parameters", {}) if k in full_runs.columns] if sweep else []
        if levers:
            pairs = plot_levers(full_runs, levers[:6], metrics[:3], figs / "levers.png", model_cls)
            md += [f"![Outcomes against each lever]({pairs.relative_to(d)})", ""]

    md += _sensitivity_section(d, figs)
    md += _discovery_section(d)
    if network:
        try:
            manifest["_dir"] = str(d)
            points = sorted(full_runs["point"].unique()) if sweep and not full_runs.empty else [0]
            picked = [int(points[0])] + ([int(points[-1])] if len(points) > 1 else [])
            panels = [_network_snapshot(manifest, p, model_cls) for p in picked]
            net = plot_network(panels, figs / "network.png")
            md += ["## The partnership network", "",
                   "At the end of one seeded run" + (" of the first and the last condition" if len(panels) > 1 else "")
                   + ": " + "; ".join(c for _, c in panels) + ".", "", f"![Network]({net.relative_to(d)})", ""]
        except Exception as err:  # noqa: BLE001 - the rest of the report is still useful
            md += ["## The partnership network", "", f"(Not drawn: {type(err).__name__}: {clean_text(err)})", ""]
    md += ["## Reading these results", "",
           "This is a simulation, not a forecast: it shows how the mechanisms in the model respond to the levers, "
           "given assumptions listed in the ODD (docs/). Differences are over seeded replications; a difference "
           "whose confidence interval includes zero may be noise. Every number here can be reproduced from "
           "`manifest.json` (scenario as resolved, seeds, code and package versions).", ""]
    target = d / "report.md"
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text("\n".join(md), encoding="utf-8")
    tmp.replace(target)
    return target


def _cell(values: pd.Series, decl) -> str:
    vals = values.to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    if finite.size == 0:
        return "no data"
    mean, lo, hi = mean_ci(finite)
    if finite.size < 2:
        return f"{fmt(mean)} [n/a]"
    return f"{fmt(mean)} [{fmt(decl.clip(lo))}, {fmt(decl.clip(hi))}]"


def _what_was_run(manifest: dict, runs: pd.DataFrame, model_cls) -> list[str]:
    """Every override and the size of what actually ran, not what the scenario files describe."""
    md = ["## What was run", ""]
    versions = manifest.get("versions", {})
    model = manifest.get("model") or "sim.model:PartnershipModel"
    if manifest.get("kind") == "sweep":
        exp = manifest["experiment"]
        s = exp["experiment"]
        summary = manifest.get("summary", {})
        md += ["- Scenarios (their files' descriptions; the table below says what actually ran):"]
        for name in s["scenarios"]:
            run_cfg = exp["scenarios"][name]["run"]
            blurb = f" {clean_text(run_cfg['description'])}" if run_cfg.get("description") else ""
            md.append(f"  - **{markdown_cell(name)}**: {clean_text(run_cfg.get('title', name))}.{blurb}")
        levers = ", ".join(f"`{k}`" for k in exp["parameters"]) or "none"
        overrides = exp.get("set", {})
        md += [f"- Overrides for every run (`[set]`): "
               + (", ".join(f"`{k} = {v!r}`" for k, v in overrides.items()) if overrides else "none"),
               f"- Levers varied: {levers}",
               f"- Design: {s['design']}, {len(exp['points'])} points x {s['replications']} replications = "
               f"{manifest['n_runs']} runs; horizon: "
               f"{str(s['months']) + ' months' if s.get('months') else 'as set in each scenario'}",
               f"- Runs finished: {summary.get('done', len(runs))}, failed: {summary.get('failed', 0)}",
               f"- Seeding: {s.get('seeding', 'per_run')}: {manifest['seeds']['rule']}"
               + (f", base seed {manifest['seeds']['base_seed']}" if s.get("seeding") != "scenario" else ""),
               f"- Model class: `{model}`", ""]
        varied = set(exp["parameters"])
        md += ["As run (after `[set]`, `months` and the levers; \"varied\" where a lever sets it):", "",
               "| scenario | " + " | ".join(n for _, n in SIZE_KEYS) + " |",
               "| --- | " + " | ".join("---" for _ in SIZE_KEYS) + " |"]
        for name in s["scenarios"]:
            first = next((i for i, p in enumerate(exp["points"]) if p["scenario"] == name), None)
            if first is None:
                continue
            sc = _scenario_of_point(manifest, first).model_dump()
            cells = ["varied" if key in varied else f"{_get(sc, key):,}" for key, _ in SIZE_KEYS]
            md.append(f"| {markdown_cell(name)} | " + " | ".join(cells) + " |")
        md.append("")
    else:
        sc = manifest.get("scenario", {})
        overrides = manifest.get("overrides") or []
        md += [f"- Scenario file: `{markdown_cell(manifest.get('scenario_source', ''))}`",
               f"- Overrides (`--set`): " + (", ".join(f"`{clean_text(o)}`" for o in overrides) if overrides else "none"),
               f"- {len(runs)} seeded runs; model class: `{model}`",
               "- As run: " + ", ".join(f"{_get(sc, key):,} {n}" for key, n in SIZE_KEYS if _get(sc, key) is not None),
               ""]
    md += [f"Code: partnersim {manifest.get('code_version', {}).get('partnersim', versions.get('partnersim', '?'))}"
           f" {manifest.get('code_version', {}).get('git_commit', '')[:10]}; mesa {versions.get('mesa', '?')}, "
           f"python {versions.get('python', '?')}", ""]
    return md


def _get(tree: dict, key: str):
    node = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _sensitivity_section(d: Path, figs: Path) -> list[str]:
    path = d / "sensitivity.json"
    if not path.is_file():
        return []
    from .sensitivity import plain_summary

    try:
        sens = json.loads(path.read_text())
    except ValueError:
        return ["## Which levers matter most", "", "(sensitivity.json cannot be read)", ""]
    md = ["## Which levers matter most", ""]
    for metric, entry in sens.items():
        rows = entry["indices"] if isinstance(entry, dict) else entry
        table = pd.DataFrame(rows)
        if table.empty:
            continue
        if isinstance(entry, dict):
            table.attrs["warnings"] = entry.get("warnings", [])
        fig = plot_tornado(table, figs / f"tornado_{metric}.png")
        md += [plain_summary(table), "", f"![Lever importance for {metric}]({fig.relative_to(d)})", ""]
        if table["method"].iloc[0] == "morris":
            mfig = plot_morris(table, figs / f"morris_{metric}.png")
            md += [f"![Morris mu*-sigma for {metric}]({mfig.relative_to(d)})", ""]
        if isinstance(entry, dict):
            conv = entry.get("convergence") or []
            if conv:
                fractions = sorted({c["fraction"] for c in conv})
                md += [f"Convergence: the importance of each lever recomputed on part of the sample "
                       f"({', '.join(f'{f:.0%}' for f in fractions)}).", "",
                       "| lever | " + " | ".join(f"{f:.0%}" for f in fractions) + " |",
                       "| --- | " + " | ".join("---" for _ in fractions) + " |"]
                for lever in table["lever"]:
                    vals = {c["fraction"]: c["importance"] for c in conv if c["lever"] == lever}
                    md.append(f"| {lever} | " + " | ".join(fmt(vals.get(f)) for f in fractions) + " |")
                md.append("")
            md += [f"- warning: {clean_text(w)}" for w in entry.get("warnings", [])]
            md.append("")
    return md


def _discovery_section(d: Path) -> list[str]:
    path = d / "discovery.json"
    if not path.is_file():
        return []
    try:
        disc = json.loads(path.read_text())
    except ValueError:
        return ["## When do partnerships collapse?", "", "(discovery.json cannot be read)", ""]
    md = ["## When do partnerships collapse?", "", clean_text(disc.get("headline", disc.get("summary", ""))), ""]
    prim = disc.get("prim") or {}
    if prim.get("box"):
        md += [f"PRIM (EMA Workbench), box {prim['chosen']} of its peeling trajectory: coverage "
               f"{prim['coverage']:.0%} (share of all collapses inside the box), density {prim['density']:.0%} "
               f"(share of runs in the box that collapse), mass {prim['mass']:.0%} of all runs.", "",
               "| lever | restricted to | quasi-p-value |", "| --- | --- | --- |"]
        for r in prim["box"]:
            md.append(f"| {markdown_cell(r['lever'])} | {markdown_cell(r['range'])} | {fmt(r.get('qp'), 'n/a')} |")
        md.append("")
        for name, caption in (("prim_tradeoff.png", "PRIM peeling trajectory: coverage against density"),
                              ("prim_box.png", "PRIM box inspection")):
            if (d / "figures" / name).is_file():
                md += [f"![{caption}](figures/{name})", ""]
    elif prim.get("message"):
        md += [f"PRIM: {clean_text(prim['message'])}", ""]
    if disc.get("boxes"):
        md += ["Decision tree (beside PRIM):", ""]
    for b in disc.get("boxes", [])[:5]:
        md.append(f"- {clean_text(' and '.join(b['rules']) or 'everywhere')}: {b['density']:.0%} of {b['runs']} runs "
                  f"collapse ({b['coverage']:.0%} of all collapses)")
    md.append("")
    return md
