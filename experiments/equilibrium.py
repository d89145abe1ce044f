"""Print the equilibrium figures the test checks: months 1-12 against months 49-60, with no trends or events.

    .venv/bin/python experiments/equilibrium.py [--seeds 4]

The same runs as ``tests/causal/test_equilibrium.py`` (baseline, 60 months, no
demand growth or funding change, the baseline's replication seeds).
"""

from __future__ import annotations

import argparse

import numpy as np

import sim

WATCHED = ("income_total", "staff_hours_total", "reserves_total", "capacity_cover")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    if args.seeds < 1:
        ap.exit(2, "equilibrium: --seeds must be at least 1\n")
    sc = sim.load_scenario("baseline", {"run.months": 60, "demand.growth": 0.0, "funding.change": 0.0})
    frames = [sim.run(sc, s).monthly for s in sim.replication_seeds(sc, args.seeds)]
    # the test's measure: the early mean against the late one, as a share of the late one (signed: + is a rise)
    print(f"{'metric':20s} {'months 1-12':>14s} {'months 49-60':>14s} {'change':>8s}")
    for m in WATCHED:
        early = np.mean([f.loc[f["month"].between(1, 12), m].mean() for f in frames])
        late = np.mean([f.loc[f["month"].between(49, 60), m].mean() for f in frames])
        print(f"{m:20s} {early:14.4g} {late:14.4g} {100 * (late - early) / late:+7.2f}%")


if __name__ == "__main__":
    main()
