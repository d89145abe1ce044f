"""Dated events: a re-tender, a funding or demand change, a new commissioner.

Each ``[[events]]`` entry of a scenario is scheduled with Mesa's event
scheduler to run just before that month's step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import PartnershipModel
    from .scenario import Event


class DatedEvent:
    """A scenario event bound to a model (kept alive by the model for Mesa's weak reference)."""

    def __init__(self, model: PartnershipModel, event: Event):
        self.model = model
        self.event = event

    def __call__(self) -> None:
        m, e = self.model, self.event
        if e.kind == "funding":
            m.funding_step *= 1.0 + e.change
        elif e.kind == "demand":
            m.demand_step *= 1.0 + e.change
        elif e.kind == "retender":
            for c in list(m.contracts.values()):
                if c.commissioner.name == e.commissioner:
                    c.end = e.month  # due at this month's re-tender
        elif e.kind == "commissioner":
            m.add_commissioner(e.spec, start_month=e.month)
        m.counters["events"] += 1
