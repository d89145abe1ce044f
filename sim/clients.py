"""Clients: people in custody, under supervision or at risk, held as arrays.

Starsim-style: every per-client state is a numpy array over the clients who
are active now, and each client keeps a unique integer id for life. Exits
compact the arrays, so memory follows the active population (designed for
300,000 clients at once), not everyone who ever arrived.

Submodel "Clients" of the ODD: arrivals, prison transfers, and exits by
completion, breach or reoffending. The service a client gets each month is
decided in :mod:`sim.delivery`; outcomes use :func:`exit_hazards`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import Scenario

#: name -> dtype of every per-client state.
STATES: dict[str, type | str] = {
    "uid": np.int64,            # unique id for life
    "locality": np.int32,       # community locality or prison
    "needs": np.bool_,          # (n, domains): needs held at once
    "risk": np.float32,         # relative risk of reoffending (mean 1)
    "court_order": np.bool_,    # compulsory attendance (else voluntary referral)
    "engagement": np.float32,   # 0-1
    "spell": np.int16,          # months of support needed to complete
    "months": np.int16,         # months under support so far
    "contract": np.int32,       # contract serving the client, -1 none
    "provider": np.int64,       # charity serving the client this month, -1 none
    "worker_draw": np.float32,  # fixed draw choosing among a contract's partners in a place
    "referral_draw": np.float32,  # fixed draw: referred into contracts where statutory reach exceeds it
    "met_share": np.float32,    # share of needs met this month
    "need_bits": np.uint8,      # the needs as a bit mask (bit d = domain d), for fast matching
    "joined_up": np.bool_,      # several needs, all met this month
}


#: How a client's support ends (the exit log's ``how``); "displacement" marks a client whose
#: provider left (the client stays, and is logged when ``log_exits``).
EXIT_KINDS = ("completion", "breach", "reoffence", "displacement")


@dataclass
class Flows:
    """Counts of client flows, cumulative over the run (for conservation checks)."""

    arrived: int = 0
    completed: int = 0
    breached: int = 0
    reoffended: int = 0
    transfers: int = 0
    transfers_continued: int = 0
    releases: int = 0


class ClientPopulation:
    """The active clients as parallel arrays (struct of arrays)."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, prisons: np.ndarray, community: np.ndarray,
                 log_exits: bool = False):
        self.scenario = scenario
        #: (uid, month, how) chunks of exits when ``log_exits``; see :meth:`exit_log_frame`
        self.log_exits = log_exits
        self._exit_log: list[tuple[np.ndarray, int, np.ndarray]] = []
        self.rng = rng
        self.prisons = prisons
        self.community = community
        #: indexed by locality: whether it is a prison (a table look-up instead of ``np.isin`` each month)
        self._is_prison = np.zeros(int(max(prisons.max(initial=-1), community.max(initial=-1))) + 1, dtype=bool)
        self._is_prison[prisons] = True
        n_dom = len(scenario.demand.domain_weights)
        self.n_domains = n_dom
        self.next_uid = 0
        self.flows = Flows()
        for name, dtype in STATES.items():
            shape = (0, n_dom) if name == "needs" else (0,)
            setattr(self, name, np.zeros(shape, dtype=dtype))
        w = np.asarray(scenario.demand.domain_weights, dtype=float)
        self._domain_p = w / w.sum()
        self._count_p = np.asarray(scenario.demand.needs_count_probs, dtype=float)
        # the draw ``rng.choice(values, p=p)`` makes, laid out once: its normalised cumulative probabilities
        self._count_values = np.arange(1, self._count_p.size + 1)
        self._count_cdf = self._count_p.cumsum()
        self._count_cdf /= self._count_cdf[-1]

    def __len__(self) -> int:
        return self.uid.size

    # ------------------------------------------------------------- arrivals
    def arrive(self, n: int, started: bool = False) -> np.ndarray:
        """Add ``n`` new clients; returns their row indices.

        Args:
            started: clients present at the start, part-way through their support.
        """
        if n <= 0:
            return np.arange(0)
        rng, d = self.rng, self.scenario.demand
        in_prison = rng.random(n) < (d.custody_share if self.prisons.size else 0.0)
        if self.community.size == 0:
            in_prison[:] = True
        loc = np.where(
            in_prison,
            self.prisons[rng.integers(0, max(self.prisons.size, 1), n)] if self.prisons.size else 0,
            self.community[rng.integers(0, max(self.community.size, 1), n)] if self.community.size else 0,
        )
        # several needs at once: a count, then distinct domains weighted by prevalence
        # (what ``rng.choice(self._count_values, size=n, p=self._count_p)`` draws, from the same numbers)
        counts = self._count_values[self._count_cdf.searchsorted(rng.random(n), side="right")]
        # weighted sampling without replacement: each row's ``count`` largest keys ``u ** (1 / p)``
        u = rng.random((n, self.n_domains))
        if (self._domain_p > 0).all():  # the same order from log(u) / p (monotone), cheaper than a power
            keys = np.log(u) / self._domain_p  # distinct keys within a row: its count-th largest is a threshold
            ranked = np.sort(keys, axis=1)
            needs = keys >= ranked[np.arange(n), self.n_domains - np.minimum(counts, self.n_domains)][:, None]
        else:  # a domain no client has: keys of 0 that tie, ranked by position as before
            with np.errstate(divide="ignore"):  # a weight of 0: an infinite power, keys of 0
                keys = u ** (1.0 / self._domain_p)
            order = np.argsort(-keys, axis=1)
            rank = np.empty_like(order)
            rank[np.arange(n)[:, None], order] = np.arange(self.n_domains)  # each domain's place in its row
            needs = rank < counts[:, None]
        spell = np.maximum(1, rng.geometric(1.0 / d.spell_months, n)).astype(np.int16)
        months = (rng.integers(0, spell) if started else np.zeros(n)).astype(np.int16)
        new = {
            "uid": np.arange(self.next_uid, self.next_uid + n, dtype=np.int64),
            "locality": loc.astype(np.int32),
            "needs": needs,
            "risk": rng.lognormal(-0.125, 0.5, n).astype(np.float32),
            "court_order": (~in_prison) & (rng.random(n) < d.court_order_share),
            "engagement": np.full(n, 0.5, dtype=np.float32),
            "spell": spell,
            "months": months,
            "contract": np.full(n, -1, dtype=np.int32),
            "provider": np.full(n, -1, dtype=np.int64),
            "worker_draw": rng.random(n).astype(np.float32),
            "referral_draw": rng.random(n).astype(np.float32),
            "met_share": np.zeros(n, dtype=np.float32),
            "need_bits": needs_mask(needs),
            "joined_up": np.zeros(n, dtype=bool),
        }
        start = len(self)
        for name, values in new.items():
            setattr(self, name, np.concatenate([getattr(self, name), values]))
        self.next_uid += n
        self.flows.arrived += n
        return np.arange(start, start + n)

    # ------------------------------------------------------------- transfers
    def transfer(self, rate: float) -> tuple[np.ndarray, np.ndarray]:
        """Move prisoners between prisons; returns (rows moved, their old localities)."""
        if self.prisons.size < 2 or rate <= 0:
            return np.arange(0), np.arange(0)
        in_prison = self._is_prison[self.locality]
        moving = (in_prison & (self.rng.random(len(self)) < rate)).nonzero()[0]
        old = self.locality[moving].copy()
        # a different prison: shift by 1..P-1 places in the prison list
        pos = np.searchsorted(self.prisons, old)
        shift = self.rng.integers(1, self.prisons.size, moving.size)
        self.locality[moving] = self.prisons[(pos + shift) % self.prisons.size]
        self.flows.transfers += moving.size
        return moving, old

    def in_custody(self) -> np.ndarray:
        """Whether each client is in prison now."""
        if self.prisons.size == 0:
            return np.zeros(len(self), dtype=bool)
        return self._is_prison[self.locality]

    def release(self, sentence_months: float) -> np.ndarray:
        """Release prisoners into the community (monthly chance 1 / ``sentence_months``); returns the rows released."""
        if self.prisons.size == 0 or self.community.size == 0 or (self.prisons.size == 1 and self.community.size == 0):
            return np.arange(0)
        leaving = (self.in_custody() & (self.rng.random(len(self)) < 1.0 / sentence_months)).nonzero()[0]
        self.locality[leaving] = self.community[self.rng.integers(0, self.community.size, leaving.size)]
        self.court_order[leaving] = self.rng.random(leaving.size) < self.scenario.demand.court_order_share
        self.flows.releases += leaving.size
        return leaving

    # ------------------------------------------------------------- exits
    def row_of(self, uid: int | np.ndarray) -> int | np.ndarray:
        """Row index of an active client (or clients) by id; -1 for an id not active now.

        Ids grow with arrival and exits keep order, so ``uid`` is sorted and the look-up is a binary search.
        """
        ids = np.atleast_1d(np.asarray(uid, dtype=np.int64))
        pos = np.minimum(np.searchsorted(self.uid, ids), max(len(self) - 1, 0))
        found = (len(self) > 0) & (self.uid[pos] == ids) if len(self) else np.zeros(ids.size, dtype=bool)
        rows = np.where(found, pos, -1)
        return int(rows[0]) if np.ndim(uid) == 0 else rows

    def client(self, uid: int) -> dict[str, object]:
        """Every state of one active client, by id (KeyError if not active)."""
        row = self.row_of(uid)
        if row < 0:
            raise KeyError(f"client {uid} is not active")
        return {name: getattr(self, name)[row] for name in STATES}

    def log_exit(self, rows_mask: np.ndarray, month: int, how: np.ndarray) -> None:
        """Record the exits in ``rows_mask`` (``how``: one of :data:`EXIT_KINDS` per exiting row)."""
        if self.log_exits and rows_mask.any():
            self._exit_log.append((self.uid[rows_mask].copy(), month, np.asarray(how)))

    def exit_log_frame(self):
        """The exit log as a DataFrame: ``uid``, ``month``, ``how`` (needs ``log_client_exits=True``)."""
        import pandas as pd

        if not self._exit_log:
            return pd.DataFrame({"uid": np.zeros(0, np.int64), "month": np.zeros(0, np.int64), "how": []})
        return pd.DataFrame({
            "uid": np.concatenate([u for u, _, _ in self._exit_log]),
            "month": np.concatenate([np.full(u.size, m) for u, m, _ in self._exit_log]),
            "how": np.concatenate([np.broadcast_to(h, u.shape) for u, _, h in self._exit_log]),
        })

    def remove(self, rows_mask: np.ndarray) -> None:
        """Compact the arrays, keeping clients where ``rows_mask`` is False."""
        keep = (~rows_mask).nonzero()[0]  # the rows once, not a boolean mask per array
        for name in STATES:
            setattr(self, name, np.take(getattr(self, name), keep, axis=0))  # take: much faster for the 2-d needs

    @property
    def need_count(self) -> np.ndarray:
        """Number of needs each active client has."""
        return POPCOUNT[self.need_bits].astype(np.int64)  # the same counts as needs.sum(axis=1), from the bit masks


