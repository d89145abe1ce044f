"""Posterior draws in runs and comparisons (sim.experiments.posterior).

A hand-made posterior file stands in for a calibration's output, so the tests
know which parameter values the draws can take.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.cli import main
from sim.errors import UsageError
from sim.experiments.posterior import (
    apply_draw, compare_draws, format_posterior_table, load_posterior, run_seeds_with_posterior, with_posterior,
)

SMALL = ["--set", "sector.charities=12", "--set", "sector.localities=3", "--set", "sector.prisons=1",
         "--set", "demand.clients=120", "--months", "6"]


@pytest.fixture
def posterior_file(tmp_path):
    """Two draws: statutory engagement 0.2 (weight 0.75) or 0.9 (0.25); joint training every 3 or 12 months."""
    frame = pd.DataFrame({"generation": [2, 2], "draw": [0, 1], "weight": [0.75, 0.25],
                          "statutory.engagement": [0.2, 0.9], "partnership.joint_training_months": [3.0, 12.0]})
    path = tmp_path / "posterior.parquet"
    frame.to_parquet(path, index=False)
    (tmp_path / "posterior.json").write_text(json.dumps({"kind": "posterior", "targets": []}))
    return path


def test_sample_is_weighted_seeded_and_typed(posterior_file):
    post = load_posterior(posterior_file.parent)  # the folder works as well as the file
    assert post.parameters == ["statutory.engagement", "partnership.joint_training_months"]
    draws = post.sample(400, seed=7)
    assert draws == post.sample(400, seed=7)
    assert draws != post.sample(400, seed=8)
    share_low = np.mean([d["statutory.engagement"] == 0.2 for d in draws])
    assert 0.68 < share_low < 0.82  # weight 0.75
    assert all(isinstance(d["partnership.joint_training_months"], int) for d in draws)  # an integer key


def test_apply_draw_sets_values_but_keeps_explicit_keys():
    draw = {"statutory.engagement": 0.9, "partnership.joint_training_months": 12}
    sc = apply_draw("baseline", draw)
    assert sc.statutory.engagement == 0.9 and sc.partnership.joint_training_months == 12
    kept = apply_draw(load_scenario("baseline", {"statutory.engagement": 0.1}), draw, keep=["statutory.engagement"])
    assert kept.statutory.engagement == 0.1 and kept.partnership.joint_training_months == 12


@pytest.mark.parametrize("content, message", [
    (None, "file not found"),
    (b"not parquet", "not a posterior file"),
    (pd.DataFrame({"statutory.engagement": [0.5]}), "no 'weight' column"),
    (pd.DataFrame({"weight": [1.0], "no.such_key": [0.5]}), "no.such_key"),
    (pd.DataFrame({"weight": [1.0], "statutory.engagement": [7.0]}), "statutory.engagement"),
    (pd.DataFrame({"weight": [-1.0], "statutory.engagement": [0.5]}), "weights"),
])
def test_bad_posterior_files_are_one_line(tmp_path, content, message):
    path = tmp_path / "posterior.parquet"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        content.to_parquet(path, index=False)
    with pytest.raises(UsageError, match=message) as info:
        load_posterior(path)
    assert "\n" not in str(info.value)


def test_compare_draws_counts_the_share_of_draws():
    a = np.array([1.0, 1.0, 1.0, 1.0])
    b = np.array([0.5, 0.6, 0.7, 1.2])
    r = compare_draws("joined_up_share", a, b, "inspire", "inspire_halved", "Joined-up support")
    assert r.b_higher_share == pytest.approx(0.25) and r.b_lower_share == pytest.approx(0.75)
    assert r.difference == pytest.approx(-0.25)
    assert r.draws_low < r.difference < r.draws_high
    assert "lower under inspire_halved in 75% of plausible parameter sets, higher in 25% (" in r.sentence
    assert compare_draws("x", [np.nan], [1.0]).draws == 0


def test_posterior_table_says_no_data_for_an_empty_denominator():
    rows = [compare_draws("needs_met_share", [0.5, 0.6], [0.4, 0.5], "a", "b"),
            compare_draws("continuity_on_transfer", [np.nan, np.nan], [np.nan, 1.0], "a", "b")]
    table = format_posterior_table(rows, "a", "b", "posterior.parquet")
    line = next(x for x in table.splitlines() if x.startswith("continuity_on_transfer"))
    assert line.split()[1:] == ["no", "data", "no", "data"] and "n/a" not in line
    assert "n/a" not in next(x for x in table.splitlines() if x.startswith("needs_met_share"))


def test_compare_draws_reading_names_both_directions_and_ties():
    # higher in 2 of 5 draws, lower in 1, the same in 2: the reading must not hide the draw that went the other way
    r = compare_draws("m", [1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 3.0, 0.0, 1.0, 1.0], "a", "b")
    assert "higher under b in 40% of plausible parameter sets, lower in 20%, the same in 40%" in r.sentence
    one_way = compare_draws("m", [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], "a", "b")
    assert "higher under b in 25% of plausible parameter sets, the same in 75% (" in one_way.sentence
    same = compare_draws("m", [1.0, 2.0], [1.0, 2.0], "a", "b")
    assert "the same under both in every plausible parameter set" in same.sentence


def test_run_with_posterior_gives_each_replication_a_draw(posterior_file):
    sc = load_scenario("baseline", {"sector.charities": 12, "sector.localities": 3, "sector.prisons": 1,
                                    "demand.clients": 120}, months=4)
    _, final = run_seeds_with_posterior(sc, 6, posterior_file, seed=3)
    _, again = run_seeds_with_posterior(sc, 6, posterior_file, seed=3)
    pd.testing.assert_frame_equal(final, again)
    assert set(final["posterior:statutory.engagement"]) <= {0.2, 0.9}
    assert final["seed"].nunique() == 6


def test_with_posterior_pairs_points_by_draw_and_seed(posterior_file):
    from sim.experiments.design import load_experiment

    spec = {"experiment": {"scenarios": ["inspire", "inspire_halved"], "replications": 1},
            "set": {"statutory.engagement": 0.5}}
    exp = with_posterior(load_experiment(spec, source="t"), load_posterior(posterior_file), 5, seed=1)
    assert len(exp.points) == 10 and exp.settings.replications == 1
    runs = list(exp.runs())
    a = {r.params["run.seed"]: r for r in runs if r.scenario_name == "inspire"}
    b = {r.params["run.seed"]: r for r in runs if r.scenario_name == "inspire_halved"}
    assert set(a) == set(b) and len(a) == 5
    for s in a:
        assert a[s].seed == b[s].seed  # the same seed for A and B in each draw
        assert "statutory.engagement" not in a[s].params  # [set] wins over the draw
        # Inspire's file sets its own joint training (every 3 months): the case keeps it under every draw
        assert "partnership.joint_training_months" not in a[s].params
        assert "partnership.joint_training_months" not in b[s].params


def test_a_draw_fills_what_a_scenario_leaves_at_default_and_keeps_its_own_settings(posterior_file):
    """A case study's own settings are part of the case: Inspire's joint training (3 months) and money
    stay; the baseline, which sets neither, takes the draw's."""
    draw = {"partnership.joint_training_months": 12, "funding.commissioned_per_client": 20.0}
    inspire = apply_draw("inspire", draw)
    assert inspire.partnership.joint_training_months == 3
    assert inspire.funding.commissioned_per_client == load_scenario("inspire").funding.commissioned_per_client
    base = apply_draw("baseline", draw)
    assert base.partnership.joint_training_months == 12 and base.funding.commissioned_per_client == 20.0
    _, final = run_seeds_with_posterior(load_scenario("inspire", {"run.months": 6}), 2, posterior_file, seed=3)
    assert "posterior:partnership.joint_training_months" not in final  # only what was drawn is reported
    assert "posterior:statutory.engagement" in final


