"""Scenario discovery: which combinations of levers lead to partnership collapse.

Two methods side by side, the levers as inputs and "collapse" (a condition
on an end-of-run metric) as the outcome:

- **PRIM** (Friedman and Fisher 1999; Bryant and Lempert 2010), through the
  EMA Workbench's own implementation (``ema_workbench.analysis.prim``). It
  peels the space of lever values a little at a time; each step is a box on
  the *peeling trajectory*, trading *coverage* (the share of all collapses
  inside the box) against *density* (the share of runs in the box that
  collapse). The chosen box is the one with the most coverage among those at
  least ``threshold`` dense; box inspection gives each restricted lever's
  range and its quasi-p-value (how likely the restriction is by chance).
- a shallow **decision tree** (scikit-learn), whose collapse leaves are boxes
  described in the same terms.

Categorical levers enter both as one 0/1 indicator per value.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import metrics_of

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}

#: The default meaning of collapse: at most one partnership left at the end of a run.
DEFAULT_CONDITION = "partnerships_active <= 1"


class DiscoveryError(ValueError):
    """The condition or the data do not allow discovery; one line."""


@dataclass
class Condition:
    """What counts as collapse: a metric compared with a value (e.g. ``partnerships_active <= 1``)."""
    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        """For each row of ``frame``, whether the condition holds."""
        return _OPS[self.op](frame[self.metric].to_numpy(dtype=float), self.value)


def parse_condition(text: str, allowed: tuple[str, ...] | list[str] | None = None) -> Condition:
    """``"partnerships_active <= 1"`` -> Condition; raises DiscoveryError with what is allowed.

    Args:
        allowed: metric names accepted (default: the default model's declared metrics).
    """
    allowed = tuple(allowed) if allowed is not None else metrics_of(None).names
    m = re.fullmatch(r"\s*([a-z_]+)\s*(<=|>=|==|<|>)\s*(-?[0-9.eE+-]+)\s*", text or "")
    if not m:
        raise DiscoveryError(f"--where {text!r}: expected METRIC OP NUMBER, e.g. \"{DEFAULT_CONDITION}\" (OP: <=, >=, <, >, ==)")
    metric, op, value = m.groups()
    if metric not in allowed:
        raise DiscoveryError(f"--where: unknown metric {metric!r}; allowed: {', '.join(allowed)}")
    try:
        return Condition(metric, op, float(value))
    except ValueError:
        raise DiscoveryError(f"--where: {value!r} is not a number") from None


@dataclass
class Box:
    """A box found by scenario discovery: its rules, and how many runs and collapses fall inside it."""
    rules: list[str]
    runs: int
    collapses: int
    coverage: float
    density: float

    def sentence(self) -> str:
        """The box as a sentence: where collapse is likely, with density and coverage."""
        where = " and ".join(self.rules) if self.rules else "everywhere"
        return (f"Collapse is likely when {where}: {self.density:.0%} of the {self.runs} runs there collapse "
                f"({self.coverage:.0%} of all collapses)")


def _features(runs: pd.DataFrame, levers: list[str]) -> pd.DataFrame:
    cols = {}
    if "scenario" in runs and runs["scenario"].nunique() > 1:
        levers = ["scenario", *levers]
    for lever in levers:
        col = runs[lever]
        if col.dtype == bool:
            cols[lever] = col.astype(int)
        elif pd.api.types.is_numeric_dtype(col):
            cols[lever] = col.astype(float)
        else:  # categorical: one indicator per value
            for value in sorted(col.astype(str).unique()):
                cols[f"{lever} == {value}"] = (col.astype(str) == value).astype(int)
    return pd.DataFrame(cols, index=runs.index)


def discover(runs: pd.DataFrame, levers: list[str], condition: Condition, max_depth: int = 3,
             seed: int = 0) -> dict:
    """Fit the tree; return the boxes where collapse is likely, lever importances and the tree as text."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if ok.empty:
        raise DiscoveryError("no finished runs to analyse")
    if not levers and not ("scenario" in ok and ok["scenario"].nunique() > 1):
        raise DiscoveryError("the sweep varies no levers; discovery needs an experiment with [parameters]")
    x = _features(ok, levers)
    y = condition.holds(ok).astype(int)
    n_collapse = int(y.sum())
    base = {"condition": str(condition), "runs": int(len(y)), "collapses": n_collapse,
            "collapse_share": float(y.mean())}
    if n_collapse == 0 or n_collapse == len(y):
        word = "never" if n_collapse == 0 else "always"
        line = f"Collapse ({condition}) happens {word} in these {len(y)} runs; nothing to discover."
        return base | {"headline": line, "boxes": [], "importance": {}, "tree": "", "summary": line}
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(2, len(y) // 20),
                                  class_weight="balanced", random_state=seed)
    tree.fit(x.to_numpy(), y)
    boxes = _boxes(tree, list(x.columns), x.to_numpy(), y)
    importance = {k: float(v) for k, v in sorted(zip(x.columns, tree.feature_importances_), key=lambda t: -t[1]) if v > 0}
    headline = f"Collapse ({condition}) in {n_collapse} of {len(y)} runs ({n_collapse / len(y):.0%})."
    summary = headline + " " + (". ".join(b.sentence() for b in boxes[:3]) + "." if boxes
                                else "No box of levers concentrates it.")
    return base | {"headline": headline, "boxes": [{"rules": [str(r) for r in b.rules], "runs": b.runs, "collapses": b.collapses, "coverage": b.coverage, "density": b.density} for b in boxes], "importance": importance,
                   "tree": export_text(tree, feature_names=list(x.columns)), "summary": summary}


def _boxes(tree, names: list[str], x: np.ndarray, y: np.ndarray) -> list[Box]:
    t = tree.tree_
    leaves = tree.apply(x)
    total = int(y.sum())
    out: list[Box] = []

    def all_collapse(node: int) -> bool:
        if t.children_left[node] == -1:
            return t.value[node][0].argmax() == 1
        return all_collapse(t.children_left[node]) and all_collapse(t.children_right[node])

    def below(node: int) -> set[int]:
        if t.children_left[node] == -1:
            return {node}
        return below(t.children_left[node]) | below(t.children_right[node])

    def walk(node: int, rules: list[str]) -> None:
        if t.children_left[node] != -1 and all_collapse(node):  # splits that change nothing: one box
            in_box = np.isin(leaves, list(below(node)))
            n, c = int(in_box.sum()), int(y[in_box].sum())
            if n and c:
                out.append(Box(_simplify(rules), n, c, c / total, c / n))
            return
        if t.children_left[node] == -1:
            in_leaf = leaves == node
            n, c = int(in_leaf.sum()), int(y[in_leaf].sum())
            # the tree (balanced classes) predicts collapse here: density above the base rate
            if n and c and t.value[node][0].argmax() == 1:
                out.append(Box(_simplify(rules), n, c, c / total, c / n))
            return
        name, thr = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*rules, _rule(name, "<=", thr)])
        walk(t.children_right[node], [*rules, _rule(name, ">", thr)])

    walk(0, [])
    return sorted(out, key=lambda b: (-b.density * b.coverage, -b.coverage))


