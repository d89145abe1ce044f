"""Partnerships and contracts: their state, their membership and the questions asked of them.

This module is the one home of partnership state. A :class:`Partnership`
holds its members (the one source of truth for membership); a
:class:`Contract` holds the money each delivering member gets (``shares``), a
subset of its holder's members that :meth:`Partnership.remove_member` keeps in
step. :class:`PartnershipBook` is the model's register of both, and answers
the questions submodels ask (who is in a partnership, which informal
partnership a charity belongs to, which joint services run where).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .agents import Commissioner

#: The report's partnership forms ("single": a contract held by one charity alone).
FORMS = ("single", "informal", "alliance", "consortium", "one_stop_shop")


@dataclass(eq=False)
class Partnership:
    """A collective of charities: informal, an alliance, a consortium or a one-stop shop.

    A contract held by one charity alone is held by a partnership of one
    (form ``"single"``); only partnerships of two or more count as active
    partnerships in the metrics (:attr:`is_group`).
    """

    pid: int
    members: list[int]
    lead: int
    form: str  # one of FORMS
    formed: int
    co_located: bool = False
    shared_case_management: bool = False
    standard_monitoring: bool = False
    joint_training_months: int = 0
    joint_service: tuple[int, int] | None = None  # (locality, domain) of an unfunded collaboration
    #: members brought in for a gap in the clients' needs: the partnership's workers refer those needs to them
    routes: set[int] = field(default_factory=set)
    contracts: list[Contract] = field(default_factory=list)
    active: bool = True

    @property
    def size(self) -> int:
        """Number of member charities."""
        return len(self.members)

    @property
    def is_group(self) -> bool:
        """Active with two or more members: what the metrics count as a partnership."""
        return self.active and len(self.members) >= 2

    @property
    def informal(self) -> bool:
        """An active group with no contract (an unfunded collaboration or a survival alliance)."""
        return self.is_group and not self.contracts

    def add_member(self, charity: int) -> None:
        """Add a member (no-op if it is one already)."""
        if charity not in self.members:
            self.members.append(charity)

    def remove_member(self, charity: int) -> float:
        """Remove a member; its shares of this partnership's contracts are dropped and returned (pounds a month)."""
        if charity in self.members:
            self.members.remove(charity)
        return sum(c.shares.pop(charity, 0.0) for c in self.contracts)


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
        """Members paid to deliver (a share above zero)."""
        return [m for m, v in self.shares.items() if v > 0]

    @property
    def months_left(self) -> int:
        """Months until the contract is re-tendered."""
        return self.end - self.commissioner.model.month


class PartnershipBook:
    """The model's register of partnerships and contracts, and the queries about them.

    Iterating over it yields the active partnerships, in order of formation;
    :meth:`history` yields every partnership ever formed, inactive ones included.
    """

    def __init__(self, n_charities: int):
        self.n = n_charities
        self._all: list[Partnership] = []
        self._live: list[Partnership] = []
        self.by_id: dict[int, Partnership] = {}
        #: contract id -> contract, for the contracts now running
        self.contracts: dict[int, Contract] = {}

    # ------------------------------------------------------------ register
    def add(self, partnership: Partnership) -> Partnership:
        """Register a new partnership; returns it."""
        self._all.append(partnership)
        self._live = [*self._live, partnership]  # a new list: one being iterated over is never changed
        self.by_id[partnership.pid] = partnership
        return partnership

    def _active(self) -> list[Partnership]:
        self._live = [p for p in self._live if p.active]
        return self._live

    def __iter__(self) -> Iterator[Partnership]:
        return iter(self._active())  # a fresh list (add and _active rebind, never mutate), so no copy

    def history(self) -> list[Partnership]:
        """Every partnership ever formed, in order of formation (inactive ones included)."""
        return list(self._all)

    def __len__(self) -> int:
        """Number of partnerships ever formed."""
        return len(self._all)

    def __getitem__(self, index: int) -> Partnership:
        return self._all[index]

    # ------------------------------------------------------------ queries
    def groups(self) -> list[Partnership]:
        """Active partnerships of two or more members."""
        return [p for p in self._active() if p.is_group]

    def of_charity(self, charity: int, active_only: bool = True) -> list[Partnership]:
        """The partnerships (of any size) a charity belongs to."""
        pool = self._active() if active_only else self._all
        return [p for p in pool if charity in p.members]

    def contracts_of(self, charity: int) -> list[Contract]:
        """The running contracts in which a charity has a share."""
        return [c for c in self.contracts.values() if charity in c.shares]

    def in_partnership(self) -> np.ndarray:
        """For each charity, whether it belongs to an active partnership of two or more."""
        out = np.zeros(self.n, dtype=bool)
        out[[m for p in self._active() if p.is_group for m in p.members]] = True  # one assignment for all groups
        return out

    def informal_partnership_of(self) -> np.ndarray:
        """For each charity, an active partnership without a contract it belongs to (-1 none)."""
        out = np.full(self.n, -1, dtype=np.int64)
        pid_of: dict[int, int] = {}  # a charity in several: the later partnership's (one assignment, no repeats)
        for p in self._active():
            if p.informal:
                for m in p.members:
                    pid_of[m] = p.pid
        if pid_of:
            out[list(pid_of)] = list(pid_of.values())
        return out

    def partnership_id_of(self) -> np.ndarray:
        """For each charity, the first active group it belongs to (-1 none)."""
        pid = np.full(self.n, -1, dtype=np.int64)
        for p in self._active():
            if p.is_group:
                pid[[m for m in p.members if pid[m] < 0]] = p.pid
        return pid

    def joint_services(self) -> list[tuple[int, int]]:
        """(locality, domain) of each running unfunded joint service."""
        return [p.joint_service for p in self._active() if p.is_group and p.joint_service is not None]

    def referral_routes(self, n_charities: int) -> np.ndarray:
        """Sorted keys ``pid * n_charities + member`` of the members each active partnership brought in for a
        gap (:func:`sim.partnering._fill_gap`) and still has: its workers refer those needs to them."""
        keys = [p.pid * n_charities + m for p in self._active() for m in p.routes if m in p.members]
        return np.sort(np.asarray(keys, dtype=np.int64))

    def co_located_mask(self, size: int) -> np.ndarray:
        """Indexed by partnership id: whether the partnership is active and co-located."""
        out = np.zeros(size, dtype=bool)
        for p in self._active():
            out[p.pid] = p.active and p.co_located
        return out
