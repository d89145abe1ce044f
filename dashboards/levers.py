"""The levers a commissioner controls, and how they map onto scenario keys.

The dashboard shows each lever as a slider, a switch or a choice in the
commissioner's own units (percentages, months, plain words); this module turns
those control values into scenario overrides and back, and explains settings
that make no sense together instead of letting the model fail on them. It has
no Solara in it, so it is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Literal

import sim

Control = Literal["slider", "switch", "choice", "number"]


@dataclass(frozen=True)
class Lever:
    """One commissioner lever.

    Attributes:
        key: the scenario key it sets (``section.name``).
        label: what the control is called on the page.
        help: one or two plain-English sentences shown under the control.
        control: ``slider``, ``switch`` or ``choice``.
        low, high, step: slider range in control units.
        scale: control units per scenario unit (100 for percentages).
        on_value, off_value: scenario values of a switch (default True/False).
        choices: (scenario value, label) pairs of a choice.
        unit: suffix shown after a slider's value.
        group: the heading the lever sits under on the page.
    """

    key: str
    label: str
    help: str
    control: Control
    low: float = 0
    high: float = 1
    step: float = 1
    scale: float = 1
    on_value: Any = True
    off_value: Any = False
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    unit: str = ""
    group: str = "Contracts and tenders"

    @property
    def is_integer(self) -> bool:
        """Sliders and number boxes whose control values are whole numbers."""
        return (self.control in ("slider", "number") and float(self.step).is_integer()
                and float(self.low).is_integer() and float(self.scale).is_integer())

    @property
    def slug(self) -> str:
        """A CSS-safe name for the lever's control on the page."""
        return self.key.replace(".", "-").replace("_", "-")

    def to_control(self, value: Any) -> Any:
        """Scenario value -> control value (e.g. -0.5 -> -50 for a percentage slider)."""
        if self.control == "switch":
            return value == self.on_value
        if self.control == "choice":
            return value
        scaled = float(value) * self.scale
        return int(round(scaled)) if self.is_integer else scaled

    def from_control(self, control_value: Any) -> Any:
        """Control value -> scenario value (e.g. -50 -> -0.5)."""
        if self.control == "switch":
            return self.on_value if bool(control_value) else self.off_value
        if self.control == "choice":
            allowed = [v for v, _ in self.choices]
            if control_value not in allowed:
                raise ValueError(f"{self.label}: choose one of {', '.join(l for _, l in self.choices)}")
            return control_value
        value = float(control_value) / self.scale
        if self.scale == 1 and self.is_integer:
            return int(round(value))
        return round(value, 6)

    def bounds_for(self, control_value: Any) -> tuple[float, float]:
        """Slider range widened, if needed, to show a scenario's own value."""
        lo, hi = self.low, self.high
        if self.control in ("slider", "number"):
            lo, hi = min(lo, control_value), max(hi, control_value)
        return lo, hi

    def parse_typed(self, text: Any) -> tuple[Any, str]:
        """Typed entry -> (scenario value, "") or (None, a sentence saying what is allowed)."""
        try:
            number = float(str(text).replace("%", "").replace(",", "").strip())
        except ValueError:
            return None, f"{self.label}: type a number from {self._fmt(self.low)} to {self._fmt(self.high)}."
        if not math.isfinite(number):
            return None, f"{self.label}: type a number from {self._fmt(self.low)} to {self._fmt(self.high)}."
        lo, hi = schema_range(self.key) if "." in self.key and not self.key.startswith("commissioners.") else (None, None)
        value = self.from_control(int(round(number)) if self.is_integer else number)
        low = self.from_control(self.low) if lo is None else lo
        high = self.from_control(self.high) if hi is None else hi
        if value < low or value > high:
            return None, (f"{self.label}: {self._fmt(number)}{self.unit if self.unit == '%' else ''} is outside what the "
                          f"model allows ({self._fmt(self.to_control(low))} to {self._fmt(self.to_control(high))}"
                          f"{' ' + self.unit if self.unit and self.unit != '%' else self.unit}).")
        return value, ""

    @staticmethod
    def _fmt(x: Any) -> str:
        return f"{x:g}" if isinstance(x, (int, float)) else str(x)

    def describe(self, value: Any) -> str:
        """The value as a commissioner would say it ("-50%", "36 months", "on")."""
        if self.control == "switch":
            return "on" if value == self.on_value else "off"
        if self.control == "choice":
            return dict(self.choices).get(value, str(value))
        if value is None:
            return "as the scenario sets it"
        shown = self.to_control(value)
        if self.unit == "%":
            return f"{shown:+d}%" if self.low < 0 else f"{shown}%"
        unit = self.unit[:-1] if self.unit.endswith("s") and shown == 1 else self.unit
        return f"{shown} {unit}".strip()


