"""One browser session's run: the model, its network layout and what changed last month.

Plain Python (no Solara), so tests drive it directly. The page holds one
``Session`` per browser tab; two tabs never share a model.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import sim

from . import comparison, levers, network, texts

log = logging.getLogger("partnersim.dashboard")

#: Play speeds: label -> months a second. The page redraws at most every FRAME seconds; faster speeds
#: advance several months per redraw, so "Fast" really is faster even when drawing takes time.
PLAY_SPEEDS: dict[str, float] = {"Slow (1 month a second)": 1.0, "Normal (4 months a second)": 4.0,
                                 "Fast (12 months a second)": 12.0}
FRAME = 0.25


def play_plan(months_per_second: float) -> tuple[float, int]:
    """(seconds between redraws, months per redraw) for a play speed."""
    period = max(FRAME, 1.0 / months_per_second)
    return period, max(1, int(round(months_per_second * period)))


def plain_error(action: str, err: BaseException) -> str:
    """An unexpected failure as one sentence for the page (details go to the server log)."""
    log.error("dashboard: %s failed", action, exc_info=(type(err), err, err.__traceback__))
    if isinstance(err, sim.ScenarioError):
        return levers.plain_problem(err)
    return (f"Sorry, the model could not {action} with these settings. The run has been stopped; "
            "try Reset, or change a setting. (Technical details are in the server log.)")


@dataclass
class Session:
    """This tab's model and everything drawn from it."""

    model: Any = None
    scenario: sim.Scenario | None = None
    layout: network.NetworkLayout | None = None
    previous_edges: pd.DataFrame | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    comparison_run: comparison.Run | None = None

    @property
    def month(self) -> int:
        return int(getattr(self.model, "steps", 0)) if self.model is not None else 0

    @property
    def horizon(self) -> int:
        return self.scenario.run.months if self.scenario is not None else 0

    @property
    def finished(self) -> bool:
        return self.model is not None and self.month >= self.horizon

    def start(self, scenario: sim.Scenario | None) -> None:
        """A fresh run at month 0 (None: no run)."""
        model = sim.PartnershipModel(scenario, seed=scenario.run.seed) if scenario is not None else None
        with self.lock:
            self.model, self.scenario = model, scenario
            self.layout = network.NetworkLayout(seed=scenario.run.seed) if scenario is not None else None
            self.previous_edges = None

    def step(self, months: int = 1, model: Any = None) -> int:
        """Advance up to ``months`` months; returns how many were run.

        ``model``: the run the caller means; a run replaced meanwhile (Reset, a new lever) is not stepped.
        """
        done = 0
        with self.lock:
            if self.model is None or (model is not None and self.model is not model):
                return 0
            for _ in range(months):
                if self.finished:
                    break
                self.previous_edges = self.model.network_snapshot()["edges"]
                self.model.step()
                done += 1
        return done

    def monthly(self) -> pd.DataFrame:
        with self.lock:
            return self.model.monthly_frame() if self.model is not None else pd.DataFrame()

    def current(self) -> dict[str, float]:
        """This month's metrics (empty at month 0, when nothing has happened yet)."""
        with self.lock:
            if self.model is None or self.month == 0:
                return {}
            return dict(self.model.current_metrics())

    def network(self, layer: str):
        """The network figure of this month and its clickable points."""
        with self.lock:
            snap = self.model.network_snapshot()
            pos = self.layout.update(snap["nodes"], snap["edges"])
            return network.network_figure(self.model, pos, layer, self.month, self.previous_edges, snap)

    def charity(self, org_id: int) -> dict:
        with self.lock:
            return network.charity_card(self.model, org_id)


# ------------------------------------------------------------------ exports

def manifest(session: Session, setup_text: str, seeds: list[int] | None = None) -> list[str]:
    """Header lines naming what produced an export: scenario, levers, seeds, version."""
    sc = session.scenario
    lines = [f"partnersim {sim.__version__} dashboard export"]
    if sc is not None:
        lines += [f"scenario: {sc.run.title}", f"setup: {setup_text}",
                  f"seeds: {', '.join(map(str, seeds)) if seeds else sc.run.seed}", f"horizon: {sc.run.months} months",
                  "levers: " + "; ".join(f"{levers.describe_setting(k, v, sc)}"
                                         for k, v in levers.lever_values(sc).items())]
    return lines


def readable_monthly(monthly: pd.DataFrame) -> pd.DataFrame:
    """The run's monthly figures with readable column names (and units), shares as %, values rounded."""
    out = pd.DataFrame({"Month": monthly["month"].astype(int)}) if "month" in monthly else pd.DataFrame()
    for name in monthly.columns:
        if name == "month" or name not in sim.metrics.metrics_of():
            continue
        out[texts.export_column(name)] = [texts.export_value(name, v) for v in monthly[name]]
    return out


def csv_with_header(frame: pd.DataFrame, header: list[str]) -> bytes:
    """CSV whose first lines are '# ...' comments (``pandas.read_csv(..., comment='#')`` skips them)."""
    text = "".join(f"# {line}\n" for line in header) + frame.to_csv(index=False)
    return text.encode()


def scenario_passage(file_name: str) -> str:
    """The comment at the top of a scenario file: which case study it encodes, often quoting the report."""
    path = Path(sim.SCENARIO_DIR) / file_name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    out = []
    for line in lines:
        if not line.startswith("#"):
            break
        out.append(line.lstrip("#").strip())
    return " ".join(out).strip()


def is_missing(value: Any) -> bool:
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True
