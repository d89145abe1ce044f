"""Reports a commissioner can read: figures and a Markdown summary of a results folder.

Works on a sweep's folder (``partnersim sweep``) and on a single scenario's
folder (``partnersim run --out``). Writes ``figures/*.png`` (matplotlib, Agg)
and ``report.md`` into the folder:

- time series of key metrics, mean and 95% band across seeds, per scenario;
- end-of-run bars with 95% confidence intervals, per scenario;
- a tornado of lever importance when ``sensitivity.json`` is there;
- a snapshot of the partnership network (one seeded run, drawn with networkx);
- plain-language comparisons against the first scenario, and discovery boxes
  when ``discovery.json`` is there.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import METRIC_INFO
from ..runner import mean_ci
from .compare import compare_runs
from .storage import load_results

#: Metrics shown first when present (the ones the report's lessons are about).
KEY_METRICS = (
    "partnerships_active", "charities_active", "rel_frontline_mean", "rel_managerial_mean",
    "joined_up_share", "needs_met_share", "referral_success_rate", "defections",
    "monitoring_time_share", "system_barrier_index", "charity_closures", "unfunded_collaborations",
)
MAX_GROUPS = 8


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _key_metrics(available: list[str], limit: int) -> list[str]:
    first = [m for m in KEY_METRICS if m in available]
    rest = [m for m in available if m not in first]
    return (first + rest)[:limit]


def _groups(runs: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(runs.sort_values("point")["group"]))


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "\u2026"


def plot_timeseries(monthly: pd.DataFrame, metrics: list[str], groups: list[str], path: Path) -> Path:
    """Mean over seeds per month with a 95% band (t interval), one line per group."""
    plt = _plt()
    cols = 2
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.0 * rows), squeeze=False, sharex=True)
    for ax, metric in zip(axes.flat, metrics):
        for i, g in enumerate(groups):
            sub = monthly[monthly["group"] == g].groupby("month")[metric]
            mean, sd, n = sub.mean(), sub.std(ddof=1).fillna(0.0), sub.count()
            from scipy import stats

            half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
            colour = f"C{i % 10}"
            ax.plot(mean.index, mean.values, color=colour, lw=1.6, label=_short(g))
            ax.fill_between(mean.index, (mean - half).values, (mean + half).values, color=colour, alpha=0.2, lw=0)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("month")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
    fig.suptitle("Monthly metrics: mean across seeds with 95% band", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_comparison(runs: pd.DataFrame, metrics: list[str], groups: list[str], path: Path) -> Path:
    """End-of-run mean per group with its 95% confidence interval."""
    plt = _plt()
    cols = 3
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.9 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        stats_ = [mean_ci(runs.loc[runs["group"] == g, metric]) for g in groups]
        means = np.array([s[0] for s in stats_])
        err = np.array([[s[0] - s[1] for s in stats_], [s[2] - s[0] for s in stats_]])
        ax.bar(range(len(groups)), means, yerr=err, capsize=3, color=[f"C{i % 10}" for i in range(len(groups))])
        ax.set_xticks(range(len(groups)), [textwrap.fill(_short(g, 40), 20) for g in groups], rotation=30, ha="right", fontsize=7)
        ax.set_title(metric, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle("End of run: mean across seeds with 95% confidence interval", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_tornado(table: pd.DataFrame, path: Path) -> Path:
    """Lever importance (Morris mu* or Sobol ST) with 95% intervals, most important on top."""
    plt = _plt()
    t = table.sort_values("importance")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(t) + 1.5))
    y = np.arange(len(t))
    ax.barh(y, t["importance"], xerr=t["importance_conf"], color="C0", capsize=3)
    if "S1" in t:
        ax.barh(y, t["S1"], height=0.35, color="C1", label="first order (S1)")
        ax.legend(fontsize=8)
    ax.set_yticks(y, t["lever"], fontsize=8)
    method = t["method"].iloc[0]
    ax.set_xlabel("mu* (Morris)" if method == "morris" else "total-order index ST (Sobol)")
    ax.set_title(f"Which levers matter for {t['metric'].iloc[0]}", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
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


def _network_snapshot(manifest: dict, point_index: int = 0) -> tuple[dict, str]:
    """Re-run one point's scenario with its first seed, to draw the network at the end of the run."""
    from ..model import PartnershipModel
    from ..scenario import Scenario, apply_overrides, build_scenario

    if manifest.get("kind") == "sweep":
        exp = manifest["experiment"]
        point = exp["points"][point_index]
        base = exp["scenarios"][point["scenario"]]
        overrides = {**exp["set"], **{k: v for k, v in point.items() if k != "scenario"}}
        if exp["experiment"].get("months"):
            overrides["run.months"] = exp["experiment"]["months"]
        scenario = build_scenario(apply_overrides(base, overrides), "manifest")
        seed = _first_seed(manifest, point_index)
        label = ", ".join([point["scenario"], *(f"{k.split('.')[-1]}={v}" for k, v in point.items() if k != "scenario")])
    else:
        scenario = Scenario.model_validate(manifest["scenario"])
        seed = manifest["seeds"][0]
        label = scenario.run.title
    model = PartnershipModel(scenario, seed=seed)
    model.run_for(scenario.run.months)
    return model.network_snapshot(), f"{label}: month {scenario.run.months}, seed {seed}"


