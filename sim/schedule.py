"""The monthly schedule as a declared sequence of phases.

Each phase is a named step of the ODD's process overview (section 3.2) with a
docstring; :class:`Schedule` is an immutable, ordered list of them that a
researcher can change without copying the step::

    from sim.schedule import Phase

    def pay_by_results(model):
        "Commissioners pay a bonus for clients who did not reoffend."
        ...

    class PbRModel(sim.PartnershipModel):
        phases = sim.PartnershipModel.phases.insert_before("finance", Phase("payment_by_results", pay_by_results))

or, for one model only, ``sim.PartnershipModel(scenario, phases=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Phase:
    """One step of the monthly schedule: ``run(model)`` does the work.

    Attributes:
        name: the phase's name, as in the ODD's process overview.
        run: a function of the model.
        doc: one line on what the phase does (default: the first line of ``run``'s docstring).
    """

    name: str
    run: Callable[[Any], None]
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.doc:
            first = (self.run.__doc__ or "").strip().splitlines()
            object.__setattr__(self, "doc", first[0] if first else "")

    def __call__(self, model) -> None:
        self.run(model)


class Schedule:
    """An ordered, immutable sequence of uniquely named :class:`Phase` objects."""

    def __init__(self, phases: Iterable[Phase]):
        self._phases: tuple[Phase, ...] = tuple(phases)
        names = [p.name for p in self._phases]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"phase names must be unique; repeated: {sorted(dup)}")

    # ---------------------------------------------------------------- edits (each returns a new schedule)
    def _index(self, name: str) -> int:
        for i, p in enumerate(self._phases):
            if p.name == name:
                return i
        raise KeyError(f"no phase named {name!r}; phases: {', '.join(self.names)}")

    def insert_before(self, name: str, *phases: Phase) -> Schedule:
        """A schedule with ``phases`` run just before the phase ``name``."""
        i = self._index(name)
        return Schedule((*self._phases[:i], *phases, *self._phases[i:]))

    def insert_after(self, name: str, *phases: Phase) -> Schedule:
        """A schedule with ``phases`` run just after the phase ``name``."""
        i = self._index(name) + 1
        return Schedule((*self._phases[:i], *phases, *self._phases[i:]))

    def replace(self, name: str, phase: Phase) -> Schedule:
        """A schedule with the phase ``name`` replaced by ``phase``."""
        i = self._index(name)
        return Schedule((*self._phases[:i], phase, *self._phases[i + 1:]))

    def without(self, *names: str) -> Schedule:
        """A schedule without the named phases."""
        for n in names:
            self._index(n)
        return Schedule(p for p in self._phases if p.name not in names)

    # ---------------------------------------------------------------- reading
    @property
    def names(self) -> tuple[str, ...]:
        """The phase names, in the order they run."""
        return tuple(p.name for p in self._phases)

    def __getitem__(self, name: str) -> Phase:
        return self._phases[self._index(name)]

    def __iter__(self) -> Iterator[Phase]:
        return iter(self._phases)

    def __len__(self) -> int:
        return len(self._phases)

    def __contains__(self, name: object) -> bool:
        return any(p.name == name for p in self._phases)

    def __repr__(self) -> str:
        return f"Schedule({' -> '.join(self.names)})"

    def describe(self) -> str:
        """One numbered line per phase: name and what it does."""
        return "\n".join(f"{i}. {p.name}: {p.doc}" for i, p in enumerate(self._phases, 1))
