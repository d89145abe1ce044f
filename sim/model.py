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

from . import clients as clients_mod
from . import delivery, finance, outcomes, partnering, system_change, tendering
from .agents import Charity, Commissioner
from .clients import ClientPopulation
from .events import DatedEvent
from .metrics import MetricSet
from .partnerships import Contract, PartnershipBook
from .relationships import RelationshipNetwork
from .scenario import DOMAINS, CommissionerSpec, Scenario, load_scenario
from .schedule import Phase, Schedule
from .sector import SectorState


def _update_relationships(model: PartnershipModel) -> None:
    """Ties grow with this month's contact and decay in proportion to the contact they miss."""
    model.network.update()


def _observe(model: PartnershipModel) -> None:
    """Compute every declared metric and record the month's row (Mesa DataCollector)."""
    model.current = outcomes.compute_metrics(model)
    model.datacollector.collect(model)


#: The monthly schedule, in the order of the ODD's process overview (section 3.2).
PHASES = Schedule([
    Phase("arrivals", clients_mod.arrivals),
    Phase("transfers", delivery.transfer),
    Phase("releases", delivery.release),
    Phase("retendering", tendering.retender_due),
    Phase("partner_search", partnering.search),
    Phase("reorganisation", partnering.reorganise),
    Phase("relationship_investment", partnering.invest),
    Phase("contract_assignment", delivery.assign_contracts),
    Phase("provider_assignment", delivery.assign_providers),
    Phase("monitoring", delivery.monitor),
    Phase("service", delivery.serve),
    Phase("finance", finance.settle),
    Phase("relationship_update", _update_relationships),
    Phase("client_outcomes", outcomes.client_exits),
    Phase("system_change", system_change.learn),
    Phase("observation", _observe),
])


