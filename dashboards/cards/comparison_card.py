"""Like-for-like comparison: your setup against the file, another scenario or a saved setup.

Both setups side by side (levers, headline figures with 95% intervals, band
charts); a warning, and no "better" or "worse", when the two differ in size;
"nothing to compare" when they are the same; an old result marked out of date.
"""

from __future__ import annotations

from html import escape

import solara

from .. import comparison, figures, levers, texts
from ..controller import COMPARE_SEEDS, Controller
from ..setup import OWN_FILE, SAVED_PREFIX, SCENARIO_PREFIX
from .plot import Plot


def against_options(ctl: Controller) -> dict[str, str]:
    """Label in the picker -> what the other arm is."""
    name = ctl.scenario_name.value
    options = {f"{ctl.catalogue[name].run.title}, as its file sets it": OWN_FILE}
    for file_name, sc in ctl.catalogue.items():
        if file_name != name:
            options[f"Another scenario: {sc.run.title}"] = SCENARIO_PREFIX + file_name
    for i, saved in enumerate(ctl.saved.value):
        options[f"Saved setup {i + 1}: {saved.describe()}"[:150]] = f"{SAVED_PREFIX}{i}"
    return options


def lever_table(mine: dict, other: dict, scenario, other_title: str) -> str:
    """Both setups' levers side by side; rows that differ are marked."""
    rows = []
    for lever in levers.LEVERS + levers.commissioner_levers(scenario):
        a, b = mine.get(lever.key), other.get(lever.key)
        if a is None and b is None:
            continue
        differs = a != b
        rows.append(f"<tr class='{'differs' if differs else ''}'><td>{escape(lever.label)}"
                    f"{' (' + escape(lever.group.split(': ', 1)[1]) + ')' if lever.group.startswith('Commissioner') else ''}"
                    f"</td><td>{escape(lever.describe(a)) if a is not None else '-'}</td>"
                    f"<td>{escape(lever.describe(b)) if b is not None else '-'}</td></tr>")
    return (f"<table class='compare levers-side'><tr><th>Lever</th><th>Your setup</th><th>{escape(other_title)}</th>"
            f"</tr>{''.join(rows)}</table>")


def both_setups(ctl: Controller):
    """Your setup and the other, built (``None`` for a setup that cannot be used)."""
    mine, other = ctl.setup, ctl.other_setup()
    if mine is None or other is None:
        return None, None
    return mine.build(), other.build()


@solara.component
def ComparisonSetup(ctl: Controller, a, b):
    """Choose the other arm; see both setups side by side before running."""
    options = against_options(ctl)
    by_value = {v: k for k, v in options.items()}
    current = by_value.get(ctl.against.value, next(iter(options)))
    solara.Select(label="Compare your setup with", values=list(options), value=current,
                  on_value=lambda label: ctl.against.set(options[label]), classes=["compare-against"])
    if a is None or b is None:
        return
    if a.scenario is None or b.scenario is None:
        solara.Warning(a.problem or b.problem, classes=["compare-problem"])
        return
    mismatch = comparison.size_mismatch(a.scenario, b.scenario)
    with solara.Details("Both setups side by side", expand=False):
        solara.HTML(tag="div", unsafe_innerHTML=lever_table(levers.lever_values(a.scenario),
                                                            levers.lever_values(b.scenario), a.scenario,
                                                            ctl.other_title()))
    if mismatch:
        solara.Warning("Not like for like: the two differ in size (" + "; ".join(mismatch) + "), not only in "
                       "policy. Differences below are partly an effect of size, so none is called better or worse. "
                       "To see a policy's effect, compare setups of the same region.", classes=["size-mismatch"])