def _rule(name: str, op: str, thr: float) -> str:
    if " == " in name:  # an indicator of a categorical value
        return name if op == ">" else name.replace(" == ", " != ")
    return f"{name} {op} {thr:.4g}"


def _simplify(rules: list[str]) -> list[str]:
    """Keep the tightest bound per lever and direction."""
    keep: dict[tuple[str, str], str] = {}
    for r in rules:
        m = re.fullmatch(r"(.+) (<=|>) (-?[0-9.eE+-]+)", r)
        if not m:
            keep[(r, "")] = r
            continue
        name, op, v = m.group(1), m.group(2), float(m.group(3))
        prev = keep.get((name, op))
        if prev is not None:
            pv = float(prev.rsplit(" ", 1)[1])
            if (op == "<=" and pv <= v) or (op == ">" and pv >= v):
                continue
        keep[(name, op)] = r
    return list(keep.values())


# ------------------------------------------------------------------ PRIM (EMA Workbench)

#: The lowest density a chosen PRIM box may have, unless the experiment or --threshold says otherwise.
DEFAULT_THRESHOLD = 0.8


def prim_discover(runs: pd.DataFrame, levers: list[str], condition: Condition, threshold: float = DEFAULT_THRESHOLD,
                  figures: Path | None = None, peel_alpha: float = 0.05, mass_min: float = 0.05) -> dict:
    """PRIM over the runs with the EMA Workbench: trajectory, chosen box, its quasi-p-values, and figures.

    Returns a JSON-ready dict: ``trajectory`` (one row per box: coverage, density, mass, restricted
    dimensions), ``chosen`` (the index of the chosen box), ``box`` (per restricted lever: its range and
    quasi-p-value), ``coverage``, ``density``, ``mass``, ``threshold``, ``figures`` and ``message``.
    """
    import warnings

    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    y = condition.holds(ok).astype(bool)
    n = int(y.size)
    out: dict = {"method": "PRIM (ema_workbench.analysis.prim)", "threshold": threshold, "trajectory": [],
                 "box": [], "figures": [], "message": ""}
    if n == 0 or y.sum() in (0, n):
        out["message"] = f"collapse ({condition}) happens {'never' if y.sum() == 0 else 'always'}; no box to find"
        return out
    x = _features(ok, levers).astype(float).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional packages it does not need here
        from ema_workbench.analysis import prim

        box = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min).find_box()
    if box is None:
        out["message"] = "PRIM found no box"
        return out
    traj = box.peeling_trajectory
    out["trajectory"] = [{"box": int(r["id"]), "coverage": float(r["coverage"]), "density": float(r["density"]),
                          "mass": float(r["mass"]), "restricted": int(r["res_dim"])} for _, r in traj.iterrows()]
    dense = traj[traj["density"] >= threshold]
    if dense.empty:
        chosen = int(traj["density"].idxmax())
        out["message"] = (f"no box reaches density {threshold:.0%}; the densest ({traj['density'].max():.0%}) "
                          "is shown")
    else:
        chosen = int(dense.sort_values(["coverage", "mass"], ascending=[False, True], kind="stable").index[0])
    row = traj.loc[chosen]
    out.update(chosen=chosen, coverage=float(row["coverage"]), density=float(row["density"]), mass=float(row["mass"]))
    out["box"] = _box_rules(box, chosen, x)
    if figures is not None:
        out["figures"] = _prim_figures(box, chosen, Path(figures))
    return out


