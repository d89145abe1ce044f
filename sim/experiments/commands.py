"""Subcommands: sweep, compare, sensitivity, discover, report.

Each handler turns bad input into :class:`sim.cli.UsageError` or
:class:`sim.ScenarioError` (one line, exit status 2); the work itself lives in
the modules of this package.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from ..errors import UsageError
from .budget import LIMITS_HELP


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep``, ``compare``, ``sensitivity``, ``discover`` and ``report`` subcommands to the parser."""
    p = sub.add_parser("sweep", help="run an experiment file (resumable; local cores or a Dask cluster)",
                       description="Run every point and replication of an experiment; results go to disk as they "
                       "finish, and running the same command again resumes. The experiment file format is "
                       "documented in docs/experiments.md.")
    p.add_argument("experiment", help="experiment file (path, or a name in experiments/)")
    _cluster_args(p)
    p.add_argument("--out", help="results folder (default: results/EXPERIMENT_NAME)")
    p.add_argument("--retry-failed", action="store_true",
                   help="redo runs the model failed last time (runs lost with a worker are always redone)")
    p.add_argument("--posterior", metavar="FILE", help="run replication i of every point under draw i of a "
                   "calibrated posterior ('partnersim calibrate' output); a scenario keeps the settings its file makes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    _yes_arg(p)
    p.epilog = "Exit status: 0 every run finished; 1 some runs failed or are unfinished (named); 2 bad input."
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("compare", help="compare two scenarios over seeds: difference, CI, test, effect size",
                       description="Run scenarios A and B over the same seeds and compare every metric at the end "
                       "of the run (B - A).")
    p.add_argument("a", metavar="A", help="scenario (name in scenarios/ or path)")
    p.add_argument("b", metavar="B", help="scenario to compare with A")
    p.add_argument("--seeds", type=int, default=10, help="replications of each scenario (default 10)")
    p.add_argument("--months", type=int, help="horizon (default: each scenario's run.months)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key in both scenarios")
    p.add_argument("--metrics", help="comma-separated metrics (default: all the model declares)")
    p.add_argument("--model", metavar="MODULE:CLASS", help="a subclass of sim.PartnershipModel, e.g. mypkg.models:MyModel")
    p.add_argument("--ci", choices=("t", "bootstrap"), default="t", help="confidence interval method (default t)")
    p.add_argument("--correction", choices=("holm", "bh"), default="holm",
                   help="correction for testing many metrics: holm (family-wise error, default) or bh "
                   "(Benjamini-Hochberg false discovery rate)")
    _cluster_args(p, default_help="0 = in this process")
    p.add_argument("--out", help="also keep the runs in this folder (then 'partnersim report' works on it)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _yes_arg(p)
    p.add_argument("--posterior", metavar="FILE", help="give each replication a draw of a calibrated posterior, the "
                   "same for A and B (each keeps the settings its file makes); report b_higher_share, the share of "
                   "draws in which B is above A")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("sensitivity", help="Morris screening or Sobol indices (SALib): which levers matter most",
                       description="Run (or resume) a morris or sobol experiment, then rank its levers for each "
                       "chosen metric, with 95% confidence intervals and a convergence check (the indices "
                       "recomputed on a quarter and a half of the sample).")
    p.add_argument("experiment", nargs="?", default="sensitivity_morris",
                   help="experiment file with design = morris or sobol (default: experiments/sensitivity_morris.toml)")
    p.add_argument("--metric", action="append", help="metric to rank levers for (repeatable; default partnerships_active)")
    _cluster_args(p)
    p.add_argument("--out", help="results folder (default: results/EXPERIMENT_NAME)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _yes_arg(p)
    p.set_defaults(handler=cmd_sensitivity)

    p = sub.add_parser("discover", help="scenario discovery: which lever combinations lead to partnership collapse",
                       description="PRIM (the EMA Workbench's implementation) finds boxes of lever values where "
                       "collapse is concentrated: its peeling trajectory, the coverage and density trade-off, and "
                       "the chosen box with quasi-p-values; a shallow decision tree is fitted beside it.")
    p.add_argument("source", help="a sweep results folder, or an experiment file to run first")
    p.add_argument("--where", default=None, help="what counts as collapse, e.g. \"partners_delivering_mean <= 2\" "
                   "(default: the experiment's [discovery] where, else \"partnerships_active <= 1\")")
    p.add_argument("--depth", type=int, default=None, help="depth of the tree (default: the experiment's, else 3)")
    p.add_argument("--threshold", type=float, default=None,
                   help="PRIM: the lowest density a chosen box may have (default: the experiment's, else 0.8)")
    _cluster_args(p)
    p.add_argument("--out", help="results folder when SOURCE is an experiment (default: results/EXPERIMENT_NAME)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _yes_arg(p)
    p.set_defaults(handler=cmd_discover)

    p = sub.add_parser("report", help="figures and a Markdown summary of a results folder",
                       description="Write figures/ and report.md into a folder made by 'partnersim sweep' or "
                       "'partnersim run --out'.")
    p.add_argument("dir", help="results folder")
    p.add_argument("--no-network", action="store_true", help="skip the network snapshot (it re-runs one seed)")
    p.add_argument("--metrics", type=int, default=8, help="how many metrics to show (default 8)")
    p.add_argument("--runs", action="store_true", help="draw every individual run behind the means in the figures")
    p.set_defaults(handler=cmd_report)


def _cluster_args(p: argparse.ArgumentParser, default_help: str = "0 = in this process, no cluster") -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, help="workers of the embedded Dask cluster (default: all cores, or this "
                   f"process when the work is too small to be worth a cluster; {default_help})")
    g.add_argument("--scheduler", metavar="ADDRESS", help="use an existing Dask cluster, e.g. tcp://10.0.0.5:8786")


def _yes_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="go ahead with work beyond the size limits. " + LIMITS_HELP)


def _check_workers(args) -> None:
    from .engine import check_scheduler_address

    if getattr(args, "workers", None) is not None and args.workers < 0:
        raise UsageError(f"--workers: must be 0 or more (got {args.workers})")
    if getattr(args, "scheduler", None) is not None:
        check_scheduler_address(args.scheduler)


def _out_dir(args, name: str) -> Path:
    return Path(args.out) if args.out else Path("results") / name


def _progress(args) -> bool | None:
    return False if getattr(args, "no_progress", False) or getattr(args, "json", False) else None


def _note(line: str) -> None:
    print(f"partnersim: {line}", file=sys.stderr)


def _estimate_and_check(exp, args) -> None:
    """Say how big the work is; refuse it beyond the limits unless --yes."""
    from .budget import check, sweep_estimate
    from .engine import default_workers

    workers = 1 if args.workers == 0 else (args.workers or (1 if args.scheduler else default_workers()))
    est = sweep_estimate(exp, workers)
    check(est, getattr(args, "yes", False), exp.source)
    if not getattr(args, "json", False):
        _note(f"work: {est.describe()}")


def _run(exp, out: Path, args):
    from .engine import check_folder, run_sweep

    _check_workers(args)
    check_folder(exp, out)
    _estimate_and_check(exp, args)
    announce = None if getattr(args, "json", False) else _note
    return run_sweep(exp, out, workers=args.workers, scheduler=args.scheduler, progress=_progress(args),
                     retry_failed=getattr(args, "retry_failed", False), announce=announce)


def _fail_unfinished(summary) -> int:
    """Exit status 1 with one line naming the runs, when a sweep did not finish cleanly."""
    problem = summary.problem()
    if problem is None:
        return 0
    print(f"partnersim: error: {problem}", file=sys.stderr)
    return 1


def cmd_sweep(args) -> int:
    """``partnersim sweep``: run or resume an experiment file, locally or on a Dask cluster."""
    from .design import load_experiment

    exp = load_experiment(args.experiment)
    if getattr(args, "posterior", None):  # replication i of every point under posterior draw i (posterior.py)
        from .posterior import load_posterior, with_posterior

        exp = with_posterior(exp, load_posterior(args.posterior), exp.settings.replications)
    out = _out_dir(args, exp.name)
    summary = _run(exp, out, args)
    if args.json:
        print(json.dumps({"experiment": exp.source, "out": str(out), **summary.as_dict(),
                          "failures": [{"run_key": k, "error": e} for k, e in summary.failures],
                          "lost": [{"run_key": k, "error": e} for k, e in summary.lost]}))
    else:
        print("\n".join(summary.lines()))
    return _fail_unfinished(summary)


def _metric_list(text: str | None, model_cls=None) -> list[str]:
    from ..metrics import metrics_of

    declared = metrics_of(model_cls).names
    if not text:
        return list(declared)
    names = [m.strip() for m in text.split(",") if m.strip()]
    for m in names:
        if m not in declared:
            raise UsageError(f"--metrics: unknown metric {m!r}; allowed: {', '.join(declared)}")
    return names


def cmd_compare(args) -> int:
    """``partnersim compare``: the difference per metric between two scenarios, with its CI and a test."""
    if getattr(args, "posterior", None):  # parameter uncertainty: sim/experiments/posterior.py
        from .posterior import cmd_compare_posterior

        return cmd_compare_posterior(args)
    from ..scenario import parse_overrides
    from .compare import compare_runs, format_table
    from .design import load_experiment, resolve_model

    if args.seeds < 2:
        raise UsageError(f"--seeds: need at least 2 to estimate a confidence interval (got {args.seeds})")
    if args.months is not None and args.months < 1:
        raise UsageError(f"--months: must be 1 or more (got {args.months})")
    model_cls = resolve_model(args.model, "--model")
    metrics = _metric_list(args.metrics, model_cls)
    overrides = parse_overrides(args.set)
    label_a, label_b = Path(args.a).stem, Path(args.b).stem
    if label_a == label_b:
        raise UsageError(f"A and B are the same scenario ({args.a}); give two different scenarios")
    spec = {"experiment": {"title": f"{label_b} compared with {label_a}", "scenarios": [args.a, args.b],
                           "replications": args.seeds, "seeding": "scenario", "metrics": metrics,
                           **({"model": args.model} if args.model else {}),
                           **({"months": args.months} if args.months else {})},
            "set": overrides}
    exp = load_experiment(spec, source="compare")
    _check_workers(args)
    if args.out:
        from .engine import check_folder

        check_folder(exp, args.out)
    _estimate_and_check(exp, args)
    tmp = None
    if args.out:
        out = Path(args.out)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="partnersim-compare-")
        out = Path(tmp.name)
    try:
        from .engine import run_sweep

        summary = run_sweep(exp, out, workers=args.workers, scheduler=args.scheduler, progress=_progress(args),
                            announce=None if args.json else _note)
        import pandas as pd

        runs = pd.read_parquet(out / "runs.parquet") if summary.left == 0 else None
    finally:
        if tmp is not None:
            tmp.cleanup()
    if runs is None:
        return _fail_unfinished(summary)
    runs = runs[runs["status"] == "ok"]
    rows = compare_runs(runs, "scenario", args.a, args.b, metrics, ci=args.ci, label_a=label_a, label_b=label_b,
                        model_cls=model_cls, correction=args.correction)
    paired = rows[0].test.startswith("paired") if rows else False
    if args.json:
        from .compare import CORRECTIONS

        print(json.dumps({
            "a": args.a, "b": args.b, "seeds": args.seeds, "paired": paired, "ci": args.ci,
            "correction": CORRECTIONS[args.correction], "failed_runs": summary.failed,
            "metrics": {r.metric: {k: v for k, v in r.as_dict().items() if k != "metric"} for r in rows},
        }, allow_nan=False))
    else:
        print(format_table(rows, label_a, label_b, correction=args.correction))
        if summary.failed:
            print(f"note: {summary.failed} runs failed and were left out")
    return _fail_unfinished(summary)


def cmd_sensitivity(args) -> int:
    """``partnersim sensitivity``: rank the levers of a Morris or Sobol experiment by their effect on metrics."""
    from .design import load_experiment
    from .outdir import claim
    from .sensitivity import SensitivityError, analyse, check_minimum, format_ranking, plain_summary, records
    from .storage import write_json

    exp = load_experiment(args.experiment)
    metrics = args.metric or ["partnerships_active"]
    for m in metrics:
        if m not in exp.metrics:
            raise UsageError(f"--metric: {m!r} is not kept by {exp.name}; allowed: {', '.join(exp.metrics)}")
    if exp.settings.design not in ("morris", "sobol"):
        raise UsageError(f"{exp.source}: design is {exp.settings.design!r}; sensitivity needs design = \"morris\" or \"sobol\"")
    try:
        check_minimum(exp)
    except SensitivityError as err:
        raise UsageError(str(err)) from None
    out = _out_dir(args, exp.name)
    summary = _run(exp, out, args)
    if summary.left or summary.failed:
        return _fail_unfinished(summary)
    import pandas as pd

    runs = pd.read_parquet(out / "runs.parquet")
    tables = {}
    for m in metrics:
        try:
            tables[m] = analyse(exp, runs, m)
        except SensitivityError as err:
            raise UsageError(str(err)) from None
    with claim(out):
        previous = {}
        try:
            previous = json.loads((out / "sensitivity.json").read_text())
        except (OSError, ValueError):
            pass
        previous = previous if isinstance(previous, dict) else {}
        write_json(out / "sensitivity.json", previous | {m: records(t) for m, t in tables.items()})
        for m, t in tables.items():
            t.to_csv(out / f"sensitivity_{m}.csv", index=False)
    if args.json:
        print(json.dumps({"experiment": exp.source, "out": str(out), "method": exp.settings.design,
                          "failed_runs": summary.failed, "metrics": {m: records(t) for m, t in tables.items()}},
                         allow_nan=False))
    else:
        for m, t in tables.items():
            print(format_ranking(t))
            print(plain_summary(t))
            print()
        print(f"results: {out} (sensitivity.json; 'partnersim report {out}' draws the tornado)")
    return 0


def _records(table) -> list[dict]:
    rows = table.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]


