"""The commissioners' dashboard (Solara; Plotly for the charts and the network).

Start it with ``partnersim dashboard`` (or ``solara run dashboards/app.py``).

A commissioner picks a scenario, moves the levers they control, plays the
model month by month, follows the partnership network, and compares their
setup like for like with the scenario's own file, another scenario or a
saved setup. The page is a short composition of cards (``dashboards/cards``),
in the manner of Mesa's example ``app.py`` files; what the cards do lives in
plain modules that tests call without a browser (``levers``, ``setup``,
``session``, ``comparison``, ``figures``, ``network``, ``texts``).

Each browser tab builds its own model; errors reach the page as sentences,
never as tracebacks (those go to the server log).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # the dashboards package sits beside sim/, not inside it
    sys.path.insert(0, str(_ROOT))

import solara  # noqa: E402
import solara.lab  # noqa: E402
import solara.server.settings  # noqa: E402

import sim  # noqa: E402
from dashboards import cards, comparison, setup  # noqa: E402
from dashboards.cards.plot import publish_plotly_js  # noqa: E402
from dashboards.controller import Controller  # noqa: E402

log = logging.getLogger("partnersim.dashboard")

solara.server.settings.theme.show_banner = False  # the framework's badge would sit over the charts
publish_plotly_js()  # served from this machine, so the charts need no network

TITLE = "partnersim: commissioning and voluntary-sector partnerships"
CSS = (Path(__file__).parent / "style.css").read_text(encoding="utf-8")


def scenario_catalogue() -> dict[str, sim.Scenario]:
    """Scenario files that load, the baseline first."""
    try:
        return dict(sorted(sim.list_scenarios(), key=lambda item: item[0] != "baseline.toml"))
    except Exception:  # a broken scenarios folder must not break the page
        log.exception("could not list scenarios")
        return {}


@solara.component
def Page():
    solara.Style(CSS)
    solara.Title(TITLE)
    catalogue = solara.use_memo(scenario_catalogue, [])
    if not catalogue:
        solara.Warning("No scenarios were found in the scenarios folder, so there is nothing to show yet.")
    else:
        Dashboard(catalogue)


@solara.component
def Dashboard(catalogue: dict[str, sim.Scenario]):
    """This tab's controller, its background tasks, and the cards."""
    router = solara.use_router()

    def make_controller() -> Controller:
        restored = setup.from_query(router.search, catalogue)
        first = restored.scenario or comparison.baseline_name(list(catalogue))
        ctl = Controller(catalogue, first, restored.values or None, restored.against, restored.problems)
        ctl.welcome.value = not router.search  # a first visit, not a shared or reloaded setup
        return ctl

    ctl = solara.use_memo(make_controller, [])
    solara.use_effect(lambda: ctl.rebuild(), [])  # the first run, once per tab
    solara.use_effect(lambda: ctl.close, [])
    solara.lab.use_task(ctl.play_loop, dependencies=[ctl.playing.value], prefer_threaded=True, raise_error=False)
    solara.lab.use_task(ctl.comparison_task, dependencies=[ctl.compare_request.value], prefer_threaded=True,
                        raise_error=False)
    solara.use_memo(comparison.warm_up, [])
    KeepInAddress(ctl, router)

    solara.HTML(tag="h1", classes=["page-title"], unsafe_innerHTML=TITLE)
    cards.Welcome(ctl)
    cards.RunControls(ctl)
    Problems(ctl)
    with solara.Div(classes=["page-grid"]):
        with solara.Column(classes=["left-column"], gap="12px"):
            cards.ScenarioCard(ctl)
            cards.LeversCard(ctl)
        with solara.Column(classes=["right-column"], gap="12px"):
            cards.Headlines(ctl)
            cards.ComparisonCard(ctl)
            cards.Charts(ctl)
            cards.NetworkCard(ctl)
            cards.ExportCard(ctl)


@solara.component
def KeepInAddress(ctl: Controller, router):
    """Write the setup into the address, so a reload keeps it and a link shares it."""
    name, values, against = ctl.scenario_name.value, ctl.values.value, ctl.against.value

    def write() -> None:
        if not name:
            return
        if against.startswith(setup.SAVED_PREFIX):  # saved setups live in this tab only
            return
        query = setup.to_query(setup.Setup.of(name, values), against)
        if query != (router.search or ""):
            router.push(f"{router.path}?{query}")

    solara.use_effect(write, [name, repr(sorted(values.items(), key=str)), against])


@solara.component
def Problems(ctl: Controller):
    """Settings that cannot be used, odd combinations, and a run that stopped, in words."""
    if ctl.problem.value:
        solara.Warning(ctl.problem.value, classes=["settings-problem"])
    for note in ctl.notices.value:
        solara.Info(note, classes=["settings-notice"], dense=True)
    if ctl.step_error.value:
        solara.Warning(ctl.step_error.value, classes=["step-problem"])
