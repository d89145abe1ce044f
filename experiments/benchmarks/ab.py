"""Is this checkout faster than another revision, and does it give the same outputs? An interleaved A/B.

    .venv/bin/python experiments/benchmarks/ab.py --base HEAD~3              # baseline, 6 rounds
    .venv/bin/python experiments/benchmarks/ab.py --base v0.1 --national --rounds 2

The base revision is checked out into a temporary git worktree (removed at
the end). Each round runs one fresh subprocess for the base and one for this
checkout, one after the other, so a machine whose speed drifts (other jobs,
a shared host) slows both sides alike; each subprocess reports the smallest
CPU time of its ``--reps`` runs (after one unrecorded warm-up run). The
script prints every round, the mean of the minima on each side and their
ratio, and whether the two checkouts gave the same monthly table for the
seed (a speed change should not change outputs; a model change will).

Printed only; a benchmark, not a test. Bad input (an unknown revision, a
count below 1) gets one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from bench import NATIONAL  # noqa: E402

#: what each subprocess runs: ``reps`` timed runs of one scenario, then a digest of the last run's monthly table
CHILD = r"""
import hashlib, json, sys, time
import sim
overrides, months, reps, seed = json.loads(sys.argv[1])
scenario = sim.load_scenario("baseline", {**overrides, "run.months": months})
sim.run(sim.load_scenario("baseline", {**overrides, "run.months": 1}), seed=seed)  # warm-up: imports, caches
cpu, wall = [], []
for _ in range(reps):
    c0, w0 = time.process_time(), time.perf_counter()
    result = sim.run(scenario, seed)
    cpu.append(time.process_time() - c0)
    wall.append(time.perf_counter() - w0)
digest = hashlib.sha256(result.monthly.to_csv(index=False).encode()).hexdigest()
print(json.dumps({"cpu": min(cpu), "wall": min(wall), "digest": digest}))
"""


def fail(message: str) -> int:
    print(f"ab.py: {message}", file=sys.stderr)
    return 2


def measure(checkout: Path, args: list) -> dict:
    """One fresh subprocess of ``checkout`` (its own ``sim``), its figures as a dict."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}  # this checkout's ``sim`` first, whatever is installed
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], cwd=checkout, capture_output=True, text=True,
                         env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{checkout}: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="git revision to compare against (a commit, tag or branch)")
    ap.add_argument("--rounds", type=int, default=6, help="base/this pairs of subprocesses (default: %(default)s)")
    ap.add_argument("--reps", type=int, default=5, help="timed runs in each subprocess; its minimum counts (default: %(default)s)")
    ap.add_argument("--national", action="store_true", help="the national-scale run (24 months) instead of the baseline")
    ap.add_argument("--months", type=int, help="months to run (default: the baseline's 96, or 24 at national scale)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every run (default: %(default)s)")
    args = ap.parse_args(argv)
    for name in ("rounds", "reps", "months"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return fail(f"--{name} must be a whole number of at least 1, not {value}")
    try:
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{args.base}^{{commit}}"], cwd=ROOT,
                               capture_output=True, text=True)
    except FileNotFoundError:
        return fail("needs git on PATH and a git checkout of the project (it checks the base revision out)")
    if found.returncode != 0:
        return fail(f"--base {args.base!r} is not a revision of this repository (give a commit, tag or branch)")
    commit = found.stdout.strip()
    overrides = dict(NATIONAL) if args.national else {}
    months = args.months or (24 if args.national else 96)
    child_args = [overrides, months, 1 if args.national else args.reps, args.seed]
    print(f"{'national scale' if args.national else 'baseline'}, {months} months, seed {args.seed}: "
          f"base {args.base} ({commit[:10]}) against this checkout; CPU seconds, minimum of "
          f"{child_args[2]} run(s) per subprocess")
    with tempfile.TemporaryDirectory(prefix="partnersim-ab-") as tmp:
        base_dir = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(base_dir), commit], cwd=ROOT, check=True)
        try:
            sides: dict[str, list[dict]] = {"base": [], "this": []}
            for r in range(args.rounds):
                for side, checkout in (("base", base_dir), ("this", ROOT)):
                    sides[side].append(measure(checkout, child_args))
                print(f"  round {r + 1}: base {sides['base'][-1]['cpu']:.3f} s, this {sides['this'][-1]['cpu']:.3f} s")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_dir)], cwd=ROOT, check=False)
    mean = {side: sum(x["cpu"] for x in rows) / len(rows) for side, rows in sides.items()}
    same = {x["digest"] for x in sides["base"]} == {x["digest"] for x in sides["this"]}
    print(f"mean of minima: base {mean['base']:.3f} s, this {mean['this']:.3f} s; this / base = "
          f"{mean['this'] / mean['base']:.3f}")
    print("outputs: " + ("the same monthly table" if same else "DIFFERENT monthly tables (a model change, or a bug)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
