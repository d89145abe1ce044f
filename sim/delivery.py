"""Service delivery: providers, referrals, monitoring and continuity of care.

Submodel "Service delivery" of the ODD. Each client has a provider: a
delivering partner of the contract that serves their place, or a local charity
otherwise. The provider meets the needs in its own specialisms as far as its
hours allow; other needs are referred to a partner, and referrals succeed more
often with strong frontline ties and co-location (Inspire, 2012: staff "could
informally introduce service users to other relevant specialists directly
rather than simply booking appointments"). Needs beyond the partnership may be
met by signposting to local provision, or by an unfunded joint service. System
barriers cut referral and signposting success. Contracts demand monitoring
hours, duplicated where partners keep separate systems ("one Inspire project
team member was regularly submitting two different sets of monitoring
reports"). A shared case-management system keeps continuity of care for
transferred prisoners (the Prison Family Support Alliance's shared system
"enables them to share information when a prisoner is transferred").
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .clients import POPCOUNT  # noqa: F401  (number of set bits of each byte, re-exported)
from .rules import referral_success, monitoring_hours, continuity_kept  # noqa: F401  (pure rules, re-exported)

if TYPE_CHECKING:
    from .model import PartnershipModel


# --------------------------------------------------------------- process

def per_client_price(model: PartnershipModel) -> float:
    """Money a contract's specification sets aside per client a month: ``cost_coverage`` of the full cost."""
    sc = model.scenario
    loaded = sc.sector.hourly_cost * (1.0 + sc.sector.overhead_share)
    return sc.clients.hours_per_need * loaded * model.mean_needs * sc.commissioning.cost_coverage


def engagement_of(model: PartnershipModel, commissioner) -> float:
    """A commissioner's statutory buy-in (its own, else the scenario's)."""
    own = commissioner.spec.engagement
    return model.scenario.statutory.engagement if own is None else own


def contract_engagement(model: PartnershipModel) -> np.ndarray:
    """Statutory buy-in behind each contract id (0 for ids no longer running)."""
    buy_in = np.zeros(model.max_contract_id() + 1)
    for contract in model.contracts.values():
        buy_in[contract.cid] = engagement_of(model, contract.commissioner)
    return buy_in


def assign_contracts(model: PartnershipModel) -> None:
    """Statutory partners refer eligible clients into contracts, up to the caseload each specifies.

    The caseload follows the specification (set at the first tender, moving
    with the funding trend), not the value: a contract cut at re-tender must
    still take its caseload (Inspire at half value). Referral routes depend on
    statutory engagement: a share ``referral_rate * engagement +
    self_referral`` of eligible clients is ever referred (each client's fixed
    draw decides whether statutory partners refer them), so low engagement
    leaves clients outside the contracted service, not only later.

    A client already supported by a charity is referred in only where that
    charity delivers the contract (the same worker carries on under it);
    statutory partners do not pull people away from support that works.
    """
    cl, sc = model.clients, model.scenario
    free = cl.contract < 0
    if not free.any() or not model.contracts:
        return
    price = per_client_price(model)
    caseload = np.bincount(cl.contract[~free], minlength=model.max_contract_id() + 1)
    order = list(model.contracts.values())
    model.rng.shuffle(order)
    # one random order of the waiting clients; each contract takes the first that fit
    free_rows = model.rng.permutation(free.nonzero()[0])
    # each client's (place, need mask) cell: one look-up per contract instead of several passes over the clients
    place = cl.locality[free_rows]
    cell = place.astype(np.int64) * 256 + cl.need_bits[free_rows]
    draw, worker = cl.referral_draw[free_rows], cl.provider[free_rows]
    # positions in that order, grouped: a contract looks only at the clients it may take, those without a
    # worker in its lot's places and those whose worker delivers it (a worker carries on under the contract)
    # (only clients whose fixed draw is below some contract's statutory reach can be referred at all)
    n_loc = model.sector.presence.shape[1]
    reach_of = {id(c.commissioner): sc.statutory.referral_rate * engagement_of(model, c.commissioner)
                + sc.statutory.self_referral for c in order}
    reachable = draw < max(reach_of.values())
    # one grouping: a client without a worker by place, a client with one by ``n_loc + worker``
    runs = _Runs(np.where(worker < 0, place, n_loc + worker), n_loc + model.sector.n, reachable.nonzero()[0])
    wanted_by = _wanted_cells(model)
    waiting = np.ones(free_rows.size, dtype=bool)  # still without a contract (marked, not compacted: same order)
    left = free_rows.size
    open_: dict[float, np.ndarray] = {}  # by statutory reach: still waiting, and whose fixed draw is below it
    for contract in order:
        room = int(contract.spec_value / price) - int(caseload[contract.cid])
        if room <= 0 or left == 0:
            continue
        reach = reach_of[id(contract.commissioner)]
        if reach not in open_:
            open_[reach] = waiting & (draw < reach)
        wanted = wanted_by(contract)
        at = runs.of(contract.lot.tolist() + [n_loc + m for m in contract.delivering])
        at = at[open_[reach][at] & wanted[cell[at]]]
        at.sort()  # in the random order, as over all clients (positions are distinct)
        fits = at[:room]
        cl.contract[free_rows[fits]] = contract.cid
        waiting[fits] = False
        for still_open in open_.values():
            still_open[fits] = False
        left -= fits.size


class _Runs:
    """Positions grouped by a key: ``_Runs(keys, bound, positions).of(wanted)`` lists the ``positions`` whose
    key is one of ``wanted``, key by key, increasing within each key (``keys`` are whole numbers below ``bound``,
    read at the positions)."""

    def __init__(self, keys: np.ndarray, bound: int, positions: np.ndarray):
        k = keys[positions]
        order = np.argsort(_small_int(k, bound), kind="stable")
        self.order = positions[order]
        self.start = np.searchsorted(k[order], np.arange(bound + 1)).tolist()  # Python ints: cheap to slice with

    def of(self, wanted: list[int]) -> np.ndarray:
        """The positions whose key is in ``wanted`` (distinct keys, as Python ints), key by key."""
        order, start = self.order, self.start
        if not wanted:
            return order[:0]
        return np.concatenate([order[start[w]:start[w + 1]] for w in wanted])


def served_here(sector, members) -> np.ndarray:
    """(localities,) bit mask of the needs that ``members`` working in each place serve."""
    members = [m for m in members if sector.alive[m]]
    if not members:
        return np.zeros(sector.presence.shape[1], dtype=np.uint8)
    bits = np.where(sector.presence[members], sector.specialism_bits[members, None], 0).astype(np.uint8)
    return np.bitwise_or.reduce(bits, axis=0)


