"""Words on the page: metric names, units, meanings and values as a commissioner reads them.

Everything here comes from the metric declarations (``sim.metrics``): a
metric a researcher declares shows up with its own label, unit and meaning,
and a metric with no data this month (an empty denominator, ``nan``) reads
"no data", never a number.
"""

from __future__ import annotations

import math

from sim.metrics import Metric, describe, metrics_of

NO_DATA = "no data"

#: Units shown as percentages (the model holds them as 0-1).
PERCENT_UNITS = frozenset({"share", "rate"})

#: How a unit reads under a chart or a figure.
UNIT_TEXT: dict[str, str] = {
    "count": "number",
    "clients": "clients",
    "share": "% (share)",
    "rate": "% a year",
    "strength": "tie strength, 0 (none) to 1 (strongest)",
    "index": "index, 1 = as at the start",
    "ratio": "ratio",
    "pounds": "£ a month",
    "hours": "hours a month",
}

#: The unit as a chart's axis title (short, so it fits beside the axis).
UNIT_AXIS: dict[str, str] = {
    "count": "number", "clients": "clients", "share": "%", "rate": "% a year", "strength": "tie strength (0-1)",
    "index": "index (start = 1)", "ratio": "ratio", "pounds": "£ a month", "hours": "hours a month",
}

#: How to read a number of this unit, for the help beside it.
UNIT_HELP: dict[str, str] = {
    "strength": "Tie strength runs from 0 (the organisations do not work together) to 1 (the closest working "
                "relationship the model allows); 0.1 means occasional contact, 0.5 regular joint work.",
    "index": "1 means barriers as high as at the start; lower means services have become easier to use.",
    "rate": "The share of clients proven to reoffend within a year.",
}

#: The headline figures, in order.
HEADLINES: tuple[str, ...] = (
    "partnerships_active", "joined_up_share", "reoffending_rate", "charity_closures", "monitoring_time_share",
)

#: Metrics drawn month by month during a run.
TIME_SERIES: tuple[str, ...] = (
    "partnerships_active", "joined_up_share", "reoffending_rate", "charity_closures",
    "monitoring_time_share", "rel_frontline_mean", "rel_managerial_mean", "referral_success_rate",
    "capacity_cover", "clients_waiting",
)


def metric(name: str) -> Metric:
    """The declaration of a metric (a neutral stand-in for a name no model declares)."""
    return describe(name)


def known(names) -> list[str]:
    """The names the default model declares, in the order given."""
    declared = metrics_of()
    return [n for n in names if n in declared]


def label(name: str) -> str:
    return metric(name).label


def meaning(name: str) -> str:
    """The metric's one-line meaning, as declared."""
    return metric(name).meaning


def unit_text(name: str) -> str:
    return UNIT_TEXT.get(metric(name).unit, metric(name).unit)


def axis_text(name: str) -> str:
    return UNIT_AXIS.get(metric(name).unit, metric(name).unit)


def help_text(name: str) -> str:
    """Meaning plus how to read the number (for the help beside a figure)."""
    m = metric(name)
    extra = UNIT_HELP.get(m.unit, "")
    return f"{m.meaning}. {extra}".strip() if extra else m.meaning + "."


def is_percent(name: str) -> bool:
    return metric(name).unit in PERCENT_UNITS


def is_integer(name: str) -> bool:
    return bool(metric(name).integer)


def missing(value) -> bool:
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def format_value(name: str, value) -> str:
    """A value in the units a commissioner reads ("18%", "0.15", "12", "£4,200"); "no data" for nan."""
    if missing(value):
        return NO_DATA
    value = float(value)
    m = metric(name)
    if m.unit in PERCENT_UNITS:
        pct = 100 * value
        return f"{pct:.1f}%" if 0 < abs(pct) < 10 else f"{pct:.0f}%"
    if m.unit in ("strength", "index", "ratio"):
        return f"{value:.2f}"
    if m.unit == "pounds":
        return f"£{value:,.0f}"
    if abs(value) >= 100 or abs(value - round(value)) < 1e-9:  # a mean of counts keeps its decimal
        return f"{value:,.0f}"
    return f"{value:.1f}"


def format_difference(name: str, value) -> str:
    """A difference with its sign, in percentage points for shares ("+3.5 points")."""
    if missing(value):
        return NO_DATA
    value = float(value)
    m = metric(name)
    if m.unit in PERCENT_UNITS:
        return f"{100 * value:+.1f} points"
    if m.unit in ("strength", "index", "ratio"):
        return f"{value:+.2f}"
    if m.unit == "pounds":
        return f"{'+' if value >= 0 else '-'}£{abs(value):,.0f}"
    return f"{value:+.1f}"


def export_value(name: str, value):
    """A value for a spreadsheet: percentages for shares, rounded; None for no data."""
    if missing(value):
        return None
    value = float(value)
    m = metric(name)
    if m.unit in PERCENT_UNITS:
        return round(100 * value, 2)
    if m.integer:
        return int(round(value))
    if m.unit in ("strength", "index", "ratio"):
        return round(value, 3)
    return round(value, 2)


def export_column(name: str) -> str:
    """A readable column name with its unit ("Staff time on monitoring (%)")."""
    m = metric(name)
    unit = {"share": "%", "rate": "% a year", "pounds": "£ a month", "hours": "hours a month",
            "strength": "0-1", "index": "1 = start"}.get(m.unit, "")
    return f"{m.label} ({unit})" if unit else m.label
