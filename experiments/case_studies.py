"""Run the report's case studies, one command each: sweep (resumable), then report.

    .venv/bin/python experiments/case_studies.py inspire            # one study
    .venv/bin/python experiments/case_studies.py all --workers 2    # every study
    .venv/bin/python experiments/case_studies.py inspire --scheduler tcp://host:8786

Each study is an experiment file beside this script (``case_*.toml``), over
the case-study scenarios in ``scenarios/``. Results go to
``results/<experiment>/`` (runs.parquet, monthly.parquet, manifest.json) with
``report.md`` and ``figures/``; a study that is interrupted resumes where it
stopped when run again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments import load_experiment, run_sweep  # noqa: E402
from sim.experiments.report import write_report  # noqa: E402

#: study name -> (experiment file, the report's case study or lesson)
STUDIES = {
    "fine_cell_work": ("case_fine_cell_work", "Fine Cell Work and RECOOP (P1)"),
    "inspire": ("case_inspire", "Inspire (P2, P3, P4)"),
    "family_alliance": ("case_family_alliance", "Prison Family Support Alliance (P5)"),
    "golden_key": ("case_golden_key", "Golden Key (P6)"),
    "commissioning": ("commissioning_practice", "Lessons for commissioners (P7, P8)"),
}


def run_study(name: str, out_root: Path, workers: int | None, scheduler: str | None, network: bool) -> Path:
    experiment, label = STUDIES[name]
    exp = load_experiment(Path(__file__).resolve().parent / f"{experiment}.toml")
    out = out_root / experiment
    print(f"== {label}: {exp.settings.title}", flush=True)
    summary = run_sweep(exp, out, workers=workers, scheduler=scheduler,
                        announce=lambda line: print(line, file=sys.stderr))
    print("\n".join(summary.lines()))
    if summary.left:
        print(f"{summary.left} runs not finished; run the same command again to resume", file=sys.stderr)
        return out
    report = write_report(out, network=network)
    text = report.read_text()
    section = text.split("## How the scenarios differ", 1)
    if len(section) == 2:
        print("## How the scenarios differ" + section[1].split("\n## ", 1)[0])
    print(f"report: {report}\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("study", choices=[*STUDIES, "all"], help="which case study")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, help="embedded Dask workers (default: all cores; 0 = in this process)")
    group.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--out-root", type=Path, default=ROOT / "results", help="where results go (default results/)")
    parser.add_argument("--no-network", action="store_true", help="skip the network figure")
    args = parser.parse_args(argv)
    names = list(STUDIES) if args.study == "all" else [args.study]
    for name in names:
        run_study(name, args.out_root, args.workers, args.scheduler, not args.no_network)
    return 0


if __name__ == "__main__":
    sys.exit(main())