def _wanted_cells(model: PartnershipModel):
    """For a contract, the (place, need mask) cells statutory partners may refer into it, flat.

    A cell is wanted when the place is in the lot and one of the needs is the
    commissioner's and served there by a delivering partner
    (:func:`served_here`); whose worker may carry on under the contract is
    settled by :func:`assign_contracts`' grouping. Tables are remembered by
    partners (and which of them operate), lot and domains while the sector's
    presence and specialisms are unchanged (most contracts keep them for
    months); those no contract asked for this month are dropped.
    """
    s, cache = model.sector, model.cache
    key = (_sector_inputs(model), s.specialism_bits.tobytes())
    known = cache.get("wanted", {}) if cache.get("wanted_key") == key else {}
    kept: dict = {}
    cache["wanted"], cache["wanted_key"] = kept, key
    n_loc = s.presence.shape[1]
    masks = np.arange(256, dtype=np.uint8)

    def wanted(contract) -> np.ndarray:
        delivering = contract.delivering
        domain_bits = contract.commissioner.domain_bits
        alive = s.alive
        k = (tuple(delivering), tuple([alive[m] for m in delivering]), contract.lot.tobytes(), domain_bits)
        found = kept.get(k)
        if found is None:
            found = known.get(k)
        if found is None:
            table = np.zeros((n_loc, 256), dtype=bool)
            table[contract.lot] = (masks[None, :] & domain_bits & served_here(s, delivering)[contract.lot, None]) != 0
            found = table.ravel()
        kept[k] = found
        return found
    return wanted


def spare_slots(model: PartnershipModel) -> np.ndarray:
    """Clients each charity can still take on: hours left after last month's demand, per typical client."""
    s, sc = model.sector, model.scenario
    spare = s.delivery_hours(sc.sector.volunteer_supervision) - s.demand_hours
    per_client = sc.clients.hours_per_need * model.mean_needs
    return np.where(s.alive, np.floor(np.maximum(spare, 0.0) / per_client), 0.0)


def assign_providers(model: PartnershipModel) -> None:
    """Clients without a contract keep their charity, or go to one with fitting spare capacity, or wait.

    A client whose charity still operates where they are stays with it. The
    others, in every place at once, each draw one of the charities present in
    their place that serve one of their needs, in proportion to its spare
    capacity (no place has first call on a charity working in several). A
    charity drawn by more clients than it has room for takes a random subset;
    those it turns away draw once more among the charities with room left
    (:data:`ASSIGNMENT_ROUNDS` draws in all). Beyond that, clients wait
    (``clients_waiting``).
    """
    s, cl = model.sector, model.clients
    if len(cl) == 0:
        return
    no_contract = cl.contract < 0
    # whether each client's charity operates where they are: one flat look-up, with a last row of False that
    # index -1 (no charity) reads
    n_loc = s.presence.shape[1]
    works = np.concatenate([(s.presence & s.alive[:, None]).ravel(), np.zeros(n_loc, dtype=bool)])
    keeps = works[cl.provider * n_loc + cl.locality]
    cl.provider = np.where(keeps, cl.provider, -1)
    waiting = (no_contract & (cl.provider < 0)).nonzero()[0]
    if waiting.size == 0:
        return
    slots = spare_slots(model)  # zero for closed charities
    rng = model.rng
    pairs = _pairs_by_group(model)
    for _ in range(ASSIGNMENT_ROUNDS):
        if waiting.size == 0:
            break
        # one draw per client in (0, 1], taken whole before any place is looked at
        chosen = draw_charities(pairs, slots, s.presence.shape[1], s.specialisms.shape[1], cl.locality[waiting],
                                cl.need_bits[waiting], 1.0 - rng.random(waiting.size))
        some = chosen >= 0  # clients with no fitting charity with room here wait (and would in a later draw)
        rows, chosen = waiting[some], chosen[some]
        taken = take_up_to(chosen, slots, rng)  # no charity beyond its spare capacity (whole-number slots)
        got = chosen[taken]
        cl.provider[rows[taken]] = got
        slots -= np.bincount(got, minlength=slots.size)  # whole numbers: same as np.subtract.at
        waiting = rows[~taken]


#: no client rows
_NO_ROWS = np.zeros(0, dtype=np.int64)

#: :attr:`ProviderTables.referral_to` has a row for each partnership id up to a multiple of this many
_PARTNERSHIP_BLOCK = 256


def continuity_decided(model: PartnershipModel) -> np.ndarray:
    """Rows of the clients who moved this month (transfer or release) and whose restart, or not, is decided."""
    month, rows = model.cache.get("continuity_decided", (None, _NO_ROWS))
    return rows if month == model.month else _NO_ROWS


def _decide_continuity(model: PartnershipModel, rows: np.ndarray, first: bool = False) -> None:
    """Add ``rows`` to this month's :func:`continuity_decided`; ``first`` starts the month's list (transfers).

    The list is kept with its month, so it never outlives the month whatever phases a schedule runs.
    """
    earlier = _NO_ROWS if first else continuity_decided(model)
    model.cache["continuity_decided"] = (model.month, np.concatenate([earlier, rows]))

#: draws a client turned away by a full charity makes in a month (the first, and one among charities left with room)
ASSIGNMENT_ROUNDS = 2

#: up to this many entries, a (clients, columns) table is compared whole: fewer numpy calls beat a binary search
_SMALL = 2_000


def _pairs_by_group(model: PartnershipModel) -> tuple[np.ndarray, np.ndarray]:
    """Every (charity, place) where a charity works, as ``(charity, group)`` sorted by group then charity,
    where ``group = place * 2**domains + specialism mask`` (cached while presence and specialisms are unchanged)."""
    s, cache = model.sector, model.cache
    key = (s.presence.tobytes(), s.specialism_bits.tobytes())
    if cache.get("pairs_by_group_key") != key:
        who, where = _presence_pairs(model)
        group = where.astype(np.int64) * (1 << s.specialisms.shape[1]) + s.specialism_bits[who]
        order = np.lexsort((who, group))
        cache["pairs_by_group"] = (who[order], group[order])
        cache["pairs_by_group_key"] = key
    return cache["pairs_by_group"]


