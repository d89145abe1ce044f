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
    return float(np.clip(p, 0.0, 0.9))


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
    return float(np.clip(1.5 - ratio, 0.0, 1.0))


def viable_shares(value: float, lead: int, contributions: dict[int, float], lead_core: float,
                  min_share: float) -> dict[int, float]:
    """Split a contract's monthly value among partners; drop those it cannot fund.

    The lead first keeps ``lead_core`` (pounds) for the core case-work the
    specification still demands; the rest follows each partner's contribution.
    A partner whose share is below ``min_share`` (its funded posts) is dropped
    and the money re-split, smallest first, until every remaining partner is
    viable. A cut in value with the same specification therefore falls on the
    partners first (Inspire at half value).
    """
    members = [m for m in contributions if m != lead]
    while True:
        weights = np.array([contributions[m] for m in members], dtype=float)
        rest = max(value - lead_core, 0.0) if members else 0.0
        shares = rest * weights / weights.sum() if members and weights.sum() > 0 else np.zeros(len(members))
        if not members or shares.min() >= min_share:
            break
        members.pop(int(np.argmin(shares)))
    out = {lead: value - float(shares.sum())}
    out.update({m: float(s) for m, s in zip(members, shares)})
    return out


def search_chance(rate: float, pressure_multiplier: float, under_pressure: bool) -> float:
    """Monthly chance of looking for a partner; pressure makes it more likely."""
    return float(min(1.0, rate * (1.0 + pressure_multiplier * under_pressure)))


def horizon_factor(months_left: float, horizon_months: int) -> float:
    """Share of full relationship investment that a funding horizon justifies."""
    return float(np.clip(months_left / horizon_months, 0.0, 1.0))


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


def continuity_kept(same_partnership: np.ndarray, shared_record: np.ndarray, draw: np.ndarray, loss: float) -> np.ndarray:
    """Support continues after a transfer if the same partnership serves the new prison
    and the record follows the client (a shared system, or luck)."""
    return same_partnership & (shared_record | (draw >= loss))


def staff_target(affordable: np.ndarray, needed: np.ndarray, subsidy: float, has_reserves: np.ndarray) -> np.ndarray:
    """Hours a charity aims to staff: what income affords, plus part of any unmet need while reserves last."""
    gap = np.maximum(needed - affordable, 0.0)
    return affordable + subsidy * gap * has_reserves


def barrier_update(barrier: float, learning: float, relapse: float) -> float:
    """Barriers fall with learning and drift back without it; stays in [0, 1]."""
    return float(np.clip(barrier - learning * barrier + relapse * (1.0 - barrier), 0.0, 1.0))