@solara.component
def ComparisonResult(ctl: Controller, result: dict):
    diffs: list[comparison.Difference] = result["differences"]
    stale = result["key"] != ctl.comparison_key()
    if stale:
        solara.Warning("Out of date: the levers or the comparison have changed since this result was computed. "
                       "Run the comparison again to update it.", classes=["comparison-stale"])
    with solara.Div(classes=["comparison-result"] + (["is-stale"] if stale else [])):
        solara.HTML(tag="p", classes=["comparison-title"], unsafe_innerHTML=(
            f"<b>Your setup</b> ({escape(result['mine'])}) against <b>{escape(result['other'])}</b>: "
            f"{len(result['seeds'])} runs each with the same chance draws"
            f"{' and the same plausible assumptions (one posterior draw a run)' if result.get('posterior') else ''}, "
            f"{result['months']} months, computed in {result['seconds']} s."))
        if result["mismatch"]:
            solara.HTML(tag="p", classes=["mismatch-note"], unsafe_innerHTML=(
                "<b>Sizes differ</b> (" + escape("; ".join(result["mismatch"])) + "): no difference below is called "
                "better or worse."))
        by_name = {d.metric: d for d in diffs}
        heads = [by_name[n] for n in texts.HEADLINES if n in by_name]
        rows = "".join(
            f"<tr><td>{escape(texts.label(d.metric))}</td><td>{texts.format_value(d.metric, d.baseline)}</td>"
            f"<td>{texts.format_value(d.metric, d.scenario)}</td><td>{texts.format_difference(d.metric, d.difference)}</td>"
            f"<td>{texts.format_difference(d.metric, d.ci_low)} to {texts.format_difference(d.metric, d.ci_high)}</td></tr>"
            for d in heads)
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<table class='compare headline-compare'><tr><th>At the end of the run</th>"
            f"<th>{escape(result['titles']['baseline'])}</th><th>Your setup</th><th>Difference</th>"
            f"<th>95% confidence interval</th></tr>{rows}</table>"))
        with solara.Column(classes=["comparison-readings"], gap="0px"):
            for d in heads:
                solara.Text(d.reading, classes=["reading"])
        with solara.Div(classes=["chart-grid", "band-grid"]):
            for name in [d.metric for d in heads] + [n for n in ("rel_frontline_mean", "partners_delivering_mean")
                                                     if n in by_name]:
                with solara.Column(classes=["chart-cell", f"band-{name}"], gap="0px"):
                    solara.HTML(tag="div", unsafe_innerHTML=(
                        f"<span class='chart-title'>{escape(texts.label(name))}</span>"
                        f"<span class='chart-unit'> ({escape(texts.unit_text(name))})</span>"
                        f"<span class='chart-meaning'>Line: mean of the runs; band: 95% confidence interval. "
                        f"{escape(texts.meaning(name))}.</span>"))
                    Plot(figures.bands_figure(result["monthly"], name, result["titles"]),
                         dependencies=[result["key"], result["seconds"], name])
        with solara.Details("Every metric", expand=False):
            for d in diffs:
                if d.metric not in texts.HEADLINES:
                    solara.Text(d.reading, classes=["reading"])


@solara.component
def ComparisonCard(ctl: Controller):
    ctl.values.value, ctl.scenario_name.value, ctl.against.value, ctl.saved.value  # noqa: B018
    with solara.Card(classes=["comparison-card"], margin=0):
        solara.HTML(tag="h2", classes=["card-title"], unsafe_innerHTML="Compare")
        solara.Text(f"Chance plays a part in the model, so one run proves little. A comparison runs both setups "
                    f"{COMPARE_SEEDS} times with the same chance draws, in the background, and shows how the end of "
                    "the run differs and how sure that is.", classes=["lever-help"])
        a, b = both_setups(ctl)
        ComparisonSetup(ctl, a, b)
        ctl.use_posterior.value  # noqa: B018
        if ctl.posterior:
            solara.Switch(label="Across plausible assumptions (each run under its own draw from the calibration)",
                          value=ctl.use_posterior, classes=["use-posterior"])
            solara.Text("Adds the uncertainty about the model's assumed numbers to the chance in each run; both "
                        "setups share each draw, so the comparison stays like for like.", classes=["lever-help"])
        usable = a is not None and b is not None and a.scenario is not None and b.scenario is not None
        done, total = ctl.compare_progress.value
        busy = total > 0
        same = usable and comparison.same_setup(a.scenario, b.scenario)
        if same:
            solara.Info("Nothing to compare: your setup and the one chosen are the same. Move a lever, or choose "
                        "another scenario or a saved setup.", classes=["nothing-to-compare"])
        with solara.Row(style="align-items: center; flex-wrap: wrap;"):
            solara.Button("Run comparison", on_click=ctl.start_comparison, color="primary",
                          disabled=busy or same or not usable, classes=["btn-compare"])
            if busy:
                solara.Button("Stop", on_click=ctl.stop_comparison, outlined=True, classes=["btn-stop-compare"])
                solara.Text(f"{done} of {total} runs done", classes=["compare-progress"])
        if busy:
            solara.ProgressLinear(100 * done / max(total, 1))
        if ctl.compare_error.value:
            solara.Warning(ctl.compare_error.value, classes=["compare-problem"])
        if ctl.compare_result.value is not None:
            ComparisonResult(ctl, ctl.compare_result.value)
