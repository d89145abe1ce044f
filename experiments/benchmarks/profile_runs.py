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


def _ours(key: tuple[str, int, str]) -> bool:
    return key[0] != "~" and "site-packages" not in key[0] and str(ROOT / "sim") in key[0]


def _attribute(stats: dict, key, amount: float, credit: dict, depth: int) -> None:
    """Split ``amount`` of ``key``'s time among its callers, up to the first function in sim/."""
    callers = stats[key][4] if key in stats else {}
    weights = {c: v[3] for c, v in callers.items() if v[3] > 0}
    total = sum(weights.values())
    if not total or depth > 8:
        credit[key] = credit.get(key, 0.0) + amount
        return
    for c, w in weights.items():
        share = amount * w / total
        if _ours(c):
            credit[c] = credit.get(c, 0.0) + share
        else:
            _attribute(stats, c, share, credit, depth + 1)


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
    # builtins (numpy ufunc methods and the like) have no file: walk up through numpy's wrappers
    # to the model's own functions that call them, splitting the time by each caller's share
    selfs = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    builtins = [(k, v) for k, v in selfs if k[0] == "~" or "site-packages" in k[0]]
    if builtins:
        out += ["### whose calls the library hot spots are (self time, traced up to sim/)", ""]
        for key, (_, _, tt, _, _) in builtins:
            credit: dict = {}
            _attribute(st.stats, key, tt, credit, 0)
            parts = sorted(credit.items(), key=lambda kv: kv[1], reverse=True)[:4]
            shown = "; ".join(f"{where(c)} {100 * v / total:.1f}%" for c, v in parts)
            out.append(f"* {where(key)} ({100 * tt / total:.1f}%): {shown}")
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
