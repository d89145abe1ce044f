"""The levers: every one the scenario file sets, each with a typed entry beside its slider and a help text."""

from __future__ import annotations

from typing import Any

import solara

from .. import levers
from ..controller import Controller


@solara.component
def TypedEntry(lever: levers.Lever, value: Any, on_change):
    """A box to type the value in the lever's own units; a wrong value is explained, not applied."""
    problem = solara.use_reactive("")
    shown = lever.to_control(value) if value is not None else ""
    text = f"{shown:g}" if isinstance(shown, (int, float)) and not isinstance(shown, bool) else str(shown)

    def apply(typed: str) -> None:
        parsed, why = lever.parse_typed(typed)
        problem.set(why)
        if not why:
            on_change(lever.key, parsed)

    solara.InputText(label=lever.unit or "value", value=text, on_value=apply, continuous_update=False,
                     classes=["typed-entry"], style="max-width: 92px; min-width: 80px;")
    if problem.value:
        solara.Text(problem.value, classes=["typed-problem"])


@solara.component
def LeverControl(lever: levers.Lever, value: Any, on_change):
    with solara.Column(gap="0px", classes=[f"lever-{lever.key.split('.')[-1]}", f"lever--{lever.slug}", "lever"]):
        if lever.control in ("slider", "number"):
            solara.Text(f"{lever.label}: {lever.describe(value)}", classes=["lever-label"])
            with solara.Row(style="align-items: center; gap: 8px;", classes=["lever-row"]):
                if lever.control == "slider":
                    shown = lever.to_control(value)
                    lo, hi = lever.bounds_for(shown)
                    with solara.Div(style="flex: 1 1 auto; min-width: 120px;"):
                        solara.SliderInt(label="", value=int(shown), min=int(lo), max=int(hi), step=int(lever.step),
                                         thumb_label=False, on_value=lambda v: on_change(lever.key, lever.from_control(v)))
                TypedEntry(lever, value, on_change)
        elif lever.control == "switch":
            solara.Switch(label=lever.label, value=lever.to_control(value),
                          on_value=lambda v: on_change(lever.key, lever.from_control(v)))
        else:
            labels = dict(lever.choices)
            by_label = {l: v for v, l in lever.choices}
            solara.Select(label=lever.label, value=labels.get(value, lever.choices[0][1]), values=list(by_label),
                          on_value=lambda l: on_change(lever.key, by_label[l]), dense=True)
        solara.Text(lever.help, classes=["lever-help"])


@solara.component
def LeversCard(ctl: Controller):
    name = ctl.scenario_name.value
    scenario = ctl.catalogue[name]
    values = ctl.values.value
    changed = levers.changed_levers(scenario, values)
    with solara.Card(classes=["levers-card"], margin=0):
        solara.HTML(tag="h2", classes=["card-title"], unsafe_innerHTML="Your levers")
        solara.Text("Each lever starts where the scenario file sets it. Any change restarts the run at month 0 "
                    "and is kept in the page address.", classes=["lever-help"])
        for group, members in levers.groups(levers.all_levers(scenario)):
            open_ = group in (levers.CONTRACTS, levers.PRACTICE) or any(m.key in changed for m in members)
            with solara.Details(f"{group}{' (changed)' if any(m.key in changed for m in members) else ''}",
                                expand=open_):
                with solara.Column(gap="0px", classes=["lever-group"]):
                    for lever in members:
                        LeverControl(lever, values.get(lever.key), ctl.set_lever)
        with solara.Row(style="flex-wrap: wrap;"):
            solara.Button("Restore the file's settings", on_click=ctl.restore, text=True, classes=["restore-levers"],
                          disabled=not changed)
            solara.Button("Save this setup to compare", on_click=ctl.save_setup, text=True, classes=["btn-save-setup"])
        if changed:
            solara.Text(f"{len(changed)} lever(s) moved from the file's settings.", classes=["lever-help",
                                                                                            "changed-count"])
