"""The partnership model: set-up and the monthly schedule.

An agent-based model of how charities, commissioners and clients interact
through partnerships, funding cycles and re-tendering, built from the four
case studies and lessons of Clinks and the Centre for Justice Innovation
(2017), *Why we collaborate*. One step is one month. The ODD (docs/ODD.md)
describes every submodel; each lives in its own module, named in the step.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import delivery, finance, outcomes, partnering, system_change, tendering
from .agents import Charity, Commissioner, Contract, Partnership
from .clients import ClientPopulation
from .events import DatedEvent
from .metrics import MetricSet
from .relationships import RelationshipNetwork
from .scenario import DOMAINS, CommissionerSpec, Scenario, load_scenario
from .sector import SectorState


class PartnershipModel(mesa.Model):
    """Charities, commissioners and clients in one region (or the whole sector).

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario` (or a scenario name/path).
        seed: seed of the model's random generator (default: ``run.seed``).
        charity_cls: the agent class for charities; subclass :class:`Charity`
            to change its decision rules.
    """

    #: The metrics this class records; a subclass extends them with ``metrics = PartnershipModel.metrics.extend(...)``.
    metrics: MetricSet = outcomes.DEFAULT_METRICS

    def __init__(self, scenario: Scenario | str = "baseline", seed: int | None = None,
                 charity_cls: type[Charity] = Charity):
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        seed = scenario.run.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.scenario = scenario
        self.seed = seed
        self.domains = DOMAINS
        self.month = 0
        self.counters: Counter[str] = Counter()
        self.ledger = {"income": 0.0, "spending": 0.0}
        self.month_stats: dict[str, int] = {}
        self.rolling = outcomes.RollingCounts("reoffended", "active", "breached", "order_exits", "transfers", "continued")
        self.barrier = 1.0
        self.funding_step = 1.0
        self.demand_step = 1.0
        self.funded_hours = 0.0
        self.joint_served = 0
        self._ids: Counter[str] = Counter()
        self._provision_month: tuple[int, int] = (-1, -1)
        self._provision = np.zeros((0, 0), dtype=bool)

        sec = scenario.sector
        n_loc = sec.localities
        self.prisons = np.arange(n_loc - sec.prisons, n_loc) if n_loc > 1 else np.arange(0)
        self.community = np.arange(0, n_loc - sec.prisons) if n_loc > 1 else np.arange(1)
        self.sector = SectorState(scenario, self.rng, n_loc)
        self.initial_reserves = float(self.sector.reserves.sum())
        self._charities: list[Charity] = [charity_cls(self, i) for i in range(sec.charities)]
        self.network = RelationshipNetwork(sec.charities, scenario.relationships)
        self._seed_informal_ties()

        self.partnerships: list[Partnership] = []
        self.partnership_by_id: dict[int, Partnership] = {}
        self.contracts: dict[int, Contract] = {}
        self.commissioners: list[Commissioner] = []
        self._tender_due: list[tuple[int, Commissioner, int, Contract | None]] = []
        for spec in scenario.commissioners:
            self.add_commissioner(spec, start_month=max(1, spec.start_month))

        self.clients = ClientPopulation(scenario, self.rng, self.prisons, self.community)
        self.clients.arrive(scenario.demand.clients, started=True)
        self.initial_clients = len(self.clients)
        self.mean_needs = float(self.clients.need_count.mean()) if len(self.clients) else 1.0

        self._events = [DatedEvent(self, e) for e in scenario.events]
        for ev in self._events:
            self.schedule_event(ev, at=ev.event.month - 0.5)

        self.current: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={"month": "month", **{name: _reporter(name) for name in self.metrics.names}}
        )
        self.current = outcomes.compute_metrics(self)
        self.datacollector.collect(self)

    @property
    def scenario(self) -> Scenario:
        """The validated scenario this model runs (our own, not Mesa's experimental Scenario)."""
        return self._scenario

    @scenario.setter
    def scenario(self, value) -> None:
        self._scenario = value

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One month, in the order of the ODD's process overview."""
        self.month = self.steps
        self.arrive_and_move()                 # demand arrives; prisoners are transferred
        self.retender_due()                    # commissioners whose contracts end re-tender (tendering)
        partnering.search(self)                # partner search for complementary resources
        partnering.invest(self)                # relationship investment: governance, co-location, training
        delivery.assign_contracts(self)        # contracts take on clients in their lots
        delivery.monitor(self)                 # monitoring hours, duplicated per partner or standardised
        delivery.serve(self)                   # needs met directly, by referral, signposting, joint services
        finance.settle(self)                   # money in and out; closures displace clients
        self.network.update()                  # ties grow with contact, decay without
        outcomes.client_exits(self)            # completion, breach, reoffending
        system_change.learn(self)              # long-term partnership learning lowers barriers
        self.current = outcomes.compute_metrics(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ processes
    def arrive_and_move(self) -> None:
        """Arrivals keep the population near its (growing) target; prisoners move."""
        target = self.scenario.demand.clients * self.demand_factor()
        deficit = target - len(self.clients)
        if deficit > 0:
            self.clients.arrive(int(self.rng.poisson(deficit)))
        delivery.transfer(self)

    def retender_due(self) -> None:
        """Every lot whose contract ends (or whose first tender is due) is tendered now."""
        for contract in list(self.contracts.values()):
            if contract.end <= self.month and contract.active:
                self._tender_due.append((self.month, contract.commissioner, contract.lot_index, contract))
        due = [t for t in self._tender_due if t[0] <= self.month]
        self._tender_due = [t for t in self._tender_due if t[0] > self.month]
        for _, commissioner, lot_index, previous in due:
            if previous is not None and not previous.active:
                previous = None
            won = tendering.tender(self, commissioner, lot_index, previous)
            if won is None:
                if previous is not None:
                    tendering.end_contract(self, previous)
                self._tender_due.append((self.month + 6, commissioner, lot_index, None))

    # ------------------------------------------------------------------ set-up helpers
    def add_commissioner(self, spec: CommissionerSpec, start_month: int) -> Commissioner:
        """Create a commissioner, split its places into lots, and schedule its first tenders."""
        if spec.setting == "community":
            places = self.community
        elif spec.setting == "prison":
            places = self.prisons if self.prisons.size else self.community
        else:
            places = np.arange(self.scenario.sector.localities)
        n_lots = min(spec.lots or self.scenario.commissioning.lots, max(places.size, 1))
        order = self.rng.permutation(places)
        lots = [np.sort(chunk) for chunk in np.array_split(order, n_lots) if chunk.size]
        commissioner = Commissioner(self, spec, lots)
        self.commissioners.append(commissioner)
        for i in range(len(lots)):
            self._tender_due.append((start_month, commissioner, i, None))
        return commissioner

    def _seed_informal_ties(self) -> None:
        """Charities sharing a place know some of their neighbours (informal contact)."""
        s = self.sector
        for loc in range(s.presence.shape[1]):
            here = np.flatnonzero(s.presence[:, loc])
            if here.size < 2:
                continue
            k = min(here.size, 3)
            a = self.rng.choice(here, size=k * 2)
            b = self.rng.choice(here, size=k * 2)
            self.network.ensure(a, b)

    # ------------------------------------------------------------------ trends
    def _progress(self) -> float:
        return min(self.month / max(self.scenario.run.months, 1), 1.0)

    def funding_factor(self) -> float:
        """Commissioners' funding now relative to the start (trend and dated events)."""
        return max(0.0, 1.0 + self.scenario.funding.change * self._progress()) * self.funding_step

    def other_income_factor(self) -> float:
        """Charities' own income follows part of the funding trend."""
        k = self.scenario.sector.other_income_follows_funding
        return max(0.0, 1.0 + k * self.scenario.funding.change * self._progress())

    def demand_factor(self) -> float:
        """Demand now relative to the start (trend and dated events)."""
        return max(0.0, 1.0 + self.scenario.demand.growth * self._progress()) * self.demand_step

    # ------------------------------------------------------------------ lookups
    def next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind] - 1

    def max_contract_id(self) -> int:
        return max(self._ids["contract"] - 1, 0)

    def max_partnership_id(self) -> int:
        return max(self._ids["partnership"] - 1, 0)

    def charity(self, index: int) -> Charity:
        """The agent for charity ``index`` (closed charities included)."""
        return self._charities[index]

    @property
    def charities(self) -> mesa.agent.AgentSet:
        """The operating charities, as a Mesa AgentSet."""
        return self.agents.select(agent_type=Charity)

    def in_partnership(self) -> np.ndarray:
        """For each charity, whether it belongs to an active partnership of two or more."""
        out = np.zeros(self.sector.n, dtype=bool)
        for p in self.partnerships:
            if p.active and p.size >= 2:
                out[p.members] = True
        return out

    def informal_partnership_of(self) -> np.ndarray:
        """For each charity, an active partnership without a contract it belongs to (-1 none)."""
        out = np.full(self.sector.n, -1, dtype=np.int64)
        for p in self.partnerships:
            if p.active and not p.contracts and p.size >= 2:
                out[p.members] = p.pid
        return out

    def local_provision(self) -> np.ndarray:
        """(localities, domains): some operating charity present serves that need (cached for the month)."""
        if self._provision_month != (self.month, self.counters["closures"]):
            s = self.sector
            self._provision = np.stack(
                [s.presence[s.alive & s.specialisms[:, d]].any(axis=0) for d in range(s.specialisms.shape[1])], axis=1)
            self._provision_month = (self.month, self.counters["closures"])
        return self._provision

    def unserved_needs(self) -> np.ndarray:
        """(localities, domains): clients here need it, no operating charity present serves it."""
        cl = self.clients
        n_loc = self.sector.presence.shape[1]
        n_dom = len(self.domains)
        cell = (cl.locality[:, None] * n_dom + np.arange(n_dom))[cl.needs]
        demand = np.bincount(cell, minlength=n_loc * n_dom).reshape(n_loc, n_dom)
        joint = np.zeros(demand.shape, dtype=bool)
        for p in self.partnerships:
            if p.active and p.joint_service is not None:
                joint[p.joint_service] = True
        return (demand > 0) & ~self.local_provision() & ~joint

    # ------------------------------------------------------------------ outputs
    def current_metrics(self) -> dict[str, float]:
        """This month's metrics."""
        return dict(self.current)

    def monthly_frame(self) -> pd.DataFrame:
        """One row a month (month 0 is the start): ``month`` and every metric."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df[["month", *self.metrics.names]]

    def network_snapshot(self) -> dict[str, Any]:
        """Nodes (charities) and ties, for plots and the dashboard."""
        s = self.sector
        pid = np.full(s.n, -1, dtype=np.int64)
        for p in self.partnerships:
            if p.active and p.size >= 2:
                pid[[m for m in p.members if pid[m] < 0]] = p.pid
        nodes = pd.DataFrame({
            "org_id": np.arange(s.n), "name": [f"Charity {i}" for i in range(s.n)], "kind": "charity",
            "partnership_id": pid, "active": s.alive.copy(), "income": s.income.copy(), "band": s.band.copy(),
        })
        net = self.network
        edges = pd.DataFrame({"source": net.a.copy(), "target": net.b.copy(),
                              "managerial": net.managerial.copy(), "frontline": net.frontline.copy()})
        return {"nodes": nodes, "edges": edges}


def _reporter(name: str):
    def report(model: PartnershipModel) -> float:
        return model.current[name]

    report.__name__ = name
    return report
