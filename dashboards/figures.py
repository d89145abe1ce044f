"""Charts that read true: one metric per chart, its unit and meaning beside it.

The rules every chart follows, from the metric declarations (``sim.metrics``):

* shares and rates are drawn as percentages, on an axis from 0 that never
  goes past 100%;
* counts (and anything else with a floor of 0) start at 0, and counts get
  whole-number ticks;
* months are whole numbers, on the axis and in the hover label;
* tick labels keep every digit (Plotly moves the margin to fit them), at any width;
* a month with no data (``nan``) is a gap, not a zero.

Plotly figures are for the page (``FigurePlotly``); the matplotlib figures
below them are for PNG exports, with the same axis rules.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from . import comparison
from .texts import TIME_SERIES, axis_text, is_integer, is_percent, label, metric, unit_text

BASELINE_COLOUR = "#718096"
SCENARIO_COLOUR = "#2b6cb0"


def after_start(monthly: pd.DataFrame) -> pd.DataFrame:
    """Months from 1 on: month 0 is the state before anything happened (outcomes all zero)."""
    if "month" in monthly:
        return monthly[monthly["month"] > 0]
    return monthly


def shown_values(name: str, values) -> np.ndarray:
    """Values in the units the chart shows (percentages for shares and rates)."""
    arr = np.asarray(values, dtype=float)
    return arr * 100 if is_percent(name) else arr


def nice_step(span: float, target_ticks: int = 4) -> float:
    """A 1-2-2.5-5 x 10^k tick step giving about ``target_ticks`` intervals over ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / target_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def value_axis(name: str, values) -> dict:
    """The y axis of one metric's chart: range, tick step and format, from its declaration.

    Returns a dict with ``range`` (low, high), ``dtick``, ``tickformat``, ``ticksuffix`` and ``title``,
    in the chart's units (percentages for shares).
    """
    m = metric(name)
    shown = shown_values(name, values)
    finite = shown[np.isfinite(shown)] if shown.size else shown
    top_declared = None if m.high is None else (100 * m.high if is_percent(name) else m.high)
    floor_declared = None if m.low is None else (100 * m.low if is_percent(name) else m.low)
    vmax = float(finite.max()) if finite.size else 0.0
    vmin = float(finite.min()) if finite.size else 0.0
    low = min(floor_declared, vmin) if floor_declared is not None else vmin
    high = vmax if vmax > low else low + (1.0 if is_integer(name) or not is_percent(name) else 10.0)
    if m.unit in ("strength", "index") and top_declared is not None and high < 0.05 * top_declared:
        high = 0.05 * top_declared  # a tiny strength reads tiny, not like a full scale
    step = nice_step(high - low)
    if is_integer(name):
        step = max(1.0, math.ceil(step))
    high = math.ceil(high / step) * step
    if high <= vmax:  # a line at the very top of the chart is hard to read
        high += step
    if top_declared is not None:
        high = min(high, top_declared)
    decimals = next(d for d in range(7) if abs(step * 10 ** d - round(step * 10 ** d)) < 1e-9)
    return {"range": (low, high), "dtick": step, "tick0": low,
            "tickformat": f",.{decimals}f", "ticksuffix": "%" if is_percent(name) else "",
            "title": axis_text(name)}


def hover_format(name: str) -> str:
    """Plotly hover format of a metric's value in chart units."""
    if is_percent(name):
        return "%{y:.1f}%"
    if is_integer(name):
        return "%{y:,.0f}"
    if metric(name).unit in ("strength", "index", "ratio"):
        return "%{y:.3f}"
    return "%{y:,.2f}"


def _layout(name: str, axis: dict, x_max: int, height: int) -> dict:
    """The layout every chart shares: integer months from 0, the metric's own y axis, whole tick labels."""
    return {
        "height": height, "margin": {"l": 10, "r": 14, "t": 8, "b": 10}, "plot_bgcolor": "white",
        "paper_bgcolor": "white", "showlegend": False, "hovermode": "x unified", "uirevision": name,
        "font": {"size": 12},
        "xaxis": {"range": [0, x_max], "tickformat": "d", "title": {"text": "month", "standoff": 4},
                  "automargin": True, "showgrid": True, "gridcolor": "#edf2f7", "zeroline": False,
                  "hoverformat": "d", "dtick": max(1, int(nice_step(x_max, 6))), "showline": True,
                  "linecolor": "#a0aec0"},
        "yaxis": {"range": list(axis["range"]), "dtick": axis["dtick"], "tick0": axis["tick0"],
                  "tickformat": axis["tickformat"], "ticksuffix": axis["ticksuffix"], "automargin": True,
                  "title": {"text": axis["title"], "standoff": 6, "font": {"size": 11}}, "showgrid": True,
                  "gridcolor": "#edf2f7", "zeroline": True, "zerolinecolor": "#a0aec0", "showline": True,
                  "linecolor": "#a0aec0"},
    }


def plotly_figure(spec: dict) -> dict:
    """A Plotly figure as plain JSON data (``{"data": [...], "layout": {...}}``), sent to the browser as it is.

    Plain data, not ``plotly.graph_objects``: building and comparing those validates every property and
    costs far more than drawing; ``plotly.graph_objects.Figure(spec)`` turns it into one when needed.
    """
    return json.loads(json.dumps(spec, default=_plain))


def _plain(value):
    if hasattr(value, "tolist"):  # numpy arrays and numbers
        return value.tolist()
    raise TypeError(f"cannot send {type(value).__name__} to the browser")


