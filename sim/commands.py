"""Subcommands ``run``, ``schema`` and ``validate``."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from pathlib import Path

from .errors import UsageError
from .metrics import METRIC_INFO, METRICS
from .runner import replication_seeds, run_seeds, summarise, write_results
from .scenario import load_scenario, resolve_path, schema_rows


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed_count(text: str) -> int:
    from .experiments.budget import MAX_SEEDS

    value = positive_int(text)
    if value > MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SEEDS:,} replications, got {value:,}")
    return value


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that cannot be created or written, or that holds results, before any run starts."""
    from .experiments.outdir import check_out_path, refuse_other_results

    check_out_path(out)
    refuse_other_results(out)


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=seed_count, default=5, metavar="N", help="number of replications (default 5)")
    p.add_argument("--months", type=positive_int, default=None, help="horizon in months (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key, e.g. --set commissioning.contract_months=12 (repeatable)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run``, ``schema`` and ``validate`` subcommands to the parser."""
    p = sub.add_parser("run", help="run a scenario over seeded replications",
                       description="Run a scenario over seeded replications and report end-of-run metrics with 95% CIs.")
    p.add_argument("scenario", help="scenario file, or a name from scenarios/ (e.g. baseline)")
    add_scenario_options(p)
    p.add_argument("--out", type=Path, default=None,
                   help="write monthly.parquet, runs.parquet and manifest.json into this new folder "
                   "(a folder that holds results is refused)")
    p.add_argument("--model", metavar="MODULE:CLASS", help="a subclass of sim.PartnershipModel, e.g. mypkg.models:MyModel")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    from .experiments.budget import LIMITS_HELP

    p.add_argument("--yes", action="store_true", help="go ahead with work beyond the size limits. " + LIMITS_HELP)
    p.add_argument("--posterior", metavar="FILE", help="run replication i under draw i of a calibrated posterior, "
                   "so the intervals cover parameter uncertainty too ('partnersim calibrate' output); the scenario keeps the "
                   "settings its file makes")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("schema", help="list every scenario key with type, range, default and meaning")
    p.add_argument("--json", action="store_true", help="print JSON rows")
    p.set_defaults(handler=cmd_schema)

    p = sub.add_parser("validate", help="check a scenario file and print its resolved title")
    p.add_argument("file", help="scenario file")
    p.set_defaults(handler=cmd_validate)


def _finite(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _interval(table, model_cls) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Per metric: mean and 95% CI clipped to the metric's feasible range; no CI from fewer than two values."""
    from .metrics import describe

    out = {}
    for m, r in table.iterrows():
        decl = describe(m, model_cls)
        mean = _finite(r["mean"])
        if mean is None or r["n"] < 2:
            out[m] = (mean, None, None)
        else:
            out[m] = (mean, decl.clip(float(r["ci_low"])), decl.clip(float(r["ci_high"])))
    return out


def _record_options(out: Path, args: argparse.Namespace) -> None:
    """Add what the manifest of ``write_results`` does not say: every --set override and the model class."""
    from .experiments.storage import write_json

    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(overrides=list(args.overrides), model=args.model or "sim.model:PartnershipModel",
                    months_option=args.months)
    write_json(path, manifest)


def cmd_run(args: argparse.Namespace) -> int:
    from .experiments.budget import check, run_estimate
    from .experiments.design import resolve_model
    from .experiments.outdir import claim, refuse_other_results
    from .experiments.text import clean_text, fmt

    model_cls = resolve_model(args.model, "--model")
    scenario = load_scenario(args.scenario, args.overrides, months=args.months)
    if args.out is not None:
        check_out_dir(args.out)
    estimate = run_estimate(scenario, args.seeds, len(model_cls.metrics))
    check(estimate, args.yes, "run")
    if estimate.seconds > 30:
        print(f"partnersim: work: {estimate.describe()}", file=sys.stderr)
    with (claim(args.out) if args.out is not None else contextlib.nullcontext()):
        if args.out is not None:
            refuse_other_results(args.out)  # again, under the lock: another process may have written meanwhile
        if getattr(args, "posterior", None):  # a posterior draw per replication: sim/experiments/posterior.py
            from .experiments.posterior import run_seeds_with_posterior

            monthly, final = run_seeds_with_posterior(scenario, args.seeds, args.posterior, args.overrides, model_cls)
        else:
            monthly, final = run_seeds(scenario, replication_seeds(scenario, args.seeds), model_cls=model_cls)
        table = summarise(final, model_cls=model_cls)
        if args.out is not None:
            write_results(args.out, scenario, monthly, final, str(resolve_path(args.scenario)))
            _record_options(args.out, args)
    intervals = _interval(table, model_cls)
    title = clean_text(scenario.run.title)
    if args.json:
        out = {
            "scenario": title, "seeds": args.seeds,
            "metrics": {m: {"mean": mean, "ci_low": lo, "ci_high": hi} for m, (mean, lo, hi) in intervals.items()},
        }
        print(json.dumps(out))
        return 0
    print(f"{title}: {args.seeds} seeds, {scenario.run.months} months (end-of-run mean and 95% CI"
          f"{'; one seed gives no interval' if args.seeds < 2 else ''})")
    width = max(len(m) for m in intervals)
    for m, (mean, lo, hi) in intervals.items():
        ci = "n/a" if mean is not None and lo is None else f"[{fmt(lo)}, {fmt(hi)}]" if mean is not None else ""
        print(f"  {m:<{width}}  {fmt(mean):>10}  {ci}")
    if args.out is not None:
        print(f"results written to {args.out}/")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    rows = schema_rows()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        rng = f" in {r['range']}" if r["range"] else ""
        print(f"{r['key']} ({r['type']}{rng}; default {r['default']})\n    {r['meaning']}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .experiments.text import clean_text

    scenario = load_scenario(args.file)
    print(f"ok: {resolve_path(args.file).name}: {clean_text(scenario.run.title)} ({scenario.run.months} months, "
          f"{scenario.sector.charities} charities, {scenario.demand.clients} clients)")
    return 0


__all__ = ["register", "METRIC_INFO"]
