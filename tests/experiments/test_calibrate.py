"""The calibration machinery (sim.experiments.calibrate) on problems whose answer is known.

A toy simulator with known true parameters goes through the same ABC-SMC code
path as the model (run_abc: prior, target-table distance, History database,
resume, posterior file); the posterior must concentrate on the truth. The
command line is checked on bad input and on a tiny real calibration.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sim.calibration import Target
from sim.cli import main
from sim.errors import UsageError
from sim.experiments.calibrate import POSTERIOR_NAME, load_calibration, point_estimate, run_abc

TRUTH = {"a": 0.6, "b": 1.5}
TOY_TARGETS = [  # what a noise-free toy with the true parameters would publish, with tolerances
    Target("y1", "y1", 0.6, 0.5, 0.7, "toy", "a", "toy"),
    Target("y2", "y2", 1.5, 1.3, 1.7, "toy", "b", "toy"),
]


@dataclass
class Toy:
    """y1 ~ N(a, 0.02), y2 ~ N(b, 0.04): each statistic identifies one parameter. Seeded from the particle."""

    def __call__(self, par):
        a, b = float(par["toy__a"]), float(par["toy__b"])
        rng = np.random.default_rng(zlib.crc32(f"{a:.12g},{b:.12g}".encode()))
        return {"y1": a + rng.normal(0, 0.02), "y2": b + rng.normal(0, 0.04)}


PRIORS = {"toy.a": (0.0, 2.0), "toy.b": (0.0, 3.0)}


def _calibrate(out, generations, fingerprint="toy"):
    return run_abc(Toy(), PRIORS, TOY_TARGETS, out, populations=60, generations=generations, minimum_epsilon=0.0,
                   fingerprint=fingerprint, numpy_seed=11)


def test_synthetic_problem_recovers_the_true_parameters(tmp_path):
    lines = []
    res = run_abc(Toy(), PRIORS, TOY_TARGETS, tmp_path, populations=60, generations=5, numpy_seed=11,
                  announce=lines.append)
    assert len(res.generations) == 5
    eps = res.generations["epsilon"].to_numpy()
    assert np.all(np.diff(eps) < 0), f"epsilon must shrink every generation: {eps}"
    est = res.manifest["point_estimate"]
    for key, truth in (("toy.a", TRUTH["a"]), ("toy.b", TRUTH["b"])):
        assert est[key]["q025"] <= truth <= est[key]["q975"], (key, est[key])
        assert abs(est[key]["mean"] - truth) < 0.1, (key, est[key])
        prior_width = PRIORS[key][1] - PRIORS[key][0]
        assert est[key]["q975"] - est[key]["q025"] < 0.25 * prior_width, (key, est[key])
    # progress: one line a generation, with generation, epsilon and acceptance rate
    gen_lines = [ln for ln in lines if ln.startswith("generation ")]
    assert len(gen_lines) == 5 and "epsilon" in gen_lines[0] and "acceptance rate" in gen_lines[0]
    # the posterior file: draws with weights summing to one, and a manifest
    post = pd.read_parquet(tmp_path / POSTERIOR_NAME)
    assert list(post.columns) == ["generation", "draw", "weight", "toy.a", "toy.b"]
    assert post["weight"].sum() == pytest.approx(1.0) and len(post) == 60
    manifest = json.loads((tmp_path / "posterior.json").read_text())
    assert [t["name"] for t in manifest["targets"]] == ["y1", "y2"]
    assert "pyabc" in manifest["versions"] and len(manifest["generations"]) == 5


def test_resume_continues_from_the_database(tmp_path):
    first = _calibrate(tmp_path, generations=2)
    assert not first.resumed and len(first.generations) == 2
    again = _calibrate(tmp_path, generations=2)  # nothing left to do: no new simulations
    assert again.resumed and again.new_simulations == 0 and len(again.generations) == 2
    more = _calibrate(tmp_path, generations=3)
    assert more.resumed and len(more.generations) == 3
    # the generations already on disk are kept as they were
    assert more.generations["epsilon"].iloc[:2].tolist() == first.generations["epsilon"].tolist()
    assert more.new_simulations == int(more.generations["samples"].iloc[2])


def test_resume_refuses_a_different_experiment(tmp_path):
    _calibrate(tmp_path, generations=1)
    with pytest.raises(UsageError, match="different experiment"):
        _calibrate(tmp_path, generations=2, fingerprint="another")


def test_point_estimate_is_weighted():
    post = pd.DataFrame({"weight": [0.9, 0.1], "x": [1.0, 3.0]})
    est = point_estimate(post, ["x"])["x"]
    assert est["mean"] == pytest.approx(1.2)
    assert est["median"] < 2.0


def _write(tmp_path, text, name="cal.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD = """
[calibration]
scenario = "baseline"
populations = 4
generations = 1
seeds = 1
months = 3
minimum_epsilon = 0.0
min_acceptance_rate = 0.0
targets = ["reoffending_rate"]

