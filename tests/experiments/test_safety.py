"""Issue 13: nothing overwritten, no runaway runs, failures that say so.

Each test is a defect the issue reports, with the exact input that showed it.
Where the model's own behaviour does not matter, runs use ``toy_run`` (an
instant stand-in) so the tests stay fast and do not depend on the model.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import UsageError
from sim.experiments import load_experiment, run_sweep

from sweep_helpers import cli, write_experiment
from toy_models import dying_run, toy_run


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_cli(capsys):
    def call(*args: str) -> _Result:
        capsys.readouterr()
        try:
            code = main(list(map(str, args)))
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return _Result(code, out.out, out.err)
    return call


def one_line_error(result, *needles: str, status: int = 2) -> str:
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.strip().splitlines() if ln.startswith("partnersim: error:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


TOY = """
[experiment]
scenarios = ["baseline"]
replications = 2
seed = 5
months = 1
metrics = ["partnerships_active"]
[parameters]
"statutory.engagement" = [0.2, 0.5, 0.8]
"""


def _toy(tmp_path, text: str = TOY, name: str = "toy"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return load_experiment(path)


# ------------------------------------------------------------------ never lose or overwrite data

def test_run_out_refuses_a_folder_that_holds_a_sweep(reference_sweep, tmp_path, run_cli):
    """`run inspire --seeds 2 --months 6 --out DIR` on a finished sweep replaced its manifest and tables."""
    out = tmp_path / "sweep"
    shutil.copytree(reference_sweep[1], out)
    before = _snapshot(out)
    err = one_line_error(run_cli("run", "inspire", "--seeds", "2", "--months", "6", "--out", out), "already holds")
    assert "delete" not in err
    assert _snapshot(out) == before


def test_run_out_refuses_a_folder_that_holds_another_run(tmp_path, run_cli):
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"scenario": {"run": {"title": "Earlier"}}}))
    (out / "runs.parquet").write_bytes(b"precious")
    one_line_error(run_cli("run", "baseline", "--seeds", "2", "--months", "2", "--out", out), "already holds", "Earlier")
    assert (out / "runs.parquet").read_bytes() == b"precious"


def test_advice_for_a_folder_of_another_experiment_never_deletes(tmp_path):
    out = tmp_path / "out"
    run_sweep(_toy(tmp_path), out, workers=0, run_fn=toy_run, progress=False)
    before = _snapshot(out)
    other = _toy(tmp_path, TOY.replace("0.8]", "0.9]"), "other")
    with pytest.raises(UsageError, match="different experiment") as err:
        run_sweep(other, out, workers=0, run_fn=toy_run, progress=False)
    assert "delete" not in str(err.value)
    assert _snapshot(out) == before


def test_part_files_without_a_manifest_are_not_taken_over(tmp_path):
    out = tmp_path / "out"
    run_sweep(_toy(tmp_path), out, workers=0, run_fn=toy_run, progress=False)
    for name in ("manifest.json", "runs.parquet", "monthly.parquet"):
        (out / name).unlink()
    parts = _snapshot(out / "parts")
    with pytest.raises(UsageError, match="already holds"):
        run_sweep(_toy(tmp_path, TOY.replace("months = 1", "months = 2"), "longer"), out, workers=0, run_fn=toy_run,
                  progress=False)
    assert _snapshot(out / "parts") == parts


def test_a_folder_another_process_works_in_is_refused(tmp_path, run_cli):
    """Two identical sweeps into one --out both ran all 30 runs; a concurrent resume crashed."""
    from filelock import FileLock

    from sim.experiments.outdir import LOCK_NAME

    out = tmp_path / "busy"
    out.mkdir()
    exp = _toy(tmp_path)
    with FileLock(str(out / LOCK_NAME)):
        with pytest.raises(UsageError, match="another partnersim process"):
            run_sweep(exp, out, workers=0, run_fn=toy_run, progress=False)
        one_line_error(run_cli("run", "baseline", "--seeds", "2", "--months", "1", "--out", out), "another partnersim")
    assert not (out / "manifest.json").exists()
    assert run_sweep(exp, out, workers=0, run_fn=toy_run, progress=False).ok, "free again once the lock is released"


BAD_OUTS = {
    "a file": lambda tmp: _file(tmp),
    "/dev/null": lambda tmp: Path("/dev/null"),
    "under a file": lambda tmp: _file(tmp) / "below",
    "read-only": lambda tmp: Path("/sys/partnersim-results"),
}


def _file(tmp: Path) -> Path:
    f = tmp / "a_file"
    f.write_text("precious\n")
    return f


@pytest.mark.parametrize("kind", list(BAD_OUTS))
@pytest.mark.parametrize("command", ["run", "sweep", "compare"])
def test_out_paths_are_checked_before_any_work(tmp_path, run_cli, kind, command):
    """--out at a file, /dev/null or a read-only folder was a traceback (run: only after every run finished)."""
    out = BAD_OUTS[kind](tmp_path)
    if kind == "read-only" and (not Path("/sys").is_dir() or os.access("/sys", os.W_OK) and _writable("/sys")):
        pytest.skip("no read-only folder on this machine")
    exp = tmp_path / "toy.toml"
    exp.write_text(TOY)
    args = {"run": ["run", "baseline", "--seeds", "2", "--months", "1"],
            "sweep": ["sweep", exp, "--workers", "0"],
            "compare": ["compare", "baseline", "inspire", "--seeds", "2", "--months", "1", "--workers", "0"]}[command]
    one_line_error(run_cli(*args, "--out", out), "--out")
    if kind in ("a file", "under a file"):
        assert (tmp_path / "a_file").read_text() == "precious\n"


def _writable(folder: str) -> bool:
    import tempfile

    try:
        os.rmdir(tempfile.mkdtemp(dir=folder))
        return True
    except OSError:
        return False


def test_a_scheduler_address_that_is_not_one_is_bad_input(tmp_path, run_cli):
    exp = tmp_path / "toy.toml"
    exp.write_text(TOY)
    one_line_error(run_cli("sweep", exp, "--scheduler", "not a url"), "--scheduler", "tcp://")
    one_line_error(run_cli("compare", "baseline", "inspire", "--scheduler", "not a url"), "--scheduler")


# ------------------------------------------------------------------ the size of the work

def test_a_runaway_number_of_seeds_is_refused(run_cli):
    """`run baseline --seeds 999999999999 --months 1` printed nothing and grew 3.5 MB/s."""
    err = run_cli("run", "baseline", "--seeds", "999999999999", "--months", "1")
    assert err.returncode == 2 and "at most 100,000" in err.stderr
    one_line_error(run_cli("run", "baseline", "--seeds", "90000", "--months", "1"), "90,000 runs", "--yes")


@pytest.mark.parametrize("text, needles", [
    # full factorial, steps = 1000 on three levers: a MemoryError at 5.4 GB
    (TOY.replace('"statutory.engagement" = [0.2, 0.5, 0.8]',
                 '"statutory.engagement" = { low = 0, high = 1, steps = 1000 }\n'
                 '"funding.change" = { low = -0.5, high = 0.5, steps = 1000 }\n'
                 '"demand.growth" = { low = 0, high = 1, steps = 1000 }'), ["1,000,000,000 points", "at most"]),
    # Latin hypercube, samples = 1000000 and replications = 100000: hung while growing
    (TOY.replace("replications = 2", 'replications = 100000\ndesign = "latin_hypercube"\nsamples = 1000000')
        .replace("[0.2, 0.5, 0.8]", "{ low = 0, high = 1 }"), ["runs", "at most"]),
])
def test_a_design_too_big_to_plan_is_refused_before_it_is_generated(tmp_path, run_cli, text, needles):
    path = tmp_path / "huge.toml"
    path.write_text(text)
    one_line_error(run_cli("sweep", path, "--out", tmp_path / "out"), *needles)
    assert not (tmp_path / "out").exists()


def test_a_big_design_needs_yes(tmp_path, run_cli):
    """Morris with 10,000 trajectories hung while growing; now it is estimated and needs --yes."""
    path = tmp_path / "morris.toml"
    path.write_text(TOY.replace("replications = 2", 'replications = 1\ndesign = "morris"\ntrajectories = 10000')
                    .replace("[0.2, 0.5, 0.8]", "{ low = 0, high = 1 }"))
    one_line_error(run_cli("sweep", path, "--out", tmp_path / "out"), "20,000 runs", "--yes")
    assert not (tmp_path / "out").exists()
    assert "--yes" in run_cli("sweep", "--help").stdout and "5,000 runs" in run_cli("sweep", "--help").stdout


# ------------------------------------------------------------------ failures are visible

def test_failed_runs_exit_non_zero_and_are_named_also_on_resume(tmp_path, run_cli):
    """A sweep with failed runs exited 0, and re-running it said "0 left"."""
    path = tmp_path / "failing.toml"
    path.write_text(TOY.replace("months = 1", 'months = 2\nmodel = "toy_models:FailingModel"')
                    + '\n[set]\n"sector.charities" = 20\n"demand.clients" = 60\n')
    exp = load_experiment(path)
    failing = sorted(r.key for r in exp.runs() if r.seed % 2 == 1)
    assert failing, "the seeds chosen include odd ones"
    out = tmp_path / "out"
    first = run_cli("sweep", path, "--out", out, "--workers", "0", "--no-progress")
    err = one_line_error(first, f"{len(failing)} runs failed", failing[0], "--retry-failed", status=1)
    again = run_cli("sweep", path, "--out", out, "--workers", "0", "--no-progress")
    assert again.returncode == 1 and err.split("runs failed")[0] in again.stderr


def test_runs_lost_to_the_infrastructure_are_redone_on_resume_without_a_flag(tmp_path, monkeypatch):
    """A killed worker with no retries allowed: "28 of 30 done, 2 failed", exit 0; only --retry-failed recovered them."""
    import dask

    exp = _toy(tmp_path)
    victim = next(iter(exp.runs())).seed
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("PARTNERSIM_TEST_MARKERS", str(markers))
    monkeypatch.setenv("DYING_SEEDS", str(victim))
    out = tmp_path / "out"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        first = run_sweep(exp, out, workers=1, run_fn=dying_run, progress=False)
    assert first.lost and first.failed == 0 and not first.ok
    assert "lost with their worker" in first.problem()
    second = run_sweep(exp, out, workers=0, run_fn=dying_run, progress=False)
    assert second.ok and second.done == exp.n_runs and second.failed == 0


def test_a_cluster_that_fails_to_start_falls_back_to_this_process(tmp_path, monkeypatch):
    """A 57-line traceback ending `AssertionError: Status.starting`, exit 1, manifest left "running"."""
    from sim.experiments import engine

    def fail(self, n):
        raise AssertionError("Status.starting")

    monkeypatch.setattr(engine._Cluster, "_start_local", fail)
    notes: list[str] = []
    out = tmp_path / "out"
    summary = run_sweep(_toy(tmp_path), out, workers=2, run_fn=toy_run, progress=False, announce=notes.append)
    assert summary.ok and summary.where.startswith("in this process")
    assert any("could not start a local Dask cluster" in n and "Status.starting" in n for n in notes)
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_a_small_sweep_runs_in_this_process(tmp_path):
    """A small sweep on the embedded cluster took 11.9 s against 2.5 s in-process."""
    summary = run_sweep(_toy(tmp_path), tmp_path / "out", run_fn=toy_run, progress=False)
    assert summary.ok and summary.where == "in this process"


def test_the_manifest_is_finished_even_when_the_sweep_stops(tmp_path):
    def broken_cluster_run(scenario, seed):
        raise KeyboardInterrupt

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(_toy(tmp_path), out, workers=0, run_fn=broken_cluster_run, progress=False)
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"


# ------------------------------------------------------------------ results that mean what they say

def test_months_and_a_run_months_lever_conflict(tmp_path, run_cli):
    """An experiment's months silently overrode a run.months lever: the data recorded 1 and 2 months."""
    path = tmp_path / "months.toml"
    path.write_text(TOY.replace("[0.2, 0.5, 0.8]", "[0.2]\n\"run.months\" = [1, 2]"))
    one_line_error(run_cli("sweep", path, "--workers", "0"), "experiment.months", "run.months", "[parameters]")