#: The levers, in the order they appear on the page, by group.
CONTRACTS, PRACTICE, MONEY, REGION = ("Contracts and tenders", "Partnership practice", "Money and demand",
                                      "Region (its size)")

LEVERS: tuple[Lever, ...] = (
    Lever("commissioning.contract_months", "Contract length", "How long each statutory contract runs before it is "
          "tendered again. Short contracts mean frequent re-tendering; Golden Key was funded for eight years (96 months).",
          "slider", 1, 120, 1, unit="months"),
    Lever("commissioning.value_change_at_retender", "Change in contract value at re-tender",
          "How much a contract's value changes each time it is tendered again. -50% halves it, as happened to Inspire.",
          "slider", -100, 100, 5, scale=100, unit="%"),
    Lever("commissioning.retender", "When a contract ends",
          "Renew it with the current provider (roll over), or open it to competing bids (market test). "
          "A market test can tempt partners to bid against each other.",
          "choice", choices=(("rollover", "Roll over"), ("market_test", "Test the market"))),
    Lever("commissioning.incumbency_weight", "Weight on existing provision",
          "How much a tender values what current providers already do locally ('understand what you have'). "
          "0% ignores it; 100% counts it fully.",
          "slider", 0, 100, 5, scale=100, unit="%"),
    Lever("commissioning.flexible", "Flexible funding",
          "Let a partnership reorganise within a contract, for example replace a partner that leaves, without a new tender.",
          "switch"),
    Lever("commissioning.monitoring", "Standardised monitoring",
          "One monitoring system for the whole partnership instead of one per partner, so staff report once, not several times.",
          "switch", on_value="standardised", off_value="per_partner"),
    Lever("commissioning.partnership_required", "Partnership required to bid",
          "Tenders accept bids only from partnerships of two or more charities.", "switch"),
    Lever("commissioning.price_weight", "Weight on price in bid scoring",
          "How much the cheapest bid is favoured when bids are scored; the rest goes to quality and track record.",
          "slider", 0, 100, 5, scale=100, unit="%"),
    Lever("partnership.enabled", "Partnerships allowed",
          "Whether charities may form partnerships and work together at all. Off shows what happens without them.",
          "switch", group=PRACTICE),
    Lever("partnership.co_location", "Co-location",
          "Partners' staff work from one site, like a one-stop shop; frontline staff get to know each other and referrals work better.",
          "switch", group=PRACTICE),
    Lever("partnership.shared_case_management", "Shared case management",
          "Partners use one case-management system, so a prisoner's support follows them when they move prison.", "switch",
          group=PRACTICE),
    Lever("partnership.joint_training_months", "Joint training every",
          "How often partners' frontline staff train together after their induction. 0 means never again, "
          "so frontline ties fade.",
          "slider", 0, 24, 1, unit="months", group=PRACTICE),
    Lever("statutory.engagement", "Statutory engagement",
          "How committed statutory partners (probation, prisons, police, councils, health) are to running the "
          "partnership together. The schema sets one value for all statutory commissioners.",
          "slider", 0, 100, 5, scale=100, unit="%", group=PRACTICE),
    Lever("demand.growth", "Change in demand over the run",
          "Total change in the number of people needing support by the end of the run. The report expects +70%.",
          "slider", -50, 150, 5, scale=100, unit="%", group=MONEY),
    Lever("funding.change", "Change in funding over the run",
          "Total change in the money available by the end of the run, applied gradually. The report expects -30%.",
          "slider", -80, 100, 5, scale=100, unit="%", group=MONEY),
    Lever("funding.grant_share", "Share of money given as grants",
          "Share of the money that independent funders give as grants (long, flexible) rather than statutory contracts. "
          "Nationally about a quarter.",
          "slider", 0, 100, 5, scale=100, unit="%", group=MONEY),
    Lever("funding.commissioned_per_client", "Money per client a month",
          "Commissioners' combined budget per starting client per month, in pounds. It sets how many staff hours "
          "contracts can buy.",
          "number", 0, 2000, 0.1, unit="£", group=MONEY),  # pence: the calibrated default is 44.2
    Lever("sector.charities", "Charities in the region",
          "How many voluntary organisations work in the region at the start. A size, not a policy: comparisons "
          "between different sizes are not like for like.",
          "number", 2, 2000, 1, group=REGION),
    Lever("sector.localities", "Places",
          "How many places (community localities and prisons) the region has. A size, not a policy.",
          "number", 1, 200, 1, group=REGION),
    Lever("sector.prisons", "Prisons among the places",
          "How many of the places are prisons (fewer than the places).", "number", 0, 100, 1, group=REGION),
    Lever("demand.clients", "Clients at the start",
          "People under support at the start; arrivals keep the number near it, before any change in demand.",
          "number", 0, 100000, 10, group=REGION),
)

