"""One tab's actions without a browser: levers restart the run, results go stale, saved setups, speeds."""

from __future__ import annotations

import pytest

import sim
from dashboards import controller, setup
from dashboards.controller import Controller


@pytest.fixture
def ctl() -> Controller:
    c = Controller(dict(sim.list_scenarios()), "inspire.toml")
    c.rebuild()
    return c


def test_a_lever_restarts_the_run_and_makes_an_old_result_stale(ctl):
    assert ctl.step(3) and ctl.session.month == 3
    before = ctl.comparison_key()
    ctl.set_lever("commissioning.value_change_at_retender", -0.5)
    assert ctl.session.month == 0 and ctl.session.scenario.commissioning.value_change_at_retender == -0.5
    assert ctl.comparison_key() != before
    ctl.step(2)
    key = ctl.comparison_key()
    ctl.set_lever("commissioning.value_change_at_retender", -0.5)  # a control echoing its value is not a change
    assert ctl.session.month == 2 and ctl.comparison_key() == key


def test_nothing_to_compare_does_not_start_any_runs(ctl):
    ctl.start_comparison()
    assert ctl.compare_request.value == 0 and ctl.session.comparison_run is None


def test_saved_setup_is_a_comparison_arm(ctl):
    ctl.set_lever("commissioning.value_change_at_retender", -0.5)
    ctl.save_setup()
    ctl.restore()
    ctl.against.set(f"{setup.SAVED_PREFIX}0")
    other = ctl.other_setup()
    assert other.changes == (("commissioning.value_change_at_retender", -0.5),)
    assert ctl.other_title() == "saved setup 1"
    ctl.against.set(f"{setup.SCENARIO_PREFIX}inspire_halved.toml")
    assert ctl.other_setup().scenario == "inspire_halved.toml"


def test_choosing_the_compared_scenario_itself_falls_back_to_its_file(ctl):
    ctl.against.set(f"{setup.SCENARIO_PREFIX}inspire_halved.toml")
    ctl.choose_scenario("inspire_halved.toml")
    assert ctl.against.value == setup.OWN_FILE and ctl.session.scenario.run.title.startswith("Inspire: re-tender")


def test_charts_redraw_every_month_when_stepping_but_at_most_once_a_period_when_playing(ctl, monkeypatch):
    clock = iter(range(0, 1000))
    monkeypatch.setattr(controller.time, "monotonic", lambda: next(clock) * 0.1)
    ctl.redraw()
    views = ctl.view_tick.value
    for _ in range(5):
        ctl.step(1, playing=True)  # 0.1 s apart: within one VIEW_PERIOD
    assert ctl.tick.value >= 5 and ctl.view_tick.value - views <= 1
    ctl.step(1)
    assert ctl.view_tick.value > views
