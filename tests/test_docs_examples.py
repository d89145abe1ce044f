"""The worked examples of docs/extending.md run exactly as written.

Every ```python block of the page is executed, in order, in one fresh module
(as a researcher's script would run them), so a class defined in one block is
named by ``f"{__name__}:ClassName"`` in a later one, as the page shows.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown page, in order."""
    return BLOCK.findall(text)


def test_the_page_has_the_three_examples():
    text = PAGE.read_text(encoding="utf-8")
    blocks = python_blocks(text)
    assert len(blocks) >= 4
    for heading in ("Example 1: a custom metric", "Example 2: a payment-by-results commissioner",
                    "Example 3: a merger mechanism", "Why clients are arrays"):
        assert heading in text
    code = "\n".join(blocks)
    for call in ("metrics.extend(", '"model": f"{__name__}:', "run_sweep(", "insert_before(\"finance\"",
                 "commissioner_cls", "merge_charities("):
        assert call in code, call


@pytest.mark.slow
def test_the_examples_run_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the sweep example writes to a temporary folder
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    name = "extending_examples"
    module = types.ModuleType(name)
    module.__file__ = str(PAGE)
    monkeypatch.setitem(sys.modules, name, module)
    for i, block in enumerate(python_blocks(PAGE.read_text(encoding="utf-8")), 1):
        try:
            exec(compile(block, f"{PAGE.name} block {i}", "exec"), module.__dict__)
        except Exception as err:  # pragma: no cover - the message names the block that failed
            raise AssertionError(f"docs/extending.md, python block {i} failed: {type(err).__name__}: {err}") from err
    assert issubclass(module.UnsupportedModel, module.sim.PartnershipModel)
    assert module.summary.ok and module.pbr.counters["closures"] >= 0
