"""The voluntary sector's state as arrays, and its initialisation.

ODD "Initialisation": charities are drawn by income band (Clinks, State of the
Sector 2023: about 27% under 10k, 54% 10k-500k, 17% 500k-10m, 2% over 10m),
with presence, specialisms, programme know-how, volunteers and reserves that
grow with size. Most are small, local and volunteer-reliant (the report's
introduction: 1,800 + 4,900 organisations, "the vast majority of whom are
small, local organisations which rely on volunteers").
"""

from __future__ import annotations

import numpy as np

from .scenario import DOMAINS, Scenario

#: Annual income bounds of each band, in pounds (Clinks' bands; the upper
#: bound of the largest band is an assumption).
BAND_INCOME = ((2_000, 10_000), (10_000, 500_000), (500_000, 10_000_000), (10_000_000, 40_000_000))
#: Share of a charity's income spent on criminal-justice work in one region:
#: national charities spread their income over many regions (assumption).
REGIONAL_SHARE = (1.0, 1.0, 0.25, 0.05)
#: Presence: mean share of the other localities where a charity of each band has contacts or premises,
#: in a region of PRESENCE_REFERENCE localities (assumption).
PRESENCE_SHARE = (0.0, 0.05, 0.2, 0.45)
#: A charity's reach is a number of places, not a share of the region: in a region of L localities the
#: chance of each other place is PRESENCE_SHARE x (PRESENCE_REFERENCE - 1) / (L - 1), at most 1, so a
#: region twice the size has as many charities in each place, not twice as many (assumption).
PRESENCE_REFERENCE = 12


#: Every per-charity state, declared once: name -> meaning. :class:`SectorState` holds
#: each as an array with one row per charity; the :class:`~sim.agents.Charity` agent
#: exposes each as a property of the same name.
CHARITY_STATES: dict[str, str] = {
    "band": "Income band: 0 under 10k, 1 10k-500k, 2 500k-10m, 3 over 10m",
    "base_income": "Own income (not from this region's commissioners) at the start, pounds a month, in this region",
    "primary": "Its primary beneficiaries are people in the justice system",
    "cj_share": "Share of its own income it spends on these clients",
    "own_funds": "Own money it spends on these clients each month at the start, pounds",
    "fixed_cost": "Fixed monthly cost of its work with these clients (premises, management), pounds",
    "reserves_target": "Reserves it aims to hold, pounds (its reserves at the start)",
    "staff_hours": "Paid staff hours a month",
    "volunteer_hours": "Volunteer hours a month",
    "reserves": "Money held, in pounds (closure after months below zero)",
    "alive": "Still operating",
    "closed_month": "Month the charity closed or left (-1 while operating)",
    "negative_months": "Consecutive months with reserves below zero",
    "track_record": "Reputation for outcomes, 0-1, used in bid scoring",
    "specialisms": "Need domains served (bool per domain)",
    "specialism_bits": "The specialisms as a bit mask (bit d = domain d)",
    "knowhow": "Structured programmes it can run elsewhere (bool per domain)",
    "presence": "Localities and prisons with contacts or premises (bool per locality)",
    "home": "Home locality",
    "income": "This month's income, pounds",
    "spending": "This month's spending, pounds",
    "contract_income": "This month's payments from contracts and grants, pounds",
    "monitoring_hours": "Hours this month spent on contract monitoring",
    "contract_hours": "Hours a month of contract work it does at the specification: its contract clients' needs, less those it refers on, plus contract clients' needs referred to it",
    "relationship_hours": "Hours this month invested in partnership relationships",
    "demand_hours": "Hours this month its clients' needs demand of it",
    "waiting_hours": "Hours the needs of clients waiting in its places, in its specialisms, would take (its share of the waiting list)",
}