def draw_charities(pairs: tuple[np.ndarray, np.ndarray], slots: np.ndarray, n_places: int, n_domains: int,
                   locality: np.ndarray, masks: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each client, a charity present in its place serving one of its needs, drawn in proportion to ``slots``.

    ``pairs`` is :func:`_pairs_by_group`'s, ``masks`` each client's need
    mask, ``u`` its draw in (0, 1]. Returns -1 where no such charity has a
    slot. The fitting charities of a place are laid out by specialism mask,
    then index; the client's charity is the first whose cumulative slots reach
    ``X = ceil(u * total)``. It is found in two steps, with whole numbers
    only (exact): the specialism mask, from a (place and need mask,
    specialism mask) table of slots, then the charity within that mask's
    charities in the place; or, when few charities have room, in one step
    from a (place and need mask, charity) table of cumulative slots.
    """
    n_masks = 1 << n_domains
    out = np.full(locality.size, -1, dtype=np.int64)
    who, group = pairs
    has_room = (slots[who] > 0).nonzero()[0]
    if has_room.size == 0:
        return out
    who, group = who[has_room], group[has_room]
    weight = slots[who]
    key = locality.astype(np.int64) * n_masks + masks
    seen = np.bincount(key, minlength=n_places * n_masks) > 0
    rows = seen.nonzero()[0]  # the (place, need mask) pairs that occur
    if rows.size * who.size <= _SMALL_PRODUCT and who.size <= _DIRECT_WIDTH:
        # few charities with room: each row's cumulative room over every charity in order, read in one step
        fit = ((rows // n_masks)[:, None] == (group // n_masks)[None, :]) & (
            ((rows % n_masks)[:, None] & (group % n_masks)[None, :]) != 0)
        cum = np.cumsum(fit * weight[None, :], axis=1)  # whole numbers: exact (a product with a triangle of ones
        # would cost rows x charities^2 here)
        row = (np.cumsum(seen) - 1)[key]
        total = cum[row, -1]
        at = (total > 0).nonzero()[0]
        x = np.ceil(u[at] * total[at])
        out[at] = who[np.add.reduce(cum[row[at]] < x[:, None], axis=1)]  # the first whose cumulative room reaches x
        return out
    cum_pairs = np.cumsum(weight)  # whole numbers: exact
    # the specialism masks with room in each place, in order, as (places, widest place) tables (0 pads)
    by_group = np.bincount(group, weights=weight, minlength=n_places * n_masks)
    groups = by_group.nonzero()[0]
    place_of = groups // n_masks
    per_place = np.bincount(place_of, minlength=n_places)
    column = np.arange(groups.size) - (np.cumsum(per_place) - per_place)[place_of]
    group_mask = np.zeros((n_places, per_place.max()), dtype=np.int64)
    group_mask[place_of, column] = groups % n_masks
    group_room = np.zeros(group_mask.shape)
    group_room[place_of, column] = by_group[groups]
    group_first = np.zeros(group_mask.shape, dtype=np.int64)  # where each mask's charities begin in ``who``
    group_first[place_of, column] = group.searchsorted(groups, side="left")
    # rows: their cumulative room over the place's fitting masks
    row_place = rows // n_masks
    room = group_room[row_place]
    room *= ((rows % n_masks)[:, None] & group_mask[row_place]) != 0  # only the masks serving one of the needs
    if room.size <= _SMALL_PRODUCT:  # cumulative along each row: a product with a triangle of ones is faster on a
        cum = room @ _upper_triangle(room.shape[1])  # small table (whole numbers: exact either way)
    else:  # and a large one would start BLAS's threads, which then spin on the other core
        cum = np.cumsum(room, axis=1)
    row = (np.cumsum(seen) - 1)[key]
    total = cum[row, -1]
    at = (total > 0).nonzero()[0]  # clients with a fitting charity with room
    if at.size > _SORT_CLIENTS:  # many clients: in order of their row, so the searches read the tables in order
        at = at[np.argsort(_small_int(key[at], n_places * n_masks), kind="stable")]  # (faster; same answers)
    row, key = row[at], key[at]
    x = np.ceil(u[at] * total[at])  # a whole number in 1..total
    # the first fitting specialism mask whose cumulative room reaches x: the owner of the row's x-th unit of room
    row_totals = cum[:, -1]
    if row_totals.sum() <= _UNIT_TABLE:  # few units: a table of them, read directly
        columns = np.broadcast_to(np.arange(room.shape[1], dtype=np.int32), room.shape).ravel()  # (np.tile's
        # Python-level steps cost more than the copy on these small tables)
        units = np.repeat(columns, room.ravel().astype(np.int64))  # each unit's column, row by row
        col = units[(np.cumsum(row_totals) - row_totals)[row].astype(np.int64) + x.astype(np.int64) - 1]
    else:
        col = count_below(cum, row, x)
    before = cum[row, col] - room[row, col]  # the room of the masks before it (whole numbers: exact)
    place = key // n_masks
    # the charity: the first of that mask's charities in the place whose cumulative slots reach what is left of x
    first = group_first[place, col]
    target = cum_pairs[first] - weight[first] + x - before  # a whole number: the owner of that unit of room
    if cum_pairs[-1] <= _UNIT_TABLE:
        owners = np.repeat(np.arange(who.size, dtype=np.int32), weight.astype(np.int64))  # each unit's pair
        out[at] = who[owners[target.astype(np.int64) - 1]]
    else:
        out[at] = who[cum_pairs.searchsorted(target, side="left")]
    return out


#: up to this many (charity, charity) cells, pairs of partners are counted in a table rather than sorted
_PAIR_TABLE = 1_000_000
#: ... and only with at least one pair per this many cells (scanning a table of mostly empty cells
#: costs more than sorting a few pairs)
_PAIRS_PER_CELL = 8

#: up to this many entries, a table's rows are summed cumulatively by a matrix product (single-threaded in BLAS)
_SMALL_PRODUCT = 20_000

#: up to this many units of room (slots), a draw reads the owner of its unit from a table instead of searching
_UNIT_TABLE = 8_000_000

#: up to this many charities with room (and :data:`_SMALL_PRODUCT` cells of rows by charities), the draw
#: reads each row's cumulative room over the charities in one table instead of in two steps
_DIRECT_WIDTH = 256

#: above this many clients, they are sorted by place and need mask before the searches (cache-friendly)
_SORT_CLIENTS = 20_000


@functools.cache
def _upper_triangle(width: int) -> np.ndarray:
    """A (width, width) upper triangle of ones (read only): a row times it is the row's cumulative sum."""
    ones = np.triu(np.ones((width, width)))
    ones.flags.writeable = False
    return ones


def count_below(cum: np.ndarray, row: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each client, how many entries of its row ``row`` of ``cum`` are below its ``x``.

    ``cum`` has rows of whole numbers (cumulative slots, :func:`draw_charities`),
    non-decreasing, ``0 < x <=`` the row's last entry, so the count is the
    first column whose entry reaches ``x``. Same as
    ``(cum[row] < x[:, None]).sum(axis=1)``, by a comparison table when it is
    tiny, else by a binary search per client: the rows are laid end to end with an offset
    larger than any entry, and ``cum < x`` is ``cum < ceil(x)`` for whole-number ``cum``,
    so everything stays a whole number (exact in floating point).
    """
    width = cum.shape[1]
    if width == 0 or row.size == 0:
        return np.zeros(row.size, dtype=np.int64)
    if row.size * width <= _SMALL:  # few clients and charities: one comparison matrix costs fewer numpy calls
        return np.add.reduce(cum[row] < x[:, None], axis=1)  # what .sum(axis=1) calls, without its wrappers
    step = cum[:, -1].max() + 1.0
    flat = (cum + np.arange(cum.shape[0])[:, None] * step).ravel()
    return np.searchsorted(flat, row * step + np.ceil(x), side="left") - row * width


class ProviderTables:
    """Who serves whom this month.

    Attributes:
        members: (contracts, localities, k) delivering partners of each contract present in each
            place (the lead where none is), -1 padding.
        cumulative: matching cumulative shares of the contract's money, so clients are spread
            over partners in proportion to what each is paid.
        partnership_of_contract: holder partnership id of each contract id.
        referral_to: (partnership ids, localities, domains) the partner a need is referred to in each
            place, -1 none (ids rounded up to a block of :data:`_PARTNERSHIP_BLOCK`).
        rows: each partnership's row of ``referral_to``, by id.

    ``blocks`` maps a contract id to its :class:`ContractBlock`; blocks whose
    inputs have not changed are reused from ``previous`` tables built on the
    same sector arrays (a flexible contract rebalances its shares every month,
    the others rarely change), with their rows when the tables' shape is the
    same, and so are informal partnerships' referral rows (``informal``, by members).
    The previous tables give up their arrays to the new ones (they are rewritten
    in place, not copied): only :func:`provider_tables`, which replaces them, passes them.
    """

    def __init__(self, model: PartnershipModel, previous: ProviderTables | None = None,
                 inputs: tuple | None = None):
        s = model.sector
        # what the tables are computed from (:func:`_tables_inputs`), when the caller has it already
        if inputs is None:
            contract_inputs, informal_now = {}, tuple((p.pid, tuple(p.members)) for p in model.partnerships if p.informal)
        else:
            _, _, by_contract, informal_now, _ = inputs
            contract_inputs = dict(by_contract)
        blocks = {} if previous is None else previous.blocks
        informal = {} if previous is None else previous.informal
        n_c, n_l = model.max_contract_id() + 1, s.presence.shape[1]
        k = max([len(c.shares) for c in model.contracts.values()] + [1])
        # rows of contracts whose block is unchanged are copied from the previous tables, not laid out again
        reuse = previous is not None and previous.members.shape == (n_c, n_l, k)
        if reuse:  # the previous tables are being replaced (only provider_tables passes them): their arrays are
            # taken over and rewritten in place, not copied (they keep none, so a stale read fails loudly)
            self.members, self.cumulative, self.partnership_of_contract = (
                previous.members, previous.cumulative, previous.partnership_of_contract)
            previous.members = previous.cumulative = previous.partnership_of_contract = None
            for cid in blocks.keys() - model.contracts.keys():  # contracts that ended
                self._clear(cid)
        else:
            self.members = np.full((n_c, n_l, k), -1, dtype=np.int64)
            self.cumulative = np.ones((n_c, n_l, k))
            self.partnership_of_contract = np.full(n_c, -1, dtype=np.int64)
        rows: dict[int, np.ndarray] = {}  # each partnership's referral row (laid into ``referral_to`` below)
        self.blocks: dict[int, ContractBlock] = {}
        self._slots: tuple[np.ndarray, np.ndarray] | None = None  # see _by_slot
        self._fitting: tuple[bytes, np.ndarray, np.ndarray] | None = None  # see _fitting_tables
        for contract in model.contracts.values():
            block, now = blocks.get(contract.cid), contract_inputs.get(contract.cid)
            if now is None:
                now = _contract_inputs(s, contract)
            if block is None or block.inputs != now:  # the contract changed since the block was computed
                block = ContractBlock(s, contract, now, block)
            elif reuse:  # same block: its rows are already in place
                self.blocks[contract.cid] = block
                if block.delivering.size:
                    rows[contract.holder.pid] = block.referral
                continue
            self.blocks[contract.cid] = block
            if reuse:
                self._clear(contract.cid)
            if block.delivering.size == 0:
                continue
            d = block.delivering.size
            self.members[contract.cid, contract.lot, :d] = block.members
            self.cumulative[contract.cid, contract.lot, :d] = block.cumulative
            self.partnership_of_contract[contract.cid] = contract.holder.pid
            # partners take referrals for the contract's needs and, from their own funds, for their other specialisms
            rows[contract.holder.pid] = block.referral
        self.informal: dict[tuple[int, ...], np.ndarray] = {}  # referral row by members, reused like the blocks
        for pid, members in informal_now:
            row = informal.get(members)
            if row is None:
                row = referral_row(s, np.asarray(members))
            self.informal[members] = row
            rows[pid] = row
        self._lay_referrals(model, rows, previous)

    def _lay_referrals(self, model: PartnershipModel, rows: dict[int, np.ndarray],
                       previous: ProviderTables | None) -> None:
        """``referral_to`` from each partnership's row: the previous tables' where no row changed (rows are
        shared, never written to, so an unchanged row is the same object), else those rows rewritten in it.
        Its length is the partnership ids rounded up to a block of :data:`_PARTNERSHIP_BLOCK` (rows of no
        partnership read -1), so a new partnership rarely changes its shape."""
        s = model.sector
        n_rows = (model.max_partnership_id() // _PARTNERSHIP_BLOCK + 1) * _PARTNERSHIP_BLOCK
        shape = (n_rows, *s.presence.shape[1:], s.specialisms.shape[1])
        self.rows = rows
        if previous is None or previous.referral_to.shape != shape:
            self.referral_to = np.full(shape, -1, dtype=np.int64)
            for pid, row in rows.items():
                self.referral_to[pid] = row
            return
        before = previous.rows
        changed = [pid for pid, row in rows.items() if before.get(pid) is not row]
        gone = [pid for pid in before if pid not in rows]
        if not changed and not gone:
            self.referral_to = previous.referral_to
            return
        self.referral_to, previous.referral_to = previous.referral_to, None  # taken over, as in __init__
        self.referral_to[gone] = -1
        for pid in changed:
            self.referral_to[pid] = rows[pid]

    def _clear(self, cid: int) -> None:
        """Empty a contract's rows (as a fresh table has them)."""
        self.members[cid] = -1
        self.cumulative[cid] = 1.0
        self.partnership_of_contract[cid] = -1

    def provider(self, contract: np.ndarray, locality: np.ndarray, draw: np.ndarray,
                 need_bits: np.ndarray | None = None, specialism_bits: np.ndarray | None = None) -> np.ndarray:
        """The partner serving each client of ``contract`` in ``locality`` (-1 none), chosen by a fixed ``draw``.

        Partners are drawn in proportion to their share of the contract's money
        (money buys the hours). Given the clients' ``need_bits`` and the
        charities' ``specialism_bits``, the draw is among the partners that
        serve one of the client's needs, where any does: a partnership's
        caseworkers take the clients whose needs they know (Inspire's "tailored
        package of support provided by the other partner charities").
        """
        cell = self._cells(contract, locality)
        draw = draw.astype(np.float64)
        if need_bits is None:
            by_slot = self._by_slot()[0]
            k = by_slot.shape[0]
            slot = np.zeros(cell.size, dtype=np.int64)
            for column in by_slot:  # one slot at a time: k passes over the clients beat a (clients, k) matrix
                slot += column[cell] < draw
        else:
            weight_by_slot, bits_by_slot = self._fitting_tables(specialism_bits)
            k = weight_by_slot.shape[0]
            weight = weight_by_slot[:, cell]  # (k, clients): each partner's share of the money
            fitted = weight * ((need_bits[None, :] & bits_by_slot[:, cell]) != 0)
            some = fitted.sum(axis=0) > 0
            weight[:, some] = fitted[:, some]
            cum = np.cumsum(weight, axis=0)
            slot = (cum < draw[None, :] * cum[-1][None, :]).sum(axis=0)
        np.minimum(slot, k - 1, out=slot)
        return self.members.reshape(-1)[cell * k + slot]

    def delivers(self, contract: np.ndarray, locality: np.ndarray, charity: np.ndarray) -> np.ndarray:
        """Whether each ``charity`` is one of the partners delivering ``contract`` in ``locality``."""
        cell, members_by_slot = self._cells(contract, locality), self._by_slot()[1]
        found = np.zeros(cell.size, dtype=bool)
        for column in members_by_slot:
            found |= column[cell] == charity
        return found

    def _cells(self, contract: np.ndarray, locality: np.ndarray) -> np.ndarray:
        """Flat (contract, locality) index of each client."""
        return contract.astype(np.int64) * self.members.shape[1] + locality

    def _by_slot(self) -> tuple[np.ndarray, np.ndarray]:
        """``cumulative`` and ``members`` as (k, contracts x localities): one contiguous row per slot."""
        if self._slots is None:
            k = self.members.shape[2]
            self._slots = (np.ascontiguousarray(self.cumulative.reshape(-1, k).T),
                           np.ascontiguousarray(self.members.reshape(-1, k).T))
        return self._slots

    def _fitting_tables(self, specialism_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per slot, as (k, contracts x localities): each partner's weight (the step in ``cumulative``)
        and its specialism bits (0 for padding), computed once per table rather than per client each call."""
        key = specialism_bits.tobytes()
        if self._fitting is None or self._fitting[0] != key:
            by_slot, members_by_slot = self._by_slot()
            weight = by_slot.copy()  # the steps of each column (np.diff with a 0 prepended, without its concatenation)
            np.subtract(by_slot[1:], by_slot[:-1], out=weight[1:])
            bits = np.where(members_by_slot >= 0, specialism_bits[np.maximum(members_by_slot, 0)], 0)
            self._fitting = (key, weight, bits.astype(specialism_bits.dtype))
        return self._fitting[1], self._fitting[2]


class ContractBlock:
    """One contract's rows of :class:`ProviderTables`, with the inputs they were computed from.

    Valid while the sector's presence and specialism arrays are unchanged
    (:func:`provider_tables` drops every block when they change) and the
    contract's shares, lead, holder, lot and which of its partners operate
    are the same (its ``inputs``, from :func:`_contract_inputs`): a closure
    elsewhere in the sector leaves the block as it is.
    A ``previous`` block of the same contract on the same sector arrays lends its referral rows when
    the delivering members are the same.
    """

    def __init__(self, s, contract, inputs: tuple | None = None, previous: ContractBlock | None = None):
        self.inputs = _contract_inputs(s, contract) if inputs is None else inputs
        alive = [m for m in contract.delivering if s.alive[m]]
        delivering = np.array(alive, dtype=np.int64)
        self.delivering = delivering
        if delivering.size == 0:
            return
        lead = contract.holder.lead if contract.holder.lead in alive else alive[0]
        present = s.presence[delivering][:, contract.lot]  # (members, places); two takes beat np.ix_ on small arrays
        weight = present * np.array([contract.shares[m] for m in alive])[:, None]
        total = weight.sum(axis=0)
        none = total <= 0
        weight[:, none] = (delivering == lead)[:, None]
        total[none] = 1.0  # the lead's weight alone: the column's new sum, exactly
        cum = np.cumsum(weight, axis=0) / total
        self.members = np.where(weight.T > 0, delivering[None, :], -1)  # (places, members)
        self.cumulative = cum.T
        # where needs are referred depends on the members alone (a rebalance moves only the money)
        same = previous is not None and np.array_equal(previous.delivering, delivering)
        self.referral = previous.referral if same else referral_row(s, delivering)


def referral_row(s, members: np.ndarray) -> np.ndarray:
    """(localities, domains): the first of ``members`` that works in the place and serves the need (-1 none).

    Where a need is referred: a partner can only take clients where it works,
    so a partnership refers to the member who serves the need in the client's place.
    """
    can = s.presence[members][:, :, None] & s.specialisms[members][:, None, :]  # (members, places, domains)
    return np.where(can.any(axis=0), members[np.argmax(can, axis=0)], -1)


def _contract_inputs(s, contract) -> tuple:
    """What a contract's provider rows depend on, besides the sector's presence and specialisms:
    its shares, lead, holder and lot, and which of its delivering partners still operate."""
    alive = s.alive
    operating = tuple([alive[m] for m, v in contract.shares.items() if v > 0])  # of contract.delivering, in order
    return (tuple(contract.shares.items()), contract.holder.lead, contract.holder.pid, id(contract.lot),
            contract.lot.tobytes(), operating)


def _sector_inputs(model: PartnershipModel) -> tuple:
    """The sector arrays provider tables depend on for every contract, as bytes (compared exactly).

    Which charities operate is not among them: a contract's rows depend on
    its own partners only (:func:`_contract_inputs`), and informal
    partnerships' referral rows on their members' presence and specialisms
    (:func:`referral_row`), so a closure rebuilds only what it touches.
    """
    s = model.sector
    return s.presence.tobytes(), s.specialisms.tobytes(), s.presence.shape


def _tables_inputs(model: PartnershipModel) -> tuple:
    """Everything :class:`ProviderTables` is computed from, compared exactly to reuse the last tables."""
    contracts = tuple((c.cid, _contract_inputs(model.sector, c)) for c in model.contracts.values())
    informal = tuple((p.pid, tuple(p.members)) for p in model.partnerships if p.informal)
    return model.max_contract_id(), model.max_partnership_id(), contracts, informal, _sector_inputs(model)


def provider_tables(model: PartnershipModel) -> ProviderTables:
    """This month's :class:`ProviderTables` (cached until contracts or partnerships change).

    The key decides when the tables are looked at again (as it always has);
    they are then rebuilt only if what they are computed from has changed,
    which gives the same tables as rebuilding every time, at a fraction of the cost.
    """
    c, cache = model.counters, model.cache
    key = (model.month, c["tenders"], c["exits"], c["reorganisations"], c["rebalances"], len(model.partnerships))
    if cache.get("providers_key") != key:
        inputs = _tables_inputs(model)
        if cache.get("providers_inputs") != inputs:
            previous = cache.get("providers")
            same_sector = previous is not None and cache["providers_inputs"][-1] == inputs[-1]
            cache["providers"] = ProviderTables(model, previous if same_sector else None, inputs)
            cache["providers_inputs"] = inputs
        cache["providers_key"] = key
    return cache["providers"]


def local_provision(model: PartnershipModel) -> np.ndarray:
    """(localities, domains): some operating charity present serves that need (looked at again each month and
    after a closure or exit; computed again only when which charities operate, or their places or specialisms,
    have changed)."""
    cache, s = model.cache, model.sector
    key = (model.month, model.counters["closures"], model.counters["exits"])
    if cache.get("provision_key") != key:
        inputs = (s.alive.tobytes(), s.presence.tobytes(), s.specialisms.tobytes())
        if cache.get("provision_inputs") != inputs:
            cache["provision"] = np.stack(
                [s.presence[s.alive & s.specialisms[:, d]].any(axis=0) for d in range(s.specialisms.shape[1])], axis=1)
            cache["provision_inputs"] = inputs
        cache["provision_key"] = key
    return cache["provision"]


#: (mask, domain): whether need mask ``mask`` includes domain ``domain`` (1.0 or 0.0: products with it go to
#: BLAS, and counts of clients stay whole numbers, exact in floating point)
_MASK_HAS = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(np.float64)


def unserved_needs(model: PartnershipModel) -> np.ndarray:
    """(localities, domains): clients here need it, and no operating charity present serves it."""
    cl = model.clients
    n_loc = model.sector.presence.shape[1]
    n_dom = len(model.domains)
    # which need masks occur in each place, then which domains those masks hold (only "any demand" matters)
    masks_here = np.bincount(cl.locality.astype(np.int64) * 256 + cl.need_bits, minlength=n_loc * 256).reshape(n_loc, 256) > 0
    demand = (masks_here.astype(np.float64) @ _MASK_HAS[:, :n_dom]) > 0
    joint = np.zeros(demand.shape, dtype=bool)
    for loc, dom in model.partnerships.joint_services():
        joint[loc, dom] = True
    return (demand > 0) & ~local_provision(model) & ~joint


def monitor(model: PartnershipModel) -> None:
    """Monitoring hours each contract demands of its partners this month."""
    s, cl, c = model.sector, model.clients, model.scenario.commissioning
    s.monitoring_hours[:] = 0.0
    model.funded_hours = 0.0
    if not model.contracts:
        return
    caseload = np.bincount(cl.contract[cl.contract >= 0], minlength=model.max_contract_id() + 1)
    for contract in model.contracts.values():
        delivering = [m for m in contract.delivering if s.alive[m]]
        if not delivering:
            continue
        per_partner = not contract.holder.standard_monitoring
        per_client = c.monitoring_hours * (c.grant_monitoring if contract.commissioner.grant else 1.0)  # grants: light touch
        total = monitoring_hours(int(caseload[contract.cid]), per_client, len(delivering), per_partner, c.duplication)
        value = sum(contract.shares[m] for m in delivering)
        for m in delivering:
            s.monitoring_hours[m] += total * contract.shares[m] / value if value > 0 else total / len(delivering)
        model.funded_hours += contract.value / model.scenario.sector.hourly_cost




_BIT_OF = np.left_shift(1, np.arange(8)).astype(np.uint8)  # each domain's bit in a need mask


def unpack(bits: np.ndarray, n_domains: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, domain) pairs of the set bits of a per-client mask, in row then domain order.

    The masks (``uint8``) are spread into one byte per bit, row by row
    (``np.unpackbits``), and the set bytes found in one pass: byte ``i`` is
    row ``i // 8``, domain ``i % 8``. ``n_domains`` bounds the masks' bits.
    """
    spread = np.unpackbits(np.asarray(bits, dtype=np.uint8)[:, None], axis=1, bitorder="little")
    at = np.flatnonzero(spread.view(bool))
    return at >> 3, at & 7


class NeedPairs:
    """The (row, domain) pairs of every client's needs, to unpack masks within them by a filter.

    ``NeedPairs(need_bits, n).unpack(bits)`` is :func:`unpack` ``(bits, n)`` for
    any ``bits`` that are a subset of ``need_bits`` row by row (needs met, needs
    left...): the pairs of ``need_bits`` are laid out once, in row then domain
    order, and each mask keeps those of its bits, so the order is the same.
    """

    def __init__(self, need_bits: np.ndarray, n_domains: int):
        self.rows, self.domains = unpack(need_bits, n_domains)
        self.bit = _BIT_OF[self.domains]

    def unpack(self, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, domain) pairs of the set bits of ``bits`` (a subset of the needs), as :func:`unpack` gives them."""
        keep = ((bits[self.rows] & self.bit) != 0).nonzero()[0]
        return self.rows[keep], self.domains[keep]


def as_bits(rows: np.ndarray, domains: np.ndarray, n: int) -> np.ndarray:
    """Per row, the bit mask of its (row, domain) pairs (the inverse of :func:`unpack`; pairs must be distinct)."""
    weights = np.left_shift(1, domains)  # distinct bits of one row add up to their OR
    return np.bincount(rows, weights=weights, minlength=n).astype(np.uint8)


def take_up_to(cells: np.ndarray, capacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick at most ``capacity[cell]`` random entries of each cell; returns a mask over ``cells``.

    Where no cell is over its capacity every entry is taken and no random
    number is drawn. Otherwise the entries are put in a random order
    (one permutation) and each cell takes its first ``capacity`` entries.
    """
    counts = np.bincount(cells, minlength=capacity.size)
    if not (counts > capacity).any():  # no cell over its capacity: all are taken
        return np.ones(cells.size, dtype=bool)
    shuffled = rng.permutation(cells.size)
    # entries by cell, in the random order within a cell (a stable sort; numpy radix-sorts 16-bit keys)
    keys = cells[shuffled]
    order = shuffled[np.argsort(_small_int(keys, capacity.size), kind="stable")]
    sorted_cells = cells[order]
    start = np.cumsum(counts) - counts  # where each cell's run begins
    rank = np.arange(cells.size) - start[sorted_cells]
    chosen = np.zeros(cells.size, dtype=bool)
    chosen[order] = rank < capacity[sorted_cells]
    return chosen


def _small_int(keys: np.ndarray, bound: int) -> np.ndarray:
    """``keys`` (whole numbers in ``0 .. bound - 1``) as unsigned 16-bit integers when they fit, so a stable
    sort is a radix sort (same order: the keys are not negative)."""
    return keys.astype(np.uint16) if bound <= np.iinfo(np.uint16).max + 1 else keys


def serve(model: PartnershipModel) -> None:
    """Meet clients' needs directly, by referral, by a joint service or by signposting."""
    s, cl, sc = model.sector, model.clients, model.scenario
    n, n_dom = len(cl), s.specialisms.shape[1]
    model.month_stats.update(needs=0, met=0, multi=0, joined_up=0, referrals=0, referrals_ok=0)
    model.joint_served = 0
    if n == 0:
        s.demand_hours[:] = 0.0
        return
    rng = model.rng
    tables = provider_tables(model)
    pship_of, referral_to = tables.partnership_of_contract, tables.referral_to
    has_c = cl.contract >= 0
    provider = cl.provider.copy()
    # a contract client keeps a worker who still delivers the contract in their place
    rows_c = (has_c & (cl.provider >= 0)).nonzero()[0]
    still = tables.delivers(cl.contract[rows_c], cl.locality[rows_c], cl.provider[rows_c])
    # the others are given a partner by their fixed draw (client by client, so only they need one)
    redraw = has_c.copy()
    redraw[rows_c[still]] = False
    rows_new = redraw.nonzero()[0]
    provider[rows_new] = tables.provider(cl.contract[rows_new], cl.locality[rows_new], cl.worker_draw[rows_new],
                                         cl.need_bits[rows_new], s.specialism_bits)
    # a client whose worker changes (a closure, a new contract holder) starts again with someone new; for a
    # client who moved this month, whether support restarted was decided by whether their record followed them
    changed = (cl.provider >= 0) & (provider != cl.provider)
    changed[continuity_decided(model)] = False
    cl.engagement[changed] *= sc.clients.restart_engagement
    if cl.log_exits and changed.any():
        cl.log_exit(changed, model.month, np.full(int(np.count_nonzero(changed)), "displacement"))
    cl.provider = provider
    ok = provider >= 0
    # each client's partnership: its contract's, else its charity's informal one (-1 none); index -1 of a table
    # padded with -1 reads "none" for a client with no contract or no charity
    in_contract = np.append(pship_of, -1)[cl.contract]
    informal = np.append(model.partnerships.informal_partnership_of(), -1)[provider]
    pship = np.where(has_c & ok, in_contract, informal)

    # every mask unpacked below is a subset of the clients' needs: their pairs are laid out once
    pairs = NeedPairs(cl.need_bits, n_dom)
    # the provider meets the needs in its own specialisms; the rest may be referred
    # (bit masks are uint8 already: ``copy=False`` only guards the type, without copying)
    direct_bits = cl.need_bits & np.append(s.specialism_bits, np.uint8(0))[provider]  # none without a provider
    rest_bits = np.where(pship >= 0, cl.need_bits & ~direct_bits, 0).astype(np.uint8, copy=False)
    rows, doms = pairs.unpack(rest_bits)
    tgt = referral_to[pship[rows], cl.locality[rows], doms]  # a member who works in the client's place
    keep = (tgt >= 0) & (tgt != provider[rows])
    rows, doms, tgt = rows[keep], doms[keep], tgt[keep]
    co_located = model.partnerships.co_located_mask(referral_to.shape[0])
    frontline = model.network.strength(provider[rows], tgt, "frontline")
    # workers refer to partners they know (informal introductions); a full frontline tie always. A partner
    # brought in for a gap in these clients' needs is the partnership's route for them: its workers always ask
    aware = sc.clients.referral_awareness
    routes = model.partnerships.referral_routes(s.n)
    if routes.size:
        key = pship[rows] * s.n + tgt
        routed = routes[np.minimum(np.searchsorted(routes, key), routes.size - 1)] == key
        aware = np.where(routed, 1.0, aware)
    asked = rng.random(rows.size) < aware + (1.0 - aware) * frontline
    rows, doms, tgt, frontline = rows[asked], doms[asked], tgt[asked], frontline[asked]
    p_ok = referral_success(sc.clients.referral_base, sc.clients.referral_tie_effect, sc.clients.referral_co_location,
                            frontline, co_located[pship[rows]], sc.system.barrier_effect, model.barrier)
    referred = rng.random(rows.size) < p_ok
    # joint casework within each partnership this month (what system change learns from)
    model.cache["joint_cases"] = np.bincount(pship[rows[referred]], minlength=referral_to.shape[0])

    # capacity: hours each charity's clients need against the hours it has
    hpn = sc.clients.hours_per_need
    direct_count = POPCOUNT[direct_bits]
    serving = provider[ok]  # the provider of each client served (reused below)
    counts = POPCOUNT[cl.need_bits]
    demand = np.bincount(serving, weights=direct_count[ok], minlength=s.n) * hpn
    demand += np.bincount(tgt[referred], minlength=s.n) * hpn
    s.demand_hours[:] = demand
    hours = s.delivery_hours(sc.sector.volunteer_supervision)
    ratio = np.where(demand > 0, np.minimum(1.0, hours / np.maximum(demand, 1e-9)), 1.0)
    model.month_stats.update(hours_available=float(hours.sum()))
    # the work each charity does under contracts, at the specification's hours per need: its contract
    # caseload's needs, less those it refers on, plus contract clients' needs referred to it
    # (a referring contract client is served: only served clients have a partnership to refer through)
    ref_c = referred & has_c[rows]
    served_c = ok & has_c
    s.contract_hours[:] = (np.bincount(provider[served_c], weights=counts[served_c], minlength=s.n)
                           - np.bincount(provider[rows[ref_c]], minlength=s.n)
                           + np.bincount(tgt[ref_c], minlength=s.n)) * hpn
    # a disengaged client attends less of the support offered
    attend = 1.0 - sc.clients.engagement_effect * (1.0 - cl.engagement)

    # needs met so far, as a bit mask per client (bit d = domain d), like ``need_bits``
    d_rows, d_doms = pairs.unpack(direct_bits)
    got = rng.random(d_rows.size) < ratio[provider[d_rows]] * attend[d_rows]
    met = as_bits(d_rows[got], d_doms[got], n)
    # on separate sites a referred client must also get to the partner's site: attendance applies again
    # (Inspire before 2012: "service users were required to attend different locations"; on one site staff
    # "could informally introduce service users to other relevant specialists directly rather than simply
    # booking appointments for them"). A referral succeeds when the partner takes it and the client gets there.
    second_site = np.where(co_located[pship[rows]], 1.0, attend[rows])
    arrived = referred & (rng.random(rows.size) < second_site)
    by_partner = arrived & (rng.random(rows.size) < ratio[tgt] * attend[rows])
    met |= as_bits(rows[by_partner], doms[by_partner], n)

    # key work: hours left after specialist work go to clients' other needs, less effectively
    g_rows, g_doms = pairs.unpack(np.where(ok, cl.need_bits & ~met, 0).astype(np.uint8, copy=False))
    keyworker = provider[g_rows]
    g_demand = np.bincount(keyworker, minlength=s.n) * hpn
    spare = np.maximum(hours - demand, 0.0)
    g_ratio = np.where(g_demand > 0, np.minimum(1.0, spare / np.maximum(g_demand, 1e-9)), 0.0)
    got = rng.random(g_rows.size) < sc.clients.generalist_effect * g_ratio[keyworker] * attend[g_rows]
    met |= as_bits(g_rows[got], g_doms[got], n)
    model.month_stats.update(keywork_met=int(np.count_nonzero(got)))

    # frontline contact from shared clients
    pair_a, pair_b = provider[rows[referred]], tgt[referred]
    if pair_a.size:
        key = np.minimum(pair_a, pair_b) * s.n + np.maximum(pair_a, pair_b)
        if s.n * s.n <= min(_PAIR_TABLE, _PAIRS_PER_CELL * key.size):  # many pairs in a small sector: count them
            # in a table (what np.unique gives, sorted); a few pairs are sorted (a table's scan would cost more)
            shared = np.bincount(key, minlength=s.n * s.n)
            uniq = shared.nonzero()[0]
            shared = shared[uniq]
        else:
            uniq, shared = np.unique(key, return_counts=True)
        model.network.add_contact(uniq // s.n, uniq % s.n,
                                  frontline=sc.relationships.frontline_growth * np.minimum(1.0, shared / 5.0))

    # unfunded joint services (know-how meets access) take a few clients a month per place and need
    remaining = cl.need_bits & ~met
    n_loc = s.presence.shape[1]
    capacity = np.zeros(n_loc * n_dom, dtype=np.int64)
    for loc_, dom_ in model.partnerships.joint_services():
        capacity[loc_ * n_dom + dom_] += sc.partnership.unfunded_capacity
    if capacity.any():
        r_rows, r_doms = pairs.unpack(remaining)
        cells = cl.locality[r_rows].astype(np.int64) * n_dom + r_doms
        open_ = capacity[cells] > 0
        r_rows, r_doms, cells = r_rows[open_], r_doms[open_], cells[open_]
        chosen = take_up_to(cells, capacity, rng)
        joined = as_bits(r_rows[chosen], r_doms[chosen], n)
        met |= joined
        remaining &= ~joined
        model.joint_served = int(np.count_nonzero(chosen))

    # signposting to local provision where someone serves that need
    provision_bits = as_bits(*np.nonzero(local_provision(model)), n_loc)  # per place, the needs served there
    s_rows, s_doms = pairs.unpack(remaining & provision_bits[cl.locality])
    open_door = 1.0 - sc.system.barrier_effect * model.barrier
    got = rng.random(s_rows.size) < sc.clients.signposting * open_door
    signposted = as_bits(s_rows[got], s_doms[got], n)
    met |= signposted
    remaining &= ~signposted

    # engaged statutory partners open their own services to a contract's clients (joint case work)
    st_rows, st_doms = pairs.unpack(np.where(has_c, remaining, 0).astype(np.uint8, copy=False))
    buy_in = contract_engagement(model)[cl.contract[st_rows]]
    # statutory services sit on another site unless the partnership shares one (Inspire's probation staff
    # worked from the women's centre): as for a referral between partners, the client must attend again
    st_pship = pship_of[cl.contract[st_rows]]
    on_site = (st_pship >= 0) & co_located[np.maximum(st_pship, 0)]
    st_attend = np.where(on_site, 1.0, attend[st_rows])
    got = rng.random(st_rows.size) < sc.statutory.service_access * buy_in * open_door * st_attend
    met |= as_bits(st_rows[got], st_doms[got], n)

    waiting = (cl.contract < 0) & (cl.provider < 0)
    s.waiting_hours[:] = waiting_list_hours(model, waiting)
    met_counts = POPCOUNT[met]
    cl.met_share = (met_counts / np.maximum(counts, 1)).astype(np.float32)
    multi = counts >= 2
    cl.joined_up = multi & (met_counts == counts)
    moved = model.cache.get("transferred_rows", np.arange(0))
    model.month_stats.update(
        needs=int(counts.sum()), met=int(met_counts.sum()), multi=int(np.count_nonzero(multi)),
        joined_up=int(np.count_nonzero(cl.joined_up)), demand_hours=float(counts.sum() * hpn),
        waiting=int(np.count_nonzero(waiting)),
        referrals=int(rows.size), referrals_ok=int(np.count_nonzero(arrived)),
        transfer_needs=int(counts[moved].sum()), transfer_met=int(met_counts[moved].sum()),
    )
    # track record follows how well each charity's clients are served
    needs_served = np.bincount(serving, weights=counts[ok], minlength=s.n)
    share = np.bincount(serving, weights=met_counts[ok], minlength=s.n) / np.maximum(needs_served, 1)
    served = needs_served > 0  # every client has a need
    s.track_record[served] = 0.97 * s.track_record[served] + 0.03 * share[served]


def waiting_list_hours(model: PartnershipModel, waiting: np.ndarray) -> np.ndarray:
    """Each charity's share of the hours that waiting clients' needs would take.

    The need for each domain in each place is shared among the operating
    charities present there that serve it, in proportion to their hours (a
    larger charity sees more of it): the waiting list a charity sees, and
    stretches its staffing to meet while it has reserves
    (:func:`sim.finance.staffing`).
    """
    s, cl = model.sector, model.clients
    n_loc, n_dom = s.presence.shape[1], s.specialisms.shape[1]
    rows = waiting.nonzero()[0]
    if rows.size == 0:
        return np.zeros(s.n)
    # waiting clients per place and need mask, then the domains of each mask: whole numbers, so exact
    # (one bincount instead of ``np.add.at`` over a (clients, domains) matrix)
    masks_here = np.bincount(cl.locality[rows].astype(np.int64) * 256 + cl.need_bits[rows], minlength=n_loc * 256)
    need = masks_here.reshape(n_loc, 256).astype(np.float64) @ _MASK_HAS[:, :n_dom]
    size = np.where(s.alive, s.staff_hours + s.volunteer_hours, 0.0)
    # over the (charity, place) pairs where a charity is present (few of all pairs), by its specialisms' mask
    who, where = _presence_pairs(model)
    hours = size[who]
    cell = where.astype(np.int64) * 256 + s.specialism_bits[who]
    has = _MASK_HAS[:, :n_dom]
    capacity = np.bincount(cell, weights=hours, minlength=n_loc * 256).reshape(n_loc, 256) @ has  # (places, domains)
    per_hour = np.where(capacity > 0, need / np.maximum(capacity, 1e-9), 0.0)
    seen = (per_hour @ has.T).ravel()[cell] * hours  # each pair's part: its place's need per hour, over its specialisms
    return np.bincount(who, weights=seen, minlength=s.n) * model.scenario.clients.hours_per_need


def _presence_pairs(model: PartnershipModel) -> tuple[np.ndarray, np.ndarray]:
    """(charities, places) of every place a charity works in, charity by charity (cached while presence is unchanged)."""
    s, cache = model.sector, model.cache
    key = s.presence.tobytes()
    if cache.get("presence_pairs_key") != key:
        cache["presence_pairs"] = s.presence.nonzero()
        cache["presence_pairs_key"] = key
    return cache["presence_pairs"]


def _continuity(model: PartnershipModel, rows: np.ndarray, old_provider: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For supported clients who moved: (same partnership serves the new place, support continued).

    Support continues when the contract's partnership also works in the new
    place and the client's record reaches the new worker: with a shared
    case-management system it always does (the Prison Family Support Alliance);
    otherwise it does when the old worker passes it on, which is likelier the
    stronger their frontline tie to the new worker (or when the worker is the same).
    """
    cl, s = model.clients, model.sector
    n_c = model.max_contract_id() + 1
    tables = provider_tables(model)
    shared_by = np.zeros(n_c, dtype=bool)
    for contract in model.contracts.values():
        shared_by[contract.cid] = contract.holder.shared_case_management
    c = cl.contract[rows]
    new_provider = tables.provider(c, cl.locality[rows], cl.worker_draw[rows], cl.need_bits[rows], s.specialism_bits)
    same = new_provider >= 0
    tie = model.network.strength(np.maximum(old_provider, 0), np.maximum(new_provider, 0), "frontline")
    record = shared_by[c] | (old_provider == new_provider) | (model.rng.random(rows.size) < tie)
    return same, continuity_kept(same, record)


def _restart(model: PartnershipModel, rows: np.ndarray) -> None:
    """Support restarts from scratch: engagement falls, the months of support begin again."""
    cl = model.clients
    cl.engagement[rows] *= model.scenario.clients.restart_engagement
    cl.months[rows] = 0


def transfer(model: PartnershipModel) -> None:
    """Prison transfers: support continues only if the partnership serves the new prison and the record follows."""
    cl = model.clients
    old_provider = cl.provider.copy()
    rows, old = cl.transfer(model.scenario.demand.transfer_rate)
    model.cache["transferred_rows"] = rows
    _decide_continuity(model, _NO_ROWS, first=True)
    if rows.size == 0:
        model.month_stats.update(transfers=0, continued=0)
        return
    supported = cl.contract[rows] >= 0  # continuity is about support a contract was giving
    rows_c = rows[supported]
    model.cache["transferred_rows"] = rows_c  # the needs met after a transfer are counted for these
    _decide_continuity(model, rows_c, first=True)
    same, kept = _continuity(model, rows_c, old_provider[rows_c])
    _restart(model, rows_c[~kept])
    cl.contract[rows_c[~same]] = -1
    cl.provider[rows[~supported]] = -1  # a local charity in the old prison does not follow
    cl.flows.transfers_continued += int(np.count_nonzero(kept))
    model.month_stats.update(transfers=int(rows_c.size), continued=int(np.count_nonzero(kept)))


def release(model: PartnershipModel) -> None:
    """Prisoners are released into the community, where continuity of support matters most.

    People in custody do not reoffend while inside; at release they move to a
    community place. Support continues "through the gate" when the contract's
    partnership works there too and the record follows (as for transfers), or
    when their own charity works there; otherwise it restarts with someone new.
    """
    cl = model.clients
    old_provider = cl.provider.copy()
    rows = cl.release(model.scenario.demand.sentence_months)
    if rows.size == 0:
        model.month_stats.update(releases=0, releases_continued=0)
        return
    s = model.sector
    supported = (cl.contract[rows] >= 0) | (old_provider[rows] >= 0)
    rows = rows[supported]
    old = old_provider[rows]
    with_c = cl.contract[rows] >= 0
    same = np.zeros(rows.size, dtype=bool)
    kept = np.zeros(rows.size, dtype=bool)
    if with_c.any():
        same[with_c], kept[with_c] = _continuity(model, rows[with_c], old[with_c])
    local = ~with_c & (old >= 0)
    stays = local & s.alive[np.maximum(old, 0)] & s.presence[np.maximum(old, 0), cl.locality[rows]]
    kept |= stays
    _restart(model, rows[~kept])
    _decide_continuity(model, rows)
    cl.contract[rows[with_c & ~same]] = -1
    cl.provider[rows[~stays & ~with_c]] = -1
    model.month_stats.update(releases=int(rows.size), releases_continued=int(np.count_nonzero(kept)))
