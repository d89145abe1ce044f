"""Every lever the report speaks to acts in the direction the report gives, in at least two of three contexts.

Contexts: the baseline region, a region twice its size and the Golden Key
case study (``sim.experiments.levers.CONTEXTS``). Each lever runs at a low and
a high value on the same fixed seeds; the paired differences are tested with a
one-sided Wilcoxon signed-rank test at 5%. The funding levers are tested as
dose responses in ``test_dose_response.py``. The generated atlas
(``docs/levers.md``) shows every lever, these included, with 95% intervals.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from sim.experiments import levers

SEEDS = 12  # paired seeds per cell; a lever with a small effect has more (``Lever.seeds``, the power to see it)
MONTHS = 60  # flexibility and co-location act through ties and reorganisation that take years to build
WINDOW = 24  # each run's value: its mean over the last two years
TESTED = [lv for lv in levers.REPORT_LEVERS if not lv.key.startswith("funding.")]


@pytest.fixture(scope="module")
def runs():
    """Per lever key: its cells and their runs (the levers that share a seed count run together)."""
    if os.environ.get("PARTNERSIM_STATISTICAL") != "1":
        pytest.skip("full statistical suite: set PARTNERSIM_STATISTICAL=1 to run it")
    metrics = sorted({m for lv in TESTED for m in lv.expect})
    out = {}
    for n in sorted({max(SEEDS, lv.seeds) for lv in TESTED}):
        group = [lv for lv in TESTED if max(SEEDS, lv.seeds) == n]
        cells = [(ctx, {lv.key: v}) for lv in group for ctx in levers.CONTEXTS for v in (lv.low, lv.high)]
        frame = levers.run_cells(cells, n, months=MONTHS, metrics=metrics, window=WINDOW)
        out.update({lv.key: (cells, frame) for lv in group})
    return out


#: Directions the model does not yet show in two contexts, with the reason: measured (docs/levers.md) and
#: reported, never hidden; each is expected to fail until its mechanism is fixed (it passes when it holds again).
#: The lever's other directions are still asserted.
OPEN = levers.OPEN_DIRECTIONS


@pytest.mark.statistical
@pytest.mark.parametrize("lever", TESTED, ids=[lv.key for lv in TESTED])
def test_lever_acts_as_the_report_says(runs, lever):
    cells, frame = runs[lever.key]
    failures = []
    for metric, direction in lever.expect.items():
        held = []
        for ctx in levers.CONTEXTS:
            lo = cells.index((ctx, {lever.key: lever.low}))
            hi = cells.index((ctx, {lever.key: lever.high}))
            if levers.holds(frame[frame["cell"] == lo], frame[frame["cell"] == hi], metric, direction):
                held.append(ctx)
        if len(held) < 2:
            failures.append((metric, f"{metric} {'up' if direction > 0 else 'down'} held only in {held or 'no context'}"))
    hard = [text for metric, text in failures if (lever.key, metric) not in OPEN]
    assert not hard, f"{lever.key} {lever.low!r} -> {lever.high!r} ({lever.lesson}): " + "; ".join(hard)
    if failures:
        pytest.xfail("; ".join(f"{text} (open: {OPEN[(lever.key, metric)]})" for metric, text in failures))


def test_every_lever_key_is_in_the_atlas():
    """The atlas covers every key under the lever sections of the schema (a new key must be added)."""
    assert set(levers.lever_keys_in_schema()) == {lv.key for lv in levers.all_levers()}


def test_standardised_monitoring_smoke():
    """Fast check run by default: standardised monitoring frees staff time in the baseline (paired seeds)."""
    lever = next(lv for lv in levers.REPORT_LEVERS if lv.key == "commissioning.monitoring")
    cells = [("baseline", {lever.key: lever.low}), ("baseline", {lever.key: lever.high})]
    frame = levers.run_cells(cells, 6, months=24, metrics=("monitoring_time_share",))
    assert levers.holds(frame[frame["cell"] == 0], frame[frame["cell"] == 1], "monitoring_time_share", -1)


def test_statutory_engagement_smoke():
    """Fast check run by default: statutory buy-in raises joined-up support in the baseline (paired seeds).

    A defect once made engagement lower joined-up support (referral routes pulled clients away from the
    charities already supporting them); this guards the direction.
    """
    lever = next(lv for lv in levers.REPORT_LEVERS if lv.key == "statutory.engagement")
    cells = [("baseline", {lever.key: lever.low}), ("baseline", {lever.key: lever.high})]
    frame = levers.run_cells(cells, 6, months=24, metrics=("joined_up_share",))
    assert levers.holds(frame[frame["cell"] == 0], frame[frame["cell"] == 1], "joined_up_share", 1)


def test_extending_runs_with_more_seeds_gives_the_runs_of_all_seeds():
    """A lever with more seeds extends saved runs (the atlas's ``--complete``): seeds from the ``first`` on are
    the same runs as in one run of all of them, so a table can grow without re-running what it has."""
    cells = [("baseline", {"commissioning.flexible": False})]
    whole = levers.run_cells(cells, 3, months=2, metrics=("joined_up_share",), window=1, workers=1)
    part = levers.run_cells(cells, 2, months=2, metrics=("joined_up_share",), window=1, workers=1)
    rest = levers.run_cells(cells, 1, months=2, metrics=("joined_up_share",), window=1, workers=1, first=2)
    joined = pd.concat([part, rest], ignore_index=True)
    pd.testing.assert_frame_equal(whole, joined)
