"""The levers a commissioner controls, and how they map onto scenario keys.

The dashboard shows each lever as a slider, a switch or a choice in the
commissioner's own units (percentages, months, plain words); this module turns
those control values into scenario overrides and back, and explains settings
that make no sense together instead of letting the model fail on them. It has
no Solara in it, so it is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sim

Control = Literal["slider", "switch", "choice"]


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

    @property
    def is_integer(self) -> bool:
        """Sliders whose control values are whole numbers (all of ours)."""
        return self.control == "slider" and float(self.step).is_integer() and float(self.low).is_integer()

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
        if self.control == "slider":
            lo, hi = min(lo, control_value), max(hi, control_value)
        return lo, hi

    def describe(self, value: Any) -> str:
        """The value as a commissioner would say it ("-50%", "36 months", "on")."""
        if self.control == "switch":
            return "on" if value == self.on_value else "off"
        if self.control == "choice":
            return dict(self.choices).get(value, str(value))
        shown = self.to_control(value)
        if self.unit == "%":
            return f"{shown:+d}%" if self.low < 0 else f"{shown}%"
        unit = self.unit[:-1] if self.unit.endswith("s") and shown == 1 else self.unit
        return f"{shown} {unit}".strip()


#: The levers of issue 5, in the order they appear on the page.
LEVERS: tuple[Lever, ...] = (
    Lever("commissioning.contract_months", "Contract length", "How long each contract runs before it is tendered again. "
          "Short contracts mean frequent re-tendering; Golden Key was funded for eight years (96 months).",
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
    Lever("partnership.co_location", "Co-location",
          "Partners' staff work from one site, like a one-stop shop; frontline staff get to know each other and referrals work better.",
          "switch"),
    Lever("partnership.shared_case_management", "Shared case management",
          "Partners use one case-management system, so a prisoner's support follows them when they move prison.", "switch"),
    Lever("partnership.joint_training_months", "Joint training every",
          "How often partners' frontline staff train together after their induction. 0 means never again, "
          "so frontline ties fade.",
          "slider", 0, 24, 1, unit="months"),
    Lever("statutory.engagement", "Statutory engagement",
          "How committed statutory partners (probation, prisons, police, councils, health) are to running the partnership together.",
          "slider", 0, 100, 5, scale=100, unit="%"),
    Lever("demand.growth", "Change in demand over the run",
          "Total change in the number of people needing support by the end of the run. The report expects +70%.",
          "slider", -50, 150, 5, scale=100, unit="%"),
    Lever("funding.change", "Change in funding over the run",
          "Total change in the money available by the end of the run, applied gradually. The report expects -30%.",
          "slider", -80, 100, 5, scale=100, unit="%"),
)

LEVERS_BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}


def scenario_value(scenario: sim.Scenario, key: str) -> Any:
    """The value of a dotted key in a scenario."""
    node: Any = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def lever_values(scenario: sim.Scenario) -> dict[str, Any]:
    """Every lever's value (scenario units) as the scenario sets it."""
    return {lever.key: scenario_value(scenario, lever.key) for lever in LEVERS}


def changed_levers(scenario: sim.Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """The lever values that differ from the scenario's own."""
    own = lever_values(scenario)
    return {k: v for k, v in values.items() if k in own and own[k] != v}


@dataclass
class Built:
    """The outcome of applying levers: a scenario, or a plain-English reason it could not be built."""

    scenario: sim.Scenario | None
    problem: str = ""
    notices: list[str] = field(default_factory=list)


def build(scenario_name: str, values: Mapping[str, Any], months: int | None = None) -> Built:
    """Load a scenario file with the commissioner's lever values applied.

    Never raises for bad settings: a value the schema refuses comes back as
    ``problem`` (one line), and settings that load but make little sense
    together come back as ``notices``.
    """
    overrides = {k: v for k, v in values.items() if k in LEVERS_BY_KEY}
    try:
        scenario = sim.load_scenario(scenario_name, overrides=overrides, months=months)
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
    if c.retender == "rollover" and c.value_change_at_retender == 0 and c.incumbency_weight > 0:
        pass  # a rollover never scores bids, so the weight only matters for first tenders; not worth a warning
    return notes


def schema_meaning(key: str) -> str:
    """The schema's own description of a key (the basis of each help text)."""
    for row in sim.schema_rows():
        if row["key"] == key:
            return row["meaning"]
    return ""


def schema_range(key: str) -> tuple[float | None, float | None]:
    """The schema's numeric range of a key, (None, None) when it has none."""
    for row in sim.schema_rows():
        if row["key"] == key and ".." in row["range"]:
            lo, hi = (s.strip() for s in row["range"].split(".."))
            return (float(lo) if lo else None, float(hi) if hi else None)
    return None, None
