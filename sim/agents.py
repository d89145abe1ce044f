"""The organisations as Mesa agents: charities and commissioners.

A charity's numbers (reserves, staff hours, presence, specialisms...) live in
the model's :class:`~sim.sector.SectorState` arrays so that monthly finance and
delivery are vectorised over thousands of charities; the :class:`Charity`
agent is the researcher's handle on one of them. It exposes every declared
per-charity state (:data:`~sim.sector.CHARITY_STATES`) as a property that reads
and writes its own row, plus its partnerships, contracts and clients, and its
decision methods are the place to override behaviour in a subclass (pass
``charity_cls=`` to :class:`~sim.model.PartnershipModel`; in a mixed
population each charity's own class is honoured).

A charity's ``unique_id`` is its ``org_id``: its row in the sector arrays and
its node in the relationship network.

Partnerships and contracts are not agents; they live in
:mod:`sim.partnerships`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from . import rules
from .partnerships import Contract, Partnership  # noqa: F401  (re-exported: sim.Partnership, sim.Contract)
from .sector import CHARITY_STATES

if TYPE_CHECKING:
    from .model import PartnershipModel
    from .scenario import CommissionerSpec


def _row(name: str, doc: str) -> property:
    def get(self: Charity):
        return getattr(self.model.sector, name)[self.index]

    def set_(self: Charity, value) -> None:
        getattr(self.model.sector, name)[self.index] = value

    return property(get, set_, doc=doc)


class Charity(mesa.Agent):
    """A voluntary organisation working with people in the justice system.

    Every name of :data:`~sim.sector.CHARITY_STATES` is a property of the
    agent (``charity.reserves``, ``charity.presence``...).
    """

    def __init__(self, model: PartnershipModel, index: int):
        super().__init__(model)
        self.index = index
        self.unique_id = index  # agent id = network id = row of the sector arrays

    @property
    def org_id(self) -> int:
        """The charity's id in the sector arrays and the relationship network (= ``unique_id``)."""
        return self.index

    @property
    def name(self) -> str:
        """Display name, "Charity i" for org_id i."""
        return f"Charity {self.index}"

    @property
    def under_pressure(self) -> bool:
        """Reserves below one month of spending: the charity looks harder for partners."""
        return bool(self.model.sector.pressure()[self.index])

    # ---------------------------------------------------------- relations
    @property
    def partnerships(self) -> list[Partnership]:
        """Active partnerships (of any size, including its single-charity contract holders) it belongs to."""
        return self.model.partnerships.of_charity(self.index)

    @property
    def contracts(self) -> list[Contract]:
        """Running contracts and grants in which it has a share."""
        return self.model.partnerships.contracts_of(self.index)

    @property
    def clients(self) -> np.ndarray:
        """Ids of the clients it served this month."""
        cl = self.model.clients
        return cl.uid[cl.provider == self.index]

    # ---------------------------------------------------------- decisions
    def defection_chance(self, lead_tie: float, value_change: float) -> float:
        """Chance of bidding outside the partnership at a market test (see :func:`sim.rules.defection_chance`)."""
        p = self.model.scenario.partnership
        return rules.defection_chance(lead_tie, value_change, self.under_pressure, p.defection_base,
                                      p.defection_weak_tie, p.defection_value_cut, p.defection_pressure)

    def bid_intent(self, lot, fit: float, access: float, funds: float, lead_cost: float, join_cost: float) -> int:
        """Whether to lead a bid for ``lot`` (2), offer to join one (1) or stay out (0) (:func:`sim.rules.bid_intent`)."""
        enabled = self.model.scenario.partnership.enabled
        return int(rules.bid_intent(np.array([fit]), np.array([access]), np.array([funds]), lead_cost, join_cost,
                                    enabled)[0])

    def accepts_invitation(self, lot, lead: int, expected_share: float, lead_tie: float) -> bool:
        """Whether to join ``lead``'s bid for ``lot``, expecting ``expected_share`` of the work."""
        from .tendering import charity_free_funds, coordination_cost

        m = self.model
        cost = rules.subsidy_needed(expected_share, lot.value, lot.cost) + coordination_cost(m, "alliance", False)
        absorbed = m.scenario.partnership.subsidy_tolerance * expected_share * lot.cost
        return rules.accepts_invitation(float(charity_free_funds(m)[self.index]), max(cost - absorbed, 0.0), lead_tie)

    def joins_partnership(self, contract, money: float, cost: float, lead_tie: float) -> bool:
        """Whether to join a running contract's partnership under a flexible funder, for the work in a gap
        that would bring it ``money`` a month and cost it ``cost`` (its coordination included)
        (:func:`sim.rules.accepts_invitation`, with no shortfall beyond what the money does not pay)."""
        from .tendering import charity_free_funds

        funds = float(charity_free_funds(self.model)[self.index])
        return rules.accepts_invitation(funds, max(cost - money, 0.0), lead_tie)

    def accepts_share(self, lot, share: float, funds: float, cost: float) -> bool:
        """Whether to deliver ``share`` of a contract's work that would cost it ``cost`` a month of its own money
        (:func:`sim.rules.accepts_share`)."""
        tolerance = self.model.scenario.partnership.subsidy_tolerance
        return rules.accepts_share(funds, cost, tolerance * share * lot.cost)

    def subcontract_share(self, lot, own_hours: float, need_hours: float) -> float:
        """As a lead, the share of the work to pass to partners beyond its core (:func:`sim.rules.subcontract_share`)."""
        p = self.model.scenario.partnership
        if not p.enabled:
            return 0.0
        return rules.subcontract_share(own_hours, need_hours, p.lead_core_share)

    def search_chance(self) -> float:
        """Monthly chance of looking for a partner with complementary resources (:func:`sim.rules.search_chance`)."""
        p = self.model.scenario.partnership
        return rules.search_chance(p.search_rate, p.pressure_search, self.under_pressure)


