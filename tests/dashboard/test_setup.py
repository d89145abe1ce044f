"""A setup in the page address: written, read back, and wrong links explained."""

from __future__ import annotations

import sim
from dashboards import levers
from dashboards import setup as setup_mod


def catalogue() -> dict:
    return dict(sim.list_scenarios())


def test_only_moved_levers_are_written_and_a_link_reads_back_the_same_setup():
    cat = catalogue()
    own = levers.lever_values(cat["inspire.toml"])
    moved = {**own, "commissioning.value_change_at_retender": -0.5, "commissioning.flexible": True,
             "commissioners.0.contract_months": 24}
    mine = setup_mod.Setup.of("inspire.toml", moved)
    query = setup_mod.to_query(mine, setup_mod.SCENARIO_PREFIX + "inspire_halved.toml")
    assert query.startswith("scenario=inspire&vs=inspire_halved")
    assert "commissioning.value_change_at_retender=-0.5" in query and "contract_months=48" not in query
    back = setup_mod.from_query(query, cat)
    assert back.problems == []
    assert back.scenario == "inspire.toml" and back.against == setup_mod.SCENARIO_PREFIX + "inspire_halved.toml"
    assert setup_mod.Setup.of(back.scenario, back.values) == mine
    assert back.values["commissioners.0.contract_months"] == 24


def test_a_setup_with_nothing_moved_is_just_the_scenario():
    cat = catalogue()
    plain = setup_mod.Setup.of("golden_key.toml", levers.lever_values(cat["golden_key.toml"]))
    assert plain.changes == () and setup_mod.to_query(plain) == "scenario=golden_key"
    assert plain.describe().endswith("(as its file sets it)")
    assert plain.key() != setup_mod.Setup("golden_key_short.toml").key()


def test_wrong_links_become_sentences_not_errors():
    cat = catalogue()
    missing = setup_mod.from_query("scenario=nowhere", cat)
    assert missing.scenario is None and "not available" in missing.problems[0]
    odd = setup_mod.from_query("scenario=inspire&no.such=1&commissioning.flexible=perhaps&vs=elsewhere", cat)
    assert odd.scenario == "inspire.toml" and odd.against == setup_mod.OWN_FILE
    text = " ".join(odd.problems)
    assert "'no.such'" in text and "Flexible funding" in text and "'elsewhere'" in text
    assert odd.values == levers.lever_values(cat["inspire.toml"])
