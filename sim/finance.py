"""Finance: money in and out, staffing, reserves and closure.

Submodel "Finance" of the ODD. A charity's income is its own (donations,
trusts, trading) plus its shares of contracts and grants. It sets staff hours
towards what its income affords, stretching beyond it to meet its clients'
needs while it has reserves (NCVO 2024: 87% of public-service charities
subsidise their contracts and grants from other income). Partners share
premises and administration, which lowers their overheads ("RECOOP's role in
administrating volunteers at the prison has also reduced some of the
administrative costs that would otherwise have been incurred by Fine Cell
Work"). Reserves carry the difference; a charity whose reserves stay negative for
``sector.closure_months`` closes, its partnerships reorganise around the loss
and its clients are displaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .partnering import remove_member

if TYPE_CHECKING:
    from .model import PartnershipModel


def staff_target(affordable: np.ndarray, needed: np.ndarray, subsidy: float, has_reserves: np.ndarray) -> np.ndarray:
    """Hours a charity aims to staff: what income affords, plus part of any unmet need while reserves last."""
    gap = np.maximum(needed - affordable, 0.0)
    return affordable + subsidy * gap * has_reserves


def contract_income(model: PartnershipModel) -> np.ndarray:
    """This month's payments from contracts and grants, per charity."""
    s = model.sector
    pay = np.zeros(s.n)
    for contract in model.contracts.values():
        for m, v in contract.shares.items():
            if s.alive[m]:
                pay[m] += v
    return pay


def settle(model: PartnershipModel) -> None:
    """Pay income, adjust staffing, spend, update reserves, close insolvent charities."""
    s, sc = model.sector, model.scenario
    sec = sc.sector
    alive = s.alive
    s.contract_income = contract_income(model)
    income = np.where(alive, s.other_income * model.other_income_factor() + s.contract_income, 0.0)
    overhead = sec.overhead_share * (1.0 - sc.partnership.overhead_saving * model.in_partnership())
    affordable = income * (1.0 - overhead) / sec.hourly_cost
    needed = s.demand_hours + s.monitoring_hours + s.relationship_hours - s.volunteer_hours
    target = staff_target(affordable, needed, sec.subsidy, s.reserves > 0)
    s.staff_hours = np.where(alive, s.staff_hours + sec.staff_adjust * (target - s.staff_hours), 0.0)
    spending = np.where(alive, s.staff_hours * sec.hourly_cost / (1.0 - overhead), 0.0)
    s.reserves = s.reserves + income - spending
    s.income, s.spending = income, spending
    model.ledger["income"] += float(income.sum())
    model.ledger["spending"] += float(spending.sum())

    s.negative_months = np.where(alive & (s.reserves < 0), s.negative_months + 1, 0).astype(np.int16)
    for i in np.flatnonzero(alive & (s.negative_months >= sec.closure_months)):
        close(model, int(i))


def close(model: PartnershipModel, i: int) -> None:
    """A charity closes: it leaves its partnerships and the model; its clients are displaced."""
    s = model.sector
    s.alive[i] = False
    s.closed_month[i] = model.month
    s.staff_hours[i] = 0.0
    model.counters["closures"] += 1
    if s.base_income[i] * 12 < 500_000:
        model.counters["small_closures"] += 1
    model.network.drop_organisation(i)
    remove_member(model, i)
    agent = model.charity(i)
    if agent is not None and agent.model is model:
        agent.remove()
