"""Profile the baseline and the national run with cProfile; print the hot spots.

    .venv/bin/python experiments/benchmarks/profile_runs.py                  # baseline + national, 96 months
    .venv/bin/python experiments/benchmarks/profile_runs.py --months 24      # shorter national run
    .venv/bin/python experiments/benchmarks/profile_runs.py --only baseline --top 25

For each run: the top functions by self time and by cumulative time, each with
its share of the profiled run time, as file:line. Printed only (the model's
owner optimises from it; nothing is written into the repository unless --out).
cProfile adds overhead to every Python call, so shares matter, not seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import NATIONAL  # noqa: E402
from proctree import ROOT  # noqa: E402


def where(key: tuple[str, int, str]) -> str:
    file, line, func = key
    if file == "~":
        return func  # a builtin, e.g. <method 'reduce' of 'numpy.ufunc' objects>
    p = Path(file)
    for base in (ROOT, *[Path(s) for s in sys.path if s.endswith("site-packages")]):
        try:
            p = p.relative_to(base)
            break
        except ValueError:
            continue
    return f"{func}  {p}:{line}"


def profile(label: str, overrides: dict, top: int) -> list[str]:
    import sim

    scenario = sim.load_scenario("baseline", overrides)
    sim.run(sim.load_scenario("baseline", {"run.months": 2}), seed=1)  # warm-up
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    sim.run(scenario)
    prof.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())
    out = [f"## {label}: {scenario.sector.charities} charities, {scenario.demand.clients} clients, "
           f"{scenario.run.months} months; {wall:.2f} s under cProfile ({total:.2f} s profiled)", ""]
    for title, idx in (("self time (tottime)", 2), ("cumulative time (cumtime)", 3)):
        out += [f"### top {top} by {title}", "", "| share | seconds | calls | function  file:line |", "|---|---|---|---|"]
        rows = sorted(st.stats.items(), key=lambda kv: kv[1][idx], reverse=True)[:top]
        for key, (cc, nc, tt, ct, _) in rows:
            v = tt if idx == 2 else ct
            out.append(f"| {100 * v / total:5.1f}% | {v:7.3f} | {nc} | {where(key)} |")
        out.append("")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("baseline", "national"))
    ap.add_argument("--months", type=int, help="horizon of the national run (default: 96)")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", help="also write the summary to this file (keep it out of git)")
    args = ap.parse_args()
    lines: list[str] = []
    if args.only in (None, "baseline"):
        lines += profile("baseline", {}, args.top)
    if args.only in (None, "national"):
        ov = dict(NATIONAL)
        if args.months:
            ov["run.months"] = args.months
        lines += profile("national", ov, args.top)
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
