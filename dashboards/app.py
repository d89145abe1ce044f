"""The commissioners' dashboard (Solara, on Mesa's visualisation conventions).

Start it with ``partnersim dashboard`` (or ``solara run dashboards/app.py``).

A commissioner picks a scenario, moves the levers they control, steps or
plays the model month by month, watches the partnership network and the key
metrics, compares their settings with the baseline over several seeds, and
exports what they see.

Built the way Mesa's ``SolaraViz`` builds a page (views are components of the
model that redraw on Mesa's ``update_counter``; Step/Play/Pause/Reset run the
model in a Solara task), with three differences that commissioners need:

* every browser session builds its own model inside the page, so two
  people never drive one run (``SolaraViz`` shares the model it is given);
* the controls are the commissioner's levers in their own units, each with
  a help text, instead of model constructor arguments;
* errors never reach the page as Python tracebacks: settings the schema
  refuses are explained, and anything unexpected becomes a plain sentence
  (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
from html import escape
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # the dashboards package sits beside sim/, not inside it
    sys.path.insert(0, str(_ROOT))

import solara  # noqa: E402
import solara.lab  # noqa: E402
from mesa.visualization.utils import force_update, update_counter  # noqa: E402

import sim  # noqa: E402
from dashboards import comparison, figures, levers, network, texts  # noqa: E402

log = logging.getLogger("partnersim.dashboard")

#: Seconds per month when playing, by speed. Pacing keeps the browser in step with the model: unpaced,
#: the server runs far ahead of what the page has drawn, and Pause lands many months late.
PLAY_SPEEDS = {"Slow": 1.0, "Normal": 0.35, "Fast": 0.12}

#: Comparison size: 2 x 5 runs of the scenario's horizon take well under a minute on two cores.
COMPARE_SEEDS = comparison.DEFAULT_SEEDS

#: What the comparison's other arm is: the baseline scenario, or the chosen scenario without lever changes.
BASELINE_FILE, OWN_FILE = "The baseline scenario", "This scenario without your changes"

CSS = """
.lever-help { display: block; font-size: 0.78rem; color: #4a5568; line-height: 1.25; margin: 0 0 12px 0; }
.lever .v-input { margin-top: 4px; }
.lever-label { display: block; font-size: 0.95rem; margin-top: 6px; }
.headline { min-width: 150px; flex: 1 1 150px; }
.headline .title-text { display: block; font-weight: 600; }
.headline .value { display: block; font-size: 1.7rem; font-weight: 600; color: #2b6cb0; margin: 4px 0; }
.headline .caption { display: block; font-size: 0.75rem; color: #4a5568; line-height: 1.2; }
.reading { display: block; font-size: 0.9rem; margin: 2px 0; }
.notice-text { font-size: 0.85rem; }
table.compare { border-collapse: collapse; font-size: 0.85rem; }
table.compare td, table.compare th { padding: 2px 10px; border-bottom: 1px solid #e2e8f0; text-align: right; }
table.compare td:first-child, table.compare th:first-child { text-align: left; }
"""


# ----------------------------------------------------------------- helpers

def scenario_catalogue() -> list[tuple[str, sim.Scenario]]:
    """Scenario files that load, the baseline first, listed once per page load."""
    try:
        return sorted(sim.list_scenarios(), key=lambda item: item[0] != "baseline.toml")
    except Exception:  # a broken scenarios folder must not break the page
        log.exception("could not list scenarios")
        return []


def readable_titles(catalogue: list[tuple[str, sim.Scenario]]) -> dict[str, str]:
    """Title shown in the picker -> file name (file name added when two titles clash)."""
    counts: dict[str, int] = {}
    for _, sc in catalogue:
        counts[sc.run.title] = counts.get(sc.run.title, 0) + 1
    return {(sc.run.title if counts[sc.run.title] == 1 else f"{sc.run.title} ({name})"): name
            for name, sc in catalogue}


def plain_error(action: str, err: BaseException) -> str:
    """An unexpected failure as one sentence for the page (details go to the log)."""
    log.error("dashboard: %s failed", action, exc_info=(type(err), err, err.__traceback__))
    if isinstance(err, sim.ScenarioError):
        return levers.plain_problem(err)
    return (f"Sorry, the model could not {action} with these settings. The run has been stopped; "
            "try Reset, or change a setting. (Technical details are in the server log.)")


def guarded(action: str, report):
    """Wrap an event handler so a failure becomes a sentence on the page, never a traceback."""
    def wrap(handler):
        def run(*args, **kwargs):
            try:
                return handler(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                report(plain_error(action, err))
                return None
        return run
    return wrap


@dataclass
class RunState:
    """One browser session's model and everything drawn from it (never shared between sessions)."""

    model: Any = None
    scenario: sim.Scenario | None = None
    layout: network.NetworkLayout | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    comparison_run: comparison.Run | None = None
    comparison_meta: dict = field(default_factory=dict)

    @property
    def month(self) -> int:
        return int(getattr(self.model, "steps", 0)) if self.model is not None else 0

    @property
    def horizon(self) -> int:
        return self.scenario.run.months if self.scenario is not None else 0

    @property
    def finished(self) -> bool:
        return self.model is not None and self.month >= self.horizon


# -------------------------------------------------------------- components

@solara.component
def LeverControl(lever: levers.Lever, value: Any, on_change):
    """One lever: its control, with the value in words and a help text beneath."""
    slug = lever.key.split(".")[-1]
    with solara.Column(gap="0px", classes=[f"lever-{slug}", "lever"]):
        if lever.control == "slider":
            shown = lever.to_control(value)
            lo, hi = lever.bounds_for(shown)
            solara.SliderInt(label=f"{lever.label}: {lever.describe(value)}", value=int(shown), min=int(lo),
                             max=int(hi), step=int(lever.step), thumb_label=False,
                             on_value=lambda v: on_change(lever.key, lever.from_control(v)))
        elif lever.control == "switch":
            solara.Switch(label=lever.label, value=lever.to_control(value),
                          on_value=lambda v: on_change(lever.key, lever.from_control(v)))
        else:
            labels = dict(lever.choices)
            by_label = {l: v for v, l in lever.choices}
            solara.Text(lever.label, classes=["lever-label"])
            solara.ToggleButtonsSingle(value=labels.get(value, lever.choices[0][1]), values=list(by_label),
                                       on_value=lambda l: on_change(lever.key, by_label[l]), dense=True)
        solara.Text(lever.help, classes=["lever-help"])


@solara.component
def Headlines(state: RunState):
    """The five headline figures of issue 5, for the current month."""
    update_counter.get()
    try:
        with state.lock:  # month 0 has no outcomes yet: show dashes, not zeros
            current = state.model.current_metrics() if state.model is not None and state.month > 0 else {}
    except Exception as err:  # noqa: BLE001
        solara.Warning(plain_error("report its figures", err))
        return
    with solara.Row(classes=["headlines"], style="flex-wrap: wrap;"):
        for metric in texts.HEADLINES:
            with solara.Card(classes=["headline", f"headline-{metric}"], margin=1):
                solara.Text(texts.label(metric), classes=["title-text"])
                solara.Text(texts.format_value(metric, current.get(metric, float("nan"))), classes=["value"])
                solara.Text(texts.meaning(metric), classes=["caption"])


@solara.component
def NetworkView(state: RunState, layer: str):
    """The partnership network of the current month, in one layer."""
    counter = update_counter.get()

    def render() -> tuple[bytes | None, str]:
        if state.model is None:
            return None, ""
        try:
            with state.lock:
                snap = state.model.network_snapshot()
                month = state.month
            nodes, edges = snap["nodes"], snap["edges"]
            pos = state.layout.update(nodes, edges)
            figure = network.draw_network(nodes, edges, pos, layer, month)
            return network.figure_png(figure, network.SCREEN_DPI), ""
        except Exception as err:  # noqa: BLE001
            return None, plain_error("draw the network", err)

    png, problem = solara.use_memo(render, [counter, layer, id(state.model)])
    if problem:
        solara.Warning(problem)
    elif png:
        solara.Image(png, classes=["network-view"], width="100%")


@solara.component
def MetricsView(state: RunState):
    """Key metrics of the current run, month by month (drawn by the browser with ECharts)."""
    counter = update_counter.get()

    def option() -> tuple[dict | None, str]:
        if state.model is None:
            return None, ""
        try:
            with state.lock:
                monthly = state.model.monthly_frame()
            return figures.time_series_option(monthly, horizon=state.horizon), ""
        except Exception as err:  # noqa: BLE001
            return None, plain_error("draw the charts", err)

    chart, problem = solara.use_memo(option, [counter, id(state.model)])
    if problem:
        solara.Warning(problem)
    elif chart:
        solara.FigureEcharts(option=chart, responsive=True, attributes={
            "class": "metrics-view", "data-month": str(state.month), "style": "height: 620px; width: 100%;"})


@solara.component
def ComparisonResult(result: dict):
    """The comparison's table, a sentence per metric, and its band chart."""
    diffs: list[comparison.Difference] = result["differences"]
    # plain HTML, not Markdown: Solara's Markdown loads KaTeX from a CDN, which is not available offline
    solara.HTML(tag="p", classes=["comparison-title"], unsafe_innerHTML=(
        f"<b>{escape(result['scenario_title'])}</b> against <b>{escape(result['baseline_title'])}</b>, "
        f"{result['seeds']} seeds each, {result['months']} months; {escape(result['settings'])}"))
    with solara.Column(classes=["comparison-readings"], gap="0px"):
        for d in diffs[:5]:
            solara.Text(d.reading, classes=["reading"])
    rows = "".join(
        f"<tr><td>{escape(texts.label(d.metric))}</td><td>{texts.format_value(d.metric, d.baseline)}</td>"
        f"<td>{texts.format_value(d.metric, d.scenario)}</td><td>{texts.format_difference(d.metric, d.difference)}</td>"
        f"<td>{texts.format_difference(d.metric, d.ci_low)} to {texts.format_difference(d.metric, d.ci_high)}</td></tr>"
        for d in diffs)
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<table class='compare'><tr><th>At the end of the run</th><th>{escape(result['column'])}</th><th>Your settings</th>"
        f"<th>Difference</th><th>95% confidence interval</th></tr>{rows}</table>"))
    with solara.Details("More readings", expand=False):
        for d in diffs[5:]:
            solara.Text(d.reading, classes=["reading"])
    solara.Image(result["png"], classes=["comparison-view"], width="100%")


@solara.component
def Page():
    solara.Style(CSS)
    catalogue = solara.use_memo(scenario_catalogue, [])
    by_title = solara.use_memo(lambda: readable_titles(catalogue), [])
    scenarios = dict(catalogue)
    titles = list(by_title)
    baseline_file = comparison.baseline_name(list(scenarios))
    first = baseline_file if baseline_file else (catalogue[0][0] if catalogue else None)

    state = solara.use_memo(RunState, [])  # this session's own model
    scenario_name = solara.use_reactive(first)
    lever_state = solara.use_reactive(levers.lever_values(scenarios[first]) if first else {})
    problem = solara.use_reactive("")  # settings that cannot be used, in words
    notices = solara.use_reactive([])
    playing = solara.use_reactive(False)
    speed = solara.use_reactive("Normal")
    layer = solara.use_reactive("managerial")
    step_error = solara.use_reactive("")
    compare_months = solara.use_reactive(0)  # 0 = the scenario's whole horizon
    compare_request = solara.use_reactive(0)
    compare_progress = solara.use_reactive((0, 0))
    compare_result = solara.use_reactive(None)
    compare_error = solara.use_reactive("")
    compare_against = solara.use_reactive(BASELINE_FILE)
    model_generation = solara.use_reactive(0)

    model_generation.value  # noqa: B018 - re-render the page whenever a new run is built

    # ---- building and running the model

    @guarded('start', problem.set)
    def rebuild(name: str | None = None, values: dict | None = None) -> None:
        """A fresh run at month 0 with the current scenario and levers."""
        log.info("dashboard: new run of %s", name or scenario_name.value)
        name = name or scenario_name.value
        values = lever_state.value if values is None else values
        playing.set(False)
        step_error.set("")
        built = levers.build(name, values)
        notices.set(built.notices)
        if built.scenario is None:
            problem.set(built.problem)
            with state.lock:
                state.model, state.scenario = None, None
        else:
            problem.set("")
            try:
                model = sim.PartnershipModel(built.scenario, seed=built.scenario.run.seed)
            except Exception as err:  # noqa: BLE001
                problem.set(plain_error("start", err))
                model = None
            with state.lock:
                state.model, state.scenario = model, (built.scenario if model is not None else None)
                state.layout = network.NetworkLayout(seed=built.scenario.run.seed)
        model_generation.set(model_generation.value + 1)
        force_update()

    solara.use_effect(lambda: rebuild(first, lever_state.value) if first else None, [])  # the first run, once per session

    def step_once(model: Any = None) -> bool:
        """Advance one month; False (with a plain message) when the run cannot go on.

        ``model``: the run the caller means; a run replaced meanwhile (Reset, a new lever) is not stepped.
        """
        try:
            with state.lock:
                if state.model is None or state.finished or (model is not None and state.model is not model):
                    return False
                state.model.step()
        except Exception as err:  # noqa: BLE001
            step_error.set(plain_error("advance to the next month", err))
            return False
        force_update()
        return True

    def play_loop() -> None:
        model = state.model
        try:
            while playing.value:
                started = time.monotonic()
                if not step_once(model):
                    break
                time.sleep(max(0.02, PLAY_SPEEDS.get(speed.value, 0.35) - (time.monotonic() - started)))
        finally:
            if playing.value:
                playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True, raise_error=False)

    # ---- reacting to the commissioner

    @guarded('load that scenario', problem.set)
    def choose_scenario(title: str) -> None:
        name = by_title.get(title)
        if not name or name == scenario_name.value:
            return
        scenario_name.set(name)
        values = levers.lever_values(scenarios[name])
        lever_state.set(values)
        rebuild(name, values)

    @guarded('apply that setting', problem.set)
    def change_lever(key: str, value: Any) -> None:
        if lever_state.value.get(key) == value:  # a control echoing its own value is not a change
            return
        values = {**lever_state.value, key: value}
        lever_state.set(values)
        rebuild(values=values)

    @guarded("restore the scenario's settings", problem.set)
    def restore_levers() -> None:
        values = levers.lever_values(scenarios[scenario_name.value])
        lever_state.set(values)
        rebuild(values=values)

    # ---- comparison in the background

    @guarded('start the comparison', compare_error.set)
    def start_comparison() -> None:
        compare_error.set("")
        built = levers.build(scenario_name.value, lever_state.value)
        if built.scenario is None or baseline_file is None:
            compare_error.set(built.problem or "There is no baseline scenario to compare with.")
            return
        if state.comparison_run is not None:
            state.comparison_run.cancel()
        try:
            if compare_against.value == OWN_FILE:  # the same scenario, as its file sets it
                base = sim.load_scenario(scenario_name.value)
                base_title = f"{base.run.title} (as in its file)"
                against, column = "without your changes", "Without your changes"
            else:
                base = sim.load_scenario(baseline_file)
                base_title, against, column = base.run.title, "the baseline", "Baseline"
            months = min(compare_months.value or built.scenario.run.months, built.scenario.run.months)
            jobs = comparison.plan(base, built.scenario, COMPARE_SEEDS, months=months)
        except Exception as err:  # noqa: BLE001
            compare_error.set(plain_error("prepare the comparison", err))
            return
        changed = levers.changed_levers(scenarios[scenario_name.value], lever_state.value)
        settings = ("levers as in the scenario file." if not changed else "levers changed: " + "; ".join(
            f"{levers.LEVERS_BY_KEY[k].label} {levers.LEVERS_BY_KEY[k].describe(v)}" for k, v in changed.items()) + ".")
        state.comparison_run = comparison.Run(jobs)
        state.comparison_meta = dict(baseline_title=base_title, against=against, column=column,
                                     scenario_title=built.scenario.run.title,
                                     seeds=COMPARE_SEEDS, months=months, settings=settings)
        compare_progress.set((0, len(jobs)))
        compare_request.set(compare_request.value + 1)

    def stop_comparison() -> None:
        if state.comparison_run is not None:
            state.comparison_run.cancel()

    def comparison_task() -> None:
        run = state.comparison_run
        if compare_request.value == 0 or run is None:
            return
        try:
            run.start()
            monthly = run.wait(on_progress=lambda done, total: compare_progress.set((done, total)))
            diffs = comparison.differences(monthly, against=state.comparison_meta["against"])
            meta = state.comparison_meta
            png = network.figure_png(figures.comparison_bands(monthly, texts.HEADLINES + ("rel_frontline_mean",),
                                                              meta["scenario_title"], meta["baseline_title"]))
            compare_progress.set((0, 0))
            compare_result.set(dict(meta, differences=diffs, monthly=monthly, png=png))
        except RuntimeError as err:
            compare_error.set(str(err))
        except Exception as err:  # noqa: BLE001
            compare_error.set(plain_error("finish the comparison", err))
        finally:
            if state.comparison_run is run:
                state.comparison_run = None
            compare_progress.set((0, 0))

    solara.lab.use_task(comparison_task, dependencies=[compare_request.value], prefer_threaded=True,
                        raise_error=False)
    solara.use_memo(comparison.warm_up, [])

    def on_close():
        def cleanup() -> None:  # the browser tab closed: stop this session's runs
            if state.comparison_run is not None:
                state.comparison_run.cancel()
            try:
                playing.value = False
            except Exception:  # noqa: BLE001 - the session may already be gone
                pass
        return cleanup

    solara.use_effect(on_close, [])

    # ---- the page

    with solara.AppBar():
        solara.AppBarTitle("partnersim: commissioning and voluntary-sector partnerships")
    if not catalogue:
        solara.Warning("No scenarios were found in the scenarios folder, so there is nothing to show yet.")
        return

    current_title = next((t for t, n in by_title.items() if n == scenario_name.value), titles[0])
    with solara.Sidebar():
        with solara.Card("Scenario", margin=0):
            solara.Select(label="Scenario", values=titles, value=current_title, on_value=choose_scenario,
                          classes=["scenario-select"])
            solara.Text(scenarios[scenario_name.value].run.description or "(This scenario has no description.)",
                        classes=["lever-help", "scenario-description"])
            solara.Text("Pick a situation to start from. Changing the scenario or any lever below restarts the "
                        "run from month 0.", classes=["lever-help"])
        with solara.Card("Your levers", margin=0):
            for lever in levers.LEVERS:
                LeverControl(lever, lever_state.value.get(lever.key), change_lever)
            solara.Button("Restore the scenario's own settings", on_click=restore_levers, text=True,
                          classes=["restore-levers"])
            solara.Text("Puts every lever back to the value the chosen scenario sets.", classes=["lever-help"])

    with solara.Column(style="padding: 4px 12px;"):
        if problem.value:
            solara.Warning(problem.value, classes=["settings-problem"])
        for note in notices.value:
            solara.Info(note, classes=["settings-notice"], dense=True)

        RunControls(state, playing, speed, rebuild, step_once)
        if step_error.value:
            solara.Warning(step_error.value, classes=["step-problem"])

        Headlines(state)

        with solara.Columns([5, 6]):
            with solara.Card("Partnership network", margin=0):
                solara.ToggleButtonsSingle(value=layer.value.capitalize(), values=["Managerial", "Frontline"],
                                           on_value=lambda v: layer.set(v.lower()), dense=True,
                                           classes=["layer-toggle"])
                solara.Text("Managerial ties join charities' leaders (governance, bids); frontline ties join their "
                            "staff (referrals, joint work). Each dot is a charity, coloured by its partnership.",
                            classes=["lever-help"])
                NetworkView(state, layer.value)
            with solara.Card("Key figures month by month", margin=0):
                MetricsView(state)

        with solara.Card("Compare with the baseline", margin=0, classes=["comparison-card"]):
            solara.Text(f"Chance plays a part in the model, so one run proves little. This runs the comparison and "
                        f"your current settings {COMPARE_SEEDS} times each (the same {COMPARE_SEEDS} chance draws for "
                        "both), in the background, and shows how the end of the run differs and how sure that is. "
                        "Shorter runs finish sooner.", classes=["lever-help"])
            done, total = compare_progress.value
            busy = total > 0
            horizon = max(state.horizon, 1)
            chosen = min(compare_months.value or horizon, horizon)
            with solara.Column(gap="0px", classes=["compare-months"]):
                solara.SliderInt(label=f"Months to compare: {chosen}", value=chosen, min=min(12, horizon), max=horizon,
                                 step=1, thumb_label=False, disabled=busy,
                                 on_value=lambda v: compare_months.set(0 if v >= horizon else v))
            with solara.Row(style="align-items: center; flex-wrap: wrap;"):
                solara.Text("Compare against:")
                solara.ToggleButtonsSingle(value=compare_against.value, values=[BASELINE_FILE, OWN_FILE],
                                           on_value=compare_against.set, dense=True, classes=["compare-against"])
            solara.Text("The baseline scenario is today's commissioning in a typical region; 'without your changes' "
                        "isolates the effect of the levers you moved.", classes=["lever-help"])
            with solara.Row(style="align-items: center;"):
                solara.Button("Run comparison", on_click=start_comparison, color="primary", disabled=busy,
                              classes=["btn-compare"])
                if busy:
                    solara.Button("Stop", on_click=stop_comparison, outlined=True, classes=["btn-stop-compare"])
                    solara.Text(f"{done} of {total} runs done", classes=["compare-progress"])
            if busy:
                solara.ProgressLinear(100 * done / max(total, 1))
            if compare_error.value:
                solara.Warning(compare_error.value, classes=["compare-problem"])
            if compare_result.value is not None:
                ComparisonResult(compare_result.value)

        with solara.Card("Export", margin=0, classes=["export-card"]):
            solara.Text("Download what you see: the current run's monthly figures as a spreadsheet (CSV), and the "
                        "pictures (PNG).", classes=["lever-help"])
            ExportButtons(state, layer.value, compare_result.value)


@solara.component
def RunControls(state: RunState, playing: solara.Reactive[bool], speed: solara.Reactive[str], reset, step):
    """Reset, Play/Pause and Step, as in Mesa's ModelController, and the month reached."""
    update_counter.get()
    running = playing.value
    with solara.Row(style="align-items: center; flex-wrap: wrap;"):
        solara.Button("Reset", on_click=lambda: reset(), color="primary", outlined=True, classes=["btn-reset"])
        solara.Button("Pause" if running else "Play", on_click=lambda: playing.set(not playing.value),
                      color="primary", disabled=state.model is None or (state.finished and not running),
                      classes=["btn-play"])
        solara.Button("Step", on_click=lambda: step(), color="primary",
                      disabled=state.model is None or running or state.finished, classes=["btn-step"])
        if state.model is None:
            solara.Text("No run", classes=["month-label"])
        else:
            end = " (end of the run)" if state.finished else ""
            solara.Text(f"Month {state.month} of {state.horizon}{end}", classes=["month-label"])
        solara.Text("Speed:", style="margin-left: 16px;")
        solara.ToggleButtonsSingle(value=speed.value, values=list(PLAY_SPEEDS), on_value=speed.set, dense=True,
                                   classes=["speed-toggle"])
    solara.Text("Step moves the model on one month; Play keeps going until you press Pause or the run ends, at the "
                "speed you choose; Reset starts again at month 0 with the same settings.", classes=["lever-help"])


@solara.component
def ExportButtons(state: RunState, layer: str, result: dict | None):
    update_counter.get()

    def run_csv() -> bytes:
        with state.lock:
            return state.model.monthly_frame().to_csv(index=False).encode()

    def network_png() -> bytes:
        with state.lock:
            snap = state.model.network_snapshot()
            month = state.month
        pos = state.layout.update(snap["nodes"], snap["edges"])
        return network.figure_png(network.draw_network(snap["nodes"], snap["edges"], pos, layer, month))

    def charts_png() -> bytes:
        with state.lock:
            monthly = state.model.monthly_frame()
        return network.figure_png(figures.time_series(monthly, horizon=state.horizon))

    def safely(make, what: str):
        def data() -> bytes:
            try:
                return make()
            except Exception as err:  # noqa: BLE001
                return plain_error(f"export the {what}", err).encode()
        return data

    run_csv, network_png, charts_png = (safely(run_csv, "run data"), safely(network_png, "network"),
                                        safely(charts_png, "charts"))
    if state.model is None:
        solara.Text("Nothing to export until a run has started.")
        return
    stem = f"partnersim-month{state.month}"
    with solara.Row(style="flex-wrap: wrap;"):
        solara.FileDownload(run_csv, filename=f"{stem}-run.csv", label="Run data (CSV)", mime_type="text/csv")
        solara.FileDownload(network_png, filename=f"{stem}-network-{layer}.png", label="Network (PNG)",
                            mime_type="image/png")
        solara.FileDownload(charts_png, filename=f"{stem}-charts.png", label="Charts (PNG)", mime_type="image/png")
        if result is not None:
            solara.FileDownload(lambda: comparison.differences_frame(result["differences"]).to_csv(index=False).encode(),
                                filename="partnersim-comparison.csv", label="Comparison (CSV)", mime_type="text/csv")
            solara.FileDownload(result["png"], filename="partnersim-comparison.png", label="Comparison chart (PNG)",
                                mime_type="image/png")
