"""Parameter mapping: the commissioner's controls <-> scenario keys, and explained combinations."""

from __future__ import annotations

import pytest

import sim
from dashboards import levers

ISSUE_LEVERS = {  # issue 5's list, in its words -> the scenario key
    "contract length": "commissioning.contract_months",
    "value change at re-tender": "commissioning.value_change_at_retender",
    "rollover or market test": "commissioning.retender",
    "weight on existing provision": "commissioning.incumbency_weight",
    "flexibility": "commissioning.flexible",
    "standardised monitoring": "commissioning.monitoring",
    "partnership required": "commissioning.partnership_required",
    "co-location": "partnership.co_location",
    "shared case management": "partnership.shared_case_management",
    "joint training": "partnership.joint_training_months",
    "statutory engagement": "statutory.engagement",
    "demand": "demand.growth",
    "funding change": "funding.change",
}


def test_every_lever_of_the_issue_is_on_the_page():
    assert set(ISSUE_LEVERS.values()) <= set(levers.LEVERS_BY_KEY)


def test_every_setting_a_case_study_file_sets_is_a_lever_or_listed():
    """Golden Key and its one-year variant differ in funder type, grants and length: the panels must differ."""
    long, short = sim.load_scenario("golden_key"), sim.load_scenario("golden_key_short")
    a, b = levers.lever_values(long), levers.lever_values(short)
    differing = {k for k in a if a[k] != b.get(k)}
    assert {"commissioners.1.kind", "commissioners.1.grant", "commissioners.1.contract_months",
            "funding.grant_share"} <= differing
    assert a["commissioners.1.kind"] == "lottery" and a["commissioners.1.grant"] is True
    assert a["commissioners.1.contract_months"] == 96 and b["commissioners.1.contract_months"] == 12
    listed = dict(levers.file_settings(long))
    assert listed["funding.grant_share"] == 0.5 and listed["statutory.engagement"] == 0.8


def test_commissioner_levers_change_that_commissioner_only():
    golden = sim.load_scenario("golden_key")
    values = {**levers.lever_values(golden), "commissioners.1.grant": False, "commissioners.1.contract_months": 12,
              "commissioners.1.kind": "local_authority"}
    built = levers.build("golden_key", values)
    assert built.problem == ""
    lottery = built.scenario.commissioners[1]
    assert (lottery.grant, lottery.contract_months, lottery.kind) == (False, 12, "local_authority")
    assert built.scenario.commissioners[0] == golden.commissioners[0]
    untouched = levers.build("golden_key", levers.lever_values(golden)).scenario
    assert untouched.commissioners[0].contract_months is None  # the statutory default stays a default


def test_typed_entry_in_control_units_with_the_schema_range_in_words():
    value_change = levers.LEVERS_BY_KEY["commissioning.value_change_at_retender"]
    assert value_change.parse_typed("-50") == (-0.5, "")
    assert value_change.parse_typed(" -50% ") == (-0.5, "")
    refused, why = value_change.parse_typed("-150")
    assert refused is None and "outside what the model allows" in why and "-100" in why
    refused, why = levers.LEVERS_BY_KEY["sector.charities"].parse_typed("many")
    assert refused is None and why.startswith("Charities in the region: type a number")
    assert levers.LEVERS_BY_KEY["commissioning.contract_months"].parse_typed("36.4") == (36, "")


@pytest.mark.parametrize("lever", levers.LEVERS, ids=lambda lv: lv.key)
def test_lever_is_a_schema_key_with_help_and_a_range_inside_the_schema(lever):
    assert levers.schema_meaning(lever.key), f"{lever.key} is not in the schema"
    assert 20 <= len(lever.help) <= 260 and lever.help[0].isupper() and lever.help.endswith(".")
    if lever.control in ("slider", "number"):
        lo, hi = levers.schema_range(lever.key)
        assert lo is None or lever.from_control(lever.low) >= lo
        assert hi is None or lever.from_control(lever.high) <= hi
        steps = (lever.high - lever.low) / lever.step
        assert abs(steps - round(steps)) < 1e-9, "the range is a whole number of steps"


@pytest.mark.parametrize("lever", levers.LEVERS, ids=lambda lv: lv.key)
def test_control_round_trip_keeps_the_scenario_value(lever):
    baseline = sim.load_scenario("baseline")
    value = levers.scenario_value(baseline, lever.key)
    assert lever.from_control(lever.to_control(value)) == pytest.approx(value)