def _first_seed(manifest: dict, point_index: int) -> int:
    """The seed of replication 0 of a point, from the runs index the sweep wrote."""
    runs = pd.read_parquet(Path(manifest["_dir"]) / "runs.parquet", columns=["point", "replication", "seed"])
    row = runs[(runs["point"] == point_index) & (runs["replication"] == 0)]
    return int(row["seed"].iloc[0])


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 0.1 else f"{v:.3f}"


def write_report(out_dir: str | Path, network: bool = True, max_metrics: int = 8) -> Path:
    """Write ``figures/`` and ``report.md`` into a results folder; returns the Markdown path."""
    d = Path(out_dir)
    manifest, runs, monthly = load_results(d)
    figs = d / "figures"
    figs.mkdir(exist_ok=True)
    metric_cols = [m for m in manifest.get("metrics", []) if m in runs.columns]
    chosen = manifest.get("experiment", {}).get("experiment", {}).get("metrics") if manifest.get("kind") == "sweep" else None
    metrics = [m for m in chosen if m in metric_cols][:max_metrics] if chosen else _key_metrics(metric_cols, max_metrics)
    groups = _groups(runs) if not runs.empty else []
    notes: list[str] = []
    design = manifest.get("experiment", {}).get("experiment", {}).get("design", "full_factorial")
    if manifest.get("kind") == "sweep" and (design != "full_factorial" or len(groups) > MAX_GROUPS) and groups:
        # a sampled design has one or two runs per point: pool them, and let sensitivity/discovery say what matters
        pooled = f"all {len(runs)} runs"
        runs, monthly = runs.assign(group=pooled), monthly.assign(group=pooled)
        notes.append(f"The {len(groups)} points of this {design.replace('_', ' ')} design are pooled in the table "
                     "and figures (bands span every run); the sections on levers and collapse say which levers matter.")
        groups = [pooled]
    shown = groups[:MAX_GROUPS]
    md: list[str] = []
    sweep = manifest.get("kind") == "sweep"
    if sweep:
        exp = manifest["experiment"]
        title, description = exp["experiment"]["title"], exp["experiment"]["description"]
    else:
        run_cfg = manifest.get("scenario", {}).get("run", {})
        title, description = run_cfg.get("title", "Scenario run"), run_cfg.get("description", "")
    md += [f"# {title}", ""]
    if description:
        md += [description, ""]
    md += ["## What was run", ""]
    if sweep:
        s = exp["experiment"]
        summary = manifest.get("summary", {})
        levers = ", ".join(f"`{k}`" for k in exp["parameters"]) or "none"
        md += ["- Scenarios:"]
        for name in s["scenarios"]:
            run_cfg = exp["scenarios"][name]["run"]
            blurb = f" {run_cfg['description']}" if run_cfg.get("description") else ""
            md.append(f"  - **{name}**: {run_cfg.get('title', name)}.{blurb}")
        md += [f"- Levers varied: {levers}",
               f"- Design: {s['design']}, {len(exp['points'])} points x {s['replications']} seeds = "
               f"{manifest['n_runs']} runs; horizon: "
               f"{str(s['months']) + ' months' if s.get('months') else 'as set in each scenario'}",
               f"- Runs finished: {summary.get('done', len(runs))}, failed: {summary.get('failed', 0)}",
               f"- Seeds: {manifest['seeds']['rule']}"
               + (f", base seed {manifest['seeds']['base_seed']}" if s.get("seeds") != "scenario" else "")]
    else:
        md += [f"- Scenario file: `{manifest.get('scenario_source', '')}`",
               f"- {len(runs)} seeded runs of {manifest.get('scenario', {}).get('run', {}).get('months', '?')} months"]
    versions = manifest.get("versions", {})
    md += [f"- Code: partnersim {manifest.get('code_version', {}).get('partnersim', versions.get('partnersim', '?'))}"
           f" {manifest.get('code_version', {}).get('git_commit', '')[:10]}; mesa {versions.get('mesa', '?')}, "
           f"python {versions.get('python', '?')}", ""]
    md += notes and [*notes, ""] or []

    if runs.empty or not metrics:
        md += ["No finished runs to report.", ""]
    else:
        md += ["## Results at the end of the run", "",
               "Mean across seeds, with the 95% confidence interval in brackets.", ""]
        md += ["| metric | " + " | ".join(_short(g, 40) for g in shown) + " |",
               "| --- | " + " | ".join("---" for _ in shown) + " |"]
        for m in metrics:
            cells = []
            for g in shown:
                mean, lo, hi = mean_ci(runs.loc[runs["group"] == g, m])
                cells.append(f"{_fmt(mean)} [{_fmt(lo)}, {_fmt(hi)}]")
            md.append(f"| {m} | " + " | ".join(cells) + " |")
        md += ["", "What the metrics mean: " + "; ".join(f"**{m}**: {METRIC_INFO[m][0].lower()}"
                                                          for m in metrics if m in METRIC_INFO) + ".", ""]
        if len(shown) > 1:
            md += ["## How the scenarios differ", "", f"Each compared with **{shown[0]}**; only clear differences "
                   "(95% confidence interval excludes zero) are listed.", ""]
            for g in shown[1:]:
                rows = compare_runs(runs, "group", shown[0], g, metrics, label_a=shown[0], label_b=g)
                clear = [r for r in rows if r.verdict not in ("no clear difference", "same", "no data")]
                md += [f"**{g}**:", ""]
                md += [f"- {r.sentence}" for r in clear] or ["- no clear difference on these metrics."]
                md.append("")
        ts = plot_timeseries(monthly, metrics[:6], shown, figs / "timeseries.png")
        bars = plot_comparison(runs, metrics, shown, figs / "comparison.png")
        md += ["## Figures", "", f"![Monthly metrics]({ts.relative_to(d)})", "",
               f"![End-of-run comparison]({bars.relative_to(d)})", ""]

    sens_path = d / "sensitivity.json"
    if sens_path.is_file():
        from .sensitivity import plain_summary

        sens = json.loads(sens_path.read_text())
        md += ["## Which levers matter most", ""]
        for metric, rows in sens.items():
            table = pd.DataFrame(rows)
            fig = plot_tornado(table, figs / f"tornado_{metric}.png")
            md += [plain_summary(table), "", f"![Lever importance for {metric}]({fig.relative_to(d)})", ""]
    disc_path = d / "discovery.json"
    if disc_path.is_file():
        disc = json.loads(disc_path.read_text())
        md += ["## When do partnerships collapse?", "", disc.get("headline", disc["summary"]), ""]
        for b in disc.get("boxes", [])[:5]:
            md.append(f"- {' and '.join(b['rules']) or 'everywhere'}: {b['density']:.0%} of {b['runs']} runs collapse "
                      f"({b['coverage']:.0%} of all collapses)")
        md.append("")
    if network:
        try:
            manifest["_dir"] = str(d)
            points = sorted(runs["point"].unique()) if sweep and not runs.empty else [0]
            chosen = [int(points[0])] + ([int(points[-1])] if len(points) > 1 else [])
            panels = [_network_snapshot(manifest, p) for p in chosen]
            net = plot_network(panels, figs / "network.png")
            md += ["## The partnership network", "",
                   "At the end of one seeded run" + (" of the first and the last scenario" if len(panels) > 1 else "")
                   + ": " + "; ".join(c for _, c in panels) + ".", "", f"![Network]({net.relative_to(d)})", ""]
        except Exception as err:  # noqa: BLE001 - the rest of the report is still useful
            md += ["## The partnership network", "", f"(Not drawn: {type(err).__name__}: {err})", ""]
    md += ["## Reading these results", "",
           "This is a simulation, not a forecast: it shows how the mechanisms in the model respond to the levers, "
           "given assumptions listed in the ODD (docs/). Differences are over seeded replications; a difference "
           "whose confidence interval includes zero may be noise. Every number here can be reproduced from "
           "`manifest.json` (scenario as resolved, seeds, code and package versions).", ""]
    target = d / "report.md"
    target.write_text("\n".join(md))
    return target
