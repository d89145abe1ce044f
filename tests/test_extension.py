"""The extension points a researcher uses (docs/extending.md), each tested through the public API.

Phases, metrics, agent classes (including mixed populations), commissioners,
charity state, clients by id, mergers, the module import graph, and the Mesa
idioms that work on this model. Small scenarios and fixed seeds throughout.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
import pytest

import sim
from sim.clients import EXIT_KINDS
from sim.metrics import Metric
from sim.model import PHASES
from sim.schedule import Phase, Schedule
from sim.sector import CHARITY_STATES, SectorState

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"

TINY = {"run.months": 12, "sector.charities": 40, "demand.clients": 300}
#: Inspire with a market test each year: partners decide whether to defect at every re-tender.
MARKET_TEST = {"run.months": 40, "sector.charities": 60, "demand.clients": 400, "commissioning.contract_months": 12}


def tiny(name: str = "baseline", **more) -> sim.Scenario:
    return sim.load_scenario(name, {**TINY, **more})


# ====================================================================== phases

def test_phase_names_follow_the_odd_process_overview_in_order():
    """Section 3.2 of the ODD lists every phase of the schedule, by name, in the order the step runs them."""
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    section = odd.split("### 3.2", 1)[1].split("### 3.3", 1)[0]
    listed = re.findall(r"^\d+\.\s+\*\*`([a-z_]+)`\*\*", section, flags=re.MULTILINE)
    assert tuple(listed) == PHASES.names, "docs/ODD.md section 3.2 must list sim.model.PHASES by name, in order"
    assert sim.PartnershipModel.phases is PHASES
    for phase in PHASES:
        assert phase.doc, f"phase {phase.name} has no docstring"


def test_a_phase_inserted_by_subclass_runs_just_before_finance():
    trace: list[tuple[int, str]] = []

    def probe(model):
        """Record that the probe ran."""
        trace.append((model.month, "probe"))

    finance = PHASES["finance"]

    def traced_finance(model):
        """Finance, recorded."""
        trace.append((model.month, "finance"))
        finance(model)

    class Probed(sim.PartnershipModel):
        phases = PHASES.insert_before("finance", Phase("probe", probe)).replace("finance", Phase("finance", traced_finance))

    names = Probed.phases.names
    assert names.index("probe") == names.index("finance") - 1
    assert len(names) == len(PHASES) + 1
    assert sim.PartnershipModel.phases.names == PHASES.names  # the base class is untouched

    model = Probed(tiny(), seed=1)
    model.run_for(3)
    recorded = [(m, k) for m, k in trace if m >= 1]  # months below 1 are an unrecorded burn-in, if any
    assert recorded == [(m, k) for m in (1, 2, 3) for k in ("probe", "finance")]
    # the default model never runs the probe
    before = len(trace)
    sim.PartnershipModel(tiny(), seed=1).run_for(2)
    assert len(trace) == before


def test_a_phase_inserted_after_another_and_the_doc_comes_from_the_docstring():
    def count_months(model):
        """Count the months this model has run."""
        model.counters["probe_months"] += 1

    sched = PHASES.insert_after("observation", Phase("count_months", count_months))
    assert sched.names[-1] == "count_months"
    assert sched["count_months"].doc == "Count the months this model has run."
    model = sim.PartnershipModel(tiny(), seed=2, phases=sched)
    model.run_for(4)
    assert model.counters["probe_months"] == 4
    assert "count_months" in model.phases and "count_months" not in sim.PartnershipModel.phases


def test_a_phase_replaced_through_the_constructor_drives_its_metric():
    def fixed_barrier(model):
        """System barriers held at one half."""
        model.barrier = 0.5

    model = sim.PartnershipModel(tiny(), seed=3, phases=PHASES.replace("system_change", Phase("system_change", fixed_barrier)))
    model.run_for(2)
    assert model.current["system_barrier_index"] == 0.5
    assert model.phases.names == PHASES.names
    default = sim.PartnershipModel(tiny(), seed=3)
    default.run_for(2)
    assert default.current["system_barrier_index"] != 0.5


def test_removing_partner_search_stops_unfunded_partnerships_by_subclass_and_by_constructor():
    sc = sim.load_scenario("fine_cell_work", {"run.months": 18, "sector.charities": 60, "demand.clients": 600})
    default = sim.PartnershipModel(sc, seed=4)
    default.run_for(18)
    # charities do look for partners by default (informal partnerships form, in any burn-in or after)
    assert [p for p in default.partnerships if p.form == "informal"]

    class NoSearch(sim.PartnershipModel):
        phases = PHASES.without("partner_search")

    by_subclass = NoSearch(sc, seed=4)
    by_argument = sim.PartnershipModel(sc, seed=4, phases=list(PHASES.without("partner_search")))
    for model in (by_subclass, by_argument):
        assert "partner_search" not in model.phases
        model.run_for(18)
        assert model.counters["unfunded_formed"] == 0
        assert not [p for p in model.partnerships if p.form == "informal"]


def test_schedule_edits_check_names():
    with pytest.raises(KeyError, match="no phase named 'financ'"):
        PHASES.insert_before("financ", Phase("x", lambda m: None))
    with pytest.raises(KeyError):
        PHASES.without("nonexistent")
    with pytest.raises(ValueError, match="unique"):
        PHASES.insert_after("finance", Phase("service", lambda m: None))
    assert isinstance(PHASES.without("monitoring"), Schedule)
    assert len(PHASES.describe().splitlines()) == len(PHASES)


# ====================================================================== metrics

def _waiting_share(view) -> float:
    clients = view.model.clients
    return float((clients.provider < 0).mean()) if len(clients) else float("nan")


WAITING = Metric("waiting_share", "Share of clients with no provider this month", unit="share", high=1.0,
                 direction=-1, compute=_waiting_share)


class WaitingModel(sim.PartnershipModel):
    """The default model plus one metric."""

    metrics = sim.PartnershipModel.metrics.extend(WAITING)


def test_a_subclass_metric_reaches_the_monthly_frame():
    assert "waiting_share" not in sim.PartnershipModel.metrics
    assert WaitingModel.metrics.names[-1] == "waiting_share"
    model = WaitingModel(tiny(), seed=5)
    model.run_for(6)
    frame = model.monthly_frame()
    assert list(frame.columns) == ["month", *sim.METRICS, "waiting_share"]
    expected = float((model.clients.provider < 0).mean())
    assert frame["waiting_share"].iloc[-1] == pytest.approx(expected)
    assert frame["waiting_share"].between(0, 1).all()
    # the default model's frame is unchanged
    assert "waiting_share" not in sim.PartnershipModel(tiny(), seed=5).monthly_frame().columns


def test_a_subclass_metric_reaches_run_run_seeds_and_summarise():
    sc = tiny(**{"run.months": 6})
    res = sim.run(sc, 7, model_cls=WaitingModel)
    assert "waiting_share" in res.final and "waiting_share" in res.monthly.columns
    assert res.final["waiting_share"] == res.monthly["waiting_share"].iloc[-1]

    monthly, final = sim.run_seeds(sc, 3, progress=False, model_cls=WaitingModel)
    assert "waiting_share" in final.columns and final["waiting_share"].notna().all()
    assert len(monthly) == 3 * 7
    table = sim.summarise(final, model_cls=WaitingModel)
    assert "waiting_share" in table.index
    row = table.loc["waiting_share"]
    assert row["n"] == 3 and row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert row["mean"] == pytest.approx(final["waiting_share"].mean())
    # summarising with the default class leaves the custom metric out
    assert "waiting_share" not in sim.summarise(final).index


def test_metric_sets_refuse_bad_declarations():
    with pytest.raises(ValueError, match="declared twice"):
        sim.metrics.MetricSet([WAITING, WAITING])
    with pytest.raises(ValueError, match="unit"):
        Metric("x", "x", unit="parsecs")
    replaced = WaitingModel.metrics.extend(Metric("waiting_share", "redeclared", unit="share"))
    assert replaced["waiting_share"].meaning == "redeclared" and len(replaced) == len(WaitingModel.metrics)


# ====================================================================== charity classes

class EagerSearcher(sim.Charity):
    """Always looks for partners; records who was asked."""

    asked: list[tuple[int, int]] = []

    def search_chance(self) -> float:
        type(self).asked.append((self.model.month, self.index))
        return 1.0


class EagerDefector(sim.Charity):
    """Always bids outside its partnership at a market test; records who was asked, and when."""

    asked: list[tuple[int, int]] = []

    def defection_chance(self, lead_tie: float, value_change: float) -> float:
        type(self).asked.append((self.model.month, self.index))
        return 1.0


def mixed(cls):
    return lambda m, i: (cls if i % 2 else sim.Charity)(m, i)


def test_mixed_population_search_override_is_called_for_odd_charities_only(monkeypatch):
    base_calls: list[int] = []
    original = sim.Charity.search_chance

    def counted(self):
        base_calls.append(self.index)
        return original(self)

    monkeypatch.setattr(sim.Charity, "search_chance", counted)
    EagerSearcher.asked = []
    model = sim.PartnershipModel(tiny(), seed=6, charity_cls=mixed(EagerSearcher))
    assert {type(model.charity(i)) for i in range(0, 40, 2)} == {sim.Charity}
    assert {type(model.charity(i)) for i in range(1, 40, 2)} == {EagerSearcher}
    alive_odd = {i for i in range(1, 40, 2) if model.sector.alive[i]}
    model.run_for(3)
    asked = EagerSearcher.asked
    assert asked and all(i % 2 == 1 for _, i in asked)
    assert {i for month, i in asked if month == 1} == alive_odd  # every operating odd charity, every month
    assert base_calls == []  # plain charities take the vectorised default, never the method

    # a population of plain charities asks nobody
    EagerSearcher.asked = []
    sim.PartnershipModel(tiny(), seed=6).run_for(3)
    assert EagerSearcher.asked == [] and base_calls == []


def test_mixed_population_defection_override_is_called_for_odd_charities_only(monkeypatch):
    base_calls: list[int] = []
    original = sim.Charity.defection_chance

    def counted(self, lead_tie, value_change):
        base_calls.append(self.index)
        return original(self, lead_tie, value_change)

    monkeypatch.setattr(sim.Charity, "defection_chance", counted)
    EagerDefector.asked = []
    sc = sim.load_scenario("inspire_market_test", MARKET_TEST)
    model = sim.PartnershipModel(sc, seed=1, charity_cls=mixed(EagerDefector))
    model.run_for(sc.run.months)
    asked = [i for month, i in EagerDefector.asked if month >= 1]  # the recorded months
    assert asked, "no odd partner was asked at a market test"
    assert all(i % 2 == 1 for _, i in EagerDefector.asked)
    assert base_calls and all(i % 2 == 0 for i in base_calls)
    # every odd partner asked defected, so defections count at least those decisions
    assert model.counters["defections"] >= len(asked)


def test_commissioner_cls_is_used_for_every_commissioner_including_a_dated_one():
    class PayByResults(sim.Commissioner):
        pass

    spec = {"name": "New funder", "kind": "pcc", "budget_share": 0.5, "domains": ["housing"], "setting": "community"}
    sc = tiny(events=[{"month": 3, "kind": "commissioner", "spec": spec}])
    model = sim.PartnershipModel(sc, seed=8, commissioner_cls=PayByResults)
    assert isinstance(model.commissioners, mesa.agentset.AgentSet)
    n = len(model.commissioners)
    assert n == len(sc.commissioners)
    model.run_for(4)
    assert len(model.commissioners) == n + 1
    assert "New funder" in [c.name for c in model.commissioners]
    assert all(type(c) is PayByResults for c in model.commissioners)
    assert len(model.agents.select(agent_type=PayByResults)) == n + 1
    assert all(type(c.commissioner) is PayByResults for c in model.contracts.values())


def test_agent_ids_are_org_ids_and_network_node_ids():
    model = sim.PartnershipModel(tiny(), seed=9)
    model.run_for(6)
    for i in range(model.sector.n):
        agent = model.charity(i)
        assert agent.unique_id == agent.org_id == agent.index == i
    nodes = model.network_snapshot()["nodes"]
    assert list(nodes["org_id"]) == [model.charity(i).unique_id for i in range(model.sector.n)]
    operating = sorted(a.unique_id for a in model.charities)
    assert operating == list(nodes.loc[nodes["active"], "org_id"])
    edges = model.network_snapshot()["edges"]
    assert set(edges["source"]) | set(edges["target"]) <= set(nodes["org_id"])


def test_every_declared_charity_state_is_read_and_written_through_the_agent():
    model = sim.PartnershipModel(tiny(), seed=10)
    s = model.sector
    agent = model.charity(3)
    for name in CHARITY_STATES:
        column = getattr(s, name)
        assert len(column) == s.n, name
        assert np.array_equal(np.asarray(getattr(agent, name)), column[3]), name
        old = np.array(column[3], copy=True)
        new = ~old if old.dtype == bool else (old + 1).astype(old.dtype)
        setattr(agent, name, new)
        assert np.array_equal(getattr(s, name)[3], new), name
        assert getattr(type(agent), name).__doc__ == CHARITY_STATES[name]


def test_every_per_charity_array_is_declared():
    """No per-charity array lives in SectorState without a declaration (state declared once)."""
    sc = tiny()
    state = SectorState(sc, np.random.default_rng(0), sc.sector.localities)
    arrays = {k for k, v in vars(state).items() if isinstance(v, np.ndarray) and v.shape[:1] == (state.n,)}
    assert arrays == set(CHARITY_STATES)


def test_a_charity_reaches_its_partnerships_contracts_and_clients():
    model = sim.PartnershipModel(tiny("inspire"), seed=11)
    model.run_for(6)
    holders = [m for c in model.contracts.values() for m in c.shares]
    assert holders, "no contract was awarded"
    agent = model.charity(holders[0])
    assert agent.contracts and all(agent.index in c.shares for c in agent.contracts)
    assert agent.partnerships and all(agent.index in p.members for p in agent.partnerships)
    assert set(agent.contracts) <= {c for p in agent.partnerships for c in p.contracts} | set(model.contracts.values())
    served = agent.clients
    assert np.array_equal(served, model.clients.uid[model.clients.provider == agent.index])
    assert all(model.clients.client(int(u))["provider"] == agent.index for u in served[:5])


# ====================================================================== clients

def test_clients_by_id_and_the_exit_log_balance_with_the_flows():
    model = sim.PartnershipModel(tiny(), seed=12, log_client_exits=True)
    model.run_for(12)
    cl = model.clients
    log = cl.exit_log_frame()
    assert list(log.columns) == ["uid", "month", "how"]
    assert set(log["how"]) <= set(EXIT_KINDS)
    assert (log["month"] <= 12).all()
    # a displaced client stays under support; flows count the recorded months (1 on), after any burn-in
    exits = log[(log["how"] != "displacement") & (log["month"] >= 1)]
    counts = exits["how"].value_counts()
    f = cl.flows
    assert counts.get("completion", 0) == f.completed > 0
    assert counts.get("breach", 0) == f.breached
    assert counts.get("reoffence", 0) == f.reoffended > 0
    assert f.arrived - len(exits) == len(cl)  # conservation: everyone who arrived is active or has left once
    left = log.loc[log["how"] != "displacement", "uid"]
    assert left.is_unique  # a client leaves once
    assert not np.isin(left, cl.uid).any()  # and is not active afterwards

    # look-ups by id
    gone = int(exits["uid"].iloc[0])
    assert cl.row_of(gone) == -1
    with pytest.raises(KeyError):
        cl.client(gone)
    uid = int(cl.uid[len(cl) // 2])
    row = cl.row_of(uid)
    assert cl.uid[row] == uid
    one = cl.client(uid)
    assert set(one) == set(sim.clients.STATES)
    assert one["uid"] == uid and np.array_equal(one["needs"], cl.needs[row])
    rows = cl.row_of(np.array([uid, gone, 10**9]))
    assert list(rows) == [row, -1, -1]


def test_no_exit_log_unless_asked():
    model = sim.PartnershipModel(tiny(), seed=12)
    model.run_for(3)
    assert model.clients.flows.completed > 0
    assert len(model.clients.exit_log_frame()) == 0


# ====================================================================== mergers

def test_a_merger_is_counted_apart_from_closures_and_conserves_money():
    model = sim.PartnershipModel(tiny("inspire"), seed=13)
    model.run_for(6)
    s = model.sector
    holders = [m for c in model.contracts.values() for m in c.shares if s.alive[m]]
    absorbed = holders[0]
    into = next(int(i) for i in np.flatnonzero(s.alive) if i != absorbed)
    reserves = float(s.reserves[s.alive].sum())
    staff = float(s.staff_hours[s.alive].sum())
    closures = model.counters["closures"]
    share_before = sum(c.shares.get(absorbed, 0.0) + c.shares.get(into, 0.0) for c in model.contracts.values())
    presence = s.presence[absorbed] | s.presence[into]
    n_agents = len(model.charities)

    model.merge_charities(absorbed, into)

    assert model.counters["mergers"] == 1
    assert model.counters["closures"] == closures
    assert not s.alive[absorbed] and s.alive[into]
    assert s.closed_month[absorbed] == model.month
    assert float(s.reserves[s.alive].sum()) == pytest.approx(reserves)
    assert float(s.staff_hours[s.alive].sum()) == pytest.approx(staff)
    assert np.array_equal(s.presence[into], presence)
    assert all(absorbed not in c.shares for c in model.contracts.values())
    assert sum(c.shares.get(into, 0.0) for c in model.contracts.values()) == pytest.approx(share_before)
    assert all(absorbed not in p.members for p in model.partnerships if p.active)
    assert len(model.charities) == n_agents - 1
    assert absorbed not in {a.unique_id for a in model.charities}
    model.step()
    assert model.current["charity_closures"] == model.counters["closures"]
    assert model.current["charities_active"] == int(s.alive.sum())
    with pytest.raises(ValueError):
        model.merge_charities(absorbed, into)  # it no longer operates


def test_a_closure_is_not_a_merger():
    model = sim.PartnershipModel(tiny(), seed=14)
    model.close_charity(5)
    assert model.counters["closures"] == 1 and model.counters["mergers"] == 0
    assert not model.sector.alive[5]


# ====================================================================== module structure

def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(tree: ast.Module):
    """Import statements run when the module is imported (not in functions, not under TYPE_CHECKING)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                stack.extend(node.body)
            stack.extend(node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend([*node.body, *node.orelse, *node.finalbody, *(s for h in node.handlers for s in h.body)])
        elif isinstance(node, (ast.With, ast.ClassDef)):
            stack.extend(node.body)


def _import_graph() -> nx.DiGraph:
    modules = {_module_name(p): p for p in SIM.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # "from pkg import submodule" imports the submodule
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def test_import_graph_finds_the_known_edges():
    graph = _import_graph()
    assert graph.has_edge("sim.model", "sim.agents")
    assert graph.has_edge("sim.model", "sim.clients")  # "from . import clients as clients_mod"
    assert graph.has_edge("sim.partnering", "sim.agents")
    assert not graph.has_edge("sim.metrics", "sim.outcomes")  # imported inside a function only
    assert not graph.has_edge("sim.agents", "sim.model")  # imported under TYPE_CHECKING only


def test_no_import_cycle_between_sim_modules():
    graph = _import_graph()
    # the package's __init__ imports its modules; a module importing its own package is the only way back
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert cycles == [], f"import cycles at module import time: {cycles[:3]}"
    assert nx.is_directed_acyclic_graph(graph)


def test_pure_rules_import_nothing_from_the_package():
    tree = ast.parse((SIM / "rules.py").read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):  # anywhere in the file, functions included
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"rules.py: relative import from {node.module!r}"
            imported.append(node.module)
        elif isinstance(node, ast.Import):
            imported.extend(a.name for a in node.names)
    assert not [m for m in imported if m == "sim" or m.startswith("sim.")]
    assert set(imported) <= {"__future__", "numpy", "math", "typing", "collections.abc"}


# ====================================================================== Mesa idioms

def test_mesa_batch_run_returns_rows_with_the_metrics():
    small = tiny()
    halved = sim.load_scenario("inspire_halved", TINY)
    rows = mesa.batch_run(sim.PartnershipModel, parameters={"scenario": [small, halved]}, rng=[1, 2],
                          max_steps=6, number_processes=1, data_collection_period=-1, display_progress=False)
    assert len(rows) == 4
    for row in rows:
        assert set(sim.METRICS) <= set(row)
        assert row["Step"] == 6 and row["month"] == 6
    assert sorted(r["seed"] for r in rows) == [1, 1, 2, 2]
    # each row is the run the model gives for that scenario and seed
    direct = sim.PartnershipModel(halved, seed=2)
    direct.run_for(6)
    row = next(r for r in rows if r["seed"] == 2 and r["scenario"] is halved)
    assert {m: row[m] for m in sim.METRICS} == pytest.approx(direct.current, nan_ok=True)


def test_mesa_datacollector_agenttype_reporters_collect_charity_state():
    model = sim.PartnershipModel(tiny(), seed=15)
    collector = mesa.DataCollector(agenttype_reporters={sim.Charity: {"reserves": "reserves", "band": "band"}})
    collector.collect(model)
    operating_at_start = len(model.charities)
    model.run_for(3)
    collector.collect(model)
    frame = collector.get_agenttype_vars_dataframe(sim.Charity)
    assert len(frame) == operating_at_start + len(model.charities)
    last = frame.xs(frame.index.get_level_values("Step").max(), level="Step")
    operating = np.flatnonzero(model.sector.alive)
    assert np.allclose(last.loc[operating, "reserves"].to_numpy(), model.sector.reserves[operating])


def test_mesa_agentset_select_groupby_agg():
    model = sim.PartnershipModel(tiny(), seed=16)
    model.run_for(3)
    s = model.sector
    charities = model.charities
    assert isinstance(charities, mesa.agentset.AgentSet)
    larger = charities.select(lambda c: c.band >= 1)
    assert {c.unique_id for c in larger} == set(np.flatnonzero(s.alive & (s.band >= 1)))
    pressured = charities.select(lambda c: c.under_pressure)
    assert len(pressured) == int(s.pressure().sum())
    by_band = charities.groupby("band")
    counts = by_band.count()
    for band in range(4):
        assert counts.get(band, 0) == int((s.alive & (s.band == band)).sum())
    totals = by_band.agg("reserves", sum)
    for band, total in totals.items():
        assert total == pytest.approx(s.reserves[s.alive & (s.band == band)].sum())
    assert charities.agg("reserves", sum) == pytest.approx(s.reserves[s.alive].sum())