def test_percentages_and_switches_map_to_scenario_units():
    value_change = levers.LEVERS_BY_KEY["commissioning.value_change_at_retender"]
    assert value_change.from_control(-50) == -0.5
    assert value_change.to_control(-0.5) == -50
    assert value_change.describe(-0.5) == "-50%"
    monitoring = levers.LEVERS_BY_KEY["commissioning.monitoring"]
    assert monitoring.from_control(True) == "standardised" and monitoring.from_control(False) == "per_partner"
    assert monitoring.to_control("standardised") is True
    contract = levers.LEVERS_BY_KEY["commissioning.contract_months"]
    assert contract.from_control(12) == 12 and isinstance(contract.from_control(12), int)
    assert contract.describe(1) == "1 month" and contract.describe(36) == "36 months"
    retender = levers.LEVERS_BY_KEY["commissioning.retender"]
    assert retender.describe("rollover") == "Roll over"
    with pytest.raises(ValueError, match="choose one of"):
        retender.from_control("auction")


def test_slider_widens_to_show_a_scenario_value_outside_its_range():
    contract = levers.LEVERS_BY_KEY["commissioning.contract_months"]
    assert contract.bounds_for(240) == (1, 240)
    assert contract.bounds_for(36) == (1, 120)


def test_build_applies_levers_to_the_chosen_scenario():
    values = {**levers.lever_values(sim.load_scenario("baseline")),
              "commissioning.contract_months": 12, "commissioning.monitoring": "standardised"}
    built = levers.build("baseline", values)
    assert built.problem == ""
    assert built.scenario.commissioning.contract_months == 12
    assert built.scenario.commissioning.monitoring == "standardised"
    assert levers.changed_levers(sim.load_scenario("baseline"), values) == {
        "commissioning.contract_months": 12, "commissioning.monitoring": "standardised"}


def test_values_the_schema_refuses_come_back_as_a_sentence_not_an_exception():
    built = levers.build("baseline", {"statutory.engagement": 1.7})
    assert built.scenario is None
    assert built.problem.startswith("These settings cannot be used: 'Statutory engagement'")
    assert "Traceback" not in built.problem and "\n" not in built.problem


def test_missing_scenario_file_is_a_sentence():
    built = levers.build("no-such-scenario", {})
    assert built.scenario is None and "cannot be used" in built.problem


def test_impossible_combinations_are_explained():
    built = levers.build("baseline", {"commissioning.partnership_required": True, "partnership.co_location": True})
    assert built.notices == []
    off = sim.load_scenario("baseline", overrides={"partnership.enabled": False, "commissioning.partnership_required": True,
                                                   "partnership.co_location": True})
    notes = " ".join(levers.combination_notices(off))
    assert "contracts will go unawarded" in notes and "co-location will have no effect" in notes
    long = sim.load_scenario("baseline", overrides={"commissioning.contract_months": 120, "run.months": 96})
    assert any("never tendered again" in n for n in levers.combination_notices(long))
    zero = sim.load_scenario("baseline", overrides={"commissioning.value_change_at_retender": -1.0})
    assert any("worth nothing" in n for n in levers.combination_notices(zero))


def lever_extremes(lever):
    if lever.control == "number":
        return []  # sizes: their ends are the schema's limits, far beyond a quick run
    if lever.control == "slider":
        return [lever.from_control(lever.low), lever.from_control(lever.high)]
    if lever.control == "switch":
        return [lever.on_value, lever.off_value]
    return [value for value, _ in lever.choices]


@pytest.mark.parametrize("lever", levers.LEVERS, ids=lambda lv: lv.key)
def test_every_lever_at_either_end_of_its_control_runs(lever):
    """Whatever a commissioner can set, the model starts and runs (no error reaches the page)."""
    own = levers.lever_values(sim.load_scenario("baseline"))
    for value in lever_extremes(lever):
        built = levers.build("baseline", {**own, lever.key: value}, months=6)
        assert built.scenario is not None, built.problem
        model = sim.PartnershipModel(built.scenario, seed=1)
        for _ in range(6):
            model.step()
        assert model.network_snapshot()["nodes"].shape[0] > 0
        assert set(model.current_metrics()) >= set(sim.BRIEF_METRICS)
