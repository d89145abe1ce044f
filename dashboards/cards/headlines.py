"""The headline figures of the current month, each with its unit and what it means."""

from __future__ import annotations

from html import escape

import solara

from .. import texts
from ..controller import Controller
from ..session import plain_error


@solara.component
def Headlines(ctl: Controller):
    ctl.tick.value  # noqa: B018
    try:
        current = ctl.session.current()
    except Exception as err:  # noqa: BLE001
        solara.Warning(plain_error("report its figures", err))
        return
    month = ctl.session.month
    with solara.Row(classes=["headlines"], style="flex-wrap: wrap; gap: 8px;"):
        for name in texts.known(texts.HEADLINES):
            value = current.get(name, float("nan"))
            shown = texts.format_value(name, value) if month > 0 else "-"
            tip = texts.help_text(name)
            solara.HTML(tag="div", classes=["headline", f"headline-{name}"], unsafe_innerHTML=(
                f"<span class='title-text'>{escape(texts.label(name))}</span>"
                f"<span class='value' title='{escape(tip)}'>{escape(shown)}</span>"
                f"<span class='unit'>{escape(texts.unit_text(name))}, month {month}</span>"
                f"<span class='caption'>{escape(tip)}</span>"))
    if month == 0:
        solara.Text("Month 0 is the starting point: press Step or Play to see the figures.", classes=["lever-help"])