LEVERS_BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}

#: Scenario keys that set the region's size: two setups that differ in these are not like for like.
SIZE_KEYS: tuple[str, ...] = ("sector.charities", "sector.localities", "sector.prisons", "demand.clients")

#: Commissioner kinds, as a commissioner would name them.
FUNDER_KINDS: tuple[tuple[str, str], ...] = (
    ("ministry", "Ministry"), ("prison_service", "Prison service"), ("probation", "Probation company"),
    ("pcc", "Police and crime commissioner"), ("local_authority", "Local authority"), ("health", "Health"),
    ("lottery", "Lottery fund (independent)"),
)


def commissioner_levers(scenario: sim.Scenario) -> tuple[Lever, ...]:
    """Levers for each commissioner the scenario names: funder type, grant or contract, contract length."""
    out = []
    for i, spec in enumerate(scenario.commissioners):
        group = f"Commissioner: {spec.name}"
        out += [
            Lever(f"commissioners.{i}.kind", "Funder type", "Who this commissioner is. A lottery fund is an "
                  "independent grant funder; the others are statutory.", "choice", choices=FUNDER_KINDS, group=group),
            Lever(f"commissioners.{i}.grant", "Gives grants (not contracts)",
                  "A grant is long, flexible and light-touch and always funds a partnership; a contract is tendered, "
                  "monitored and re-tendered.", "switch", group=group),
            Lever(f"commissioners.{i}.contract_months", "Its contract or grant length",
                  "How long this commissioner's contracts or grants run before they end or are re-tendered.",
                  "slider", 1, 120, 1, unit="months", group=group),
        ]
    return tuple(out)


def all_levers(scenario: sim.Scenario | None) -> tuple[Lever, ...]:
    """The fixed levers plus this scenario's commissioners."""
    return LEVERS + (commissioner_levers(scenario) if scenario is not None else ())


def lever_for(key: str, scenario: sim.Scenario | None = None) -> Lever | None:
    if key in LEVERS_BY_KEY:
        return LEVERS_BY_KEY[key]
    return next((lv for lv in all_levers(scenario) if lv.key == key), None)


def groups(levers: tuple[Lever, ...]) -> list[tuple[str, list[Lever]]]:
    """Levers by their group heading, in page order."""
    out: dict[str, list[Lever]] = {}
    for lever in levers:
        out.setdefault(lever.group, []).append(lever)
    return list(out.items())


_FILES: dict[tuple[str, float], sim.Scenario] = {}


def load_file(name: str) -> sim.Scenario:
    """A scenario file as loaded, cached until the file (or the file it extends) changes on disk.

    The page asks for the same few files many times a second; parsing them each time would slow it down.
    Scenarios are immutable, so sharing them between sessions is safe.
    """
    folder = Path(sim.SCENARIO_DIR)
    try:
        stamp = max(p.stat().st_mtime for p in folder.glob("*.toml"))
    except ValueError:
        stamp = 0.0
    key = (str(name), stamp)
    if key not in _FILES:
        if len(_FILES) > 200:
            _FILES.clear()
        _FILES[key] = sim.load_scenario(name)
    return _FILES[key]


def scenario_value(scenario: sim.Scenario, key: str) -> Any:
    """The value of a dotted key in a scenario (``commissioners.I.field`` for a commissioner)."""
    parts = key.split(".")
    if parts[0] == "commissioners":
        spec = scenario.commissioners[int(parts[1])]
        value = getattr(spec, parts[2])
        if parts[2] == "contract_months" and value is None:  # effective length: the statutory default
            value = scenario.commissioning.contract_months
        return value
    node: Any = scenario
    for part in parts:
        node = getattr(node, part)
    return node


def lever_values(scenario: sim.Scenario) -> dict[str, Any]:
    """Every lever's value (scenario units) as the scenario sets it, commissioners included."""
    return {lever.key: scenario_value(scenario, lever.key) for lever in all_levers(scenario)}


