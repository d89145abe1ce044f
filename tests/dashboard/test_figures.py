"""Charts: the browser-drawn time series option and the exported PNGs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dashboards import figures, network, texts


def run_frame(months: int = 5) -> pd.DataFrame:
    rows = [{"month": m, **{k: (0.0 if m == 0 else 0.1 * m) for k in texts.TIME_SERIES}} for m in range(months + 1)]
    return pd.DataFrame(rows)


def test_time_series_option_has_one_panel_per_metric_and_skips_month_zero():
    option = figures.time_series_option(run_frame(), horizon=96)
    json.dumps(option)  # plain JSON for the browser, no Python objects
    n = len(texts.TIME_SERIES)
    assert len(option["series"]) == len(option["grid"]) == len(option["xAxis"]) == len(option["title"]) == n
    assert [t["text"] for t in option["title"]] == [texts.label(m) for m in texts.TIME_SERIES]
    assert all(ax["max"] == 96 for ax in option["xAxis"])
    joined = option["series"][texts.TIME_SERIES.index("joined_up_share")]
    assert joined["data"][0] == [1, 10.0]  # month 1, as a percentage
    assert option["yAxis"][texts.TIME_SERIES.index("joined_up_share")]["axisLabel"]["formatter"] == "{value}%"
    partnerships = option["series"][texts.TIME_SERIES.index("partnerships_active")]
    assert partnerships["data"][-1] == [5, 0.5]


def test_missing_values_are_gaps_not_errors():
    frame = run_frame()
    frame.loc[2, "referral_success_rate"] = np.nan
    option = figures.time_series_option(frame)
    series = option["series"][texts.TIME_SERIES.index("referral_success_rate")]
    assert series["data"][1] == [2, None]
    json.dumps(option)


def test_png_exports():
    assert network.figure_png(figures.time_series(run_frame(), horizon=12)).startswith(b"\x89PNG")
    rows = []
    for arm in ("baseline", "scenario"):
        for rep in range(3):
            for m in range(4):
                rows.append({"arm": arm, "replication": rep, "month": m, "joined_up_share": 0.1 * m + 0.01 * rep})
    fig = figures.comparison_bands(pd.DataFrame(rows), ["joined_up_share"], "Inspire", "Baseline region")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Baseline region", "Inspire"]
    assert network.figure_png(fig).startswith(b"\x89PNG")
