"""A Plotly figure on the page: drawn by plotly.js in the browser, fitted to its card, clicks back to Python.

Solara's ``FigurePlotly`` uses Plotly's ``FigureWidget``, which sends the whole
plotly.js bundle (5 MB) over the page's connection for every figure; a page of
a dozen charts would move 60 MB and stall. ``PlotlyView`` is a small
``anywidget`` instead: its few lines of JavaScript (``plotly_view.js``) fetch
plotly.js once per page from the dashboard's own server, which serves it from
the installed ``plotly`` package, so the page still works offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import anywidget
import solara
import traitlets

HERE = Path(__file__).resolve().parent.parent
PLOTLY_URL = "/static/assets/plotly.min.js"
CONFIG = {"responsive": True, "displaylogo": False, "scrollZoom": False,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"]}


def plotly_js_folder() -> str:
    """The installed plotly package's folder holding plotly.min.js."""
    import plotly  # noqa: PLC0415

    return str(Path(plotly.__file__).parent / "package_data")


def publish_plotly_js() -> None:
    """Let Solara serve the installed plotly.min.js at /static/assets/ (no copy, no network)."""
    import solara.server.settings  # noqa: PLC0415

    locations = solara.server.settings.assets.extra_locations
    if plotly_js_folder() not in locations:
        locations.append(plotly_js_folder())


class PlotlyView(anywidget.AnyWidget):
    """One figure: its JSON spec, the plotly.js config, and where plotly.js is served."""

    _esm = (HERE / "plotly_view.js").read_text(encoding="utf-8")
    figure = traitlets.Dict().tag(sync=True)
    config = traitlets.Dict().tag(sync=True)
    plotly_url = traitlets.Unicode(PLOTLY_URL).tag(sync=True)


def figure_json(fig) -> dict:
    """A figure as plain JSON data: specs from ``dashboards.figures`` already are; a Plotly figure is converted."""
    if isinstance(fig, dict):
        return fig
    import plotly.io  # noqa: PLC0415

    return json.loads(plotly.io.to_json(fig, validate=False))


@solara.component
def Plot(fig, on_click: Callable[[dict], Any] | None = None, dependencies=None):
    """A figure; ``on_click`` gets ``{"trace": i, "point": j}`` for a click on a point."""
    spec = solara.use_memo(lambda: figure_json(fig), dependencies or [fig])
    element = PlotlyView.element(figure=spec, config=CONFIG)

    def listen():
        widget = solara.get_widget(element)

        def handle(_widget, content, _buffers):
            if on_click is not None and content.get("event") == "click":
                on_click(content)

        widget.on_msg(handle)
        return lambda: widget.on_msg(handle, remove=True)

    solara.use_effect(listen, [on_click])
    return element
