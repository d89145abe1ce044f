"""Charts that read true: axes from zero, whole ticks for counts, percentages to 100% at most, months whole."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dashboards import figures, network, texts


def run_frame(months: int = 5) -> pd.DataFrame:
    rows = [{"month": m, **{k: (0.0 if m == 0 else 0.1 * m) for k in texts.TIME_SERIES}} for m in range(months + 1)]
    return pd.DataFrame(rows)


def ticks(axis: dict) -> list[float]:
    lo, hi = axis["range"]
    n = int(round((hi - axis["tick0"]) / axis["dtick"]))
    return [axis["tick0"] + i * axis["dtick"] for i in range(n + 1) if axis["tick0"] + i * axis["dtick"] <= hi + 1e-9]


def test_a_share_axis_starts_at_zero_and_spans_the_values_in_percent():
    """The monitoring chart once read 7.4-7.8% while the values were 17.5-17.8%."""
    axis = figures.value_axis("monitoring_time_share", [0.1746, 0.1779])
    assert axis["range"][0] == 0 and axis["ticksuffix"] == "%"
    assert axis["range"][1] >= 17.79 and axis["range"][1] <= 100
    tick_labels = ticks(axis)
    assert tick_labels[0] == 0 and tick_labels[-1] >= 17.79


def test_a_share_axis_never_passes_100_percent():
    axis = figures.value_axis("referral_success_rate", [0.93, 0.99])
    assert axis["range"] == (0.0, 100.0)


@pytest.mark.parametrize("values", [[1, 2, 3, 4], [0, 0], [0, 1], [120, 180]])
def test_counts_get_whole_number_ticks_from_zero(values):
    axis = figures.value_axis("partnerships_active", values)
    assert axis["range"][0] == 0 and axis["dtick"] >= 1 and float(axis["dtick"]).is_integer()
    assert axis["tickformat"].endswith(".0f") and axis["range"][1] > max(values) - 1e-9


def test_tick_labels_keep_their_decimals():
    axis = figures.value_axis("rel_frontline_mean", [0.04, 0.15])
    step_digits = len(str(axis["dtick"]).split(".")[1]) if "." in str(axis["dtick"]) else 0
    assert axis["tickformat"] == f",.{step_digits}f"
    assert figures.value_axis("joined_up_share", [0.01, 0.02])["tickformat"] in (",.1f", ",.0f")


def test_metric_chart_is_plain_json_with_whole_months_units_and_gaps():
    frame = run_frame()
    frame.loc[2, "referral_success_rate"] = np.nan
    fig = figures.metric_figure(frame, "referral_success_rate", horizon=96)
    json.dumps(fig, allow_nan=False)  # plain JSON, as the browser receives it
    trace = fig["data"][0]
    assert list(trace["x"]) == [1, 2, 3, 4, 5]  # month 0 (nothing has happened yet) is left out
    assert trace["y"][1] is None and trace["y"][0] == pytest.approx(10.0)
    assert "%{x:d}" in trace["hovertemplate"]
    layout = fig["layout"]
    assert layout["xaxis"]["tickformat"] == "d" and layout["xaxis"]["range"] == [0, 96]
    assert layout["yaxis"]["title"]["text"] == "%"


def test_a_metric_with_no_data_draws_an_empty_chart():
    frame = run_frame()
    frame["joined_up_share"] = np.nan
    fig = figures.metric_figure(frame, "joined_up_share", horizon=12)
    assert all(v is None for v in fig["data"][0]["y"])
    assert fig["layout"]["yaxis"]["range"][0] == 0


def comparison_frame() -> pd.DataFrame:
    rows = []
    for arm in ("baseline", "scenario"):
        for rep in range(3):
            for m in range(4):
                rows.append({"arm": arm, "replication": rep, "month": m,
                             "joined_up_share": 0.1 * m + 0.01 * rep + (0.05 if arm == "scenario" else 0)})
    return pd.DataFrame(rows)


def test_band_chart_has_a_band_and_a_line_per_arm_named_as_the_commissioner_calls_them():
    fig = figures.bands_figure(comparison_frame(), "joined_up_share",
                               {"baseline": "Inspire", "scenario": "Your setup"})
    names = [t["name"] for t in fig["data"]]
    assert names == ["Inspire 95% band", "Inspire", "Your setup 95% band", "Your setup"]
    assert fig["layout"]["yaxis"]["range"][0] == 0


def test_png_exports():
    assert network.figure_png(figures.time_series(run_frame(), horizon=12)).startswith(b"\x89PNG")
    fig = figures.comparison_bands(comparison_frame(), ["joined_up_share"], "Inspire", "Baseline region")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Baseline region", "Inspire"]
    assert fig.axes[0].get_ylim()[0] == 0
    assert network.figure_png(fig).startswith(b"\x89PNG")
