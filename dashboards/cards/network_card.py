"""The partnership network: hover a charity for a summary, click it for its card."""

from __future__ import annotations

from html import escape

import solara

from .. import network
from ..controller import Controller
from ..session import plain_error
from .plot import Plot


@solara.component
def CharityCard(ctl: Controller):
    org = ctl.selected.value
    ctl.view_tick.value  # noqa: B018 - the card follows the run
    if org is None:
        solara.Text("Click a charity in the network to see its card.", classes=["lever-help", "charity-hint"])
        return
    try:
        card = ctl.session.charity(org)
    except Exception as err:  # noqa: BLE001
        solara.Warning(plain_error("show that charity", err))
        return
    rows = "".join(f"<tr><th>{escape(h)}</th><td>{escape(t)}</td></tr>" for h, t in network.card_lines(card))
    with solara.Card(classes=["charity-card"], margin=0):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<h3 class='charity-name'>{escape(card['name'])}, month {ctl.session.month}</h3>"
            f"<table class='card-table'>{rows}</table>"))
        solara.Button("Close", text=True, on_click=lambda: ctl.selected.set(None), classes=["btn-close-card"])


@solara.component
def NetworkCard(ctl: Controller):
    tick, layer = ctl.view_tick.value, ctl.layer.value

    def make():
        if ctl.session.model is None:
            return None, {}, ""
        try:
            fig, points = ctl.session.network(layer)
            return fig, points, ""
        except Exception as err:  # noqa: BLE001
            return None, {}, plain_error("draw the network", err)

    fig, points, problem = solara.use_memo(make, [tick, layer])

    def on_click(data):
        org = points.get((int(data.get("trace", -1)), int(data.get("point", -1))))
        if org is not None:
            ctl.selected.set(org)

    with solara.Card(classes=["network-card"], margin=0):
        solara.HTML(tag="h2", classes=["card-title"], unsafe_innerHTML="Partnership network")
        with solara.Row(style="align-items: center; flex-wrap: wrap;"):
            solara.ToggleButtonsSingle(value=layer.capitalize(), values=["Managerial", "Frontline"],
                                       on_value=lambda v: ctl.layer.set(v.lower()), dense=True,
                                       classes=["layer-toggle"])
        solara.Text("Managerial ties join charities' leaders (governance, bids); frontline ties join their staff "
                    "(referrals, joint work). Each dot is a charity (bigger = more income); shaded circles are "
                    "partnerships; black squares are commissioners, with dotted lines to the partnerships holding "
                    "their contracts. Coloured lines mark ties formed, broken or damaged since last month. Click a "
                    "legend entry to hide it; drag to pan, scroll to zoom.", classes=["lever-help"])
        if problem:
            solara.Warning(problem)
        elif fig is not None:
            with solara.Div(classes=["network-view"]):
                Plot(fig, on_click=on_click, dependencies=[tick, layer])
        CharityCard(ctl)