class PartnershipModel(mesa.Model):
    """Charities, commissioners and clients in one region (or the whole sector).

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario` (or a scenario name/path).
        seed: seed of the model's random generator (default: ``run.seed``).
        charity_cls: the agent class for charities, or a callable ``(model, index) -> Charity``
            for a mixed population; subclass :class:`Charity` to change its decision rules.
        commissioner_cls: the agent class for commissioners (subclass :class:`Commissioner`).
        phases: the monthly schedule for this model (default: the class's :attr:`phases`).
        log_client_exits: keep a log of every client exit (id, month, how it ended); see
            :meth:`sim.clients.ClientPopulation.exit_log_frame`.

    Class attributes a subclass may extend:
        phases: the monthly :class:`~sim.schedule.Schedule`.
        metrics: the :class:`~sim.metrics.MetricSet` recorded each month.
    """

    #: The monthly schedule; a subclass inserts, replaces or removes phases (see :mod:`sim.schedule`).
    phases: Schedule = PHASES
    #: The metrics this class records; a subclass extends them with ``metrics = PartnershipModel.metrics.extend(...)``.
    metrics: MetricSet = outcomes.DEFAULT_METRICS

    def __init__(self, scenario: Scenario | str = "baseline", seed: int | None = None,
                 charity_cls=Charity, commissioner_cls: type[Commissioner] = Commissioner,
                 phases: Schedule | None = None, log_client_exits: bool = False):
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        seed = scenario.run.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.scenario = scenario
        self.seed = seed
        if phases is not None:
            self.phases = phases if isinstance(phases, Schedule) else Schedule(phases)
        self.commissioner_cls = commissioner_cls
        self._init_state()
        self._init_sector(charity_cls)
        self._init_commissioners()
        self._init_clients(log_client_exits)
        self._burn_in()
        self._init_events()
        self._init_observation()

    # ------------------------------------------------------------------ set-up, in order
    def _init_state(self) -> None:
        """Counters, trends and the global state of section 2.7 of the ODD."""
        self.domains = DOMAINS
        self.month = 0
        self.counters: Counter[str] = Counter()
        self.ledger = {"income": 0.0, "spending": 0.0}
        self.month_stats: dict[str, int] = {}
        self.rolling = outcomes.RollingCounts(*outcomes.ROLLING)
        self.barrier = 1.0
        self.funding_step = 1.0
        self.demand_step = 1.0
        self.funded_hours = 0.0
        self.joint_served = 0
        self.cache: dict[str, Any] = {}
        self._ids: Counter[str] = Counter()

    def _init_sector(self, charity_cls) -> None:
        """Places, the charities (arrays and agents), and their first informal ties."""
        sc = self.scenario
        sec = sc.sector
        n_loc = sec.localities
        self.prisons = np.arange(n_loc - sec.prisons, n_loc) if n_loc > 1 else np.arange(0)
        self.community = np.arange(0, n_loc - sec.prisons) if n_loc > 1 else np.arange(1)
        self.sector = SectorState(sc, self.rng, n_loc)
        self.initial_reserves = float(self.sector.reserves.sum())
        self._charities: list[Charity] = [charity_cls(self, i) for i in range(sec.charities)]
        #: the distinct classes of the charities (decides where a vectorised default rule applies)
        self.charity_classes: set[type] = {type(c) for c in self._charities}
        self.network = RelationshipNetwork(sec.charities, sc.relationships)
        self._seed_informal_ties()
        self.partnerships = PartnershipBook(sec.charities)

    def _init_commissioners(self) -> None:
        """Commissioners, their lots and their first tenders."""
        self._commissioners: list[Commissioner] = []
        self.tender_queue: list[tuple[int, Commissioner, int, Contract | None]] = []
        for spec in self.scenario.commissioners:
            self.add_commissioner(spec, start_month=max(1, spec.start_month))

    def _init_clients(self, log_exits: bool) -> None:
        """The clients under support at the start, part-way through their support."""
        self.clients = ClientPopulation(self.scenario, self.rng, self.prisons, self.community, log_exits=log_exits)
        self.clients.arrive(self.scenario.demand.clients, started=True)
        self.initial_clients = len(self.clients)
        self.mean_needs = float(self.clients.need_count.mean()) if len(self.clients) else 1.0

    def _burn_in(self) -> None:
        """Run ``run.burn_in`` unrecorded months (numbered below 0) with no trends or events.

        Contracts are tendered, staffing settles to what budgets afford,
        caseloads fill and ties form, so that month 0 starts in equilibrium.
        Cumulative counts (closures, defections...) and client flows restart at 0.
        """
        months = self.scenario.run.burn_in
        if months <= 0:
            return
        # first tenders are due in the burn-in's first month (scenario start months count from month 0)
        self.tender_queue = [(t - months if t <= 1 else t, c, i, prev) for t, c, i, prev in self.tender_queue]
        for k in range(months):
            self.month = k - months
            for phase in self.phases:
                if phase.name != "observation":
                    phase(self)
        self.month = 0
        self.counters.clear()
        self.ledger = {"income": 0.0, "spending": 0.0}
        self.clients.flows = type(self.clients.flows)(arrived=len(self.clients))
        self.initial_reserves = float(self.sector.reserves.sum())  # closed charities included, as in the ledger

    def _init_events(self) -> None:
        """Dated events, each scheduled just before its month's step (Mesa's event scheduler)."""
        self._events = [DatedEvent(self, e) for e in self.scenario.events]
        for ev in self._events:
            self.schedule_event(ev, at=ev.event.month - 0.5)

    def _init_observation(self) -> None:
        """A DataCollector with one reporter per declared metric; month 0 is recorded."""
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
        """One month: every phase of :attr:`phases`, in order (the ODD's process overview)."""
        self.month = self.steps
        for phase in self.phases:
            phase(self)

    # ------------------------------------------------------------------ set-up helpers
    def add_commissioner(self, spec: CommissionerSpec, start_month: int) -> Commissioner:
        """Create a commissioner, split its places into lots, and schedule its first tenders."""
        if spec.setting == "community":
            places = self.community
        elif spec.setting == "prison":
            places = self.prisons if self.prisons.size else self.community
        else:
            places = np.arange(self.scenario.sector.localities)
        # the commissioner's own setting first (a number of lots, then places per lot), then the region's
        c = self.scenario.commissioning
        if spec.lots or spec.lot_places:
            n_lots = spec.lots or -(-places.size // spec.lot_places)
        else:
            n_lots = c.lots or -(-places.size // c.lot_places)
        n_lots = min(n_lots, max(places.size, 1))
        order = self.rng.permutation(places)
        lots = [np.sort(chunk) for chunk in np.array_split(order, n_lots) if chunk.size]
        commissioner = self.commissioner_cls(self, spec, lots)
        self._commissioners.append(commissioner)
        for i in range(len(lots)):
            self.tender_queue.append((start_month, commissioner, i, None))
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
        """Share of the recorded horizon elapsed (0 during the burn-in)."""
        return min(max(self.month, 0) / max(self.scenario.run.months, 1), 1.0)

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
        """A new id for a thing of ``kind`` (``"contract"``, ``"partnership"``): 0, 1, 2... per kind."""
        self._ids[kind] += 1
        return self._ids[kind] - 1

    def max_contract_id(self) -> int:
        """The largest contract id issued so far (0 before any)."""
        return max(self._ids["contract"] - 1, 0)

    def max_partnership_id(self) -> int:
        """The largest partnership id issued so far (0 before any)."""
        return max(self._ids["partnership"] - 1, 0)

    def charity(self, org_id: int) -> Charity:
        """The agent for charity ``org_id`` (its ``unique_id``; closed charities included)."""
        return self._charities[org_id]

    @property
    def contracts(self) -> dict[int, Contract]:
        """Running contracts and grants by id (held by :attr:`partnerships`)."""
        return self.partnerships.contracts

    @property
    def commissioners(self) -> mesa.agent.AgentSet:
        """The commissioners, as a Mesa AgentSet in order of creation."""
        return mesa.agent.AgentSet(self._commissioners, random=self.random)

    # ------------------------------------------------------------------ exits
    def close_charity(self, org_id: int) -> None:
        """A charity closes (insolvency): it leaves, its clients are displaced; counted in ``charity_closures``."""
        finance.close(self, org_id)

    def merge_charities(self, absorbed: int, into: int) -> None:
        """``absorbed`` merges into ``into``: its money, staff, places, specialisms and contract shares pass on.

        A merger is not a closure: it is counted in ``model.counters["mergers"]``.
        """
        finance.merge(self, absorbed, into)

    @property
    def charities(self) -> mesa.agent.AgentSet:
        """The operating charities, as a Mesa AgentSet."""
        return self.agents.select(agent_type=Charity)

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
        pid = self.partnerships.partnership_id_of()
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