def test_one_seed_gives_no_interval(run_cli):
    """`run --seeds 1` printed a zero-width 95% CI."""
    result = run_cli("run", "baseline", "--seeds", "1", "--months", "2", "--set", "sector.charities=20",
                     "--set", "demand.clients=60", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)["metrics"]
    assert all(m["ci_low"] is None and m["ci_high"] is None for m in metrics.values())
    table = run_cli("run", "baseline", "--seeds", "1", "--months", "2", "--set", "sector.charities=20",
                    "--set", "demand.clients=60")
    assert "n/a" in table.stdout and "one seed gives no interval" in table.stdout


def test_run_intervals_are_clipped_to_the_feasible_range(run_cli):
    """Closures [-3.30, 5.30], shares above 1: every interval stays inside the metric's range."""
    import sim
    from sim.metrics import describe

    result = run_cli("run", "baseline", "--seeds", "2", "--months", "3", "--set", "sector.charities=20",
                     "--set", "demand.clients=60", "--json")
    assert result.returncode == 0, result.stderr
    for name, m in json.loads(result.stdout)["metrics"].items():
        decl = describe(name)
        for v in (m["ci_low"], m["ci_high"]):
            if v is not None:
                assert (decl.low is None or v >= decl.low) and (decl.high is None or v <= decl.high), (name, m)
    assert sim.METRICS


