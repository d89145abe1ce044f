"""Bad experiment files and arguments: one clear line, exit status 2, no traceback, nothing lost."""

from __future__ import annotations

import pytest

from sim.cli import main

from sweep_helpers import cli, write_experiment


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_cli(capsys):
    """The CLI in this process (fast); ``cli()`` runs it as a real subprocess where that matters."""
    def call(*args: str) -> _Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse errors
            code = exc.code
        out = capsys.readouterr()
        return _Result(code, out.out, out.err)
    return call

GOOD = """
[experiment]
scenarios = ["baseline"]
replications = 2
months = 12
[parameters]
"statutory.engagement" = [0.2, 0.8]
"""


def _one_line_error(result, *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and err.startswith("partnersim: error:")
    for n in needles:
        assert n in err, (n, err)
    return err


@pytest.mark.parametrize("text, needles", [
    (GOOD.replace("replications", "replicates"), ["experiment.replicates", "unknown key", "replications"]),
    (GOOD.replace('"statutory.engagement"', '"statutory.engagment"'), ["statutory.engagment", "unknown key", "engagement"]),
    (GOOD.replace("[0.2, 0.8]", "[0.2, 1.8]"), ["parameters.statutory.engagement", "less than or equal to 1"]),
    (GOOD.replace("replications = 2", "replications = 0"), ["experiment.replications", "greater than or equal to 1"]),
    (GOOD.replace("[parameters]", "[parameters\n"), ["malformed TOML"]),
    (GOOD.replace('"baseline"', '"no_such_scenario"'), ["experiment.scenarios", "no_such_scenario", "not found"]),
    (GOOD + "\n[settings]\nx = 1\n", ["settings", "unknown table"]),
    (GOOD.replace("[0.2, 0.8]", "{ low = 0.8, high = 0.2, steps = 3 }"), ["high must be greater than low"]),
    (GOOD.replace("[0.2, 0.8]", "{ low = 0.1, high = 0.9 }"), ["needs steps"]),
    (GOOD.replace("[0.2, 0.8]", "[]"), ["parameters.statutory.engagement", "empty"]),
    (GOOD.replace("months = 12", 'months = 12\nmetrics = ["happiness"]'), ["experiment.metrics", "happiness", "allowed"]),
    (GOOD.replace("months = 12", 'months = 12\ndesign = "sobol"\nsamples = 6'), ["power of two"]),
    (GOOD + '\n[set]\n"sector.charities" = 1\n', ["set.sector.charities", "greater than or equal to 2"]),
])
def test_bad_experiment_file(tmp_path, run_cli, text, needles):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    err = _one_line_error(run_cli("sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "0"), *needles)
    assert str(path) in err, "the line names the file"
    assert not (tmp_path / "out").exists(), "nothing is started for a bad file"


def test_missing_experiment_file_in_a_real_process(tmp_path):
    _one_line_error(cli("sweep", str(tmp_path / "nope.toml")), "nope.toml", "file not found")


def test_bad_arguments(tmp_path, run_cli):
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    _one_line_error(run_cli("sweep", str(good), "--workers", "-1"), "--workers")
    _one_line_error(run_cli("sweep", str(good), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"), "not allowed")
    _one_line_error(run_cli("compare", "baseline", "baseline", "--seeds", "3"), "same scenario")
    _one_line_error(run_cli("compare", "baseline", "nowhere", "--seeds", "3"), "nowhere", "not found")
    _one_line_error(run_cli("compare", "baseline", str(good), "--seeds", "1"), "--seeds")
    _one_line_error(run_cli("compare", "baseline", "inspire", "--set", "sector.charitys=3"), "sector.charitys", "unknown key")
    _one_line_error(run_cli("report", str(tmp_path / "nothing")), "not a folder")
    _one_line_error(run_cli("report", str(tmp_path)), "missing")
    _one_line_error(run_cli("discover", str(good), "--where", "partnerships_active ~ 1"), "--where", "METRIC OP NUMBER")
    _one_line_error(run_cli("sensitivity", str(good)), "morris")


def test_results_of_another_experiment_are_not_overwritten(tmp_path, run_cli):
    first = write_experiment(tmp_path, "first", replications=1, values=(12,), months=6)
    out = tmp_path / "out"
    assert run_cli("sweep", str(first), "--out", str(out), "--workers", "0").returncode == 0
    before = {p.name: p.read_bytes() for p in (out / "parts").iterdir()}
    second = write_experiment(tmp_path, "second", replications=1, values=(24,), months=6)
    _one_line_error(run_cli("sweep", str(second), "--out", str(out), "--workers", "0"), "different experiment")
    assert {p.name: p.read_bytes() for p in (out / "parts").iterdir()} == before


def test_duplicate_values_are_named(tmp_path, run_cli):
    path = tmp_path / "dup.toml"
    path.write_text(GOOD.replace("[0.2, 0.8]", "[0.2, 0.2]"))
    _one_line_error(run_cli("sweep", str(path), "--workers", "0"), "parameters.statutory.engagement", "twice")


def test_bad_discovery_condition_in_the_file(tmp_path, run_cli):
    path = tmp_path / "disc.toml"
    path.write_text(GOOD + '\n[discovery]\nwhere = "partnerships <= 1"\n')
    _one_line_error(run_cli("sweep", str(path), "--workers", "0"), "discovery.where", "unknown metric")