def _nums(values) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def metric_figure(monthly: pd.DataFrame, name: str, horizon: int | None = None, height: int = 230):
    """One metric of the current run, month by month, as a Plotly figure."""
    monthly = after_start(monthly)
    months = monthly["month"].to_numpy(int) if "month" in monthly else np.arange(len(monthly))
    raw = monthly[name].to_numpy(float) if name in monthly else np.full(len(months), np.nan)
    x_max = int(max(horizon or 0, int(months.max()) if len(months) else 1, 1))
    trace = {"type": "scatter", "x": months.tolist(), "y": _nums(shown_values(name, raw)), "mode": "lines+markers",
             "marker": {"size": 4}, "line": {"color": SCENARIO_COLOUR, "width": 2.2}, "name": label(name),
             "connectgaps": False, "hovertemplate": f"Month %{{x:d}}: {hover_format(name)}<extra></extra>"}
    return plotly_figure({"data": [trace], "layout": _layout(name, value_axis(name, raw), x_max, height)})


def bands_figure(monthly: pd.DataFrame, name: str, titles: dict[str, str], height: int = 250):
    """Both arms of a comparison: the mean over seeds with its 95% confidence band, as a Plotly figure.

    ``titles``: arm ("baseline", "scenario") -> what the commissioner calls it.
    """
    monthly = after_start(monthly)
    b = comparison.bands(monthly, name) if name in monthly and len(monthly) else pd.DataFrame(columns=["arm", "month"])
    traces, every = [], []
    for arm, colour in (("baseline", BASELINE_COLOUR), ("scenario", SCENARIO_COLOUR)):
        part = b[b["arm"] == arm]
        if part.empty:
            continue
        x = part["month"].astype(int).tolist()
        lo, hi, mean = (part[c].to_numpy(float) for c in ("ci_low", "ci_high", "mean"))
        every += [lo, hi, mean]
        title = titles.get(arm, arm)
        traces.append({"type": "scatter", "x": x + x[::-1], "y": _nums(shown_values(name, hi)) +
                       _nums(shown_values(name, lo))[::-1], "fill": "toself", "mode": "lines", "line": {"width": 0},
                       "fillcolor": _alpha(colour, 0.2), "hoverinfo": "skip", "showlegend": False,
                       "name": f"{title} 95% band"})
        traces.append({"type": "scatter", "x": x, "y": _nums(shown_values(name, mean)), "mode": "lines",
                       "line": {"color": colour, "width": 2.2}, "name": title,
                       "hovertemplate": f"{title[:40]}: {hover_format(name)}<extra></extra>"})
    values = np.concatenate(every) if every else np.array([])
    x_max = int(b["month"].max()) if len(b) else 1
    layout = _layout(name, value_axis(name, values), x_max, height)
    layout.update(showlegend=True, legend={"orientation": "h", "y": -0.3, "font": {"size": 11}})
    return plotly_figure({"data": traces, "layout": layout})


def _alpha(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


# ------------------------------------------------------------ PNG exports

def _axes_grid(n: int, ncols: int, width: float, row_height: float) -> tuple[Figure, list]:
    nrows = max(1, int(np.ceil(n / ncols)))
    height = row_height * nrows + 0.6
    fig = Figure(figsize=(width, height), dpi=100)
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.2 / width, top=1 - 0.35 / height, bottom=0.5 / height,
                        hspace=0.65, wspace=0.35 + 0.05 * ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _style(ax, name: str, values) -> None:
    axis = value_axis(name, values)
    ax.set_title(f"{label(name)} ({unit_text(name)})", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.set_ylim(*axis["range"])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=is_integer(name)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.grid(alpha=0.25)
    if is_percent(name):
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=None))


def time_series(monthly: pd.DataFrame, metrics: Sequence[str] = TIME_SERIES, horizon: int | None = None,
                ncols: int = 2) -> Figure:
    """Small multiples of the current run, month by month (for the PNG export)."""
    metrics = [m for m in metrics if m in monthly.columns]
    monthly = after_start(monthly)
    fig, axes = _axes_grid(len(metrics), ncols, 3.6 * ncols, 1.9)
    months = monthly["month"].to_numpy() if "month" in monthly else np.arange(len(monthly))
    for ax, name in zip(axes, metrics):
        values = shown_values(name, monthly[name])
        ax.plot(months, values, color=SCENARIO_COLOUR, lw=1.6)
        ax.set_xlim(0, max(horizon or 0, int(months.max()) if len(months) else 1, 1))
        _style(ax, name, monthly[name].to_numpy(float))
    if axes:
        fig.supxlabel("month", fontsize=8)
    return fig


def comparison_bands(monthly: pd.DataFrame, metrics: Sequence[str], scenario_title: str,
                     baseline_title: str = "baseline") -> Figure:
    """Both arms over time: mean over seeds with a 95% confidence band each (for the PNG export)."""
    metrics = [m for m in metrics if m in monthly.columns]
    monthly = after_start(monthly)
    fig, axes = _axes_grid(len(metrics), 3, 11.0, 2.4)
    for ax, name in zip(axes, metrics):
        b = comparison.bands(monthly, name)
        for arm, colour, title in (("baseline", BASELINE_COLOUR, baseline_title),
                                   ("scenario", SCENARIO_COLOUR, scenario_title)):
            part = b[b["arm"] == arm]
            if part.empty:
                continue
            ax.fill_between(part["month"], shown_values(name, part["ci_low"]), shown_values(name, part["ci_high"]),
                            color=colour, alpha=0.2, lw=0)
            ax.plot(part["month"], shown_values(name, part["mean"]), color=colour, lw=1.6, label=title[:40])
        _style(ax, name, b[["ci_low", "ci_high", "mean"]].to_numpy(float).ravel() if len(b) else [])
    if axes:
        axes[0].legend(fontsize=7, loc="best")
        fig.supxlabel("month (line: mean over seeds; band: 95% confidence interval)", fontsize=8)
    return fig
