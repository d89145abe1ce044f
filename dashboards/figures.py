"""Charts: the current run's key metrics over time, and the comparison's confidence bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from . import comparison
from .texts import SHARE_METRICS, TIME_SERIES, label

BASELINE_COLOUR = "#718096"
SCENARIO_COLOUR = "#2b6cb0"


def after_start(monthly: pd.DataFrame) -> pd.DataFrame:
    """Months from 1 on: month 0 is the state before anything happened (outcomes all zero)."""
    if "month" in monthly and (monthly["month"] > 0).any():
        return monthly[monthly["month"] > 0]
    return monthly


def _axes_grid(n: int, ncols: int, width: float, row_height: float) -> tuple[Figure, list]:
    # a fixed layout: matplotlib's constrained layout would double the drawing time of every month
    nrows = int(np.ceil(n / ncols))
    height = row_height * nrows + 0.5
    fig = Figure(figsize=(width, height), dpi=100)
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, top=1 - 0.3 / height, bottom=0.45 / height,
                        hspace=0.55, wspace=0.25 + 0.05 * ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _style(ax, metric: str) -> None:
    ax.set_title(label(metric), fontsize=9)
    ax.tick_params(labelsize=7)
    ax.locator_params(nbins=4)
    ax.grid(alpha=0.25)
    if metric in SHARE_METRICS:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))


def time_series(monthly: pd.DataFrame, metrics: Sequence[str] = TIME_SERIES, horizon: int | None = None,
                ncols: int = 2) -> Figure:
    """Small multiples of the current run, month by month."""
    metrics = [m for m in metrics if m in monthly.columns]
    monthly = after_start(monthly)
    fig, axes = _axes_grid(len(metrics), ncols, 3.3 * ncols, 1.75)
    months = monthly["month"].to_numpy() if "month" in monthly else np.arange(len(monthly))
    for ax, metric in zip(axes, metrics):
        ax.plot(months, monthly[metric].to_numpy(float), color=SCENARIO_COLOUR, lw=1.6)
        if len(months):
            ax.plot(months[-1:], monthly[metric].to_numpy(float)[-1:], "o", color=SCENARIO_COLOUR, ms=3)
        ax.set_xlim(0, max(horizon or 0, int(months.max()) if len(months) else 1, 1))
        _style(ax, metric)
    if axes:
        fig.supxlabel("month", fontsize=8)
    return fig


def comparison_bands(monthly: pd.DataFrame, metrics: Sequence[str], scenario_title: str,
                     baseline_title: str = "baseline") -> Figure:
    """Baseline and scenario over time: mean over seeds with a 95% confidence band each."""
    metrics = [m for m in metrics if m in monthly.columns]
    monthly = after_start(monthly)
    fig, axes = _axes_grid(len(metrics), 3, 11.0, 2.3)
    for ax, metric in zip(axes, metrics):
        b = comparison.bands(monthly, metric)
        for arm, colour, name in (("baseline", BASELINE_COLOUR, baseline_title), ("scenario", SCENARIO_COLOUR, scenario_title)):
            part = b[b["arm"] == arm]
            if part.empty:
                continue
            ax.fill_between(part["month"], part["ci_low"], part["ci_high"], color=colour, alpha=0.2, lw=0)
            ax.plot(part["month"], part["mean"], color=colour, lw=1.6, label=name[:40])
        _style(ax, metric)
    if axes:
        axes[0].legend(fontsize=7, loc="best")
        fig.supxlabel("month (line: mean over seeds; band: 95% confidence interval)", fontsize=8)
    return fig


def time_series_option(monthly: pd.DataFrame, metrics: Sequence[str] = TIME_SERIES, horizon: int | None = None,
                       ncols: int = 2) -> dict:
    """The same small multiples as :func:`time_series`, as an ECharts option drawn by the browser.

    Drawing in the browser keeps each month's update cheap on the server;
    shares are sent as percentages so the axis can say "%" without a
    JavaScript formatter.
    """
    metrics = [m for m in metrics if m in monthly.columns]
    monthly = after_start(monthly)
    months = monthly["month"].to_numpy() if "month" in monthly else np.arange(len(monthly))
    x_max = max(horizon or 0, int(months.max()) if len(months) else 1, 1)
    nrows = max(1, int(np.ceil(len(metrics) / ncols)))
    cell_w, cell_h = 100 / ncols, 100 / nrows
    option: dict = {"animation": False, "title": [], "grid": [], "xAxis": [], "yAxis": [], "series": [],
                    "tooltip": {"trigger": "axis"}}
    for i, metric in enumerate(metrics):
        row, col = divmod(i, ncols)
        left, top = col * cell_w, row * cell_h
        share = metric in SHARE_METRICS
        values = monthly[metric].to_numpy(float) * (100 if share else 1)
        option["title"].append({"text": label(metric), "left": f"{left + cell_w / 2:.1f}%", "top": f"{top + 0.5:.1f}%",
                                "textAlign": "center", "textStyle": {"fontSize": 12, "fontWeight": "normal"}})
        option["grid"].append({"left": f"{left + 7:.1f}%", "width": f"{cell_w - 11:.1f}%",
                               "top": f"{top + 5.5:.1f}%", "height": f"{cell_h - 10.5:.1f}%"})
        option["xAxis"].append({"type": "value", "gridIndex": i, "min": 0, "max": x_max,
                                "name": "month" if row == nrows - 1 else "", "nameLocation": "middle", "nameGap": 20,
                                "axisLabel": {"fontSize": 10}})
        option["yAxis"].append({"type": "value", "gridIndex": i, "scale": True, "splitNumber": 3,
                                "axisLabel": {"fontSize": 10, "formatter": "{value}%" if share else "{value}"}})
        data = [[int(m), None if not np.isfinite(v) else round(float(v), 4)] for m, v in zip(months, values)]
        option["series"].append({"type": "line", "name": label(metric), "xAxisIndex": i, "yAxisIndex": i,
                                 "data": data, "showSymbol": False, "lineStyle": {"width": 2},
                                 "color": SCENARIO_COLOUR})
    return option
