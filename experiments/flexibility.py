"""What a flexible funder's effect on joined-up support is made of: flexibility's paired effect, in
the lever atlas's contexts, as the model stands and with one part of the chain changed at a time.

    .venv/bin/python experiments/flexibility.py [--seeds 24] [--months 60] [--workers 2]

Flexibility's gain on joined-up support is small against the spread between
runs (the atlas runs it on 24 paired seeds). A partner it lets in is
inducted and made the route for the needs it was brought in for (ODD 7.3,
7.5), but it costs coordination and, under per-partner monitoring,
duplicated returns, out of the same money. This script runs
``commissioning.flexible`` False -> True on paired seeds (the atlas's seeds,
window and contexts) under each *condition*:

* ``as is``: the model's defaults (the atlas's own cells);
* ``standardised monitoring``: one monitoring system per partnership, so a
  partner brought in adds no duplicated returns;
* ``no signposting``: needs outside a partnership are never met by
  signposting to local provision, so a newcomer has nothing to stand in for.

It prints, for each condition and context, the mean paired difference with
its 95% t interval of joined-up support, needs met, partners delivering and
the share of staff time on monitoring. Printed only; the ODD (7.10) cites
what it shows.
"""

from __future__ import annotations

import argparse
import time

from sim.experiments import levers

CONDITIONS: dict[str, dict] = {
    "as is": {},
    "standardised monitoring": {"commissioning.monitoring": "standardised"},
    "no signposting": {"clients.signposting": 0.0},
}
METRICS = ("joined_up_share", "needs_met_share", "partners_delivering_mean", "monitoring_time_share")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=24, help="paired seeds per cell (default 24, as the atlas)")
    ap.add_argument("--months", type=int, default=60, help="months after the burn-in (default 60, as the atlas)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (results do not depend on it)")
    args = ap.parse_args()
    if args.seeds < 2 or args.months < 24 or args.workers < 1:
        ap.exit(2, "flexibility: --seeds must be at least 2, --months at least 24 (the window), --workers at least 1\n")
    cells, labels = [], []
    for condition, extra in CONDITIONS.items():
        for context in levers.CONTEXTS:
            for flexible in (False, True):
                cells.append((context, {**extra, "commissioning.flexible": flexible}))
                labels.append((condition, context, flexible))
    t0 = time.perf_counter()
    runs = levers.run_cells(cells, args.seeds, months=args.months, metrics=METRICS, window=24, workers=args.workers)
    print(f"commissioning.flexible False -> True, {args.seeds} paired seeds, {args.months} months, mean of the last "
          f"24; {len(runs)} runs in {time.perf_counter() - t0:.0f} s")
    print(f"{'condition':24s} {'context':14s} " + " ".join(f"{m:>30s}" for m in METRICS))
    for i in range(0, len(cells), 2):
        condition, context, _ = labels[i]
        low, high = runs[runs.cell == i], runs[runs.cell == i + 1]
        parts = []
        for m in METRICS:
            mean, lo, hi, _ = levers.paired_effect(low, high, m)
            mark = "*" if lo > 0 or hi < 0 else " "
            parts.append(f"{mean:+.4f} [{lo:+.4f}, {hi:+.4f}]{mark}")
        print(f"{condition:24s} {context:14s} " + " ".join(f"{p:>30s}" for p in parts))
    print("* the 95% interval excludes zero")


if __name__ == "__main__":
    main()
