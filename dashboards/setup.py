"""A setup (a scenario file plus the levers moved) and what it is compared with, as plain data.

A setup travels in the page's address, so a reload keeps it and a link shares
it: ``?scenario=inspire_halved&vs=inspire&commissioning.contract_months=60``.
Only levers that differ from the scenario file are written, in scenario units.
Nothing here imports Solara.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sim

from . import levers

#: What the comparison's other arm is.
OWN_FILE = "own"  # the chosen scenario as its file sets it
SCENARIO_PREFIX = "scenario:"  # another scenario file
SAVED_PREFIX = "saved:"  # a setup saved in this session


@dataclass(frozen=True)
class Setup:
    """A scenario file and the lever values that differ from it."""

    scenario: str
    changes: tuple[tuple[str, Any], ...] = ()
    title: str = ""

    @classmethod
    def of(cls, scenario: str, values: Mapping[str, Any], title: str = "") -> Setup:
        own = levers.lever_values(levers.load_file(scenario))
        changed = tuple(sorted((k, v) for k, v in values.items() if k in own and own[k] != v))
        return cls(scenario, changed, title)

    def values(self) -> dict[str, Any]:
        """Every lever's value: the file's, with the changes applied."""
        return {**levers.lever_values(levers.load_file(self.scenario)), **dict(self.changes)}

    def build(self, months: int | None = None) -> levers.Built:
        return levers.build(self.scenario, self.values(), months=months)

    def key(self) -> str:
        """A stable fingerprint (to tell whether a result is out of date)."""
        return json.dumps([self.scenario, [[k, v] for k, v in self.changes]], default=str)

    def describe(self) -> str:
        """"Inspire: multi-partner women's service, with contract length 60 months"."""
        base = levers.load_file(self.scenario)
        title = self.title or base.run.title
        if not self.changes:
            return f"{title} (as its file sets it)" if not self.title else title
        moved = "; ".join(levers.describe_setting(k, v, base) for k, v in self.changes)
        return f"{title}, with {moved}"


def stem(name: str) -> str:
    return name[:-5] if name.endswith(".toml") else name


def to_query(setup: Setup, against: str = OWN_FILE) -> str:
    """The setup as a query string (without the '?')."""
    params: list[tuple[str, str]] = [("scenario", stem(setup.scenario))]
    if against and against != OWN_FILE:
        params.append(("vs", stem(against[len(SCENARIO_PREFIX):]) if against.startswith(SCENARIO_PREFIX) else against))
    for key, value in setup.changes:
        params.append((key, json.dumps(value) if not isinstance(value, str) else value))
    return urlencode(params, safe=":")


@dataclass
class Restored:
    """A setup read back from an address, with anything that could not be used, in words."""

    scenario: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    against: str = OWN_FILE
    problems: list[str] = field(default_factory=list)


def from_query(query: str | None, known: Mapping[str, sim.Scenario]) -> Restored:
    """Read a setup from a query string; unknown scenarios or keys become sentences, never errors.

    ``known``: scenario file name -> scenario (the catalogue the page lists).
    """
    out = Restored()
    if not query:
        return out
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    params = dict(pairs)
    name = params.get("scenario")
    if name:
        file_name = name if name.endswith(".toml") else f"{name}.toml"
        if file_name in known:
            out.scenario = file_name
        else:
            out.problems.append(f"The link names a scenario '{name}' that is not available, so the page starts "
                                "from the baseline.")
    vs = params.get("vs")
    if vs:
        file_name = vs if vs.endswith(".toml") else f"{vs}.toml"
        if file_name in known:
            out.against = SCENARIO_PREFIX + file_name
        elif vs != OWN_FILE:
            out.problems.append(f"The link compares with '{vs}', which is not available.")
    if out.scenario is None:
        return out
    scenario = known[out.scenario]
    own = levers.lever_values(scenario)
    values = dict(own)
    for key, raw in pairs:
        if key in ("scenario", "vs"):
            continue
        lever = levers.lever_for(key, scenario)
        if lever is None or key not in own:
            out.problems.append(f"The link sets '{key}', which this page does not offer; it was left out.")
            continue
        value = parse_value(raw, own[key])
        if value is None:
            out.problems.append(f"The link sets {lever.label} to '{raw}', which is not a usable value; it was left out.")
            continue
        values[key] = value
    out.values = values
    return out


def parse_value(raw: str, like: Any) -> Any:
    """A query-string value in the type of the scenario's own value (None when it does not parse)."""
    if isinstance(like, bool):
        return {"true": True, "false": False, "on": True, "off": False}.get(raw.lower())
    if isinstance(like, int):
        try:
            return int(float(raw))
        except ValueError:
            return None
    if isinstance(like, float):
        try:
            return float(raw)
        except ValueError:
            return None
    return raw


def saved_name(index: int, setup: Setup) -> str:
    return f"Saved {index}: {setup.describe()}"[:140]
