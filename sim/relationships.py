"""The two-layer relationship network between organisations.

Submodel "Relationships" of the ODD. Each tie between two charities has a
managerial and a frontline strength in [0, 1]. Ties grow with joint work
(governance for managers; shared clients, co-location and joint training for
frontline staff), decay without contact, and are damaged when a partner bids
against the partnership (Inspire's market test). The report's first lesson:
"establish good relationships at every level of your partnership".

Ties are stored sparsely as parallel arrays over edges, keyed by the pair
(i, j) with i < j, so a sector of thousands of charities costs memory in the
number of ties, not the square of the number of charities (a sector of up to
a thousand charities also keeps a table of tie indices by pair, at most 8 MB).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from .scenario import Relationships


def growth(strength: np.ndarray, rate: np.ndarray | float) -> np.ndarray:
    """Saturating growth towards 1: a tie grows by ``rate`` of what is left."""
    return strength + np.clip(rate, 0.0, 1.0) * (1.0 - strength)


def decay(strength: np.ndarray, rate: float, contact: np.ndarray) -> np.ndarray:
    """Ties lose ``rate`` of their strength in a month without contact.

    ``contact`` is the share of a full month's contact (0-1, or a bool): a tie
    kept up only half the time decays at half the rate, so thin contact holds
    a tie at a lower strength than full contact does.
    """
    share = np.clip(np.asarray(contact, dtype=float), 0.0, 1.0)
    return strength * (1.0 - rate * (1.0 - share))


#: up to this many (charity, charity) cells, a network keeps a table of edge indices by pair instead of searching
#: its sorted keys (8 bytes a cell: 180 kB for the baseline's 150 charities)
DENSE_INDEX = 1_000_000


class RelationshipNetwork:
    """Sparse two-layer weighted network over ``n`` organisations."""

    def __init__(self, n: int, params: Relationships):
        self.n = n
        self.params = params
        self.a = np.zeros(0, dtype=np.int64)
        self.b = np.zeros(0, dtype=np.int64)
        self.managerial = np.zeros(0)
        self.frontline = np.zeros(0)
        self._keys = np.zeros(0, dtype=np.int64)   # a * n + b, sorted
        self._order = np.zeros(0, dtype=np.int64)  # edge index for each sorted key
        #: in a small sector, the edge index of every key a * n + b read directly (-1 none), not searched
        self._dense = np.full(n * n, -1, dtype=np.int64) if n * n <= DENSE_INDEX else None
        #: per tie: its two charities were partners in a contract's holder when the contract was re-tendered
        self.retendered = np.zeros(0, dtype=bool)
        self._reset_contact()

    def __len__(self) -> int:
        return self.a.size

    def _reset_contact(self) -> None:
        self.contact_managerial = np.zeros(self.a.size)
        self.contact_frontline = np.zeros(self.a.size)

    # ------------------------------------------------------------- lookup
    def _key(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        return lo.astype(np.int64, copy=False) * self.n + hi

    def edge_index(self, i, j) -> np.ndarray:
        """Index of the tie between each pair, or -1 where there is none."""
        i, j = np.atleast_1d(i), np.atleast_1d(j)
        key = self._key(i, j)
        if self._dense is not None:  # (a key i * n + i is never set: no tie joins a charity to itself)
            return self._dense[key]
        if not self._keys.size:
            return np.full(key.shape, -1, dtype=np.int64)
        pos = np.searchsorted(self._keys, key)
        np.minimum(pos, self._keys.size - 1, out=pos)
        # no tie joins a charity to itself (ensure skips i == j), so a key i * n + i is never found
        return np.where(self._keys[pos] == key, self._order[pos], -1)

    def strength(self, i, j, layer: str = "frontline") -> np.ndarray:
        """Tie strength for each pair (0 where no tie)."""
        return self.strength_at(self.edge_index(i, j), layer)

    def strength_at(self, idx: np.ndarray, layer: str = "frontline") -> np.ndarray:
        """Tie strength at edge indices from :meth:`edge_index` (0 where -1): one look-up serves both layers."""
        values = getattr(self, layer)
        if not values.size:
            return np.zeros(idx.shape)
        return np.where(idx >= 0, values[np.maximum(idx, 0)], 0.0)

    def ensure(self, i, j) -> np.ndarray:
        """Create ties that do not exist yet (at the initial strength); returns indices."""
        i, j = np.atleast_1d(np.asarray(i, dtype=np.int64)), np.atleast_1d(np.asarray(j, dtype=np.int64))
        ok = i != j
        i, j = i[ok], j[ok]
        idx = self.edge_index(i, j)
        missing = idx < 0
        if missing.any():
            keys = np.unique(self._key(i[missing], j[missing]))
            s = self.params.initial_strength
            self.a = np.concatenate([self.a, keys // self.n])
            self.b = np.concatenate([self.b, keys % self.n])
            self.managerial = np.concatenate([self.managerial, np.full(keys.size, s)])
            self.frontline = np.concatenate([self.frontline, np.full(keys.size, s)])
            self.contact_managerial = np.concatenate([self.contact_managerial, np.zeros(keys.size)])
            self.contact_frontline = np.concatenate([self.contact_frontline, np.zeros(keys.size)])
            self.retendered = np.concatenate([self.retendered, np.zeros(keys.size, dtype=bool)])
            # the new keys (sorted, none present) go in where they belong: the same sorted index as sorting
            # every key again, without the sort
            at = np.searchsorted(self._keys, keys)
            first = self.a.size - keys.size
            self._keys = np.insert(self._keys, at, keys)
            self._order = np.insert(self._order, at, np.arange(first, self.a.size, dtype=self._order.dtype))
            if self._dense is not None:
                self._dense[keys] = np.arange(first, self.a.size)
            idx = self.edge_index(i, j)
        return idx

    # ------------------------------------------------------------- contact
    def add_contact(self, i, j, managerial: float | np.ndarray = 0.0, frontline: float | np.ndarray = 0.0) -> None:
        """Record joint work this month between pairs (creating ties as needed).

        ``managerial`` and ``frontline`` are growth rates: the share of the
        remaining distance to full strength gained this month.
        """
        idx = self.ensure(i, j)
        if idx.size == 0:
            return
        if np.ndim(managerial) or np.any(managerial):
            np.add.at(self.contact_managerial, idx, managerial)
        if np.ndim(frontline) or np.any(frontline):
            np.add.at(self.contact_frontline, idx, frontline)

    def mark_retendered(self, members) -> None:
        """The ties among ``members`` (a contract holder's partners at a re-tender) join the re-tendered cohort."""
        a, b = self.pairs_within(np.asarray(members))
        idx = self.edge_index(a, b)
        self.retendered[idx[idx >= 0]] = True  # partners have ties; none is created here

    def damage(self, i, j) -> None:
        """A partner bid against the partnership: both layers lose a share of strength."""
        idx = self.edge_index(i, j)
        idx = idx[idx >= 0]
        keep = 1.0 - self.params.defection_damage
        self.managerial[idx] *= keep
        self.frontline[idx] *= keep

    def update(self) -> None:
        """Monthly growth from this month's contact, and decay in proportion to missing contact.

        A full month of contact is the layer's growth rate (governance for
        managers, joint delivery for frontline staff).
        """
        p = self.params
        cm, cf = self.contact_managerial, self.contact_frontline
        full_m, full_f = max(p.managerial_growth, 1e-12), max(p.frontline_growth, 1e-12)
        self.managerial = decay(growth(self.managerial, cm), p.managerial_decay, cm / full_m)
        self.frontline = decay(growth(self.frontline, cf), p.frontline_decay, cf / full_f)
        self._reset_contact()

    def drop_organisation(self, i: int) -> None:
        """A closed organisation loses its ties (kept as zero strength)."""
        on = (self.a == i) | (self.b == i)
        self.managerial[on] = 0.0
        self.frontline[on] = 0.0

    _triu: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def pairs_within(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All pairs (i < j) among ``members``."""
        m = np.asarray(members, dtype=np.int64)
        if m.size not in self._triu:
            self._triu[m.size] = np.triu_indices(m.size, k=1)
        ii, jj = self._triu[m.size]
        return m[ii], m[jj]

    @staticmethod
    def pairs_within_groups(groups) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """All pairs within each group of members, laid end to end, and the number of pairs of each group.

        The pairs of a group come in the order of :meth:`pairs_within`
        (``itertools.combinations``); one array for all groups instead of numpy calls per group.
        """
        pairs = [list(combinations(members, 2)) for members in groups]
        flat = np.array([pair for group in pairs for pair in group], dtype=np.int64).reshape(-1, 2).T.copy()
        return flat[0], flat[1], [len(group) for group in pairs]