class SectorState:
    """Per-charity state, one row per charity (index = charity id); see :data:`CHARITY_STATES`."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, n_localities: int):
        s = scenario.sector
        n, d = s.charities, len(scenario.demand.domain_weights)
        self.n = n
        self.band = rng.choice(4, size=n, p=np.asarray(s.size_shares)).astype(np.int8)
        lo = np.array([BAND_INCOME[b][0] for b in self.band], dtype=float)
        hi = np.array([BAND_INCOME[b][1] for b in self.band], dtype=float)
        annual = np.exp(rng.uniform(np.log(lo), np.log(hi))) * np.take(REGIONAL_SHARE, self.band)
        self.base_income = annual / 12.0  # pounds a month at the start
        # money for these clients: a share of own income, larger where offenders are the primary beneficiaries
        self.primary = rng.random(n) < s.primary_share
        self.cj_share = np.where(self.primary, s.cj_share_primary, s.cj_share_other)
        self.own_funds = self.base_income * self.cj_share
        self.fixed_cost = self.own_funds * s.fixed_cost_share
        self.staff_hours = (self.own_funds - self.fixed_cost) / (s.hourly_cost * (1.0 + s.overhead_share))
        volunteers = np.minimum(s.volunteer_hours * annual / 10_000.0, 400.0) * np.where(self.band < 2, 1.0, 0.5)
        self.volunteer_hours = volunteers * self.cj_share
        # reserves vary between charities around the mean (many hold little; assumption)
        self.reserves = self.base_income * s.reserves_months * rng.gamma(2.0, 0.5, n)
        self.reserves_target = self.reserves.copy()
        self.alive = np.ones(n, dtype=bool)
        self.closed_month = np.full(n, -1, dtype=np.int32)
        self.negative_months = np.zeros(n, dtype=np.int16)
        self.track_record = rng.beta(4, 4, n)

        # specialisms: one or more need domains, weighted by prevalence
        w = np.asarray(scenario.demand.domain_weights, dtype=float)
        count = np.clip(1 + rng.poisson(s.specialisms_mean - 1.0, n) + (self.band >= 2), 1, d)
        keys = rng.random((n, d)) ** (1.0 / (w / w.sum()))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        self.specialisms = rank < count[:, None]
        self.knowhow = self.specialisms & (rng.random((n, d)) < s.knowhow_share * np.where(self.band >= 1, 1.0, 0.3)[:, None])

        # presence: a home locality plus a band-dependent share of the others
        home = rng.integers(0, n_localities, n)
        share = np.take(PRESENCE_SHARE, self.band)
        if n_localities != PRESENCE_REFERENCE:
            share = np.minimum(1.0, share * ((PRESENCE_REFERENCE - 1) / max(n_localities - 1, 1)))
        self.presence = rng.random((n, n_localities)) < share[:, None]
        self.presence[np.arange(n), home] = True
        self.home = home
        self._keep_out_of_prisons(scenario, n_localities)
        #: the specialisms as a bit mask per charity (bit d = domain d), matched against clients' needs
        self.specialism_bits = (self.specialisms.astype(np.uint8) << np.arange(d, dtype=np.uint8)).sum(axis=1, dtype=np.uint8)

        # monthly flows, refreshed each month (pounds; hours)
        self.income = np.zeros(n)
        self.spending = np.zeros(n)
        self.contract_income = np.zeros(n)
        self.monitoring_hours = np.zeros(n)
        self.contract_hours = np.zeros(n)
        self.relationship_hours = np.zeros(n)
        self.demand_hours = np.zeros(n)
        self.waiting_hours = np.zeros(n)
        self.runway_months = s.pressure_runway_months

    def _keep_out_of_prisons(self, scenario: Scenario, n_localities: int) -> None:
        """``sector.absent_in_prisons``: nobody working inside a prison offers those needs.

        A charity present in a prison that serves such a need among others
        works there without it: it no longer serves it anywhere (RECOOP
        "knew how to work with this client group but were looking for a
        structured programme of purposeful activity"). One that serves
        nothing else works in the community only (Fine Cell Work "didn't
        have the contacts, local knowledge or the facilities within
        Leyhill"); if based at a prison, it is based in a community place
        instead, chosen by its index. Prisons are the last ``sector.prisons``
        localities, as in the model. No random draw is used, so a scenario
        without the key is unchanged.
        """
        absent = np.zeros(self.specialisms.shape[1], dtype=bool)
        absent[[DOMAINS.index(d) for d in scenario.sector.absent_in_prisons]] = True
        n_prisons = scenario.sector.prisons if n_localities > 1 else 0
        if not absent.any() or n_prisons == 0:
            return
        first_prison = n_localities - n_prisons
        inside = self.presence[:, first_prison:].any(axis=1)
        serves = self.specialisms[:, absent].any(axis=1)
        other = self.specialisms[:, ~absent].any(axis=1)
        drop = inside & serves & other  # works inside without the programme
        self.specialisms[np.ix_(drop, absent)] = False
        self.knowhow &= self.specialisms
        leave = inside & serves & ~other  # the programme is all it does: it works outside
        based_inside = leave & (self.home >= first_prison)
        self.home[based_inside] = based_inside.nonzero()[0] % first_prison
        self.presence[leave, first_prison:] = False
        self.presence[leave, self.home[leave]] = True

    def pressure(self) -> np.ndarray:
        """Under financial pressure: reserves below one month of spending (or below zero), or a
        deficit that would use them up within ``sector.pressure_runway_months``."""
        spend = np.where(self.spending > 0, self.spending, self.own_funds)
        deficit = np.maximum(self.spending - self.income, 0.0)
        runway_short = (deficit > 0) & (self.reserves < self.runway_months * deficit)
        return self.alive & ((self.reserves < spend) | runway_short)

    def delivery_hours(self, supervision: float = 0.0) -> np.ndarray:
        """Hours a month left for clients after supervision of volunteers, monitoring and partnership work."""
        h = (self.staff_hours + self.volunteer_hours * (1.0 - supervision)
             - self.monitoring_hours - self.relationship_hours)
        return np.where(self.alive, np.maximum(h, 0.0), 0.0)