def arrivals(model) -> None:
    """Arrivals bring the client population towards its (growing) target."""
    target = model.scenario.demand.clients * model.demand_factor()
    deficit = target - len(model.clients)
    if deficit > 0:
        model.clients.arrive(int(model.rng.poisson(deficit)))


#: number of set bits of each byte (needs are held as bit masks over domains)
POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int8)


def needs_mask(needs: np.ndarray) -> np.ndarray:
    """Bit mask of a (n, domains) boolean need matrix (bit d set = need in domain d)."""
    if needs.shape[1] <= 8:  # one byte a row, bit d = column d
        return np.packbits(needs, axis=1, bitorder="little").reshape(-1)
    return (needs.astype(np.uint8) << np.arange(needs.shape[1], dtype=np.uint8)).sum(axis=1, dtype=np.uint8)


def exit_hazards(scenario: Scenario, risk: np.ndarray, met_share: np.ndarray, engagement: np.ndarray,
                 court_order: np.ndarray, in_custody: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monthly chances of reoffending and of breach for each client.

    Reoffending: the Ministry of Justice's proven rate (about a quarter a year)
    scaled by risk, cut by up to ``support_effect`` when all needs are met
    (women's centres cut reoffending by 1 to 9 points; Justice Data Lab 2015);
    nobody reoffends while in custody. Breach: only for court orders, more
    likely the less engaged the client and the less of their need is met
    (Inspire: 3 breaches in 40 completed orders).
    """
    c = scenario.clients
    annual = np.clip(c.reoffending_annual * risk * (1.0 - c.support_effect * met_share), 0.0, 0.99)
    reoffend = np.where(in_custody, 0.0, 1.0 - (1.0 - annual) ** (1.0 / 12.0))
    breach = np.where(court_order, c.breach_monthly * (2.0 - engagement - met_share), 0.0)
    return reoffend, breach
