"""The API reference: built from docstrings by pdoc (scripts/api_docs.sh), and complete.

The reference is generated, never written by hand, so the test is that it
builds and that nothing public is missing from it: every public module,
function, class, method and property of the ``sim`` package has a docstring.
Public means a name not starting with ``_`` that the module defines (or lists
in its ``__all__``), and the public methods and properties of those classes.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import warnings
from functools import cached_property
from pathlib import Path

import pytest

pdoc = pytest.importorskip("pdoc")
from pdoc import doc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "api_docs.sh"
OPTIONS = ["--docformat", "google", "--no-show-source"]


def modules() -> list[str]:
    """Every module of the sim package, as scripts/api_docs.sh names them to pdoc."""
    import sim

    return ["sim", *(m.name for m in pkgutil.walk_packages(sim.__path__, "sim."))]


def _is_property(cls: doc.Class, name: str) -> bool:
    for base in cls.obj.__mro__:
        if name in vars(base):
            return isinstance(vars(base)[name], (property, cached_property))
    return False


def undocumented() -> list[str]:
    """Full names of public modules, functions, classes, methods and properties with no docstring."""
    missing = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules():
            module = doc.Module.from_name(name)
            if not module.docstring.strip():
                missing.append(name)
            listed = getattr(module.obj, "__all__", None)
            for member in module.own_members:
                if member.name.startswith("_"):
                    continue
                if listed is not None and member.name not in listed:
                    continue
                if listed is None and member.taken_from[0] != name:
                    continue  # imported from elsewhere: documented where it is defined
                checked = [member]
                if isinstance(member, doc.Class) and member.taken_from[0] == name:
                    checked += [m for m in member.own_members if not m.name.startswith("_")
                                and (isinstance(m, (doc.Function, doc.Class)) or _is_property(member, m.name))]
                for item in checked:
                    if not isinstance(item, (doc.Function, doc.Class, doc.Variable)):
                        continue
                    if isinstance(item, doc.Variable) and item is member:
                        continue  # module-level constants are documented by their #: comments where they have one
                    if not item.docstring.strip():
                        missing.append(item.fullname)
    return sorted(set(missing))


def test_every_public_name_of_sim_has_a_docstring():
    missing = undocumented()
    assert not missing, f"{len(missing)} public names without a docstring: {', '.join(missing)}"


def test_the_check_sees_classes_methods_and_properties():
    names = modules()
    assert {"sim", "sim.model", "sim.schedule", "sim.metrics", "sim.partnerships", "sim.rules",
            "sim.experiments.engine"} <= set(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schedule = doc.Module.from_name("sim.schedule")
    cls = schedule.members["Schedule"]
    assert "insert_before" in cls.members and _is_property(cls, "names")
    assert not _is_property(cls, "insert_before")


@pytest.mark.slow
def test_the_reference_builds_into_a_folder(tmp_path):
    script = SCRIPT.read_text(encoding="utf-8")
    assert "-m pdoc" in script and all(option in script for option in OPTIONS) and "docs/api" in script
    assert "pkgutil.walk_packages(sim.__path__" in script
    out = tmp_path / "api"
    done = subprocess.run([sys.executable, "-W", "ignore", "-m", "pdoc", *OPTIONS, "--output-directory", str(out), *modules()],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "index.html").is_file()
    for page in ("sim.html", "sim/model.html", "sim/schedule.html", "sim/metrics.html", "sim/partnerships.html"):
        assert (out / page).is_file(), page
    model_page = (out / "sim" / "model.html").read_text(encoding="utf-8")
    assert "PartnershipModel" in model_page and "merge_charities" in model_page