def test_titles_are_sanitised(tmp_path, run_cli):
    scenario = tmp_path / "evil.toml"
    scenario.write_text('extends = "baseline"\n[run]\ntitle = "Evil\\u001b[2J\\u0007 title\\nforged line"\n')
    result = run_cli("validate", scenario)
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "Evil [2J title forged line" in result.stdout
    exp = tmp_path / "evil_exp.toml"
    exp.write_text(TOY.replace("[experiment]", '[experiment]\ntitle = "Sweep\\u001b]0;pwned\\u0007 title"'))
    assert "\x1b" not in load_experiment(exp).settings.title


# ------------------------------------------------------------------ rough edges

def test_schema_into_a_closed_pipe_is_not_an_error(tmp_path):
    """`schema | head` raised BrokenPipeError."""
    import subprocess
    import sys

    from sweep_helpers import ENTRY_POINT, ROOT

    proc = subprocess.run(f"{sys.executable} -c '{ENTRY_POINT}' schema | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert "BrokenPipeError" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip()


def test_sensitivity_help_shows_a_plain_percent(run_cli):
    """`sensitivity --help` showed "95%%"."""
    text = run_cli("sensitivity", "--help").stdout
    assert "95%" in text and "95%%" not in text


def test_a_subprocess_sweep_with_a_bad_scheduler_has_no_traceback(tmp_path):
    exp = tmp_path / "toy.toml"
    exp.write_text(TOY)
    result = cli("sweep", str(exp), "--scheduler", "not a url", "--out", str(tmp_path / "out"))
    one_line_error(result, "--scheduler")


def test_a_lost_cluster_is_one_line_exit_1_and_the_folder_resumes(tmp_path, run_cli, monkeypatch):
    from sim.errors import WorkFailed
    from sim.experiments import engine

    def lose(*args, **kwargs):
        raise WorkFailed("lost the Dask cluster (CommClosedError: gone); finished runs are on disk, "
                         "run the same command again to resume")

    path = tmp_path / "toy.toml"
    path.write_text(TOY.replace("months = 1", 'months = 1\nmodel = "toy_models:FailingModel"'))
    monkeypatch.setattr(engine, "_run_on_dask", lose)
    monkeypatch.setattr(engine, "_small", lambda exp, n: False)
    monkeypatch.setattr(engine._Cluster, "_start_local", lambda self, n: setattr(self, "client", object()))
    out = tmp_path / "out"
    one_line_error(run_cli("sweep", path, "--out", out, "--workers", "2"), "lost the Dask cluster", status=1)
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