def _box_rules(box, i: int, x: pd.DataFrame) -> list[dict]:
    """Each restricted lever of box ``i``: its range in words, and the workbench's quasi-p-values."""
    lims, whole = box.box_lims[i], box.box_lims[0]
    rules = []
    for name, (qp_low, qp_high) in box.p_values[i].items():
        lo, hi = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        if " == " in name:  # an indicator of a categorical value
            lever, value = name.split(" == ", 1)
            text = f"is {value}" if lo > 0 else f"is not {value}"
        elif set(np.unique(x[name])) <= {0.0, 1.0}:  # a yes/no lever
            lever, text = name, "true" if lo > 0 else "false"
        else:
            lever = name
            bounded = [f">= {lo:.4g}" if lo > float(whole[name].iloc[0]) else "",
                       f"<= {hi:.4g}" if hi < float(whole[name].iloc[1]) else ""]
            text = " and ".join(b for b in bounded if b) or "unrestricted"
        qps = [q for q in (qp_low, qp_high) if q is not None and q >= 0]
        rules.append({"lever": lever, "range": text, "low": lo, "high": hi,
                      "qp": float(max(qps)) if qps else None})
    return rules


def _prim_figures(box, i: int, folder: Path) -> list[str]:
    """The coverage-density trade-off of the peeling trajectory, and the inspection of the chosen box."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = box.show_tradeoff(annotated=False)
        ax = fig.axes[0]
        traj = box.peeling_trajectory
        ax.scatter([traj.loc[i, "coverage"]], [traj.loc[i, "density"]], s=160, facecolors="none", edgecolors="red",
                   linewidths=1.5, label=f"chosen: box {i}", zorder=5)
        ax.set_xlabel("coverage: share of all collapses inside the box")
        ax.set_ylabel("density: share of runs in the box that collapse")
        ax.legend(loc="lower left", fontsize=8)
        ax.set_title("PRIM peeling trajectory (colour: levers restricted)", fontsize=10)
        fig.savefig(folder / "prim_tradeoff.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        names.append("prim_tradeoff.png")
        if box.p_values[i]:
            figs = box.inspect(i, style="graph")
            fig = figs[0] if isinstance(figs, list) else figs
            fig = fig if hasattr(fig, "savefig") else fig.figure
            fig.suptitle(f"PRIM box {i}: restricted levers and quasi-p-values", fontsize=10)
            fig.savefig(folder / "prim_box.png", dpi=110, bbox_inches="tight")
            plt.close(fig)
            names.append("prim_box.png")
    return names


def format_prim(result: dict) -> str:
    """The trajectory in brief, and the chosen box with its quasi-p-values, for the terminal."""
    if not result.get("box"):
        return f"PRIM: {result.get('message') or 'no box'}"
    traj = result["trajectory"]
    lines = [f"PRIM peeling trajectory: {len(traj)} boxes, from coverage {traj[0]['coverage']:.0%} / density "
             f"{traj[0]['density']:.0%} (everything) to coverage {traj[-1]['coverage']:.0%} / density "
             f"{traj[-1]['density']:.0%}",
             f"  {'box':>4} {'coverage':>9} {'density':>8} {'mass':>6} {'levers':>6}"]
    step = max(1, len(traj) // 8)
    for r in traj[::step] + ([traj[-1]] if (len(traj) - 1) % step else []):
        mark = " <- chosen" if r["box"] == result["chosen"] else ""
        lines.append(f"  {r['box']:>4} {r['coverage']:>9.0%} {r['density']:>8.0%} {r['mass']:>6.0%} "
                     f"{r['restricted']:>6}{mark}")
    lines.append(f"chosen box {result['chosen']} (the most coverage at density >= {result['threshold']:.0%}): "
                 f"coverage {result['coverage']:.0%}, density {result['density']:.0%}, mass {result['mass']:.0%}")
    for r in result["box"]:
        qp = "n/a" if r["qp"] is None else f"{r['qp']:.2g}"
        lines.append(f"  {r['lever']}: {r['range']} (quasi-p {qp})")
    if result.get("message"):
        lines.append(f"note: {result['message']}")
    return "\n".join(lines)
