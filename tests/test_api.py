"""The Python API for researchers: ``import sim``, tidy frames, and agents they can subclass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim

OVERRIDES = {"run.months": 40, "sector.charities": 60, "demand.clients": 400, "commissioning.contract_months": 12}


class AlwaysDefect(sim.Charity):
    """A partner that always bids outside its partnership when the market is tested."""

    def defection_chance(self, lead_tie: float, value_change: float) -> float:
        return 1.0


class NeverSearch(sim.Charity):
    def search_chance(self) -> float:
        return 0.0


def test_public_names():
    for name in sim.__all__:
        assert hasattr(sim, name), name
    assert set(sim.BRIEF_METRICS) <= set(sim.METRICS)
    assert len(sim.BRIEF_METRICS) == 20
    for name in sim.METRICS:
        meaning, direction = sim.METRIC_INFO[name]
        assert meaning and direction in (-1, 0, 1)
    assert issubclass(sim.ScenarioError, ValueError)
    assert ("baseline.toml", sim.load_scenario("baseline")) in sim.list_scenarios()


def test_model_is_a_mesa_model_with_charity_agents():
    import mesa

    sc = sim.load_scenario("baseline", {"run.months": 6, "sector.charities": 30, "demand.clients": 100})
    model = sim.PartnershipModel(sc, seed=1)
    assert isinstance(model, mesa.Model)
    assert model.sector.n == 30
    assert len(model.charities) == int(model.sector.alive.sum()) > 0  # the operating ones (the burn-in may close some)
    fresh = sim.PartnershipModel(sim.load_scenario("baseline", {"run.burn_in": 0, "sector.charities": 30,
                                                                "demand.clients": 100}), seed=1)
    assert len(fresh.charities) == 30
    assert all(isinstance(a, sim.Charity) for a in model.charities)
    assert len(model.agents.select(agent_type=sim.Commissioner)) == len(sc.commissioners)
    c = model.charity(0)
    assert c.name == "Charity 0"
    # the agent reads and writes its own row of the sector arrays
    c.reserves = 1234.5
    assert model.sector.reserves[0] == 1234.5
    assert c.specialisms.shape == (len(sim.DOMAINS),)
    model.run_for(6)
    assert model.month == 6
    frame = model.monthly_frame()
    assert list(frame.columns) == ["month", *sim.METRICS]
    assert list(frame["month"]) == list(range(7))
    snap = model.network_snapshot()
    assert {"org_id", "partnership_id", "active"} <= set(snap["nodes"].columns)
    assert {"source", "target", "managerial", "frontline"} <= set(snap["edges"].columns)


def test_model_accepts_a_scenario_name():
    model = sim.PartnershipModel("inspire", seed=3)
    assert model.scenario.run.title == sim.load_scenario("inspire").run.title


def test_charity_cls_is_used_for_every_charity():
    sc = sim.load_scenario("inspire_market_test", OVERRIDES)
    model = sim.PartnershipModel(sc, seed=1, charity_cls=AlwaysDefect)
    assert all(type(model.charity(i)) is AlwaysDefect for i in range(sc.sector.charities))
    assert all(isinstance(a, AlwaysDefect) for a in model.charities)


def test_subclassed_defection_rule_drives_more_defections_under_market_test():
    sc = sim.load_scenario("inspire_market_test", OVERRIDES)
    seeds = sim.replication_seeds(sc, 8)

    def defections(cls):
        out = []
        for s in seeds:
            model = sim.PartnershipModel(sc, seed=s, charity_cls=cls)
            model.run_for(sc.run.months)
            out.append(model.current["defections"])
        return np.array(out)

    always, default = defections(AlwaysDefect), defections(sim.Charity)
    assert np.all(always > 0)  # every re-tender loses every non-lead partner
    assert stats.mannwhitneyu(always, default, alternative="greater").pvalue < 0.05


def test_subclassed_defection_rule_is_ignored_on_rollover():
    sc = sim.load_scenario("inspire", OVERRIDES)  # rolls over
    model = sim.PartnershipModel(sc, seed=2, charity_cls=AlwaysDefect)
    model.run_for(sc.run.months)
    assert model.current["defections"] == 0


def test_subclassed_search_rule_is_used():
    sc = sim.load_scenario("fine_cell_work", {"run.months": 18, "sector.charities": 60, "demand.clients": 600,
                                              "run.burn_in": 0})  # count partnerships formed from the start
    default = sim.PartnershipModel(sc, seed=4)
    default.run_for(18)
    assert default.counters["unfunded_formed"] > 0  # charities do look for partners by default
    never = sim.PartnershipModel(sc, seed=4, charity_cls=NeverSearch)
    never.run_for(18)
    assert never.counters["unfunded_formed"] == 0
    assert not [p for p in never.partnerships if p.form == "informal"]


def test_run_accepts_a_model_subclass():
    class Tagged(sim.PartnershipModel):
        built = 0

        def __init__(self, *a, **kw):
            type(self).built += 1
            super().__init__(*a, charity_cls=AlwaysDefect, **kw)

    sc = sim.load_scenario("inspire_market_test", OVERRIDES)
    res = sim.run(sc, 5, model_cls=Tagged)
    assert Tagged.built == 1
    assert isinstance(res, sim.RunResult)
    assert res.final["defections"] > 0
    assert isinstance(res.monthly, pd.DataFrame) and len(res.monthly) == sc.run.months + 1


def test_summarise_and_mean_ci():
    sc = sim.load_scenario("baseline", {"run.months": 6, "sector.charities": 30, "demand.clients": 100})
    monthly, final = sim.run_seeds(sc, 3, progress=False)
    assert len(final) == 3 and len(monthly) == 3 * 7
    assert {"seed", "replication", "month"} <= set(monthly.columns)
    table = sim.summarise(final)
    assert set(sim.METRICS) <= set(table.index)
    assert {"mean", "ci_low", "ci_high"} <= set(table.columns)
    m, lo, hi = sim.mean_ci([1.0, 2.0, 3.0, 4.0])
    assert m == pytest.approx(2.5) and lo < m < hi
    assert sim.mean_ci([2.0, 2.0]) == (2.0, 2.0, 2.0)
    wide = sim.mean_ci([1.0, 2.0, 3.0, 4.0], level=0.99)
    assert wide[1] < lo and wide[2] > hi


def test_load_scenario_overrides_and_errors():
    sc = sim.load_scenario("baseline", ["commissioning.contract_months=12", "partnership.co_location=true"], months=7)
    assert sc.commissioning.contract_months == 12
    assert sc.partnership.co_location is True
    assert sc.run.months == 7
    child = sim.load_scenario("inspire_market_test")
    assert child.commissioning.retender == "market_test"
    assert child.partnership.co_location is True  # inherited from inspire.toml
    assert child.sector.localities == 1
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario("baseline", {"statutory.engagement": 3})
    assert "statutory.engagement" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario("baseline", {"sector.prisons": 12})  # must be fewer than localities
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario("baseline", {"demand.needs_count_probs": [0.5, 0.2]})  # must sum to 1
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario("baseline", {"events": [{"month": 3, "kind": "retender", "commissioner": "Nobody"}]})


def test_an_empty_denominator_gives_nan_not_a_default():
    sc = sim.load_scenario("baseline", {"run.months": 3, "run.burn_in": 0, "sector.charities": 30, "demand.clients": 100,
                                        "partnership.enabled": False, "demand.transfer_rate": 0.0})
    model = sim.PartnershipModel(sc, seed=1)
    model.run_for(3)
    frame = model.monthly_frame()
    assert (frame["partnerships_active"] == 0).all()
    assert frame["partnership_size_mean"].isna().all()  # no partnerships: no mean size, not 0
    assert frame["continuity_on_transfer"].isna().all()  # no transfers: no continuity, not 1
    assert frame["needs_met_share"].iloc[1:].notna().all()  # where there is data (clients served), there is a value
    table = sim.summarise(frame.tail(1))
    assert np.isnan(table.loc["partnership_size_mean", "mean"])


@pytest.mark.parametrize("key", ["sector.other_income_share", "commissioning.min_post_months",
                                 "commissioning.post_cost", "clients.continuity_loss"])
def test_removed_keys_are_rejected(key):
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario("baseline", {key: 1})
    assert key.split(".")[1] in str(err.value)


def test_every_choice_is_a_method_a_subclass_can_override():
    class NeverBids(sim.Charity):
        def bid_intent(self, lot, fit, access, funds, lead_cost, join_cost):
            return 0

    sc = sim.load_scenario("baseline", {"run.months": 3, "run.burn_in": 6, "sector.charities": 30, "demand.clients": 100})
    default = sim.PartnershipModel(sc, seed=1)
    assert default.contracts
    model = sim.PartnershipModel(sc, seed=1, charity_cls=NeverBids)
    model.run_for(3)
    assert not model.contracts and (model.monthly_frame()["contracts_active"] == 0).all()
    for name in ("bid_intent", "accepts_invitation", "accepts_share", "subcontract_share", "defection_chance",
                 "search_chance"):
        assert callable(getattr(sim.Charity, name)), name
