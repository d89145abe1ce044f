"""Pure decision rules: small functions of state and parameters, citing their source.

They import nothing from the model; every number comes from the caller, who
takes it from the scenario (``partnersim schema`` lists each key). Submodules
apply them to the model's state; tests check them directly (Axelrod-style).
"""

from __future__ import annotations

import numpy as np


def defection_chance(lead_tie: float, value_change: float, under_pressure: bool, base: float,
                     weak_tie: float, value_cut: float, pressure: float) -> float:
    """Chance that a partner bids outside its partnership at a market test.

    Weak managerial ties to the lead, a shrinking contract and financial
    pressure all push a partner to "develop a competing bid outside of the
    existing partnership" (Inspire, autumn 2015). The weights are the
    ``partnership.defection_*`` scenario keys.
    """
    p = base + weak_tie * (1.0 - lead_tie) + (value_cut if value_change < 0 else 0.0) + (pressure if under_pressure else 0.0)
    return float(min(max(p, 0.0), 0.9))  # plain floats: np.clip on a scalar is slow


def bid_score(price: float, quality: float, track: float, existing: float,
              price_w: float, quality_w: float, track_w: float, incumbency_w: float) -> float:
    """Weighted score of a bid; every component is in [0, 1]."""
    return price_w * price + quality_w * quality + track_w * track + incumbency_w * existing


def price_score(lead_band: int, size: int, noise: float, scale_discount: float,
                coordination_cost: float) -> float:
    """Cheaper bids score higher: scale lowers price, coordinating many partners raises it.

    The weights are ``commissioning.price_scale_discount`` and ``commissioning.price_coordination_cost``.
    """
    ratio = 1.0 - scale_discount * lead_band + coordination_cost * (size - 1) + noise
    return float(min(max(1.5 - ratio, 0.0), 1.0))


def subsidy_needed(fraction: float, value: float, cost: float) -> float:
    """Own money a member must add each month to deliver its ``fraction`` of a specification
    that costs ``cost`` and pays ``value`` (NCVO 2024: 87% subsidise their contracts)."""
    return float(fraction * max(cost - value, 0.0))


def free_funds(own_funds: np.ndarray, reserves: np.ndarray, reserves_target: np.ndarray, months: int) -> np.ndarray:
    """Own money a charity could put into a contract each month: its own funds for these
    clients, plus any reserves above their target spread over a contract's length."""
    return own_funds + np.maximum(reserves - reserves_target, 0.0) / max(months, 1)


def bid_intent(fit: np.ndarray, access: np.ndarray, funds: np.ndarray, lead_cost: float, join_cost,
               partnering: bool) -> np.ndarray:
    """Whether each charity leads a bid (2), offers to join one (1) or stays out (0).

    A charity leads only where it works and serves a need the contract funds
    (``fit`` > 0); it offers to join where it brings a need or only access to
    the lot's places (``access`` > 0: RECOOP brought access, Fine Cell Work
    know-how). Either only if it can carry the coordination and its part of
    the shortfall that the role would cost it from its own money. A lead weighs
    its coordination and the cost of bidding (it delivers what the money buys;
    whether partners stay on a cut contract is decided when shares are split),
    so a small charity can lead a small local lot, and nobody joins a bid whose
    cost it cannot carry.
    """
    can_lead = (fit > 0) & (funds >= lead_cost)
    can_join = (access > 0) & (funds >= join_cost) & partnering
    return np.where(can_lead, 2, np.where(can_join, 1, 0)).astype(np.int8)


def accepts_invitation(funds: float, cost: float, lead_tie: float) -> bool:
    """An invited partner joins if it can carry its expected part of the cost, trusting a lead it
    knows more: the money it will risk is its funds times (0.5 + managerial tie to the lead)."""
    return bool(funds * (0.5 + lead_tie) >= cost)


def accepts_share(funds: float, cost: float, absorbed: float) -> bool:
    """A member keeps its part of a contract if the own money it would need, after what it absorbs
    through volunteers and unpaid overheads (``absorbed``), is within its free funds."""
    return bool(funds >= cost - absorbed)