def changed_levers(scenario: sim.Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """The lever values that differ from the scenario's own."""
    own = lever_values(scenario)
    return {k: v for k, v in values.items() if k in own and own[k] != v}


def describe_setting(key: str, value: Any, scenario: sim.Scenario | None = None) -> str:
    """"Contract length 120 months" for a lever key and value."""
    lever = lever_for(key, scenario)
    if lever is None:
        return f"{key} = {value}"
    prefix = ""
    if key.startswith("commissioners.") and scenario is not None:
        i = int(key.split(".")[1])
        if i < len(scenario.commissioners):
            prefix = f"{scenario.commissioners[i].name}: "
    return f"{prefix}{lever.label} {lever.describe(value)}"


@dataclass
class Built:
    """The outcome of applying levers: a scenario, or a plain-English reason it could not be built."""

    scenario: sim.Scenario | None
    problem: str = ""
    notices: list[str] = field(default_factory=list)


def overrides_for(scenario: sim.Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """Lever values as ``load_scenario`` overrides; commissioners become one edited list."""
    overrides = {k: v for k, v in values.items() if k in LEVERS_BY_KEY}
    specs = [spec.model_dump() for spec in scenario.commissioners]
    touched = False
    for key, value in values.items():
        parts = key.split(".")
        if parts[0] != "commissioners" or len(parts) != 3:
            continue
        i, name = int(parts[1]), parts[2]
        if i >= len(specs) or scenario_value(scenario, key) == value:
            continue
        specs[i][name] = value
        touched = True
    if touched:
        overrides["commissioners"] = specs
    return overrides


def build(scenario_name: str, values: Mapping[str, Any], months: int | None = None) -> Built:
    """Load a scenario file with the commissioner's lever values applied.

    Never raises for bad settings: a value the schema refuses comes back as
    ``problem`` (one line), and settings that load but make little sense
    together come back as ``notices``.
    """
    try:
        own = load_file(scenario_name)
        overrides = overrides_for(own, values)
        if not overrides and months is None:
            return Built(own, notices=combination_notices(own))
        scenario = sim.load_scenario(own, overrides=overrides, months=months)
    except sim.ScenarioError as err:
        return Built(None, plain_problem(err))
    return Built(scenario, notices=combination_notices(scenario))


def plain_problem(err: sim.ScenarioError) -> str:
    """A ScenarioError as a sentence for a commissioner (the file path is not useful to them)."""
    key = getattr(err, "key", "")
    lever = LEVERS_BY_KEY.get(key)
    what = f"'{lever.label}'" if lever else (f"the setting {key}" if key else "this scenario")
    message = getattr(err, "message", str(err))
    return f"These settings cannot be used: {what}: {message}."


def combination_notices(scenario: sim.Scenario) -> list[str]:
    """Plain-English explanations of settings that have no effect or an extreme one.

    The model runs with them; the page says why the result may look odd.
    """
    notes: list[str] = []
    c, p = scenario.commissioning, scenario.partnership
    if not p.enabled:
        if c.partnership_required:
            notes.append("This scenario does not allow partnerships at all, yet tenders require one: "
                         "no bid can qualify, so contracts will go unawarded.")
        idle = [label for flag, label in (
            (p.co_location, "co-location"), (p.shared_case_management, "shared case management"),
            (p.joint_training_months > 0, "joint training"), (c.monitoring == "standardised", "standardised monitoring"),
        ) if flag]
        if idle:
            notes.append(f"This scenario does not allow partnerships, so {', '.join(idle)} will have no effect.")
    if c.contract_months >= scenario.run.months:
        notes.append(f"Contracts last {c.contract_months} months, as long as the whole run ({scenario.run.months} months) "
                     "or longer, so statutory contracts are never tendered again: the re-tender settings have no effect.")
    if c.value_change_at_retender <= -1.0:
        notes.append("A -100% change means a contract is worth nothing once it is tendered again: providers lose all "
                     "of that income at the first re-tender.")
    if scenario.funding.change <= -0.8:
        notes.append("Funding falls by 80% or more over the run: expect most contracts to become unviable.")
    grants = [s.name for s in scenario.commissioners if s.grant]
    if grants and scenario.funding.grant_share == 0:
        notes.append(f"{', '.join(grants)} gives grants, but the share of money given as grants is 0%: "
                     "it has no money to give.")
    return notes


def file_settings(scenario: sim.Scenario) -> list[tuple[str, Any]]:
    """Every setting in which the scenario differs from the schema's defaults, as (key, value).

    Shown on the "what this scenario is" card, so nothing a file sets is hidden.
    """
    out: list[tuple[str, Any]] = list(sim.own_settings(scenario).items())
    if scenario.events:
        for e in scenario.events:
            out.append((f"event month {e.month}", e.kind + (f" {e.change:+.0%}" if e.change else "")))
    return out


def schema_meaning(key: str) -> str:
    """The schema's own description of a key (the basis of each help text)."""
    for row in sim.schema_rows():
        if row["key"] == key:
            return row["meaning"]
    return ""


def schema_range(key: str) -> tuple[float | None, float | None]:
    """The schema's numeric range of a key, (None, None) when it has none."""
    for row in _schema_rows():
        if row["key"] == key and ".." in row["range"]:
            lo, hi = (s.strip() for s in row["range"].split(".."))
            return (float(lo) if lo else None, float(hi) if hi else None)
    return None, None


_ROWS: list[dict[str, str]] = []


def _schema_rows() -> list[dict[str, str]]:
    if not _ROWS:
        _ROWS.extend(sim.schema_rows())
    return _ROWS
