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

from .rules import staff_target  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .model import PartnershipModel


def contract_income(model: PartnershipModel) -> np.ndarray:
    """This month's payments from contracts and grants, per charity."""
    s = model.sector
    pay = np.zeros(s.n)
    for contract in model.contracts.values():
        for m, v in contract.shares.items():
            if s.alive[m]:
                pay[m] += v
    return pay


def budget(model: PartnershipModel) -> np.ndarray:
    """Money each charity has this month for these clients: contracts and grants plus its own funds for them."""
    s = model.sector
    s.contract_income = contract_income(model)
    return np.where(s.alive, s.own_funds * model.other_income_factor() + s.contract_income, 0.0)


def fixed_costs(model: PartnershipModel) -> np.ndarray:
    """Fixed costs this month; partners share premises and administration and save part of theirs."""
    s, sc = model.sector, model.scenario
    return s.fixed_cost * (1.0 - sc.partnership.overhead_saving * model.partnerships.in_partnership())


def staffing(model: PartnershipModel, money: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Each charity moves its paid hours towards what its budget affords (:func:`sim.rules.staff_target`).

    The hours it needs are its clients' needs, its share of the waiting list in
    its places and specialisms, monitoring, partnership work and volunteer
    supervision: rising demand stretches reserves, not only waiting lists.
    """
    s, sec = model.sector, model.scenario.sector
    loaded = sec.hourly_cost * (1.0 + sec.overhead_share)
    affordable = np.maximum(money - fixed, 0.0) / loaded
    needed = (s.demand_hours + s.waiting_hours + s.monitoring_hours + s.relationship_hours
              + s.volunteer_hours * (sec.volunteer_supervision - 1.0))
    target = staff_target(affordable, needed, s.reserves, s.reserves_target, sec.subsidy, sec.reserve_adjust, loaded)
    return np.where(s.alive, s.staff_hours + sec.staff_adjust * (target - s.staff_hours), 0.0)


def settle(model: PartnershipModel) -> None:
    """Pay income, adjust staffing, spend, update reserves, close insolvent charities."""
    s, sc = model.sector, model.scenario
    sec = sc.sector
    alive = s.alive
    money = budget(model)
    fixed = fixed_costs(model)
    s.staff_hours = staffing(model, money, fixed)
    spending = np.where(alive, s.staff_hours * sec.hourly_cost * (1.0 + sec.overhead_share) + fixed, 0.0)
    s.reserves = s.reserves + money - spending
    s.income, s.spending = money, spending
    model.ledger["income"] += float(money.sum())
    model.ledger["spending"] += float(spending.sum())

    s.negative_months = np.where(alive & (s.reserves < 0), s.negative_months + 1, 0).astype(np.int16)
    for i in np.flatnonzero(alive & (s.negative_months >= sec.closure_months)):
        close(model, int(i))


def close(model: PartnershipModel, i: int) -> None:
    """A charity closes: it leaves its partnerships and the model; its clients are displaced."""
    s = model.sector
    model.counters["closures"] += 1
    if s.band[i] <= 1:  # under 500k a year (Clinks' bands), whatever its income in this region
        model.counters["small_closures"] += 1
    leave(model, i)


def merge(model: PartnershipModel, absorbed: int, into: int) -> None:
    """``absorbed`` merges into ``into``: reserves, staff, volunteers, places, specialisms,
    know-how and its shares of contracts pass to ``into``; then ``absorbed`` leaves.

    Counted in ``model.counters["mergers"]``, not as a closure.
    """
    s = model.sector
    if absorbed == into or not (s.alive[absorbed] and s.alive[into]):
        raise ValueError(f"merge needs two different operating charities, got {absorbed} and {into}")
    for name in ("reserves", "reserves_target", "staff_hours", "volunteer_hours", "base_income", "own_funds", "fixed_cost"):
        arr = getattr(s, name)
        arr[into] += arr[absorbed]
    for name in ("presence", "specialisms", "knowhow"):
        arr = getattr(s, name)
        arr[into] |= arr[absorbed]
    s.specialism_bits[into] |= s.specialism_bits[absorbed]
    for contract in list(model.contracts.values()):
        share = contract.shares.pop(absorbed, 0.0)
        if share > 0:
            contract.shares[into] = contract.shares.get(into, 0.0) + share
            contract.holder.add_member(into)
    model.counters["mergers"] += 1
    leave(model, absorbed)


def leave(model: PartnershipModel, i: int) -> None:
    """A charity stops operating (closure or merger): network, partnerships and agent set forget it."""
    s = model.sector
    s.alive[i] = False
    s.closed_month[i] = model.month
    s.staff_hours[i] = 0.0
    model.counters["exits"] += 1
    model.network.drop_organisation(i)
    remove_member(model, i)
    agent = model.charity(i)
    if agent is not None and agent.model is model:
        agent.remove()
