"""Parameter uncertainty in runs, sweeps and comparisons: draws from a calibrated posterior.

``partnersim calibrate`` writes a posterior (``posterior.parquet``: parameter
draws with weights; ``posterior.json``: its manifest). This module loads it,
draws parameter sets (weighted, seeded), and applies a draw to a scenario as
overrides. With ``--posterior FILE``:

* ``partnersim run`` gives replication *i* its own draw *i* and seed *i*, so the
  interval covers seed noise and parameter uncertainty together;
* ``partnersim sweep`` gives replication *i* of every point the same draw *i*
  and seed *i* (common draws across points);
* ``partnersim compare A B`` gives A and B the same draw and seed in each
  replication (paired), and reports per metric the difference with its
  interval, the range of the difference over draws, and ``b_higher_share``:
  the share of draws in which B's value is above A's.

A key set explicitly (``--set`` or a sweep's lever) wins over a draw's value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..runner import derive_seed

#: Base seed of the draws and seeds of posterior runs, when the caller gives none.
POSTERIOR_SEED = 20261125
_NOT_PARAMETERS = {"generation", "draw", "weight"}


@dataclass
class Posterior:
    """Weighted parameter draws from a calibration.

    Attributes:
        draws: one row a draw; a ``weight`` column and one column per scenario key.
        manifest: the calibration's manifest (targets, seeds, versions), ``{}`` if there is none.
        source: the file it came from.
    """

    draws: pd.DataFrame
    manifest: dict
    source: str

    @property
    def parameters(self) -> list[str]:
        """The scenario keys each posterior draw sets (every column but generation, draw and weight)."""
        return [c for c in self.draws.columns if c not in _NOT_PARAMETERS]

    def sample(self, n: int, seed: int = POSTERIOR_SEED) -> list[dict[str, Any]]:
        """``n`` parameter sets drawn with replacement in proportion to their weights (seeded)."""
        from .design import _coerce

        w = self.draws["weight"].to_numpy(float)
        rng = np.random.default_rng(derive_seed(seed, "posterior-draws"))
        idx = rng.choice(len(w), size=n, replace=True, p=w / w.sum())
        rows = self.draws.iloc[idx]
        return [{k: _coerce(k, float(r[k])) for k in self.parameters} for _, r in rows.iterrows()]


def load_posterior(path: str | Path) -> Posterior:
    """A posterior from ``posterior.parquet`` (or the folder holding it), checked.

    Raises:
        UsageError: one line naming the file and what is wrong.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "posterior.parquet"
    if not p.is_file():
        raise UsageError(f"--posterior {path}: file not found (give posterior.parquet, or the folder "
                         "'partnersim calibrate' wrote it to)")
    try:
        draws = pd.read_parquet(p)
    except Exception as err:  # noqa: BLE001 - any unreadable file is one line
        raise UsageError(f"--posterior {p}: not a posterior file ({type(err).__name__})") from None
    if "weight" not in draws.columns:
        raise UsageError(f"--posterior {p}: no 'weight' column; expected a file written by 'partnersim calibrate'")
    params = [c for c in draws.columns if c not in _NOT_PARAMETERS]
    if not params or draws.empty:
        raise UsageError(f"--posterior {p}: holds no parameter draws")
    w = draws["weight"].to_numpy(float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise UsageError(f"--posterior {p}: weights must be finite, non-negative and not all zero")
    from ..scenario import Scenario, ScenarioError, apply_overrides, build_scenario

    first = {k: float(draws[k].iloc[0]) for k in params}
    try:
        from .design import _coerce

        build_scenario(apply_overrides(Scenario().model_dump(), {k: _coerce(k, v) for k, v in first.items()},
                                       str(p)), str(p))
    except ScenarioError as err:
        raise UsageError(f"--posterior {p}: parameter {err.key}: {err.message}") from None
    manifest_path = p.with_name("posterior.json")
    manifest = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            manifest = {}
    return Posterior(draws.reset_index(drop=True), manifest, str(p))


def drawn_keys(scenario: Any, draw: Mapping[str, Any], keep: Sequence[str] = ()) -> dict[str, Any]:
    """The part of a draw that applies to a scenario: every key but those in ``keep`` and those the
    scenario sets itself (:func:`sim.scenario.own_settings`; a case study's own money stays its own)."""
    from ..scenario import load_scenario, own_settings

    kept = set(keep) | set(own_settings(load_scenario(scenario)))
    return {k: v for k, v in draw.items() if k not in kept}


def apply_draw(scenario: Any, draw: Mapping[str, Any], keep: Sequence[str] = ()):
    """The scenario with a draw's values as overrides; keys in ``keep``, and those the scenario sets
    itself, are left as the scenario has them (:func:`drawn_keys`)."""
    from ..scenario import load_scenario

    return load_scenario(scenario, drawn_keys(scenario, draw, keep))


def draw_seeds(n: int, seed: int = POSTERIOR_SEED) -> list[int]:
    """The seed of each posterior replication."""
    return [derive_seed(seed, "posterior-replication", i) for i in range(n)]


def _explicit_keys(overrides: Any) -> list[str]:
    if isinstance(overrides, Mapping):
        return list(overrides)
    return [item.split("=", 1)[0].strip() for item in overrides or () if "=" in item]


def run_seeds_with_posterior(scenario, seeds: int, posterior: str | Path | Posterior, overrides: Any = (),
                             model_cls: type | None = None, seed: int | None = None):
    """``run_seeds`` with replication *i* under posterior draw *i* and its own seed.

    Returns (monthly, final) as :func:`sim.run_seeds`, with the draw's parameter values as columns of ``final``.
    """
    from ..runner import run
    from ..scenario import load_scenario, own_settings

    post = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
    base = scenario.run.seed if seed is None else seed
    draws, seed_list = post.sample(seeds, base), draw_seeds(seeds, base)
    keep = set(_explicit_keys(overrides)) | set(own_settings(scenario))  # what drawn_keys keeps, found once
    monthly, finals = [], []
    for i, (draw, s) in enumerate(zip(draws, seed_list)):
        used = {k: v for k, v in draw.items() if k not in keep}
        res = run(load_scenario(scenario, used), s, model_cls)
        m = res.monthly
        m.insert(0, "replication", i)
        m.insert(0, "seed", s)
        monthly.append(m)
        finals.append({"seed": s, "replication": i, **res.final, **{f"posterior:{k}": v for k, v in used.items()}})
    return pd.concat(monthly, ignore_index=True), pd.DataFrame(finals)


def with_posterior(exp, posterior: Posterior, replications: int, seed: int | None = None):
    """An experiment whose replication *i* of every point runs under posterior draw *i* with seed *i*.

    Each (point, replication) becomes a point of its own with the draw's values and ``run.seed`` set, and one
    replication under the ``scenario`` seeding rule, so replication *i* has the same draw and seed at every point
    (paired). A point's own lever, a ``[set]`` key, or a setting of the point's scenario file
    (:func:`sim.scenario.own_settings`) wins over the draw.
    """
    from ..scenario import own_settings

    base = exp.settings.seed if seed is None else seed
    draws, seeds = posterior.sample(replications, base), draw_seeds(replications, base)
    points = []
    for point in exp.points:
        own = set(own_settings(exp.bases[point["scenario"]]))
        for i, (draw, s) in enumerate(zip(draws, seeds)):
            keep = set(point) | set(exp.fixed) | own
            points.append({**{k: v for k, v in draw.items() if k not in keep}, **point, "run.seed": int(s)})
    field = "seeding" if "seeding" in type(exp.settings).model_fields else "seeds"
    settings = exp.settings.model_copy(update={"replications": 1, field: "scenario"})
    return replace(exp, settings=settings, points=points, _scenario_cache=None)


# ------------------------------------------------------------------ comparisons


@dataclass
class PosteriorComparison:
    """One metric compared over paired posterior draws (B - A)."""

    metric: str
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    draws_low: float
    draws_high: float
    b_higher_share: float
    b_lower_share: float
    draws: int
    sentence: str

    def as_dict(self) -> dict:
        """The comparison as a JSON-ready dict (missing values as ``None``)."""
        from dataclasses import asdict

        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def compare_draws(metric: str, a: Sequence[float], b: Sequence[float], label_a: str = "A", label_b: str = "B",
                  meaning: str | None = None) -> PosteriorComparison:
    """Paired values of one metric under the same draws: the mean difference with a 95% t interval (its
    variance includes seed noise and parameter uncertainty), the central 95% of the per-draw differences, and
    the shares of draws in which B is above or below A."""
    from ..runner import mean_ci

    x, y = np.asarray(a, float), np.asarray(b, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    nan = float("nan")
    what = meaning or metric
    if x.size == 0:
        return PosteriorComparison(metric, nan, nan, nan, nan, nan, nan, nan, nan, nan, 0,
                                   f"{what}: no draw with data under both.")
    d = y - x
    m, lo, hi = mean_ci(d)
    q_lo, q_hi = (float(v) for v in np.quantile(d, [0.025, 0.975]))
    higher, lower = float(np.mean(d > 0)), float(np.mean(d < 0))
    # the commoner direction first, then the other (or the share where the two are the same), so a reading
    # such as "higher in 35%" never hides that it was lower in nearly as many
    if higher == 0 and lower == 0:
        reading = "the same under both in every plausible parameter set"
    else:
        first, other = (("higher", higher), ("lower", lower)) if higher >= lower else (("lower", lower), ("higher", higher))
        reading = f"{first[0]} under {label_b} in {_pct(first[1])} of plausible parameter sets"
        if other[1] > 0:
            reading += f", {other[0]} in {_pct(other[1])}"
        if higher + lower < 1:
            reading += f", the same in {_pct(1 - higher - lower)}"
    sentence = (f"{what}: {reading} ({x.size} posterior draws; mean difference {m:+.3g}, 95% CI {lo:+.3g} to "
                f"{hi:+.3g}; 95% of draws between {q_lo:+.3g} and {q_hi:+.3g}).")
    return PosteriorComparison(metric, float(x.mean()), float(y.mean()), m, lo, hi, q_lo, q_hi, higher, lower,
                               int(x.size), sentence)


def compare_posterior_runs(runs: pd.DataFrame, a: str, b: str, metrics: Sequence[str], label_a: str, label_b: str,
                           model_cls: type | None = None) -> list[PosteriorComparison]:
    """Compare A and B in a runs table made by :func:`with_posterior` (paired by ``run.seed``)."""
    from ..metrics import metrics_of

    declared = metrics_of(model_cls)
    ra = runs[runs["scenario"] == a].set_index("run.seed")
    rb = runs[runs["scenario"] == b].set_index("run.seed")
    common = ra.index.intersection(rb.index)
    ra, rb = ra.loc[common], rb.loc[common]
    return [compare_draws(m, ra[m].to_numpy(), rb[m].to_numpy(), label_a, label_b,
                          declared[m].meaning if m in declared else m) for m in metrics]


def format_posterior_table(rows: Sequence[PosteriorComparison], label_a: str, label_b: str, source: str) -> str:
    """The comparisons as an aligned text table: means, B - A with its CI, the spread over draws, B higher.

    A metric with no draw that has data under both scenarios (an empty denominator: no transfers, say) reads
    "no data"; "n/a" marks a figure that cannot be computed from the draws there are (an interval from one draw).
    """
    head = (f"{'metric':<28} {label_a[:12]:>12} {label_b[:12]:>12} {'B - A':>10} {'95% CI':>21} "
            f"{'95% of draws':>21} {'B higher':>8}")
    lines = [head, "-" * len(head)]

    def f(v: float) -> str:
        return "n/a" if not math.isfinite(v) else f"{v:.3g}"

    for r in rows:
        if r.draws == 0:  # an empty denominator under A or B in every draw: nothing to compare
            lines.append(f"{r.metric:<28} {'no data':>12} {'no data':>12}")
            continue
        lines.append(f"{r.metric:<28} {f(r.mean_a):>12} {f(r.mean_b):>12} {f(r.difference):>10} "
                     f"{'[' + f(r.ci_low) + ', ' + f(r.ci_high) + ']':>21} "
                     f"{'[' + f(r.draws_low) + ', ' + f(r.draws_high) + ']':>21} "
                     f"{_pct(r.b_higher_share) if math.isfinite(r.b_higher_share) else 'n/a':>8}")
    lines += ["", f"B = {label_b}, A = {label_a}; each replication runs both under the same posterior draw and seed "
              f"(posterior: {source})"]
    lines += [f"- {r.sentence}" for r in rows]
    return "\n".join(lines)


def cmd_compare_posterior(args) -> int:
    """``partnersim compare A B --posterior FILE`` (called by the compare handler when --posterior is given)."""
    import tempfile

    from ..metrics import metrics_of
    from ..scenario import parse_overrides
    from .design import load_experiment, resolve_model
    from .engine import run_sweep

    post = load_posterior(args.posterior)
    if args.seeds < 2:
        raise UsageError(f"--seeds: need at least 2 posterior draws (got {args.seeds})")
    if args.months is not None and args.months < 1:
        raise UsageError(f"--months: must be 1 or more (got {args.months})")
    if getattr(args, "workers", None) is not None and args.workers < 0:
        raise UsageError(f"--workers: must be 0 or more (got {args.workers})")
    model_cls = resolve_model(getattr(args, "model", None), "--model")
    declared = metrics_of(model_cls).names
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else list(declared)
    for m in metrics:
        if m not in declared:
            raise UsageError(f"--metrics: unknown metric {m!r}; allowed: {', '.join(declared)}")
    overrides = parse_overrides(args.set)
    label_a, label_b = Path(args.a).stem, Path(args.b).stem
    if label_a == label_b:
        raise UsageError(f"A and B are the same scenario ({args.a}); give two different scenarios")
    spec = {"experiment": {"title": f"{label_b} compared with {label_a} over a posterior",
                           "scenarios": [args.a, args.b], "replications": 1, "metrics": metrics,
                           **({"model": args.model} if getattr(args, "model", None) else {}),
                           **({"months": args.months} if args.months else {})},
            "set": overrides}
    exp = with_posterior(load_experiment(spec, source="compare"), post, args.seeds, seed=POSTERIOR_SEED)
    tmp = None
    if args.out:
        out = Path(args.out)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="partnersim-compare-")
        out = Path(tmp.name)
    try:
        quiet = args.json or getattr(args, "no_progress", False)
        summary = run_sweep(exp, out, workers=args.workers, scheduler=args.scheduler, progress=False if quiet else None)
        runs = pd.read_parquet(out / "runs.parquet")
    finally:
        if tmp is not None:
            tmp.cleanup()
    runs = runs[runs["status"] == "ok"]
    rows = compare_posterior_runs(runs, args.a, args.b, metrics, label_a, label_b, model_cls)
    if args.json:
        print(json.dumps({"a": args.a, "b": args.b, "seeds": args.seeds, "paired": True, "posterior": post.source,
                          "posterior_parameters": post.parameters, "failed_runs": summary.failed,
                          "metrics": {r.metric: {k: v for k, v in r.as_dict().items() if k != "metric"}
                                      for r in rows}}, allow_nan=False))
    else:
        print(format_posterior_table(rows, label_a, label_b, post.source))
        if summary.failed:
            print(f"note: {summary.failed} runs failed and were left out")
    return 0


__all__ = ["POSTERIOR_SEED", "Posterior", "PosteriorComparison", "apply_draw", "cmd_compare_posterior",
           "compare_draws", "compare_posterior_runs", "draw_seeds", "format_posterior_table", "load_posterior",
           "run_seeds_with_posterior", "with_posterior"]
