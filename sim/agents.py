"""The organisations: charities and commissioners (Mesa agents), partnerships and contracts.

A charity's numbers (reserves, staff hours, presence, specialisms...) live in
the model's :class:`~sim.sector.SectorState` arrays so that monthly finance and
delivery are vectorised over thousands of charities; the :class:`Charity`
agent is the researcher's handle on one of them: it reads and writes its own
row, and its decision methods are the place to override behaviour in a
subclass (pass ``charity_cls=`` to :class:`~sim.model.PartnershipModel`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from . import partnering, tendering

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
    """A voluntary organisation working with people in the justice system."""

    reserves = _row("reserves", "Money held, in pounds (closure after months below zero)")
    staff_hours = _row("staff_hours", "Paid staff hours a month")
    volunteer_hours = _row("volunteer_hours", "Volunteer hours a month")
    other_income = _row("other_income", "Monthly income from donations, trusts and trading, in pounds")
    track_record = _row("track_record", "Reputation for outcomes, 0-1, used in bid scoring")
    alive = _row("alive", "Still operating")
    band = _row("band", "Income band: 0 under 10k, 1 10k-500k, 2 500k-10m, 3 over 10m")
    specialisms = _row("specialisms", "Need domains served (bool per domain)")
    knowhow = _row("knowhow", "Structured programmes it can run elsewhere (bool per domain)")
    presence = _row("presence", "Localities and prisons with contacts or premises (bool per locality)")

    def __init__(self, model: PartnershipModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return f"Charity {self.index}"

    @property
    def under_pressure(self) -> bool:
        """Reserves below one month of spending: the charity looks harder for partners."""
        return bool(self.model.sector.pressure()[self.index])

    # ---------------------------------------------------------- decisions
    def defection_chance(self, lead_tie: float, value_change: float) -> float:
        """Chance of bidding outside the partnership at a market test (see tendering)."""
        p = self.model.scenario.partnership
        return tendering.defection_chance(lead_tie, value_change, self.under_pressure, p.defection_base,
                                          p.defection_weak_tie, p.defection_value_cut, p.defection_pressure)

    def search_chance(self) -> float:
        """Monthly chance of looking for a partner with complementary resources."""
        p = self.model.scenario.partnership
        return partnering.search_chance(p.search_rate, p.pressure_search, self.under_pressure)


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
        self.grant = spec.grant
        self.retender_mode = "rollover" if spec.grant else c.retender
        self.flexible = True if spec.grant else c.flexible
        self.partnership_required = True if spec.grant else c.partnership_required
        self.contracts: list[Contract] = []

    @property
    def name(self) -> str:
        return self.spec.name

    def monthly_budget(self) -> float:
        """Budget a month now, after the funding trend and events."""
        m = self.model
        f = m.scenario.funding
        pot = m.scenario.demand.clients * f.commissioned_per_client * m.funding_factor()
        same_kind = [c for c in m.commissioners if c.grant == self.grant]
        other_kind = len(same_kind) < len(m.commissioners)
        share = (f.grant_share if self.grant else 1.0 - f.grant_share) if other_kind else 1.0
        total = sum(c.spec.budget_share for c in same_kind) or 1.0
        return pot * share * self.spec.budget_share / total


@dataclass(eq=False)
class Partnership:
    """A collective of charities: informal, an alliance, a consortium or a one-stop shop.

    A contract held by one charity alone is held by a partnership of one
    (form ``"single"``); only partnerships of two or more count as active
    partnerships in the metrics.
    """

    pid: int
    members: list[int]
    lead: int
    form: str  # "single" | "informal" | "alliance" | "consortium" | "one_stop_shop"
    formed: int
    co_located: bool = False
    shared_case_management: bool = False
    standard_monitoring: bool = False
    joint_training_months: int = 0
    joint_service: tuple[int, int] | None = None  # (locality, domain) of an unfunded collaboration
    contracts: list[Contract] = field(default_factory=list)
    active: bool = True

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(eq=False)
class Contract:
    """A contract (or grant) for a lot of localities and a set of need domains."""

    cid: int
    commissioner: Commissioner
    lot: np.ndarray
    domains: np.ndarray
    value: float  # pounds a month
    start: int
    end: int
    holder: Partnership
    shares: dict[int, float] = field(default_factory=dict)  # delivering member -> pounds a month
    lot_index: int = 0
    funding_at_start: float = 1.0
    spec_value: float = 0.0  # value of the service as first specified, in today's funding
    active: bool = True

    @property
    def delivering(self) -> list[int]:
        return [m for m, v in self.shares.items() if v > 0]

    @property
    def months_left(self) -> int:
        return self.end - self.commissioner.model.month
