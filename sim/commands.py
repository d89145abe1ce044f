"""Subcommands ``run``, ``schema`` and ``validate``."""

from __future__ import annotations

import argparse
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


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that cannot be created, before any run starts."""
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                raise UsageError(f"--out {out}: {p} exists and is not a folder; give a folder path")
            break


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=positive_int, default=5, help="replications (default 5)")
    p.add_argument("--months", type=positive_int, default=None, help="horizon in months (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key, e.g. --set commissioning.contract_months=12 (repeatable)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a scenario over seeded replications",
                       description="Run a scenario over seeded replications and report end-of-run metrics with 95% CIs.")
    p.add_argument("scenario", help="scenario file, or a name from scenarios/ (e.g. baseline)")
    add_scenario_options(p)
    p.add_argument("--out", type=Path, default=None, help="write monthly.parquet, runs.parquet and manifest.json here")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("schema", help="list every scenario key with type, range, default and meaning")
    p.add_argument("--json", action="store_true", help="print JSON rows")
    p.set_defaults(handler=cmd_schema)

    p = sub.add_parser("validate", help="check a scenario file and print its resolved title")
    p.add_argument("file", help="scenario file")
    p.set_defaults(handler=cmd_validate)


def _finite(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides, months=args.months)
    if args.out is not None:
        check_out_dir(args.out)
    monthly, final = run_seeds(scenario, replication_seeds(scenario, args.seeds))
    table = summarise(final)
    if args.out is not None:
        write_results(args.out, scenario, monthly, final, str(resolve_path(args.scenario)))
    if args.json:
        out = {
            "scenario": scenario.run.title, "seeds": args.seeds,
            "metrics": {m: {"mean": _finite(r["mean"]), "ci_low": _finite(r["ci_low"]), "ci_high": _finite(r["ci_high"])}
                        for m, r in table.iterrows()},
        }
        print(json.dumps(out))
        return 0
    print(f"{scenario.run.title}: {args.seeds} seeds, {scenario.run.months} months (end-of-run mean and 95% CI)")
    width = max(len(m) for m in METRICS)
    for m, r in table.iterrows():
        print(f"  {m:<{width}}  {r['mean']:>10.3f}  [{r['ci_low']:.3f}, {r['ci_high']:.3f}]")
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
    scenario = load_scenario(args.file)
    print(f"ok: {resolve_path(args.file).name}: {scenario.run.title} ({scenario.run.months} months, "
          f"{scenario.sector.charities} charities, {scenario.demand.clients} clients)")
    return 0


__all__ = ["register", "METRIC_INFO"]