def cmd_discover(args) -> int:
    """``partnersim discover``: scenario discovery (PRIM, and a tree beside it) over a sweep's results."""
    import pandas as pd

    from .design import load_experiment
    from .discovery import DEFAULT_CONDITION, DEFAULT_THRESHOLD, DiscoveryError, discover, format_prim, \
        parse_condition, prim_discover
    from .outdir import claim
    from .storage import write_json

    if args.where is not None:
        try:
            parse_condition(args.where, allowed=_where_names(args.where))
        except DiscoveryError as err:
            raise UsageError(str(err)) from None
    if args.depth is not None and args.depth < 1:
        raise UsageError(f"--depth: must be 1 or more (got {args.depth})")
    if args.threshold is not None and not 0 < args.threshold <= 1:
        raise UsageError(f"--threshold: a density between 0 and 1 (got {args.threshold})")
    source = Path(args.source)
    if source.is_dir():
        out = source
        manifest_path = out / "manifest.json"
        if not manifest_path.is_file() or not (out / "runs.parquet").is_file():
            raise UsageError(f"{out}: not a finished sweep folder (needs manifest.json and runs.parquet)")
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            raise UsageError(f"{out}: manifest.json cannot be read") from None
        if manifest.get("kind") != "sweep":
            raise UsageError(f"{out}: not a sweep folder; discovery needs a sweep that varies levers")
        levers = list(manifest["experiment"]["parameters"])
        settings = manifest["experiment"].get("discovery") or {}
        kept = manifest.get("metrics") or []
    else:
        exp = load_experiment(args.source)
        out = _out_dir(args, exp.name)
        summary = _run(exp, out, args)
        if summary.left:
            return _fail_unfinished(summary)
        levers = exp.parameter_names
        settings = exp.discovery.model_dump()
        kept = exp.metrics
    # the command line wins over the experiment's [discovery] table, which wins over the default
    try:
        condition = parse_condition(args.where or settings.get("where") or DEFAULT_CONDITION, allowed=kept)
    except DiscoveryError as err:
        raise UsageError(str(err)) from None
    depth = args.depth or settings.get("depth") or 3
    threshold = args.threshold or settings.get("threshold") or DEFAULT_THRESHOLD
    runs = pd.read_parquet(out / "runs.parquet")
    if condition.metric not in runs.columns:
        raise UsageError(f"--where: metric {condition.metric!r} was not kept by this sweep")
    with claim(out):
        try:
            result = discover(runs, levers, condition, max_depth=depth)
            result["prim"] = prim_discover(runs, levers, condition, threshold=threshold, figures=out / "figures")
        except DiscoveryError as err:
            raise UsageError(str(err)) from None
        write_json(out / "discovery.json", result)
    if args.json:
        print(json.dumps(result))
    else:
        print(result["headline"] if result.get("headline") else result["summary"])
        print(format_prim(result["prim"]))
        print("decision tree beside it: " + (". ".join(
            f"{' and '.join(b['rules']) or 'everywhere'}: density {b['density']:.0%}, coverage {b['coverage']:.0%}"
            for b in result["boxes"][:3]) or "no box"))
        if result["importance"]:
            print("levers by importance (tree): " + ", ".join(f"{k} ({v:.2f})" for k, v in result["importance"].items()))
        if result["tree"]:
            print(result["tree"])
        figures = ", ".join(f"figures/{f}" for f in result["prim"].get("figures", []))
        print(f"results: {out / 'discovery.json'}" + (f"; {figures}" if figures else ""))
    return 0


def _where_names(text: str) -> list[str]:
    """The metric a --where names, accepted for now: whether the sweep kept it is checked against its results."""
    import re

    m = re.match(r"\s*([a-z_]+)", text or "")
    return [m.group(1)] if m else []


def cmd_report(args) -> int:
    """``partnersim report``: write report.md and its figures for a results folder."""
    from .report import write_report

    if args.metrics < 1:
        raise UsageError(f"--metrics: must be 1 or more (got {args.metrics})")
    target = write_report(args.dir, network=not args.no_network, max_metrics=args.metrics, show_runs=args.runs)
    print(f"report: {target}")
    print(f"figures: {target.parent / 'figures'}")
    return 0