def test_compare_command_reports_b_higher_share(posterior_file, capsys):
    # austerity raises demand by 70% over the run: more clients under B in every draw
    code = main(["compare", "baseline", "austerity", "--seeds", "3", "--workers", "0", "--json",
                 "--metrics", "clients_active,charities_active", "--posterior", str(posterior_file), *SMALL])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["paired"] is True and out["posterior_parameters"] == ["statutory.engagement",
                                                                     "partnership.joint_training_months"]
    m = out["metrics"]["clients_active"]
    assert m["b_higher_share"] == 1.0 and m["b_lower_share"] == 0.0 and m["draws"] == 3
    assert m["difference"] > 0 and m["draws_low"] > 0
    assert "higher under austerity in 100% of plausible parameter sets" in m["sentence"]
    c = out["metrics"]["charities_active"]
    assert 0.0 <= c["b_higher_share"] <= 1.0 and c["b_higher_share"] + c["b_lower_share"] <= 1.0


def test_compare_and_run_refuse_a_missing_posterior(tmp_path, capsys):
    missing = str(tmp_path / "nope.parquet")
    assert main(["compare", "baseline", "inspire", "--posterior", missing, "--workers", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "file not found" in err and "\n" not in err
    assert main(["run", "baseline", "--posterior", missing, "--seeds", "2", *SMALL]) == 2
    assert "file not found" in capsys.readouterr().err
