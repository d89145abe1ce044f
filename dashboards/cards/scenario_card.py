"""Pick a scenario; "what this scenario is": its description, the report passage it encodes, its settings."""

from __future__ import annotations

from html import escape

import solara

from .. import levers
from ..controller import Controller
from ..session import scenario_passage


def readable_titles(catalogue: dict) -> dict[str, str]:
    """Title shown in the picker -> file name (file name added when two titles clash)."""
    counts: dict[str, int] = {}
    for sc in catalogue.values():
        counts[sc.run.title] = counts.get(sc.run.title, 0) + 1
    return {(sc.run.title if counts[sc.run.title] == 1 else f"{sc.run.title} ({name})"): name
            for name, sc in catalogue.items()}


def count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


@solara.component
def ScenarioCard(ctl: Controller):
    by_title = solara.use_memo(lambda: readable_titles(ctl.catalogue), [])
    name = ctl.scenario_name.value
    scenario = ctl.catalogue[name]
    current = next((t for t, n in by_title.items() if n == name), "")
    with solara.Card(classes=["scenario-card"], margin=0):
        solara.HTML(tag="h2", classes=["card-title"], unsafe_innerHTML="Scenario")
        solara.Select(label="Start from", values=list(by_title), value=current,
                      on_value=lambda t: ctl.choose_scenario(by_title.get(t)), classes=["scenario-select"])
        passage = scenario_passage(name)
        settings = levers.file_settings(scenario)
        rows = "".join(f"<li><code>{escape(k)}</code> = {escape(str(v))}</li>" for k, v in settings)
        funders = "".join(
            f"<li><b>{escape(c.name)}</b>: {escape(dict(levers.FUNDER_KINDS).get(c.kind, c.kind))}, "
            f"{'grants' if c.grant else 'contracts'}, {c.contract_months or scenario.commissioning.contract_months} months"
            f"{', ' + str(c.lots) + ' lot(s)' if c.lots else ''}"
            f"{', a lot of about ' + str(c.lot_places) + ' places' if c.lot_places and not c.lots else ''}</li>"
            for c in scenario.commissioners)
        solara.HTML(tag="div", classes=["scenario-about"], unsafe_innerHTML=(
            "<h3>What this scenario is</h3>"
            f"<p class='scenario-description'>{escape(scenario.run.description or 'This scenario has no description.')}</p>"
            + (f"<blockquote class='scenario-passage'>{escape(passage)}</blockquote>" if passage else "")
            + f"<p class='lever-help'>{count(scenario.sector.charities, 'charity', 'charities')}, "
              f"{count(scenario.sector.localities, 'place', 'places')} "
              f"({count(scenario.sector.prisons, 'prison', 'prisons')}), "
              f"{count(scenario.demand.clients, 'client', 'clients')}, {scenario.run.months} months.</p>"
            + f"<details><summary>Commissioners ({len(scenario.commissioners)})</summary><ul>{funders}</ul></details>"
            + f"<details><summary>Everything this file sets ({len(settings)})</summary><ul class='file-settings'>{rows}"
              "</ul></details>"))
