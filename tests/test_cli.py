"""The command line: bad input, results on disk, schema, validate and ``run --json``.

One of each kind of bad input, and the commands whose output is the public
interface, run in a fresh process through the installed ``partnersim`` script,
as a user would run them. Importing the package takes a couple of seconds, so
those commands are started together and their results shared by the tests;
every other case calls the same ``sim.cli.main`` in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import sim
from sim.cli import main as cli_main

SMALL_RUN = ["--seeds", "2", "--months", "3", "--set", "sector.charities=20", "--set", "demand.clients=60"]


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


SCRIPT = Path(sys.executable).parent / "partnersim"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())"]


def start(args, cwd: Path, command=COMMAND) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.Popen([*command, *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_all(commands: dict[str, list], cwd: Path) -> dict[str, Result]:
    """Start every command at once (a couple at a time would take minutes), then collect."""
    procs = {k: start(a, cwd) for k, a in commands.items()}
    out = {}
    for k, p in procs.items():
        so, se = p.communicate(timeout=600)
        out[k] = Result(tuple(map(str, commands[k])), p.returncode, so, se)
    return out


def assert_one_line_error(r: Result, *must_name: str) -> None:
    assert r.returncode == 2, (r.args, r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), r.stderr
    for text in must_name:
        assert text in lines[0], (text, lines[0])


# ------------------------------------------------------------------ bad input

BAD_FILES = {
    "wrong_key.toml": '[run]\nmonths = 12\nmonthz = 3\n',
    "wrong_section.toml": '[sectr]\ncharities = 40\n',
    "wrong_commissioner_key.toml": ('[[commissioners]]\nname = "X"\nkind = "pcc"\nbudget_share = 1.0\n'
                                    'domains = ["housing"]\nbudjet = 3\n'),
    "out_of_range.toml": '[statutory]\nengagement = 1.5\n',
    "bad_choice.toml": '[commissioning]\nretender = "sometimes"\n',
    "wrong_type.toml": '[run]\nmonths = "many"\n',
    "malformed.toml": '[run\nmonths = 12\n',
    "missing_parent.toml": 'extends = "no_such_parent.toml"\n[run]\nmonths = 12\n',
    "loop_a.toml": 'extends = "loop_b.toml"\n',
    "loop_b.toml": 'extends = "loop_a.toml"\n',
    "self_loop.toml": 'extends = "self_loop.toml"\n',
    "event_spec_key.toml": ('[[events]]\nmonth = 3\nkind = "commissioner"\n[events.spec]\nname = "X"\nkind = "pcc"\n'
                            'budget_share = 0.5\ndomains = ["housing"]\nsettng = "all"\n'),
    "event_unknown_commissioner.toml": '[[events]]\nmonth = 3\nkind = "retender"\ncommissioner = "Nobody"\n',
    "prisons_too_many.toml": '[sector]\nlocalities = 4\nprisons = 4\n',
    "good.toml": 'extends = "baseline.toml"\n[run]\ntitle = "Good small"\nmonths = 3\n[sector]\ncharities = 20\n[demand]\nclients = 60\n',
}

#: case -> (command, texts the one error line must contain)
BAD_CASES = {
    "wrong_key": (["run", "wrong_key.toml"], ["wrong_key.toml", "run.monthz"]),
    "wrong_section": (["run", "wrong_section.toml"], ["wrong_section.toml", "sectr"]),
    "wrong_commissioner_key": (["run", "wrong_commissioner_key.toml"], ["wrong_commissioner_key.toml", "budjet"]),
    "out_of_range": (["run", "out_of_range.toml"], ["out_of_range.toml", "statutory.engagement"]),
    "bad_choice": (["run", "bad_choice.toml"], ["bad_choice.toml", "commissioning.retender", "market_test"]),
    "wrong_type": (["run", "wrong_type.toml"], ["wrong_type.toml", "run.months"]),
    "malformed": (["run", "malformed.toml"], ["malformed.toml"]),
    "event_spec_key": (["validate", "event_spec_key.toml"], ["event_spec_key.toml", "settng"]),
    "event_unknown_commissioner": (["validate", "event_unknown_commissioner.toml"],
                                   ["event_unknown_commissioner.toml", "Nobody"]),
    "prisons_too_many": (["validate", "prisons_too_many.toml"], ["prisons_too_many.toml", "sector.prisons"]),
    "missing_file": (["run", "no_such_file.toml"], ["no_such_file.toml"]),
    "missing_parent": (["run", "missing_parent.toml"], ["missing_parent.toml", "no_such_parent.toml"]),
    "circular": (["run", "loop_a.toml"], ["loop_", "circular"]),
    "self_loop": (["run", "self_loop.toml"], ["self_loop.toml", "circular"]),
    "validate_wrong_key": (["validate", "wrong_key.toml"], ["wrong_key.toml", "run.monthz"]),
    "validate_missing": (["validate", "no_such_file.toml"], ["no_such_file.toml"]),
    "set_no_equals": (["run", "good.toml", "--set", "run.months"], ["--set", "run.months", "KEY=VALUE"]),
    "set_unknown_key": (["run", "good.toml", "--set", "run.monthz=4"], ["--set", "run.monthz"]),
    "set_unknown_section": (["run", "good.toml", "--set", "nosuch.key=4"], ["--set", "nosuch"]),
    "set_wrong_type": (["run", "good.toml", "--set", "run.months=abc"], ["--set", "run.months"]),
    "set_out_of_range": (["run", "good.toml", "--set", "statutory.engagement=2"], ["--set", "statutory.engagement"]),
    "set_bad_choice": (["run", "good.toml", "--set", "commissioning.monitoring=weekly"], ["--set", "commissioning.monitoring"]),
    "seeds_zero": (["run", "good.toml", "--seeds", "0"], ["--seeds"]),
    "months_word": (["run", "good.toml", "--months", "ten"], ["--months"]),
}


#: One of each error class, in a real process (the rest run in-process below, same code path).
SUBPROCESS_CASES = ("wrong_key", "out_of_range", "malformed", "missing_file", "missing_parent", "circular",
                    "set_no_equals", "set_unknown_key", "set_wrong_type")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    for name, text in BAD_FILES.items():
        (d / name).write_text(text, encoding="utf-8")
    (d / "latin1.toml").write_bytes('[run]\ntitle = "Women\'s centre \xa3 caf\xe9"\n'.encode("latin-1"))
    (d / "a_file").write_text("precious\n")
    return d


@pytest.fixture(scope="module")
def results(workdir) -> dict[str, Result]:
    """All independent commands at once: bad input, a good run with --out, schema, --json, validate."""
    commands = {k: BAD_CASES[k][0] for k in SUBPROCESS_CASES}
    commands["out_is_file"] = ["run", "good.toml", *SMALL_RUN, "--out", "a_file"]
    commands["good_out"] = ["run", "good.toml", *SMALL_RUN, "--out", "kept"]
    commands["json"] = ["run", "baseline", "--seeds", "3", "--months", "4", "--set", "sector.charities=25",
                        "--set", "demand.clients=100", "--json"]
    commands["schema"] = ["schema"]
    return run_all(commands, workdir)


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_input_gives_one_line_and_exit_2(results, case):
    assert_one_line_error(results[case], *BAD_CASES[case][1])
    assert results[case].stdout == ""


def call_in_process(args, cwd: Path, capsys) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        try:
            code = cli_main([str(a) for a in args])
        except SystemExit as exit_:  # argparse errors exit directly
            code = exit_.code
    finally:
        os.chdir(old)
    out = capsys.readouterr()
    return Result(tuple(map(str, args)), code, out.out, out.err)


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_in_process(workdir, capsys, case):
    r = call_in_process(BAD_CASES[case][0], workdir, capsys)
    assert_one_line_error(r, *BAD_CASES[case][1])
    assert r.stdout == ""


def test_wrong_key_lists_what_is_allowed(results):
    line = results["wrong_key"].stderr
    for allowed in ("months", "seed", "title"):
        assert allowed in line


def test_file_not_in_utf8_is_bad_input(workdir, capsys):
    assert_one_line_error(call_in_process(["validate", "latin1.toml"], workdir, capsys), "latin1.toml")


def test_out_that_is_a_file_is_refused_and_kept(results, workdir):
    assert_one_line_error(results["out_is_file"], "a_file")
    assert (workdir / "a_file").read_text() == "precious\n"


def test_out_inside_a_file_is_bad_input(workdir, capsys):
    r = call_in_process(["run", "good.toml", *SMALL_RUN, "--out", "a_file/results"], workdir, capsys)
    assert_one_line_error(r, "a_file")
    assert (workdir / "a_file").read_text() == "precious\n"


def test_python_dash_m_reports_usage_errors_without_traceback(workdir):
    p = start(["run", "good.toml", "--out", "a_file"], workdir, command=[sys.executable, "-m", "sim.cli"])
    so, se = p.communicate(timeout=600)
    assert_one_line_error(Result((), p.returncode, so, se), "a_file")


def test_good_run_writes_results(results, workdir):
    r = results["good_out"]
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    out = workdir / "kept"
    import pandas as pd

    monthly = pd.read_parquet(out / "monthly.parquet")
    runs = pd.read_parquet(out / "runs.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(runs) == 2 and runs["seed"].nunique() == 2
    assert len(monthly) == 2 * (3 + 1)
    assert set(sim.BRIEF_METRICS) <= set(monthly.columns) and set(sim.BRIEF_METRICS) <= set(runs.columns)
    assert manifest["seeds"] == [int(s) for s in runs["seed"]]
    assert manifest["scenario"]["run"]["months"] == 3
    assert not list(out.glob("*.tmp"))


def test_failed_runs_leave_existing_results_intact(results, workdir):
    assert results["good_out"].returncode == 0
    out = workdir / "kept"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"monthly.parquet", "runs.parquet", "manifest.json"} <= set(before)
    later = run_all({
        "bad_set": ["run", "good.toml", *SMALL_RUN, "--set", "statutory.engagement=abc", "--out", "kept"],
        "bad_file": ["run", "wrong_key.toml", "--out", "kept"],
    }, workdir)
    for r in later.values():
        assert_one_line_error(r)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


# ------------------------------------------------------------------ schema

def leaf_keys() -> set[str]:
    """Every leaf key of the scenario model, found independently of schema_rows."""
    from pydantic import BaseModel

    from sim.scenario import CommissionerSpec, Event, Scenario

    keys: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
            else:
                keys.add(f"{prefix}{name}")

    walk(Scenario, "")
    keys -= {"commissioners", "events"}
    walk(CommissionerSpec, "[[commissioners]].")
    walk(Event, "[[events]].")
    return keys


def test_schema_lists_every_key(results):
    r = results["schema"]
    assert r.returncode == 0, r.stderr
    rows = sim.schema_rows()
    keys = [row["key"] for row in rows]
    assert len(keys) == len(set(keys))
    assert leaf_keys() <= set(keys)
    for known in ("run.months", "run.seed", "sector.charities", "sector.localities", "demand.clients", "demand.growth",
                  "funding.change", "commissioning.contract_months", "commissioning.retender",
                  "commissioning.value_change_at_retender", "commissioning.incumbency_weight",
                  "commissioning.flexible", "commissioning.monitoring", "partnership.enabled",
                  "partnership.co_location", "partnership.shared_case_management",
                  "partnership.joint_training_months", "statutory.engagement", "[[events]].kind",
                  "[[events]].month", "[[commissioners]].name"):
        assert known in keys, known
    printed = [line.split(" ")[0] for line in r.stdout.splitlines() if line and not line.startswith(" ")]
    assert printed == keys
    for row in rows:
        assert row["type"] and row["meaning"], row["key"]
    by_key = {row["key"]: row for row in rows}
    assert "market_test" in by_key["commissioning.retender"]["range"] and "rollover" in by_key["commissioning.retender"]["range"]
    assert "96" in by_key["run.months"]["default"]
    assert "0" in by_key["statutory.engagement"]["range"] and "1" in by_key["statutory.engagement"]["range"]


def test_schema_json_matches_schema_rows(capsys):
    assert cli_main(["schema", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == sim.schema_rows()


# ------------------------------------------------------------------ validate

def test_validate_by_name(capsys):
    assert cli_main(["validate", "inspire_market_test"]) == 0
    assert capsys.readouterr().out.startswith("ok: inspire_market_test.toml")


@pytest.mark.parametrize("path", sorted(sim.SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_validate_every_shipped_scenario(path, capsys):
    assert cli_main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"ok: {path.name}")
    assert out.err == ""
    sim.load_scenario(path)


# ------------------------------------------------------------------ run --json

def test_run_json_is_one_object_with_every_brief_metric(results):
    r = results["json"]
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert set(doc) >= {"scenario", "seeds", "metrics"}
    assert doc["scenario"] == sim.load_scenario("baseline").run.title
    assert doc["seeds"] == 3
    assert set(sim.BRIEF_METRICS) <= set(doc["metrics"])
    for name in sim.BRIEF_METRICS:
        m = doc["metrics"][name]
        assert set(m) == {"mean", "ci_low", "ci_high"}, name
        assert all(v is None or isinstance(v, (int, float)) for v in m.values()), name
        if m["mean"] is not None and m["ci_low"] is not None:  # no interval when one seed alone had data
            assert m["ci_low"] <= m["mean"] + 1e-9 and m["mean"] <= m["ci_high"] + 1e-9, name
        else:
            assert m["ci_low"] is None and m["ci_high"] is None, name


def test_run_json_matches_the_python_api(results):
    doc = json.loads(results["json"].stdout)
    sc = sim.load_scenario("baseline", {"run.months": 4, "sector.charities": 25, "demand.clients": 100})
    _, final = sim.run_seeds(sc, 3, progress=False)
    table = sim.summarise(final)
    for name in sim.BRIEF_METRICS:
        mean = doc["metrics"][name]["mean"]
        assert (float("nan") if mean is None else mean) == pytest.approx(table.loc[name, "mean"], nan_ok=True), name


NEGATIVE_LISTS = {
    "negative_size_share": ("[sector]\nsize_shares = [1.5, -0.5, 0.0, 0.0]\n", "sector.size_shares"),
    "negative_needs_prob": ("[demand]\nneeds_count_probs = [1.5, -0.5]\n", "demand.needs_count_probs"),
    "negative_domain_weight": ("[demand]\ndomain_weights = [-1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]\n", "demand.domain_weights"),
    "zero_domain_weights": ("[demand]\ndomain_weights = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]\n", "demand.domain_weights"),
}


@pytest.mark.parametrize("case", sorted(NEGATIVE_LISTS))
def test_negative_probabilities_and_weights_are_bad_input(tmp_path, capsys, case):
    text, key = NEGATIVE_LISTS[case]
    (tmp_path / f"{case}.toml").write_text(text)
    r = call_in_process(["validate", f"{case}.toml"], tmp_path, capsys)
    assert_one_line_error(r, f"{case}.toml", key)


# ------------------------------------------------------------------ hostile paths (issue 13)

def _hostile(tmp_path: Path, case: str) -> dict[str, tuple[list, list[str]]]:
    """case -> (arguments, texts the one error line must contain)."""
    (tmp_path / "a_folder.toml").mkdir()
    loop = tmp_path / "loop.toml"
    loop.symlink_to(tmp_path / "loop.toml")
    (tmp_path / "broken.toml").symlink_to(tmp_path / "nowhere.toml")
    (tmp_path / "extends_folder.toml").write_text('extends = "a_folder.toml"\n')
    (tmp_path / "notes.txt").write_text("[run]\nmonths = 3\n")
    (tmp_path / "huge.toml").write_text("# " + "x" * 1_100_000 + "\n")
    # an extends chain 3,000 files deep was a RecursionError
    for i in range(3000 if case == "deep_chain" else 0):
        (tmp_path / f"chain{i}.toml").write_text(f'extends = "chain{i + 1}.toml"\n' if i < 2999 else "[run]\nmonths = 3\n")
    return {
        "folder": (["run", "a_folder.toml"], ["a_folder.toml", "a folder, not a scenario file"]),
        "symlink_loop": (["validate", "loop.toml"], ["loop.toml", "symbolic link loop"]),
        "broken_link": (["validate", "broken.toml"], ["broken.toml", "broken symbolic link"]),
        "dev_zero": (["validate", "/dev/zero"], ["/dev/zero", "not a regular file"]),
        "not_toml": (["validate", str(tmp_path / "notes.txt")], ["notes.txt", "end in .toml"]),
        "absolute_system_file": (["run", "/etc/hostname"], ["/etc/hostname", "end in .toml"]),
        "huge": (["validate", "huge.toml"], ["huge.toml", "at most 1,000,000"]),
        "deep_chain": (["validate", "chain0.toml"], ["chain0.toml", "extends", "more than 32 files"]),
        "extends_folder": (["validate", "extends_folder.toml"], ["extends_folder.toml", "a_folder.toml", "a folder"]),
    }


HOSTILE = ["folder", "symlink_loop", "broken_link", "dev_zero", "not_toml", "absolute_system_file", "huge",
           "deep_chain", "extends_folder"]


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_paths_are_one_line_and_exit_2(tmp_path, capsys, case):
    """A directory, a symlink loop or /dev/zero was "not found"; any absolute path was read as TOML;
    an extends chain 3,000 files deep was a RecursionError."""
    if case == "absolute_system_file" and not Path("/etc/hostname").is_file():
        pytest.skip("no /etc/hostname here")
    args, needles = _hostile(tmp_path, case)[case]
    r = call_in_process(args, tmp_path, capsys)
    assert_one_line_error(r, *needles)
