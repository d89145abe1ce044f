"""Run controls: Reset, Play/Pause, Step, speed and the month reached. Sticky at the top of the page."""

from __future__ import annotations

import solara

from ..controller import Controller
from ..session import PLAY_SPEEDS


@solara.component
def RunControls(ctl: Controller):
    ctl.tick.value  # noqa: B018 - redraw on every month
    s = ctl.session
    running = ctl.playing.value
    with solara.Row(classes=["run-bar"], style="align-items: center; flex-wrap: wrap; gap: 6px;"):
        solara.Button("Reset", on_click=ctl.rebuild, color="primary", outlined=True, classes=["btn-reset"])
        solara.Button("Pause" if running else "Play", on_click=lambda: ctl.playing.set(not ctl.playing.value),
                      color="primary", disabled=s.model is None or (s.finished and not running), classes=["btn-play"])
        solara.Button("Step", on_click=lambda: ctl.step(1), color="primary",
                      disabled=s.model is None or running or s.finished, classes=["btn-step"])
        if s.model is None:
            solara.Text("No run", classes=["month-label"])
        else:
            end = " (end of the run)" if s.finished else ""
            solara.Text(f"Month {s.month} of {s.horizon}{end}", classes=["month-label"])
        solara.Select(label="Play speed", values=list(PLAY_SPEEDS), value=ctl.speed.value, on_value=ctl.speed.set,
                      classes=["speed-select"], style="min-width: 270px; max-width: 300px;", dense=True)
        if s.scenario is not None:
            solara.Text(s.scenario.run.title, classes=["run-title"])
