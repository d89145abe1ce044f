"""Experiments name a model class; its declared metrics flow through sweeps, comparisons and reports."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments import load_experiment, run_sweep
from sim.experiments.compare import compare_runs
from sim.experiments.design import ExperimentError

from toy_models import CountingModel

EXPERIMENT = """
[experiment]
title = "A researcher's subclass"
scenarios = ["baseline"]
replications = 2
seed = 8
months = 4
{model}
{metrics}
[set]
"sector.charities" = 20
"sector.localities" = 4
"sector.prisons" = 1
"demand.clients" = 80
[parameters]
"commissioning.contract_months" = [12, 36]
"""


def _write(tmp_path, model='model = "toy_models:CountingModel"', metrics="", name="sub"):
    path = tmp_path / f"{name}.toml"
    path.write_text(EXPERIMENT.format(model=model, metrics=metrics))
    return path


def test_a_subclass_metric_reaches_the_sweep_output_compare_and_report(tmp_path):
    exp = load_experiment(_write(tmp_path))
    assert exp.model_cls is CountingModel
    assert "contracts_running" in exp.metrics, "with no metrics listed, every metric the class declares is kept"
    out = tmp_path / "out"
    summary = run_sweep(exp, out, workers=0, progress=False)
    assert summary.ok, summary.failures
    runs = pd.read_parquet(out / "runs.parquet")
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert "contracts_running" in runs and "contracts_running" in monthly
    assert (runs["contracts_running"] >= 0).all()
    assert runs["contracts_running"].equals(runs["contracts_active"]), "the new metric computes what it declares"
    rows = compare_runs(runs, "point", 0, 1, ["contracts_running"], model_cls=CountingModel)
    assert rows[0].sentence.startswith("Contracts and grants running at the end of the month")
    assert rows[0].relevance == 0.5

    from sim.experiments.report import write_report

    text = write_report(out, network=False).read_text()
    assert "contracts_running" in text or "Contracts running" in text


def test_listing_a_subclass_metric_is_accepted_only_with_its_class(tmp_path):
    exp = load_experiment(_write(tmp_path, metrics='metrics = ["contracts_running"]'))
    assert exp.metrics == ["contracts_running"]
    with pytest.raises(ExperimentError, match="unknown metric 'contracts_running'"):
        load_experiment(_write(tmp_path, model="", metrics='metrics = ["contracts_running"]', name="plain"))


@pytest.mark.parametrize("model, needle", [
    ('model = "not a path"', "package.module:ClassName"),
    ('model = "no_such_module_here:Model"', "cannot import"),
    ('model = "toy_models:toy_run"', "not a subclass of sim.PartnershipModel"),
])
def test_a_bad_model_is_one_clear_line(tmp_path, model, needle):
    with pytest.raises(ExperimentError, match="experiment.model") as err:
        load_experiment(_write(tmp_path, model=model, name="bad"))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_run_and_compare_take_a_model_class_and_report_its_metric(capsys):
    import json

    from sim.cli import main

    small = ["--seeds", "2", "--months", "3", "--set", "sector.charities=20", "--set", "demand.clients=80"]
    assert main(["run", "baseline", *small, "--model", "toy_models:CountingModel", "--json"]) == 0
    assert "contracts_running" in json.loads(capsys.readouterr().out)["metrics"]
    assert main(["compare", "baseline", "inspire", *small, "--workers", "0", "--model", "toy_models:CountingModel",
                 "--metrics", "contracts_running,contracts_active", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["metrics"]) == {"contracts_running", "contracts_active"}
    assert payload["metrics"]["contracts_running"]["relevance"] == 0.5
    assert main(["compare", "baseline", "inspire", *small, "--metrics", "contracts_running"]) == 2
    assert "unknown metric 'contracts_running'" in capsys.readouterr().err