[set]
"sector.charities" = 12
"sector.localities" = 3
"sector.prisons" = 1
"demand.clients" = 120

[parameters]
"clients.reoffending_annual" = { low = 0.15, high = 0.35 }
"""


@pytest.mark.parametrize("text, key", [
    (GOOD.replace("populations = 4", "populatons = 4"), "calibration.populatons"),
    (GOOD.replace('"clients.reoffending_annual"', '"clients.no_such_key"'), "parameters.clients.no_such_key"),
    (GOOD.replace("high = 0.35", "high = 3.5"), "parameters.clients.reoffending_annual"),
    (GOOD.replace('targets = ["reoffending_rate"]', 'targets = ["nonsense"]'), "calibration.targets"),
    (GOOD.replace("high = 0.35", "high = 0.1"), "parameters.clients.reoffending_annual.high"),
    (GOOD + "\n[extra]\nx = 1\n", "extra"),
    ("[calibration\n", ""),
])
def test_bad_calibration_files_are_one_line_and_exit_2(tmp_path, capsys, text, key):
    path = _write(tmp_path, text)
    assert main(["calibrate", str(path), "--workers", "0", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and str(path) in err and key in err


def test_missing_file_and_bad_workers(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "nope.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
    path = _write(tmp_path, GOOD)
    assert main(["calibrate", str(path), "--workers", "-1"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_load_calibration_applies_set_and_months(tmp_path):
    cal = load_calibration(_write(tmp_path, GOOD))
    assert cal.scenario["sector"]["charities"] == 12 and cal.scenario["run"]["months"] == 3
    assert [t.name for t in cal.targets] == ["reoffending_rate"]


def test_command_runs_the_model_and_resumes(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--workers", "0", "--out", str(out), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["generations"]) == 1 and first["new_simulations"] >= 4
    post = pd.read_parquet(out / POSTERIOR_NAME)
    assert len(post) == 4 and post["clients.reoffending_annual"].between(0.15, 0.35).all()
    # the same command again: nothing new to run, the posterior is kept
    assert main(["calibrate", str(path), "--workers", "0", "--out", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["new_simulations"] == 0 and again["generations"] == first["generations"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Port .* is already in use")
def test_dask_sampler_path_on_an_embedded_cluster(tmp_path):
    """The same toy through pyabc's DaskDistributedSampler (an in-process cluster on 127.0.0.1, no dashboard)."""
    import pyabc
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster)
    try:
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client, client_max_jobs=4, batch_size=10)
        res = run_abc(Toy(), PRIORS, TOY_TARGETS, tmp_path, populations=30, generations=2, sampler=sampler)
    finally:
        client.close()
        cluster.close()
    est = res.manifest["point_estimate"]
    assert len(res.generations) == 2 and res.generations["epsilon"].iloc[1] < res.generations["epsilon"].iloc[0]
    assert abs(est["toy.a"]["mean"] - TRUTH["a"]) < 0.35 and abs(est["toy.b"]["mean"] - TRUTH["b"]) < 0.5


def test_a_database_of_unknown_origin_is_never_overwritten(tmp_path):
    (tmp_path / "calibration.db").write_bytes(b"someone else's")
    with pytest.raises(UsageError, match="calibration.db"):
        _calibrate(tmp_path, generations=1)
    assert (tmp_path / "calibration.db").read_bytes() == b"someone else's"


def test_calibrate_never_advises_deleting(tmp_path):
    _calibrate(tmp_path, generations=1)
    with pytest.raises(UsageError) as info:
        _calibrate(tmp_path, generations=2, fingerprint="another")
    assert "delete" not in str(info.value) and "another --out" in str(info.value)
    other = tmp_path / "other"
    other.mkdir()
    (other / "calibration.db").write_bytes(b"someone else's")
    with pytest.raises(UsageError) as info:
        _calibrate(other, generations=1)
    assert "delete" not in str(info.value)


def test_calibrate_refuses_a_folder_of_other_results(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    out = tmp_path / "sweep_results"
    out.mkdir()
    manifest = json.dumps({"kind": "sweep", "experiment": {"name": "smoke"}})
    (out / "manifest.json").write_text(manifest)
    assert main(["calibrate", str(path), "--workers", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already holds results of a different experiment (smoke)" in err and err.count("\n") == 1
    assert sorted(p.name for p in out.iterdir() if p.name != ".partnersim.lock") == ["manifest.json"]
    assert (out / "manifest.json").read_text() == manifest


def test_calibrate_takes_the_folder_lock(tmp_path, capsys):
    from filelock import FileLock

    path = _write(tmp_path, GOOD)
    out = tmp_path / "busy"
    out.mkdir()
    with FileLock(str(out / ".partnersim.lock"), timeout=0):
        assert main(["calibrate", str(path), "--workers", "0", "--out", str(out)]) == 2
    assert "another partnersim process is working in this folder" in capsys.readouterr().err
    assert not (out / "calibration.db").exists()
