"""The analysis scripts of ``experiments/`` refuse bad numbers as the command line does: one line naming what
is wrong and what is allowed, exit status 2, no traceback, and nothing run or written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p for p in [*ROOT.glob("experiments/*.py"), *ROOT.glob("experiments/benchmarks/*.py")]
                 if '"--seeds"' in p.read_text())


def test_the_scripts_with_a_seeds_option_are_found():
    names = {p.stem for p in SCRIPTS}
    assert {"levers", "patterns", "robustness", "equilibrium", "flexibility"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_zero_seeds_is_refused_in_one_line(script, tmp_path):
    docs = {p: p.stat().st_mtime_ns for p in (ROOT / "docs").rglob("*") if p.is_file()}
    out = subprocess.run([sys.executable, str(script), "--seeds", "0"], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--seeds" in lines[0], out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "docs").rglob("*") if p.is_file()} == docs


def test_the_flexibility_decomposition_runs_and_prints_every_condition_and_context(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "flexibility.py"), "--seeds", "2", "--months", "24",
                          "--workers", "2"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()]
    for condition in ("as is", "standardised monitoring", "no signposting"):
        for context in ("baseline", "double_region", "golden_key"):
            row = next(r for r in rows if " ".join(r).startswith(f"{condition} {context} "))
            assert len(row) == len(condition.split()) + 1 + 4 * 3  # four metrics, each a mean and its interval
    assert "36 runs" in out.stdout


def test_the_ab_comparison_runs_both_checkouts_and_finds_the_same_outputs(tmp_path):
    """``experiments/benchmarks/ab.py`` against this very revision: both sides run, their monthly tables are
    the same, and its temporary worktree is gone afterwards; a revision that does not exist is refused in one line."""
    script = str(ROOT / "experiments" / "benchmarks" / "ab.py")
    try:
        readable = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=ROOT, capture_output=True).returncode == 0
    except FileNotFoundError:
        readable = False
    if not readable:
        pytest.skip("needs git and a git checkout of the project")
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    out = subprocess.run([sys.executable, script, "--base", "HEAD", "--rounds", "1", "--reps", "1", "--months", "2"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "round 1: base" in out.stdout and "this / base" in out.stdout
    model_edited = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "sim"], cwd=ROOT).returncode != 0
    assert ("outputs: " in out.stdout) if model_edited else ("outputs: the same monthly table" in out.stdout)
    assert subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout == worktrees
    bad = subprocess.run([sys.executable, script, "--base", "no-such-revision-xyz"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--base" in bad.stderr
    assert "Traceback" not in bad.stderr
