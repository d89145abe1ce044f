"""Regenerate docs/calibration_screening.md: which assumption parameters move the calibration targets.

    .venv/bin/python experiments/calibration_screening.py [--trajectories 6] [--seeds 1] [--workers 2]
        [--months M] [--top 6] [--quick]

Morris elementary effects (SALib) of every numeric scenario key that
``partnersim schema`` marks as an assumption, each varied from half to one and
a half times its default (clipped to its allowed range), on the distance of
the baseline scenario to the target table (``sim.calibration.distance``) and on
each produced target's scaled error. Every point uses the same seeds (common
random numbers). The parameters with the largest mu* on the distance are the
ones ``experiments/calibration_baseline.toml`` should calibrate; the table says
which and why. ``--quick`` is a short check of the script (4 trajectories, 24
months), not a screening to rely on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BASE_SEED = 20261125


def assumption_parameters() -> list[dict]:
    """Numeric scenario keys marked "assumption" in the schema, with a screening range around the default."""
    from sim import schema_rows

    out = []
    for r in schema_rows():
        if "assumption" not in r["meaning"].lower() or r["type"] not in ("float", "int"):
            continue
        try:
            default = float(r["default"])
        except ValueError:
            continue
        lo_allowed, hi_allowed = (float(x) if x.strip() else math.nan for x in r["range"].split(".."))
        if default == 0:
            continue  # no multiplicative range around zero; listed as not screened
        low, high = default * 0.5, default * 1.5
        if math.isfinite(lo_allowed):
            low = max(low, lo_allowed)
        if math.isfinite(hi_allowed):
            high = min(high, hi_allowed)
        if r["type"] == "int":
            low, high = math.floor(low), math.ceil(high)
        if high > low:
            out.append({"key": r["key"], "type": r["type"], "default": default, "low": low, "high": high,
                        "meaning": r["meaning"]})
    return out


def _one(job: tuple[dict, list[int], int | None]) -> dict[str, float]:
    overrides, seeds, months = job
    from sim import load_scenario, run
    from sim.calibration import TARGETS, produced

    have, _ = produced(TARGETS)
    sc = load_scenario("baseline", overrides, months=months)
    finals = [run(sc, s).final for s in seeds]
    out = {}
    for t in have:
        x = np.array([f.get(t.metric, np.nan) for f in finals], dtype=float)
        x = x[np.isfinite(x)]
        out[t.metric] = float(x.mean()) if x.size else float("nan")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trajectories", type=int, default=6, help="Morris trajectories (default 6)")
    ap.add_argument("--levels", type=int, default=4, help="Morris grid levels (default 4)")
    ap.add_argument("--seeds", type=int, default=1, help="replications per point, averaged (default 1)")
    ap.add_argument("--months", type=int, default=None, help="horizon (default: the baseline's)")
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    ap.add_argument("--top", type=int, default=6, help="how many parameters to recommend (default 6)")
    ap.add_argument("--quick", action="store_true", help="4 trajectories, 24 months: a check of the script")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "calibration_screening.md")
    args = ap.parse_args(argv)
    if args.quick:
        args.trajectories, args.months = 4, 24
    if args.trajectories < 2 or args.seeds < 1 or args.workers < 1:
        print("calibration_screening: --trajectories must be at least 2, --seeds and --workers at least 1",
              file=sys.stderr)
        return 2

    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    from sim import derive_seed, load_scenario
    from sim.calibration import TARGETS, distance, produced
    from sim.runner import package_versions

    params = assumption_parameters()
    have, missing = produced(TARGETS)
    if not params or not have:
        print("calibration_screening: no assumption parameters or no produced targets to screen", file=sys.stderr)
        return 2
    problem = {"num_vars": len(params), "names": [p["key"] for p in params],
               "bounds": [[p["low"], p["high"]] for p in params]}
    X = morris_sample.sample(problem, args.trajectories, num_levels=args.levels, seed=BASE_SEED % 2**32)
    seeds = [derive_seed(BASE_SEED, "screening", i) for i in range(args.seeds)]
    jobs = []
    for row in X:
        ov = {p["key"]: (int(round(v)) if p["type"] == "int" else float(v)) for p, v in zip(params, row)}
        jobs.append((ov, seeds, args.months))
    months = load_scenario("baseline", months=args.months).run.months
    print(f"{len(params)} parameters, {len(X)} points x {args.seeds} seeds = {len(X) * args.seeds} runs "
          f"of {months} months on {args.workers} workers", file=sys.stderr)
    start = time.perf_counter()
    if args.workers == 1:
        results = [_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_one, jobs, chunksize=2))
    seconds = time.perf_counter() - start

    outputs = {"distance": np.array([distance(r, have) for r in results])}
    for t in have:
        outputs[t.name] = np.array([t.scaled_error(r.get(t.metric, np.nan)) for r in results])
    analyses = {}
    for name, y in outputs.items():
        y = np.where(np.isfinite(y), y, 10.0)  # a missing value counts as far off, as in the distance
        analyses[name] = morris_analyze.analyze(problem, X, y, num_levels=args.levels, print_to_console=False,
                                                seed=BASE_SEED % 2**32)
    d = analyses["distance"]
    order = np.argsort(-np.asarray(d["mu_star"]))
    top_mu = float(np.max(d["mu_star"])) if len(order) else 0.0
    chosen = [params[i]["key"] for i in order[: args.top] if d["mu_star"][i] >= 0.1 * top_mu and top_mu > 0]

    lines = [
        "# Calibration screening: which assumptions move the targets",
        "",
        "Generated by `python experiments/calibration_screening.py`; do not edit by hand. Morris elementary effects",
        f"(SALib; {args.trajectories} trajectories, {args.levels} levels, {len(X)} points, {args.seeds} seed(s) a point,",
        f"common random numbers, {months} months of the `baseline` scenario) of each numeric scenario key marked",
        "*assumption* in `partnersim schema`, varied from 0.5x to 1.5x its default within its allowed range.",
        "The output is the distance to the target table (`sim.calibration.distance`: the root mean square of each",
        "target's error in tolerances) and, per target, its scaled error. mu* is the mean absolute elementary",
        "effect over the whole range (in tolerances); sigma its spread (interaction or non-linearity).",
        "",
        f"Targets produced by the model and screened: {', '.join(t.name for t in have)}."
        + (f" Not yet produced (left out): {', '.join(t.name for t in missing)}." if missing else ""),
        "",
        "| rank | parameter | default | screened range | mu* on distance (95% CI) | sigma | largest effect on |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rank, i in enumerate(order, 1):
        p = params[i]
        per_target = sorted(((analyses[t.name]["mu_star"][i], t.name) for t in have), reverse=True)
        biggest = ", ".join(f"{n} ({v:.2f})" for v, n in per_target[:2] if np.isfinite(v) and v > 0) or "-"
        lines.append(f"| {rank} | `{p['key']}` | {p['default']:g} | {p['low']:g} to {p['high']:g} | "
                     f"{d['mu_star'][i]:.3f} (+/- {d['mu_star_conf'][i]:.3f}) | {d['sigma'][i]:.3f} | {biggest} |")
    lines += [
        "",
        "## Chosen for calibration",
        "",
        (f"The {len(chosen)} parameters with the largest mu* on the distance (at least a tenth of the largest): "
         + ", ".join(f"`{k}`" for k in chosen) + ". They move the model's distance to the published figures most; "
         "the others move it less, so fitting them would spend simulations for little. "
         "`experiments/calibration_baseline.toml` calibrates these, each with a uniform prior over the screened "
         "range; the others keep their defaults. Where the 95% intervals of neighbouring ranks overlap, this "
         "screening does not separate them; more trajectories would.") if chosen else "No parameter moved the distance.",
        "",
        f"Generated {dt.date.today().isoformat()}; {len(X) * args.seeds} runs in {seconds:.0f} s on {args.workers} "
        f"processes; versions: " + ", ".join(f"{k} {v}" for k, v in package_versions().items()) + ".",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    for rank, i in enumerate(order[:10], 1):
        print(f"{rank:>2}. {params[i]['key']:<45} mu* {d['mu_star'][i]:.3f}")
    print(f"chosen: {', '.join(chosen)}")
    print(f"wrote {args.out} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
