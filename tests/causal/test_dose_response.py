"""Money buys support: a dose response in three contexts.

Commissioned money per client at x0.5, x1 and x2, and ``funding.change`` at
-0.3, 0 and +0.5, move ``needs_met_share`` and ``joined_up_share`` up and
``reoffending_rate`` down, monotonically in the means, with 95% intervals at
the two ends that do not overlap, in the baseline region, a region twice its
size and the Golden Key case study. Seeds are fixed and paired across doses.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments import levers

#: Seeds per context (the power to see the smallest of the effects, never a weaker test). Reoffending moves
#: by less than a point for ``funding.change`` in the baseline: support cuts reoffending by
#: ``clients.support_effect`` times the share of needs met, and needs met moves by 9 points. The ends' 95%
#: intervals came within 0.001 of each other at 20 and 40 seeds; 60 separate them by about 0.003. The double
#: region, with twice the clients, resolved it at 20 until support_effect went from 0.30 to 0.27 (a smaller
#: effect: its ends' intervals then overlapped by 0.002 at 20 seeds), so it runs 60 too. In Golden Key much of the money is the lottery's
#: eight-year grant, which a funding trend does not reach within the run, so needs met moves by 7 points
#: rather than 10 and reoffending by about half a point; 100 seeds resolve that, narrowly (60 did not).
SEEDS = {"baseline": 60, "double_region": 60, "golden_key": 100}
MONTHS = 48


def _money(context: str) -> tuple[float, float, float]:
    """x0.5, x1 and x2 of the context's own commissioned money per client."""
    x1 = levers.context_scenario(context).funding.commissioned_per_client
    return 0.5 * x1, x1, 2.0 * x1


DOSES = {
    "funding.commissioned_per_client": {c: _money(c) for c in levers.CONTEXTS},
    "funding.change": {c: (-0.3, 0.0, 0.5) for c in levers.CONTEXTS},
}
UP, DOWN = ("needs_met_share", "joined_up_share"), ("reoffending_rate",)


@pytest.fixture(scope="module", params=sorted(DOSES))
def dose(request):
    if os.environ.get("PARTNERSIM_STATISTICAL") != "1":
        pytest.skip("full statistical suite: set PARTNERSIM_STATISTICAL=1 to run it")
    lever = request.param
    cells, frames = [], []
    for ctx in levers.CONTEXTS:
        here = [(ctx, {lever: v}) for v in DOSES[lever][ctx]]
        runs = levers.run_cells(here, SEEDS[ctx], months=MONTHS, metrics=(*UP, *DOWN))
        frames.append(runs.assign(cell=runs["cell"] + len(cells)))
        cells += here
    return lever, cells, pd.concat(frames, ignore_index=True)


def _summary(runs, cells, ctx, metric):
    out = []
    for i, (c, _) in enumerate(cells):
        if c == ctx:
            out.append(sim.mean_ci(runs.loc[runs["cell"] == i, metric]))
    return out


@pytest.mark.statistical
@pytest.mark.parametrize("ctx", sorted(levers.CONTEXTS))
@pytest.mark.parametrize("metric,sign", [*[(m, 1) for m in UP], *[(m, -1) for m in DOWN]])
def test_dose_response(dose, ctx, metric, sign):
    lever, cells, runs = dose
    (m0, lo0, hi0), (m1, _, _), (m2, lo2, hi2) = _summary(runs, cells, ctx, metric)
    means = np.array([m0, m1, m2]) * sign
    assert np.all(np.diff(means) > 0), f"{lever} in {ctx}: {metric} means {m0:.4f}, {m1:.4f}, {m2:.4f} not monotone"
    if sign > 0:
        assert hi0 < lo2, f"{lever} in {ctx}: {metric} CIs overlap [{lo0:.4f}, {hi0:.4f}] vs [{lo2:.4f}, {hi2:.4f}]"
    else:
        assert lo0 > hi2, f"{lever} in {ctx}: {metric} CIs overlap [{lo0:.4f}, {hi0:.4f}] vs [{lo2:.4f}, {hi2:.4f}]"


def test_money_buys_support_smoke():
    """Fast check run by default: in the baseline, a quarter of the money against four times as much."""
    lever = "funding.commissioned_per_client"
    cells = [("baseline", {lever: 15.0}), ("baseline", {lever: 240.0})]
    runs = levers.run_cells(cells, 6, months=24, metrics=("needs_met_share", "joined_up_share"))
    for metric in ("needs_met_share", "joined_up_share"):
        _, _, hi_low = sim.mean_ci(runs.loc[runs["cell"] == 0, metric])
        _, lo_high, _ = sim.mean_ci(runs.loc[runs["cell"] == 1, metric])
        assert hi_low < lo_high, f"{metric}: more money does not clearly buy more support"