for _name, _doc in CHARITY_STATES.items():
    setattr(Charity, _name, _row(_name, _doc))


def overrides_rule(cls: type, base: type, method: str) -> bool:
    """Whether ``cls`` overrides ``base.method``; the vectorised default is then not used for its agents."""
    return getattr(cls, method) is not getattr(base, method)


class Commissioner(mesa.Agent):
    """A statutory commissioner or an independent grant funder."""

    def __init__(self, model: PartnershipModel, spec: CommissionerSpec, lots: list[np.ndarray]):
        super().__init__(model)
        self.spec = spec
        self.lots = lots
        self.domains = np.isin(np.array(model.domains), spec.domains)
        self.domain_bits = int((self.domains.astype(np.uint8) << np.arange(self.domains.size, dtype=np.uint8)).sum())
        c = model.scenario.commissioning
        self.contract_months = spec.contract_months or c.contract_months
        self.grant = spec.kind == "lottery" if spec.grant is None else spec.grant
        self.retender_mode = "rollover" if self.grant else c.retender
        self.flexible = True if self.grant else c.flexible
        self.partnership_required = True if self.grant else c.partnership_required
        self.contracts: list[Contract] = []

    @property
    def name(self) -> str:
        """Its name, from its specification."""
        return self.spec.name

    @property
    def kind(self) -> str:
        """Its kind (ministry, prison service, probation, police and crime commissioner, ...)."""
        return self.spec.kind

    def monthly_budget(self) -> float:
        """Budget a month now, after the funding trend and events."""
        m = self.model
        f = m.scenario.funding
        pot = m.scenario.demand.clients * f.commissioned_per_client * m.funding_factor()
        everyone = list(m.commissioners)
        same_kind = [c for c in everyone if c.grant == self.grant]
        other_kind = len(same_kind) < len(everyone)
        share = (f.grant_share if self.grant else 1.0 - f.grant_share) if other_kind else 1.0
        total = sum(c.spec.budget_share for c in same_kind) or 1.0
        return pot * share * self.spec.budget_share / total
