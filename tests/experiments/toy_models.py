"""Stand-ins for the model that the experiment tests sweep (importable by Dask workers).

``toy_run`` answers instantly with a known value; ``CountingModel`` is a tiny
subclass of the real model declaring one extra metric, the way a researcher
would; ``FailingModel`` fails for some seeds, the way a broken model would.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.metrics import Metric
from sim.model import PartnershipModel


def toy_run(scenario, seed):
    """Engagement matters a lot, contract length a little, monitoring not at all (plus a little noise)."""
    rng = np.random.default_rng(seed)
    value = 10 * scenario.statutory.engagement + scenario.commissioning.contract_months / 96 + 0.01 * rng.normal()
    monthly = pd.DataFrame({"month": [0, 1], **{m: [0.0, value] for m in sim.METRICS}})
    return sim.RunResult(seed, monthly, {m: value for m in sim.METRICS})


def dying_run(scenario, seed):
    """Kills its worker process the first time it sees a seed listed in DYING_SEEDS (a marker file remembers)."""
    folder = Path(os.environ["PARTNERSIM_TEST_MARKERS"])
    marker = folder / f"{seed}.seen"
    if str(seed) in os.environ.get("DYING_SEEDS", "").split(",") and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return toy_run(scenario, seed)


class CountingModel(PartnershipModel):
    """The model with one more metric, declared the way a researcher would: contracts running."""

    metrics = PartnershipModel.metrics.extend(
        Metric("contracts_running", "Contracts and grants running at the end of the month", unit="count",
               direction=0, low=0.0, relevance=0.5, integer=True, compute=lambda view: float(len(view.contracts))))


class FailingModel(PartnershipModel):
    """Fails to start for odd seeds (a model bug the sweep must report, not hide)."""

    def __init__(self, scenario, seed=None, **kwargs):
        if seed is not None and seed % 2 == 1:
            raise RuntimeError(f"model bug for seed {seed}")
        super().__init__(scenario, seed=seed, **kwargs)
