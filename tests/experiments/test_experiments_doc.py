"""The worked examples of docs/experiments.md run exactly as written, and the page lists every key."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from sim.cli import main

from sweep_helpers import ROOT

DOC = ROOT / "docs" / "experiments.md"


def examples() -> list[tuple[str, str, list[list[str]]]]:
    """(file name, TOML text, commands) for each ``<!-- example: NAME -->`` section."""
    text = DOC.read_text()
    out = []
    for m in re.finditer(r"<!-- example: (\S+) -->(.*?)(?=<!-- example:|\Z)", text, re.S):
        name, body = m.group(1), m.group(2)
        toml = re.search(r"```toml\n(.*?)```", body, re.S).group(1)
        console = re.search(r"```console\n(.*?)```", body, re.S).group(1)
        commands = [shlex.split(line[2:])[1:] for line in console.splitlines() if line.startswith("$ partnersim ")]
        out.append((name, toml, commands))
    return out


def test_the_page_has_three_examples():
    assert [name for name, _, _ in examples()] == ["contract_length.toml", "screening.toml", "collapse.toml"]


@pytest.mark.parametrize("name", ["contract_length.toml", "screening.toml", "collapse.toml"])
def test_worked_example_runs_as_documented(tmp_path, name, capsys):
    _, toml, commands = next(e for e in examples() if e[0] == name)
    (tmp_path / name).write_text(toml)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        for args in commands:
            capsys.readouterr()
            code = main(args)
            out = capsys.readouterr()
            assert code == 0, (args, out.out, out.err)
            assert "Traceback" not in out.err
    finally:
        os.chdir(old)
    results = tmp_path / commands[0][commands[0].index("--out") + 1]
    assert (results / "report.md").is_file() and (results / "runs.parquet").is_file()


def test_every_key_of_an_experiment_file_is_documented():
    from sim.experiments.design import DiscoverySection, ExperimentSection

    text = DOC.read_text()
    for key in [*ExperimentSection.model_fields, *DiscoverySection.model_fields, "seeds"]:
        assert f"| `{key}` |" in text, key
    for table in ("[experiment]", "[set]", "[parameters]", "[variants.NAME]", "[discovery]"):
        assert f"### `{table}`" in text, table
