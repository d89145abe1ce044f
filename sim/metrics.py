"""The output metrics, each declared once: name, meaning, unit, direction, range, computation.

The names are part of the public interface (the brief); add, never rename.
A :class:`Metric` says what a number means and how it is computed from the
model's state; a :class:`MetricSet` is the ordered collection a model class
records (``PartnershipModel.metrics``). Every consumer (data collection,
``monthly_frame``, ``run``/``run_seeds``, ``summarise``, experiment files,
sweeps, ``compare``, reports and the dashboard) reads the metrics of the model
class in use, so a metric a subclass declares reaches all of them::

    class MyModel(sim.PartnershipModel):
        metrics = sim.PartnershipModel.metrics.extend(
            sim.Metric("waiting_share", "Share of clients waiting", unit="share", direction=-1,
                       compute=lambda view: view.model.clients_waiting_share()))

Computation functions take a :class:`sim.outcomes.MetricView`: the model
(``view.model``) plus quantities several metrics share, computed once a month.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

#: Units a metric can have, with how a report should phrase them.
UNITS: dict[str, str] = {
    "count": "number",
    "share": "share (0-1)",
    "strength": "tie strength (0-1)",
    "index": "index (1 = as at the start)",
    "rate": "rate a year (0-1)",
    "ratio": "ratio",
    "pounds": "pounds a month",
    "hours": "hours a month",
    "clients": "clients",
}


@dataclass(frozen=True)
class Metric:
    """One output metric.

    Attributes:
        name: the public name (a column of every table).
        meaning: one sentence saying what it measures.
        unit: one of :data:`UNITS`.
        direction: +1 higher is better for clients and the sector, -1 lower is better, 0 neutral.
        low, high: the feasible range (``None``: unbounded on that side); intervals are clipped to it.
        relevance: the smallest difference of practical relevance; ``compare`` calls a
            difference "higher" or "lower" only when it is at least this large.
        compute: ``(view) -> float``; ``nan`` when the denominator is empty.
        label: a readable label for reports and the dashboard (default: from the name).
        integer: the quantity is a whole number (counts), for integer axis ticks.
    """

    name: str
    meaning: str
    unit: str = "count"
    direction: int = 0
    low: float | None = 0.0
    high: float | None = None
    relevance: float = 0.0
    compute: Callable[[Any], float] | None = field(default=None, compare=False, repr=False)
    label: str = ""
    integer: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.name}: unit {self.unit!r} is not one of {sorted(UNITS)}")
        if self.direction not in (-1, 0, 1):
            raise ValueError(f"metric {self.name}: direction must be -1, 0 or 1")
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())

    @property
    def better(self) -> str:
        """'higher', 'lower' or 'neutral'."""
        return {1: "higher", -1: "lower", 0: "neutral"}[self.direction]

    def clip(self, value: float) -> float:
        """``value`` clipped to the feasible range (nan stays nan)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return value
        if self.low is not None:
            value = max(value, self.low)
        if self.high is not None:
            value = min(value, self.high)
        return value


class MetricSet:
    """An ordered, immutable collection of :class:`Metric` by name."""

    def __init__(self, metrics: Iterable[Metric] = ()):
        self._by_name: dict[str, Metric] = {}
        for m in metrics:
            if m.name in self._by_name:
                raise ValueError(f"metric {m.name} declared twice")
            self._by_name[m.name] = m

    def extend(self, *metrics: Metric) -> MetricSet:
        """A new set with ``metrics`` added at the end (a name already present is replaced in place)."""
        out = dict(self._by_name)
        for m in metrics:
            out[m.name] = m
        return MetricSet(out.values())

    def without(self, *names: str) -> MetricSet:
        """A new set without the named metrics."""
        return MetricSet(m for m in self if m.name not in names)

    @property
    def names(self) -> tuple[str, ...]:
        """The metric names, in table order."""
        return tuple(self._by_name)

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Metric:
        return self._by_name[name]

    def get(self, name: str, default: Metric | None = None) -> Metric | None:
        """The metric named ``name``, or ``default`` if the set has none."""
        return self._by_name.get(name, default)

    def info(self) -> dict[str, tuple[str, int]]:
        """name -> (meaning, direction), the shape of the older ``METRIC_INFO``."""
        return {m.name: (m.meaning, m.direction) for m in self}

    def __repr__(self) -> str:
        return f"MetricSet({', '.join(self.names)})"


def metrics_of(model_cls: type | None = None) -> MetricSet:
    """The metrics a model class records (default: :class:`sim.PartnershipModel`'s)."""
    if model_cls is None:
        from .model import PartnershipModel

        model_cls = PartnershipModel
    return model_cls.metrics


def describe(name: str, model_cls: type | None = None) -> Metric:
    """The declaration of one metric; a name no model declares gets a neutral stand-in."""
    found = metrics_of(model_cls).get(name)
    return found if found is not None else Metric(name, name, unit="ratio", low=None)


def _default_metrics() -> MetricSet:
    from .outcomes import DEFAULT_METRICS

    return DEFAULT_METRICS


#: The brief's public metric names, in the brief's order.
BRIEF_METRICS: tuple[str, ...] = (
    "partnerships_active", "partnership_size_mean", "charities_active", "charity_closures",
    "rel_managerial_mean", "rel_frontline_mean", "defections", "contracts_active",
    "consortium_contract_share", "funding_top10_share", "clients_active", "needs_met_share",
    "joined_up_share", "referral_success_rate", "continuity_on_transfer", "reoffending_rate",
    "breach_rate", "monitoring_time_share", "system_barrier_index", "unfunded_collaborations",
)


def __getattr__(name: str):
    # METRICS and METRIC_INFO describe the default model; resolved lazily to avoid an import cycle
    if name == "METRICS":
        return _default_metrics().names
    if name == "METRIC_INFO":
        return _default_metrics().info()
    raise AttributeError(name)


__all__ = ["Metric", "MetricSet", "UNITS", "BRIEF_METRICS", "metrics_of", "describe", "replace"]
