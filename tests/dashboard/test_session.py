"""One tab's run without a browser: stepping, the charity card, tie changes, the network figure, exports."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import sim
from dashboards import levers, network, session


@pytest.fixture(scope="module")
def inspire() -> session.Session:
    s = session.Session()
    s.start(sim.load_scenario("inspire", months=24))
    s.step(14)
    return s


def test_play_speeds_differ_as_labelled():
    plans = {label: session.play_plan(rate) for label, rate in session.PLAY_SPEEDS.items()}
    rates = [months / period for period, months in plans.values()]
    assert rates == sorted(rates) and rates[-1] >= 3 * rates[0] * 3
    for label, rate in zip(session.PLAY_SPEEDS, rates):
        assert f"{rate:g} month" in label


def test_step_stops_at_the_horizon_and_keeps_last_months_ties(inspire):
    assert inspire.month == 14 and inspire.previous_edges is not None
    other = session.Session()
    other.start(sim.load_scenario("inspire", months=3))
    assert other.step(10) == 3 and other.finished and other.step(1) == 0


def test_charity_card_from_public_state(inspire):
    lead = network.partnership_groups(inspire.model)[0].lead
    card = inspire.charity(lead)
    assert card["name"] == f"Charity {lead}" and card["operating"]
    assert card["size"] in network.BAND_NAMES and card["places"] == ["Place 1"]
    assert any("lead" in p for p in card["partnerships"])
    headings = [h for h, _ in network.card_lines(card)]
    assert headings == ["Status", "Size", "Specialisms", "Places", "Partnerships", "Contracts and grants", "Reserves",
                        "Income this month"]


def test_tie_changes_are_formed_broken_or_damaged():
    before = pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3], "managerial": [0.5, 0.6, 0.0],
                           "frontline": [0.5, 0.6, 0.0]})
    after = pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3], "managerial": [0.5, 0.2, 0.3],
                          "frontline": [0.0, 0.58, 0.3]})
    managerial = network.tie_changes(before, after, "managerial").set_index(["source", "target"])["change"]
    assert managerial.to_dict() == {(1, 2): "damaged", (2, 3): "formed"}
    frontline = network.tie_changes(before, after, "frontline").set_index(["source", "target"])["change"]
    assert frontline.to_dict() == {(0, 1): "broken", (2, 3): "formed"}
    assert network.tie_changes(None, after, "frontline").empty


def test_network_figure_maps_every_clickable_point_to_a_charity(inspire):
    fig, points = inspire.network("frontline")
    spec = fig
    json.dumps(spec, allow_nan=False)  # plain JSON, as the browser receives it
    assert len(points) == sim.load_scenario("inspire").sector.charities
    for (trace, index), org in points.items():
        assert spec["data"][trace]["name"].startswith("charity")
        assert f"Charity {org}<" in spec["data"][trace]["hovertext"][index]
    names = [t["name"] for t in spec["data"]]
    groups = network.partnership_groups(inspire.model)
    assert sum(n.startswith("Partnership ") for n in names) == len(groups)
    assert f"{len(groups)} partnership{'' if len(groups) == 1 else 's'}," in spec["layout"]["title"]["text"]
    assert "commissioner" in names
    assert spec["layout"]["legend"]["font"]["size"] >= 12


def test_export_has_readable_columns_rounded_values_and_a_header(inspire):
    frame = session.readable_monthly(inspire.monthly())
    assert "Month" in frame.columns and "Staff time on monitoring (%)" in frame.columns
    assert not [c for c in frame.columns if "_" in c]
    shares = frame["Staff time on monitoring (%)"].dropna()
    assert (shares.round(2) == shares).all() and shares.max() <= 100
    header = session.manifest(inspire, "Inspire, as its file sets it")
    data = session.csv_with_header(frame, header).decode()
    assert data.startswith("# partnersim ") and "# scenario: Inspire" in data and "Contract length 48 months" in data
    back = pd.read_csv(io.StringIO(data), comment="#")
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)


def test_scenario_passage_quotes_the_file_comment():
    passage = session.scenario_passage("inspire_halved.toml")
    assert "half of that previously received" in passage
    assert session.scenario_passage("no-such.toml") == ""


def test_lever_values_include_every_commissioner():
    gk = sim.load_scenario("golden_key")
    keys = [lv.key for lv in levers.all_levers(gk)]
    assert keys.count("commissioners.0.kind") == 1 and "commissioners.1.grant" in keys
