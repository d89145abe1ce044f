"""P1-P8 of the brief: each direction holds over seeded replications at 5%.

The scenarios are paired files in scenarios/; the checks, seeds and the
mechanism behind each pattern are in sim/experiments/patterns.py.
"""

import pytest

from sim.experiments.patterns import PATTERNS, evaluate


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.pid for p in PATTERNS])
def test_pattern(pattern, pattern_runs):
    """Every check holds, except those recorded as open (``Check.open_issue``), which docs/patterns.md reports."""
    failures = [
        f"{r.check.metric} ({r.check.kind} {r.check.alternative}): a={r.a_mean:.3f} b={r.b_mean:.3f} p={r.p_value:.4f}"
        for r in evaluate(pattern, pattern_runs) if not r.passed and not r.check.open_issue
    ]
    assert not failures, f"{pattern.pid} {pattern.title}: " + "; ".join(failures)


@pytest.mark.parametrize("check", [(p.pid, c) for p in PATTERNS for c in p.checks if c.open_issue],
                         ids=lambda pc: f"{pc[0]}-{pc[1].metric}")
def test_open_checks(check, pattern_runs):
    """A check recorded as open is still measured; it is expected to fail until its mechanism is fixed."""
    pid, c = check
    p = next(p for p in PATTERNS if p.pid == pid)
    result = next(r for r in evaluate(p, pattern_runs) if r.check == c)
    if not result.passed:
        pytest.xfail(f"{pid} {c.metric}: {c.open_issue}")
    assert result.passed


def test_patterns_not_keyed_on_scenario_names():
    """No mechanism may look at which scenario file it runs."""
    import pathlib

    import sim

    src = pathlib.Path(sim.__file__).parent
    names = {p.a for p in PATTERNS} | {p.b for p in PATTERNS}
    for module in src.glob("*.py"):
        text = module.read_text()
        for name in names - {"baseline"}:
            for form in (f'"{name}"', f"'{name}'", f"{name}.toml"):  # a name used as a string or a file
                assert form not in text, f"{module.name} mentions scenario {name!r}"