def subcontract_share(own_hours: float, need_hours: float, core_share: float) -> float:
    """Share of a contract's work a lead passes to partners beyond its core: what its own hours cannot cover."""
    if need_hours <= 0:
        return 0.0
    return float(min(max(1.0 - own_hours / need_hours, 0.0), 1.0 - core_share))


def coordination_hours(base: float, form: str, lead: bool) -> float:
    """Monthly hours a member spends on a partnership's coordination, by form.

    A consortium (and a co-located one-stop shop) shares governance among
    equals: every member spends ``base``. In an alliance the lead coordinates
    (``base``) and its subcontractors report to it (half). An informal
    partnership meets a quarter as much; a charity alone, not at all.
    """
    if form in ("consortium", "one_stop_shop"):
        return base
    if form == "alliance":
        return base if lead else base / 2.0
    if form == "informal":
        return base / 4.0
    return 0.0



def search_chance(rate: float, pressure_multiplier: float, under_pressure: bool) -> float:
    """Monthly chance of looking for a partner; pressure makes it more likely."""
    return float(min(1.0, rate * (1.0 + pressure_multiplier * under_pressure)))


def horizon_factor(months_left: float, horizon_months: int) -> float:
    """Share of full relationship investment that a funding horizon justifies."""
    return float(min(max(months_left / horizon_months, 0.0), 1.0))  # plain floats: np.clip on a scalar is slow


def partnership_form(size: int, commissioned: bool, co_located: bool, lead_band: int, max_other_band: int) -> str:
    """The report's forms: informal, lead-and-subcontractors alliance, consortium, one-stop shop."""
    if size == 1:
        return "single"
    if not commissioned:
        return "informal"
    if co_located:
        return "one_stop_shop"
    return "alliance" if lead_band > max_other_band else "consortium"


def referral_success(base: float, tie_effect: float, co_location: float, frontline: np.ndarray,
                     co_located: np.ndarray, barrier_effect: float, barrier: float) -> np.ndarray:
    """Chance a referral to a partner succeeds."""
    p = base + tie_effect * frontline + co_location * co_located
    return np.clip(p, 0.0, 1.0) * (1.0 - barrier_effect * barrier)


def monitoring_hours(clients: int, hours_per_client: float, partners: int, per_partner: bool, duplication: float) -> float:
    """Monitoring a contract demands; each partner with its own system duplicates its part."""
    base = clients * hours_per_client
    if per_partner and partners > 1:
        return base * (1.0 + duplication * (partners - 1) / partners)
    return base


def continuity_kept(same_partnership: np.ndarray, record_follows: np.ndarray) -> np.ndarray:
    """Support continues after a move if the same partnership serves the new place and the
    client's record reaches the new worker (Prison Family Support Alliance: the shared system
    "enables them to share information when a prisoner is transferred")."""
    return same_partnership & record_follows


def staff_target(affordable: np.ndarray, needed: np.ndarray, reserves: np.ndarray, reserves_target: np.ndarray,
                 subsidy: float, reserve_adjust: float, loaded_cost: float) -> np.ndarray:
    """Paid hours a charity aims for.

    What its budget affords, plus a share (``subsidy``) of the hours its clients
    need beyond that, paid from reserves while it has any
    (NCVO 2024: 87% of public-service charities subsidise their contracts and
    grants from other income); plus or minus ``reserve_adjust`` of the gap
    between its reserves and their target, so reserves are rebuilt after a loss
    and spent down after a windfall.
    """
    gap = np.maximum(needed - affordable, 0.0)
    rebuild = reserve_adjust * (reserves - reserves_target) / loaded_cost
    return np.maximum(affordable + subsidy * gap * (reserves > 0) + rebuild, 0.0)


def barrier_update(barrier: float, learning: float, relapse: float) -> float:
    """Barriers fall with learning and drift back without it; stays in [0, 1]."""
    return float(min(max(barrier - learning * barrier + relapse * (1.0 - barrier), 0.0), 1.0))
