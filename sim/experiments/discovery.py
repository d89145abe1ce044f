"""Scenario discovery: which combinations of levers lead to partnership collapse.

A shallow decision tree (scikit-learn) is fitted to the sweep's runs, the
levers as inputs and "collapse" (a condition on an end-of-run metric) as the
outcome. Each leaf where collapse is the majority is a box of lever values,
described in PRIM's terms (Bryant and Lempert 2010, as in the EMA
Workbench): *coverage* is the share of all collapses that fall in the box,
*density* the share of runs in the box that collapse.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics import METRICS

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


def parse_condition(text: str) -> Condition:
    """``"partnerships_active <= 1"`` -> Condition; raises DiscoveryError with what is allowed."""
    m = re.fullmatch(r"\s*([a-z_]+)\s*(<=|>=|==|<|>)\s*(-?[0-9.eE+-]+)\s*", text or "")
    if not m:
        raise DiscoveryError(f"--where {text!r}: expected METRIC OP NUMBER, e.g. \"{DEFAULT_CONDITION}\" (OP: <=, >=, <, >, ==)")
    metric, op, value = m.groups()
    if metric not in METRICS:
        raise DiscoveryError(f"--where: unknown metric {metric!r}; allowed: {', '.join(METRICS)}")
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
    return base | {"headline": headline, "boxes": [b.__dict__ for b in boxes], "importance": importance,
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
