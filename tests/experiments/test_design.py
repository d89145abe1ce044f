"""Experiment files expand into runs with stable keys and seeds."""

from __future__ import annotations

import pytest

from sim.experiments.design import load_experiment, run_key

from sweep_helpers import write_experiment


def test_full_factorial_points_keys_and_seeds(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    runs = list(exp.runs())
    assert len(exp.points) == 4 and len(runs) == 12
    assert [p["scenario"] for p in exp.points] == ["baseline", "baseline", "colocated", "colocated"]
    assert len({r.key for r in runs}) == 12
    by_rep = {}
    for r in runs:
        by_rep.setdefault(r.replication, set()).add(r.seed)
    assert len(by_rep) == 3 and all(len(s) == 1 for s in by_rep.values()), \
        "paired by default: replication r has the same seed at every point"
    again = list(load_experiment(write_experiment(tmp_path, name="again")).runs())
    assert [(r.key, r.seed) for r in runs] == [(r.key, r.seed) for r in again]


def test_key_and_seed_do_not_depend_on_the_rest_of_the_design(tmp_path):
    """Adding a lever value or replications does not change the runs already there (safe to extend a sweep)."""
    small = {(r.params["commissioning.contract_months"], r.scenario_name, r.replication): (r.key, r.seed)
             for r in load_experiment(write_experiment(tmp_path, "a", replications=2, values=(12, 36))).runs()}
    big = {(r.params["commissioning.contract_months"], r.scenario_name, r.replication): (r.key, r.seed)
           for r in load_experiment(write_experiment(tmp_path, "b", replications=3, values=(12, 24, 36))).runs()}
    for k, v in small.items():
        assert big[k] == v


def test_run_key_is_a_stable_hash():
    point = {"scenario": "baseline", "commissioning.contract_months": 12}
    assert run_key(point, 0) == run_key(dict(reversed(point.items())), 0)
    assert run_key(point, 0) != run_key(point, 1)


def test_per_run_seeding_gives_every_run_its_own_seed(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, extra='seeding = "per_run"'))
    assert len({r.seed for r in exp.runs()}) == 12, "no two runs share a seed"


def test_the_old_seeds_key_still_works_with_a_warning(tmp_path):
    """`seeds` read like a count; it is now `seeding`, and the old name still works (with a warning)."""
    from sim.experiments.design import ExperimentWarning

    with pytest.warns(ExperimentWarning, match="renamed experiment.seeding"):
        old = load_experiment(write_experiment(tmp_path, "old", extra='seeds = "common"'))
    new = load_experiment(write_experiment(tmp_path, "new", extra='seeding = "paired"'))
    assert old.settings.seeding == "paired"
    assert [r.seed for r in old.runs()] == [r.seed for r in new.runs()]
    with pytest.warns(ExperimentWarning):
        per_run = load_experiment(write_experiment(tmp_path, "per", extra='seeds = "per_run"'))
    assert per_run.settings.seeding == "per_run"


@pytest.mark.parametrize("design, extra, n_points", [
    ("latin_hypercube", "samples = 7", 7),
    ("morris", "trajectories = 3\nlevels = 4", 3 * 3),
    ("sobol", "samples = 8", 8 * (2 + 2)),
])
def test_sampling_designs(tmp_path, design, extra, n_points):
    (tmp_path / "d.toml").write_text(f"""
[experiment]
scenarios = ["baseline"]
design = "{design}"
seed = 5
{extra}
[parameters]
"statutory.engagement" = {{ low = 0.1, high = 0.9 }}
"commissioning.contract_months" = {{ low = 12, high = 96 }}
""")
    exp = load_experiment(tmp_path / "d.toml")
    assert len(exp.points) == n_points
    for p in exp.points:
        assert 0.1 <= p["statutory.engagement"] <= 0.9
        assert isinstance(p["commissioning.contract_months"], int), "integer keys are rounded"
        exp.scenario_for(p)  # every point builds a valid scenario
    assert exp.points == load_experiment(tmp_path / "d.toml").points, "sampling is seeded"


def test_variant_and_fixed_overrides_reach_the_scenario(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    point = exp.points[-1]
    scenario = exp.scenario_for(point)
    assert scenario.partnership.co_location is True
    assert scenario.sector.charities == 30 and scenario.run.months == 24
    assert scenario.commissioning.contract_months == 36


def _shipped():
    from sim.experiments.design import EXPERIMENT_DIR

    return sorted(p.name for p in EXPERIMENT_DIR.glob("*.toml") if not p.name.startswith("calibration"))


@pytest.mark.parametrize("name", _shipped())
def test_every_shipped_experiment_loads_without_a_warning(name):
    import warnings

    from sim.experiments.design import ExperimentWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentWarning)
        exp = load_experiment(name)
    assert exp.n_runs > 0


def test_manifests_name_no_folder_of_the_machine(tmp_path, monkeypatch):
    """A manifest names its experiment file relative to the working folder, or by its file name alone."""
    from sim.experiments.design import shown_source

    inside = tmp_path / "experiments" / "sweep.toml"
    monkeypatch.chdir(tmp_path)
    assert shown_source(str(inside)) == "experiments/sweep.toml"
    assert shown_source("experiments/sweep.toml") == "experiments/sweep.toml"
    elsewhere = tmp_path.parent / "other" / "sweep.toml"
    assert shown_source(str(elsewhere)) == "sweep.toml"
