"""The public output metrics: names, meanings, and which way is 'better'.

The names are part of the public interface (the brief); add, never rename.
Values are computed in :mod:`sim.outcomes` and collected monthly by Mesa's
DataCollector.
"""

from __future__ import annotations

#: name -> (meaning, direction: +1 higher is better for clients/sector, -1 lower is better, 0 neutral)
METRIC_INFO: dict[str, tuple[str, int]] = {
    "partnerships_active": ("Partnerships of two or more active charities, funded or not", 0),
    "partnership_size_mean": ("Mean number of charities in an active partnership", 0),
    "charities_active": ("Charities still operating", 1),
    "charity_closures": ("Charities closed since the start (reserves stayed negative)", -1),
    "small_charity_closures": ("Closures of charities with income under 500k a year, since the start", -1),
    "rel_managerial_mean": ("Mean managerial relationship strength over ties between charities (0-1)", 1),
    "rel_frontline_mean": ("Mean frontline relationship strength over ties between charities (0-1)", 1),
    "rel_partner_frontline_mean": ("Mean frontline strength over ties between members of the same partnership (0-1)", 1),
    "rel_partner_managerial_mean": ("Mean managerial strength over ties between members of the same partnership (0-1)", 1),
    "defections": ("Partners who bid outside their partnership at a re-tender, since the start", -1),
    "contracts_active": ("Contracts and grants currently held", 0),
    "consortium_contract_share": ("Share of contracts held by a partnership of two or more charities", 0),
    "partners_delivering_mean": ("Mean number of charities delivering each contract", 0),
    "funding_top10_share": ("Share of the month's income going to the largest tenth of charities", -1),
    "partnership_member_share": ("Share of active charities that belong to a partnership", 0),
    "clients_active": ("Clients under support", 0),
    "needs_met_share": ("Share of clients' needs met this month", 1),
    "joined_up_share": ("Share of clients with several needs who get support for all of them", 1),
    "referral_success_rate": ("Share of referrals to a partner that succeeded this month", 1),
    "continuity_on_transfer": ("Share of transfers of prisoners supported under a contract (last 12 months) whose support continued", 1),
    "reoffending_rate": ("Annualised proven-reoffending rate among clients (last 12 months)", -1),
    "breach_rate": ("Share of court orders ended (last 12 months) that ended in breach", -1),
    "monitoring_time_share": ("Share of funded staff time spent on monitoring", -1),
    "system_barrier_index": ("Barriers clients meet between services (1 = as at the start, 0 = none)", -1),
    "unfunded_collaborations": ("Active joint services with no dedicated funding (know-how joined with local access)", 1),
}

#: The brief's public metric names, in the brief's order.
BRIEF_METRICS: tuple[str, ...] = (
    "partnerships_active", "partnership_size_mean", "charities_active", "charity_closures",
    "rel_managerial_mean", "rel_frontline_mean", "defections", "contracts_active",
    "consortium_contract_share", "funding_top10_share", "clients_active", "needs_met_share",
    "joined_up_share", "referral_success_rate", "continuity_on_transfer", "reoffending_rate",
    "breach_rate", "monitoring_time_share", "system_barrier_index", "unfunded_collaborations",
)

#: Every metric the model records.
METRICS: tuple[str, ...] = tuple(METRIC_INFO)
