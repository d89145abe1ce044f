"""What the page does when a commissioner acts: the session's reactive state and its actions.

One ``Controller`` per browser tab (made by the page with ``use_memo``). The
cards read its reactive values and call its methods; the work itself is done
by the plain modules (``levers``, ``setup``, ``session``, ``comparison``).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import solara

import sim

from . import comparison, figures, levers, network, texts
from .session import PLAY_SPEEDS, Session, play_plan, plain_error
from .setup import OWN_FILE, SAVED_PREFIX, SCENARIO_PREFIX, Setup

log = logging.getLogger("partnersim.dashboard")

#: Seeds per arm of a comparison (the same seeds in both arms).
COMPARE_SEEDS = 10

#: While playing, the charts and the network redraw at most this often (seconds); the month and the headline
#: figures follow every month. Redrawing a dozen figures every month would swamp a slow browser.
VIEW_PERIOD = 1.0


class Controller:
    """This tab's state (Solara reactives) and the actions the cards call."""

    def __init__(self, catalogue: dict[str, sim.Scenario], first: str | None, values: dict | None = None,
                 against: str = OWN_FILE, notes: list[str] | None = None):
        self.catalogue = catalogue
        self.session = Session()
        self.scenario_name = solara.reactive(first)
        self.values = solara.reactive(values if values is not None else
                                      (levers.lever_values(catalogue[first]) if first else {}))
        self.problem = solara.reactive("")
        self.notices = solara.reactive(list(notes or []))
        self.step_error = solara.reactive("")
        self.tick = solara.reactive(0)  # bumps whenever the run changes (new run, a month more)
        self.view_tick = solara.reactive(0)  # redraws charts and network: every month, at most every VIEW_PERIOD in play
        self._last_view = 0.0
        self._draw_seconds = 0.0
        self.playing = solara.reactive(False)
        self.speed = solara.reactive(next(iter(PLAY_SPEEDS)))
        self.layer = solara.reactive("managerial")
        self.selected = solara.reactive(None)  # the charity whose card is open
        self.against = solara.reactive(against)
        self.saved: solara.Reactive[list[Setup]] = solara.reactive([])
        self.compare_request = solara.reactive(0)
        self.compare_progress = solara.reactive((0, 0))
        self.compare_result = solara.reactive(None)
        self.compare_error = solara.reactive("")
        self.welcome = solara.reactive(True)
        #: a calibration's posterior (``partnersim dashboard --posterior FILE``): compare across plausible assumptions
        self.posterior = os.environ.get("PARTNERSIM_POSTERIOR") or None
        self.use_posterior = solara.reactive(False)
        self._compare_meta: dict = {}

    # ------------------------------------------------------------ the setup

    @property
    def setup(self) -> Setup | None:
        name = self.scenario_name.value
        return Setup.of(name, self.values.value) if name else None

    def rebuild(self) -> None:
        """A fresh run at month 0 with the current scenario and levers."""
        self.playing.set(False)
        self.step_error.set("")
        self.selected.set(None)
        name = self.scenario_name.value
        if not name:
            return
        built = levers.build(name, self.values.value)
        self.notices.set(built.notices)
        self.problem.set(built.problem)
        try:
            self.session.start(built.scenario)
        except Exception as err:  # noqa: BLE001
            self.problem.set(plain_error("start", err))
            self.session.start(None)
        self.tick.set(self.tick.value + 1)
        self.redraw()

    def redraw(self) -> None:
        """Redraw the charts and the network now (and learn how long that takes, to pace playing)."""
        started = time.monotonic()
        self.view_tick.set(self.view_tick.value + 1)
        self._last_view = time.monotonic()
        self._draw_seconds = self._last_view - started

    def choose_scenario(self, name: str) -> None:
        if not name or name == self.scenario_name.value or name not in self.catalogue:
            return
        self.scenario_name.set(name)
        self.values.set(levers.lever_values(self.catalogue[name]))
        if self.against.value == SCENARIO_PREFIX + name:
            self.against.set(OWN_FILE)
        self.rebuild()

    def set_lever(self, key: str, value: Any) -> None:
        if self.values.value.get(key) == value:  # a control echoing its own value is not a change
            return
        self.values.set({**self.values.value, key: value})
        self.rebuild()

    def restore(self) -> None:
        self.values.set(levers.lever_values(self.catalogue[self.scenario_name.value]))
        self.rebuild()

    def save_setup(self) -> None:
        setup = self.setup
        if setup is not None and setup not in self.saved.value:
            self.saved.set([*self.saved.value, setup])

    # ------------------------------------------------------------ running

    def step(self, months: int = 1, model: Any = None, playing: bool = False) -> bool:
        try:
            done = self.session.step(months, model)
        except Exception as err:  # noqa: BLE001
            self.step_error.set(plain_error("advance to the next month", err))
            return False
        if done:
            self.tick.set(self.tick.value + 1)
            # while playing, drawing takes at most about a third of the time, so the months keep their pace
            period = max(VIEW_PERIOD, 2 * self._draw_seconds)
            if not playing or time.monotonic() - self._last_view >= period or self.session.finished:
                self.redraw()
        return done > 0

    def play_loop(self) -> None:
        model = self.session.model
        try:
            while self.playing.value:
                started = time.monotonic()
                period, months = play_plan(PLAY_SPEEDS.get(self.speed.value, 1.0))
                if not self.step(months, model, playing=True) or self.session.finished:
                    break
                time.sleep(max(0.02, period - (time.monotonic() - started)))
        finally:
            if self.playing.value:
                self.playing.set(False)
            self.redraw()

    # ------------------------------------------------------------ comparing

    def other_setup(self) -> Setup | None:
        """What the current setup is compared with."""
        against, name = self.against.value, self.scenario_name.value
        if not name:
            return None
        if against.startswith(SCENARIO_PREFIX) and against[len(SCENARIO_PREFIX):] in self.catalogue:
            return Setup(against[len(SCENARIO_PREFIX):])
        if against.startswith(SAVED_PREFIX):
            i = int(against[len(SAVED_PREFIX):])
            if i < len(self.saved.value):
                return self.saved.value[i]
        return Setup(name)

    def other_title(self) -> str:
        other = self.other_setup()
        if other is None:
            return ""
        if self.against.value.startswith(SAVED_PREFIX):
            return f"saved setup {int(self.against.value[len(SAVED_PREFIX):]) + 1}"
        return self.catalogue[other.scenario].run.title + (" (as its file sets it)" if not other.changes else "")

    def comparison_key(self) -> str:
        mine, other = self.setup, self.other_setup()
        return ((mine.key() if mine else "") + "|" + (other.key() if other else "")
                + ("|posterior" if self.use_posterior.value else ""))

    def start_comparison(self) -> None:
        self.compare_error.set("")
        mine, other = self.setup, self.other_setup()
        if mine is None or other is None:
            return
        a, b = mine.build(), other.build()
        if a.scenario is None or b.scenario is None:
            self.compare_error.set(a.problem or b.problem)
            return
        if comparison.same_setup(a.scenario, b.scenario):
            self.compare_error.set("")
            return
        if self.session.comparison_run is not None:
            self.session.comparison_run.cancel()
        try:
            months = min(a.scenario.run.months, b.scenario.run.months)
            draws = (comparison.posterior_draws(self.posterior, COMPARE_SEEDS)
                     if self.posterior and self.use_posterior.value else None)
            jobs = comparison.plan(b.scenario, a.scenario, COMPARE_SEEDS, months=months, draws=draws)
        except Exception as err:  # noqa: BLE001
            self.compare_error.set(plain_error("prepare the comparison", err))
            return
        mismatch = comparison.size_mismatch(a.scenario, b.scenario)
        self._compare_meta = dict(
            key=self.comparison_key(), mine=mine.describe(), other=other.describe(),
            titles={"scenario": "Your setup", "baseline": self.other_title()[:60]},
            against=self.other_title(), seeds=sorted({j.seed for j in jobs}), months=months, mismatch=mismatch,
            posterior=self.posterior if draws else None,
            levers_mine=levers.lever_values(a.scenario), levers_other=levers.lever_values(b.scenario),
            scenario_mine=a.scenario, scenario_other=b.scenario)
        self.session.comparison_run = comparison.Run(jobs)
        self.compare_progress.set((0, len(jobs)))
        self.compare_request.set(self.compare_request.value + 1)

    def stop_comparison(self) -> None:
        if self.session.comparison_run is not None:
            self.session.comparison_run.cancel()

    def comparison_task(self) -> None:
        run = self.session.comparison_run
        if self.compare_request.value == 0 or run is None:
            return
        meta = dict(self._compare_meta)
        try:
            started = time.monotonic()
            run.start()
            monthly = run.wait(on_progress=lambda done, total: self.compare_progress.set((done, total)))
            diffs = comparison.differences(monthly, against=meta["against"], verdicts=not meta["mismatch"])
            meta["seconds"] = round(time.monotonic() - started, 1)
            self.compare_progress.set((0, 0))
            self.compare_result.set(dict(meta, differences=diffs, monthly=monthly))
        except RuntimeError as err:
            self.compare_error.set(str(err))
        except Exception as err:  # noqa: BLE001
            self.compare_error.set(plain_error("finish the comparison", err))
        finally:
            if self.session.comparison_run is run:
                self.session.comparison_run = None
            self.compare_progress.set((0, 0))

    def comparison_png(self) -> bytes:
        result = self.compare_result.value
        names = [n for n in texts.HEADLINES + ("rel_frontline_mean",) if n in result["monthly"]]
        fig = figures.comparison_bands(result["monthly"], names, "Your setup", result["titles"]["baseline"])
        return network.figure_png(fig)

    def close(self) -> None:
        """The tab closed: stop its runs."""
        if self.session.comparison_run is not None:
            self.session.comparison_run.cancel()
        try:
            self.playing.value = False
        except Exception:  # noqa: BLE001 - the session may already be gone
            pass
