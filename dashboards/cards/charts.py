"""The current run month by month: one chart per metric, with its unit and one-line meaning."""

from __future__ import annotations

from html import escape

import solara

from .. import figures, texts
from ..controller import Controller
from ..session import plain_error
from .plot import Plot


@solara.component
def MetricChart(ctl: Controller, name: str):
    tick = ctl.view_tick.value

    def make():
        try:
            return figures.metric_figure(ctl.session.monthly(), name, horizon=ctl.session.horizon), ""
        except Exception as err:  # noqa: BLE001
            return None, plain_error("draw the charts", err)

    fig, problem = solara.use_memo(make, [tick, name])
    with solara.Column(classes=["chart-cell", f"chart-{name}"], gap="0px"):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<span class='chart-title'>{escape(texts.label(name))}</span>"
            f"<span class='chart-unit'> ({escape(texts.unit_text(name))})</span>"
            f"<span class='chart-meaning'>{escape(texts.help_text(name))}</span>"))
        if problem:
            solara.Warning(problem)
        elif fig is not None:
            Plot(fig, dependencies=[tick, name])


@solara.component
def Charts(ctl: Controller):
    ctl.view_tick.value  # noqa: B018
    monthly_cols = set(ctl.session.monthly().columns) if ctl.session.model is not None else set()
    names = [n for n in texts.TIME_SERIES if n in monthly_cols]
    with solara.Card(classes=["charts-card"], margin=0):
        solara.HTML(tag="h2", classes=["card-title"], unsafe_innerHTML="Key figures month by month")
        solara.Text("This run only (one chance draw); use Compare for conclusions. Hover a line for the month's value.",
                    classes=["lever-help"])
        with solara.Div(classes=["chart-grid"]):
            for name in names:
                MetricChart(ctl, name)
