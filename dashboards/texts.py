"""Words on the page: metric names and values as a commissioner reads them."""

from __future__ import annotations

import math

import sim

#: Short readable names of the metrics the page shows.
METRIC_LABELS: dict[str, str] = {
    "partnerships_active": "Partnerships active",
    "partnership_size_mean": "Charities per partnership",
    "charities_active": "Charities operating",
    "charity_closures": "Charity closures",
    "small_charity_closures": "Small charity closures",
    "rel_managerial_mean": "Managerial relationships",
    "rel_frontline_mean": "Frontline relationships",
    "rel_partner_frontline_mean": "Frontline ties within partnerships",
    "rel_partner_managerial_mean": "Managerial ties within partnerships",
    "defections": "Defections at re-tender",
    "contracts_active": "Contracts held",
    "consortium_contract_share": "Contracts held by partnerships",
    "partners_delivering_mean": "Partners delivering each contract",
    "funding_top10_share": "Income going to the largest tenth",
    "partnership_member_share": "Charities in a partnership",
    "clients_active": "People supported",
    "needs_met_share": "Needs met",
    "joined_up_share": "Joined-up support",
    "referral_success_rate": "Successful referrals",
    "continuity_on_transfer": "Support kept on prison transfer",
    "reoffending_rate": "Reoffending",
    "breach_rate": "Breaches of court orders",
    "monitoring_time_share": "Staff time on monitoring",
    "system_barrier_index": "System barriers",
    "unfunded_collaborations": "Unfunded joint services",
}

#: Metrics that are shares or rates in 0..1, shown as percentages.
SHARE_METRICS: frozenset[str] = frozenset({
    "consortium_contract_share", "funding_top10_share", "partnership_member_share", "needs_met_share",
    "joined_up_share", "referral_success_rate", "continuity_on_transfer", "reoffending_rate", "breach_rate",
    "monitoring_time_share",
})

#: Metrics that are strengths or indices in 0..1, shown with two decimals.
INDEX_METRICS: frozenset[str] = frozenset({
    "rel_managerial_mean", "rel_frontline_mean", "rel_partner_frontline_mean", "rel_partner_managerial_mean",
    "system_barrier_index",
})

#: The headline figures, in the order of issue 5.
HEADLINES: tuple[str, ...] = (
    "partnerships_active", "joined_up_share", "reoffending_rate", "charity_closures", "monitoring_time_share",
)

#: Metrics drawn as time series during a run.
TIME_SERIES: tuple[str, ...] = (
    "partnerships_active", "joined_up_share", "reoffending_rate", "charity_closures",
    "monitoring_time_share", "rel_frontline_mean", "rel_managerial_mean", "referral_success_rate",
)


def label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def meaning(metric: str) -> str:
    """The model's own one-line meaning of a metric."""
    return sim.METRIC_INFO.get(metric, ("", 0))[0]


def format_value(metric: str, value: float) -> str:
    """A metric value in the units a commissioner reads ("42%", "0.63", "12")."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric in SHARE_METRICS:
        return f"{100 * value:.0f}%"
    if metric in INDEX_METRICS:
        return f"{value:.2f}"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def format_difference(metric: str, value: float) -> str:
    """A difference with its sign, in points for shares ("+3.5 points")."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric in SHARE_METRICS:
        return f"{100 * value:+.1f} points"
    if metric in INDEX_METRICS:
        return f"{value:+.2f}"
    return f"{value:+.1f}"
