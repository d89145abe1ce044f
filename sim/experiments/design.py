"""Experiment files: what to vary, how to sample it, and the runs that follow.

An experiment is a TOML file in ``experiments/`` (the EMA Workbench's
"uncertainties and levers", NetLogo BehaviorSpace's "vary variables as
follows")::

    [experiment]
    title = "Contract length and statutory buy-in"
    scenarios = ["baseline"]          # base scenarios (names in scenarios/ or paths)
    design = "full_factorial"         # or latin_hypercube, morris, sobol
    replications = 3                  # runs (seeds) per point
    seed = 20170101                   # base seed; every run's seed derives from it
    seeding = "paired"                # how seeds are shared: paired (default), per_run, scenario
    months = 24                       # optional: horizon for every run
    metrics = ["partnerships_active"] # optional: metrics to keep (default: all the model declares)
    model = "mypackage.models:MyModel"  # optional: a subclass of sim.PartnershipModel

    [set]                             # fixed overrides for every run
    "sector.charities" = 60

    [parameters]                      # the levers
    "commissioning.contract_months" = [12, 36, 96]         # a list of values
    "statutory.engagement" = { low = 0.1, high = 0.9, steps = 5 }   # a range

    [variants.halved]                 # a named scenario defined here (list it in scenarios)
    extends = "baseline"
    "commissioning.value_change_at_retender" = -0.5

Ranges without ``steps`` are sampled by ``latin_hypercube`` (``samples``
points), ``morris`` (``trajectories``, ``levels``) and ``sobol``
(``samples`` = N, a power of two; N * (2k + 2) points). Integer keys of the
scenario schema are rounded; lists of strings or booleans are categorical.

The full format, with worked examples, is in ``docs/experiments.md``.

Every run has a stable key, a hash of its base scenario, its point's
parameter values (and, for sampled designs, the point's place in the sample)
and its replication number, so the same run has the same key and the same
seed however the sweep is split, ordered or resumed.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import re
import tomllib
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..metrics import metrics_of
from ..runner import derive_seed
from ..scenario import Scenario, ScenarioError, apply_overrides, build_scenario, load_scenario

#: Where ``partnersim sweep NAME`` looks for experiment files by name.
EXPERIMENT_DIR = Path(__file__).resolve().parent.parent.parent / "experiments"

DESIGNS = ("full_factorial", "latin_hypercube", "morris", "sobol")


class ExperimentError(ScenarioError):
    """Bad experiment input; ``str(err)`` is one line: file, key, what is allowed."""


class ExperimentWarning(UserWarning):
    """An experiment file that works but should be changed (a renamed key); shown as one line."""


#: Seeding rules; ``common`` is the older name of ``paired``.
SEEDING = ("paired", "per_run", "scenario")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    """A numeric range: sampled by LHS/Morris/Sobol, or a grid of ``steps`` values."""

    low: float
    high: float
    steps: int | None = Field(None, ge=2, le=1000)

    @field_validator("high")
    @classmethod
    def _ordered(cls, high: float, info: Any) -> float:
        low = info.data.get("low")
        if low is not None and high <= low:
            raise ValueError(f"high must be greater than low ({low})")
        return high


class ExperimentSection(_Strict):
    title: str = "Untitled experiment"
    description: str = ""
    scenarios: list[str] = Field(..., min_length=1)
    design: Literal["full_factorial", "latin_hypercube", "morris", "sobol"] = "full_factorial"
    replications: int = Field(1, ge=1, le=100_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    months: int | None = Field(None, ge=1, le=1200)
    metrics: list[str] | None = None
    samples: int | None = Field(None, ge=1, le=1_000_000)
    trajectories: int = Field(10, ge=2, le=10_000)
    levels: int = Field(4, ge=2, le=100)
    seeding: Literal["paired", "per_run", "scenario"] = Field(
        "paired",
        description="paired (default): replication r has the same seed at every point (common random numbers, "
        "so points are compared run by run); per_run: every run its own seed, from the base seed and the run key; "
        "scenario: as 'partnersim run', from each scenario's run.seed and the replication number",
    )
    model: str | None = Field(None, description="package.module:ClassName, a subclass of sim.PartnershipModel")

    @field_validator("seeding", mode="before")
    @classmethod
    def _old_name(cls, value: Any) -> Any:
        return "paired" if value == "common" else value

    @field_validator("title", "description")
    @classmethod
    def _printable(cls, value: str) -> str:
        from .text import clean_text

        return clean_text(value, limit=2000)

    @field_validator("metrics")
    @classmethod
    def _some_metrics(cls, metrics: list[str] | None) -> list[str] | None:
        if metrics is not None and not metrics:
            raise ValueError("give at least one metric, or leave metrics out to keep all")
        if metrics is not None and len(set(metrics)) != len(metrics):
            raise ValueError("a metric is listed twice")
        return metrics


class DiscoverySection(_Strict):
    where: str | None = Field(None, description="What counts as collapse, e.g. 'partners_delivering_mean <= 2'")
    depth: int = Field(3, ge=1, le=10, description="Depth of the decision tree")
    threshold: float = Field(0.8, gt=0.0, le=1.0, description="PRIM: the lowest density a chosen box may have")


class ExperimentFile(_Strict):
    experiment: ExperimentSection
    discovery: DiscoverySection = Field(default_factory=DiscoverySection)
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, list[Any] | Range] = Field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: everything a worker needs, and nothing else."""

    key: str
    point: int
    scenario_name: str
    params: dict[str, Any]
    replication: int
    seed: int
    scenario: dict | None = field(default=None, repr=False, compare=False)


@dataclass
class Experiment:
    """A validated experiment: its source, settings, and the points of its design."""

    source: str
    name: str
    settings: ExperimentSection
    fixed: dict[str, Any]
    parameters: dict[str, list[Any] | Range]
    points: list[dict[str, Any]]
    bases: dict[str, Scenario]
    discovery: DiscoverySection = field(default_factory=DiscoverySection)
    _scenario_cache: tuple[int, dict] | None = field(default=None, repr=False, compare=False)

    @property
    def model_cls(self) -> type:
        """The model class every run uses (``[experiment] model``; default :class:`sim.PartnershipModel`)."""
        return resolve_model(self.settings.model, self.source)

    @property
    def metrics(self) -> list[str]:
        """The metrics each run keeps: the file's ``metrics``, else every metric the model class declares."""
        return list(self.settings.metrics or self.model_cls.metrics.names)

    @property
    def parameter_names(self) -> list[str]:
        """The scenario keys the design varies (the levers)."""
        return list(self.parameters)

    @property
    def n_runs(self) -> int:
        """Number of runs: points times replications."""
        return len(self.points) * self.settings.replications

    def resolved(self) -> dict:
        """The experiment as resolved: settings, levers, points, and each base scenario in full."""
        return {
            "source": shown_source(self.source),
            "name": self.name,
            "experiment": self.settings.model_dump(mode="json"),
            "set": self.fixed,
            "parameters": {k: (v.model_dump() if isinstance(v, Range) else v) for k, v in self.parameters.items()},
            "points": self.points,
            "scenarios": {n: s.model_dump(mode="json") for n, s in self.bases.items()},
            "discovery": self.discovery.model_dump(),
        }

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs and their results (not how they are analysed)."""
        return _hash(self.resolved() | {"source": None, "discovery": None})

    def runs(self):
        """Every run, point by point, replication by replication (a generator: sweeps may be large).

        Runs carry no scenario (``scenario=None``); :meth:`with_scenario` adds it just before a
        run is sent to a worker, so a plan of many runs stays small in memory.
        """
        for point_index, point in enumerate(self.points):
            params = {k: v for k, v in point.items() if k != "scenario"}
            # a sampler may draw the same point twice (Morris trajectories do); each draw is its own run
            keyed = point if self.settings.design == "full_factorial" else {**point, "design_index": point_index}
            scenario_seed = params.get("run.seed", self.fixed.get("run.seed", self.bases[point["scenario"]].run.seed))
            for rep in range(self.settings.replications):
                key = run_key(keyed, rep)
                yield RunSpec(key, point_index, point["scenario"], params, rep, self._seed(key, rep, scenario_seed))

    def with_scenario(self, run: RunSpec) -> RunSpec:
        """The run with its full scenario (as a plain dict) attached, ready for a worker."""
        cached = self._scenario_cache
        if cached is None or cached[0] != run.point:
            cached = self._scenario_cache = (run.point, self.scenario_for(self.points[run.point]).model_dump(mode="json"))
        return replace(run, scenario=cached[1])

    def _seed(self, key: str, replication: int, scenario_seed: int) -> int:
        rule = self.settings.seeding
        if rule == "paired":
            return derive_seed(self.settings.seed, f"replication-{replication}")
        if rule == "scenario":  # the seeds 'partnersim run SCENARIO --seeds N' uses
            return derive_seed(int(scenario_seed), replication)
        return derive_seed(self.settings.seed, key)

    def scenario_for(self, point: dict[str, Any]) -> Scenario:
        """The full scenario of one point: base, then ``[set]``, then the point's levers."""
        base = self.bases[point["scenario"]]
        overrides = {**self.fixed, **{k: v for k, v in point.items() if k != "scenario"}}
        if self.settings.months is not None:
            overrides["run.months"] = self.settings.months
        if not overrides:
            return base
        return build_scenario(apply_overrides(base.model_dump(), overrides, self.source), self.source)


_MODEL_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*")


def resolve_model(path: str | None, src: str = "experiment") -> type:
    """The model class named ``package.module:ClassName`` (default :class:`sim.PartnershipModel`).

    Raises:
        ExperimentError: the name is malformed, the module does not import, or the class is not a model.
    """
    from ..model import PartnershipModel

    if path is None:
        return PartnershipModel
    if not isinstance(path, str) or not _MODEL_PATH.fullmatch(path):
        raise ExperimentError(src, "experiment.model", f"expected 'package.module:ClassName' (got {path!r})")
    module_name, class_name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # noqa: BLE001 - any failure to import is the user's module, reported in one line
        raise ExperimentError(src, "experiment.model",
                              f"cannot import {module_name!r} ({type(err).__name__}: {' '.join(str(err).split())}); "
                              "the module must be importable (on PYTHONPATH, and on every Dask worker)") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, PartnershipModel)):
        raise ExperimentError(src, "experiment.model", f"{path!r} is not a subclass of sim.PartnershipModel")
    return cls


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_key(point: dict[str, Any], replication: int) -> str:
    """Stable key of a run: a hash of its base scenario, parameter values and replication."""
    return _hash({"point": point, "replication": int(replication)})[:20]


# ------------------------------------------------------------------ loading

def resolve_experiment_path(name: str | Path) -> Path:
    p = Path(name)
    candidates = [p]
    if not p.is_absolute():
        candidates += [EXPERIMENT_DIR / p, EXPERIMENT_DIR / f"{p}.toml"]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    raise ExperimentError(str(name), "", "file not found (give a path, or a name from the experiments folder)")


def shown_source(source: str) -> str:
    """An experiment file as manifests name it: relative to the working folder when it is inside it,
    else its file name, so that a committed manifest names no folder of the machine it ran on."""
    path = Path(source)
    if not path.is_absolute():
        return source
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.name


def load_experiment(name: str | Path | dict, source: str | None = None) -> Experiment:
    """Read, validate and expand an experiment file (or an equivalent dict).

    Raises:
        ExperimentError: one line naming the file, the key and what is allowed.
    """
    if isinstance(name, dict):
        data, src, stem = name, source or "experiment", source or "experiment"
    else:
        path = resolve_experiment_path(name)
        src, stem = str(path), path.stem
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ExperimentError(src, "", f"malformed TOML ({err})") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ExperimentError(src, "", f"cannot read file ({err})") from None
    data = dict(data)
    section = data.get("experiment")
    if isinstance(section, dict) and "seeds" in section:
        section = data["experiment"] = dict(section)
        old = section.pop("seeds")
        if "seeding" in section:
            raise ExperimentError(src, "experiment.seeds", "give only seeding (seeds is its old name)")
        section["seeding"] = old
        warnings.warn(f"{src}: experiment.seeds is renamed experiment.seeding (it is a rule, not a count); "
                      f"write seeding = {('paired' if old == 'common' else old)!r}", ExperimentWarning, stacklevel=2)
    for table in ("set", "parameters"):
        if isinstance(data.get(table), dict):
            data[table] = _flatten(data[table])
    if isinstance(data.get("variants"), dict):
        data["variants"] = {k: _flatten(v) if isinstance(v, dict) else v for k, v in data["variants"].items()}
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as err:
        raise _describe(err, src) from None
    settings = spec.experiment
    model_cls = resolve_model(settings.model, src)
    declared = model_cls.metrics.names
    unknown = [m for m in settings.metrics or () if m not in declared]
    if unknown:
        raise ExperimentError(src, "experiment.metrics", f"unknown metric {unknown[0]!r}; allowed: {', '.join(declared)}")
    _check_design(settings, spec.parameters, src)
    _check_months(settings, spec, src)
    _check_size(settings, spec.parameters, src)
    bases: dict[str, Scenario] = {}
    for scen in settings.scenarios:
        bases[scen] = _base_scenario(scen, spec.variants, src)
    unused = sorted(set(spec.variants) - set(settings.scenarios))
    if unused:
        raise ExperimentError(src, f"variants.{unused[0]}", "variant is not listed in experiment.scenarios")
    _check_levers(bases, spec.set, spec.parameters, settings.months, src)
    points = design_points(settings, spec.parameters)
    if spec.discovery.where is not None:
        from .discovery import DiscoveryError, parse_condition

        try:
            parse_condition(spec.discovery.where, allowed=settings.metrics or declared)
        except DiscoveryError as err:
            raise ExperimentError(src, "discovery.where", str(err).split(": ", 1)[-1]) from None
    return Experiment(src, stem, settings, spec.set, spec.parameters, points, bases, spec.discovery)


def _check_months(s: ExperimentSection, spec: ExperimentFile, src: str) -> None:
    """``months`` and a ``run.months`` lever or override would silently disagree: refuse."""
    if s.months is None:
        return
    places = [f"[{t}]" for t, table in (("set", spec.set), ("parameters", spec.parameters)) if "run.months" in table]
    places += [f"[variants.{n}]" for n, v in spec.variants.items() if "run.months" in v]
    if places:
        raise ExperimentError(src, "experiment.months", f"conflicts with run.months in {', '.join(places)}; "
                              "give the horizon in one place")


def _check_size(s: ExperimentSection, params: dict[str, list[Any] | Range], src: str) -> None:
    """Count the design's points before generating them; refuse a plan that could not fit in memory."""
    from .budget import MAX_POINTS, MAX_TOTAL_RUNS, count_points

    axes = [len(v) if isinstance(v, list) else v.steps for v in params.values()]
    points = count_points(s.design, len(s.scenarios), axes, s.samples, s.trajectories)
    runs = points * s.replications
    if points > MAX_POINTS or runs > MAX_TOTAL_RUNS:
        raise ExperimentError(src, "experiment", f"the design has {points:,} points x {s.replications:,} "
                              f"replications = {runs:,} runs; at most {MAX_POINTS:,} points and "
                              f"{MAX_TOTAL_RUNS:,} runs (fewer steps, samples, trajectories or replications)")


def _base_scenario(name: str, variants: dict[str, dict[str, Any]], src: str) -> Scenario:
    """A scenario file by name or path, or a variant defined in the experiment's ``[variants.NAME]`` table."""
    if name not in variants:
        try:
            return load_scenario(_scenario_path(name, src))
        except ScenarioError as err:
            raise ExperimentError(src, "experiment.scenarios", f"{name!r}: {err}") from None
    overrides = dict(variants[name])
    parent = overrides.pop("extends", None)
    if not isinstance(parent, str) or parent in variants:
        raise ExperimentError(src, f"variants.{name}.extends",
                              "required: the scenario this variant changes (a name in scenarios/ or a path)")
    try:
        base = load_scenario(_scenario_path(parent, src))
    except ScenarioError as err:
        raise ExperimentError(src, f"variants.{name}.extends", str(err)) from None
    try:
        return build_scenario(apply_overrides(base.model_dump(), overrides, src), src)
    except ScenarioError as err:
        raise ExperimentError(src, f"variants.{name}.{err.key}", err.message) from None


def _scenario_path(name: str, src: str) -> str | Path:
    """Scenario names resolve in scenarios/; relative paths also beside the experiment file."""
    p = Path(name)
    if not p.is_absolute() and src and Path(src).is_file():
        beside = Path(src).parent / p
        if beside.is_file():
            return beside
    return name


def _flatten(table: dict, prefix: str = "") -> dict:
    """``{"a": {"b": [..]}}`` -> ``{"a.b": [..]}``; a table with ``low``/``high`` is a range, not a section."""
    out: dict = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not ({"low", "high", "steps"} & set(v)):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _describe(err: ValidationError, src: str) -> ExperimentError:
    errors = err.errors()
    # a union (list of values | range) reports each branch; a failed range check says most
    first = next((e for e in errors if e["type"] == "value_error"), errors[0])
    loc = [str(p) for p in first["loc"] if not isinstance(p, int)]
    # pydantic reports a union's branch ("list[any]" / "Range") in the location; drop it
    loc = [p for p in loc if p not in ("list[any]", "Range")]
    key = ".".join(loc)
    if first["type"] == "extra_forbidden":
        if len(loc) == 1:
            return ExperimentError(src, key, "unknown table; allowed: [experiment], [set], [parameters], "
                                   "[variants.NAME], [discovery]")
        model = {"experiment": ExperimentSection, "parameters": Range, "discovery": DiscoverySection}.get(
            loc[0], ExperimentSection)
        return ExperimentError(src, key, f"unknown key; allowed: {', '.join(model.model_fields)}")
    if first["type"] == "missing":
        return ExperimentError(src, key, "required key is missing")
    msg = first["msg"].removeprefix("Value error, ")
    if key.startswith("parameters.") and first["type"] != "value_error":
        msg = "give a list of values, or a range { low = ..., high = ... [, steps = N] }"
    got = first.get("input")
    if first["type"] != "value_error" and not isinstance(got, dict):
        msg = f"{msg} (got {got!r})"
    return ExperimentError(src, key, msg)


def _check_design(s: ExperimentSection, params: dict[str, list[Any] | Range], src: str) -> None:
    for key, value in params.items():
        if isinstance(value, list) and not value:
            raise ExperimentError(src, f"parameters.{key}", "list of values is empty")
        if isinstance(value, list) and len({json.dumps(v) for v in value}) != len(value):
            raise ExperimentError(src, f"parameters.{key}", "a value is listed twice")
        if s.design == "full_factorial" and isinstance(value, Range) and value.steps is None:
            raise ExperimentError(src, f"parameters.{key}", "a full_factorial range needs steps = N (or use latin_hypercube)")
    if len(set(s.scenarios)) != len(s.scenarios):
        raise ExperimentError(src, "experiment.scenarios", "a scenario is listed twice")
    if s.design in ("latin_hypercube", "sobol") and s.samples is None:
        raise ExperimentError(src, "experiment.samples", f"design {s.design!r} needs samples = N")
    if s.design in ("morris", "sobol", "latin_hypercube") and not params:
        raise ExperimentError(src, "parameters", f"design {s.design!r} needs at least one parameter")
    if s.design in ("morris", "sobol") and len(s.scenarios) != 1:
        raise ExperimentError(src, "experiment.scenarios", f"design {s.design!r} takes exactly one base scenario")
    if s.design == "sobol" and s.samples and s.samples & (s.samples - 1):
        raise ExperimentError(src, "experiment.samples", f"sobol needs a power of two (got {s.samples})")


def _check_levers(bases: dict[str, Scenario], fixed: dict, params: dict, months: int | None, src: str) -> None:
    """Every lever must be a scenario key, and its extreme values must validate."""
    for name, base in bases.items():
        data = base.model_dump()
        try:
            data = apply_overrides(data, fixed, src)
            build_scenario(data, src)
        except ScenarioError as err:
            raise ExperimentError(src, f"set.{err.key}", err.message) from None
        for key, value in params.items():
            probes = [value.low, value.high] if isinstance(value, Range) else value
            for probe in probes:
                probe = _coerce(key, probe)
                try:
                    build_scenario(apply_overrides(data, {key: probe}, src), src)
                except ScenarioError as err:
                    raise ExperimentError(src, f"parameters.{key}", err.message) from None


def _field_type(key: str) -> Any:
    spec: Any = Scenario
    ann = None
    for part in key.split("."):
        fields = getattr(spec, "model_fields", {})
        if part not in fields:
            return None  # an unknown key: apply_overrides reports it with what is allowed
        ann = spec = fields[part].annotation
    return ann


def _coerce(key: str, value: Any) -> Any:
    """Round sampled values of integer keys."""
    if _field_type(key) is int and isinstance(value, float):
        return int(round(value))
    return value


# ------------------------------------------------------------------ designs

def _grid(r: Range) -> list[float]:
    return [float(v) for v in np.linspace(r.low, r.high, r.steps)]


def design_points(s: ExperimentSection, params: dict[str, list[Any] | Range]) -> list[dict[str, Any]]:
    """The points of the design, each ``{"scenario": name, key: value, ...}``, in a fixed order."""
    names = list(params)
    if s.design == "full_factorial":
        axes = [params[k] if isinstance(params[k], list) else _grid(params[k]) for k in names]
        unit_points = [dict(zip(names, combo)) for combo in itertools.product(*axes)] if names else [{}]
    else:
        unit = _unit_samples(s, len(names))
        unit_points = [{k: _from_unit(params[k], u) for k, u in zip(names, row)} for row in unit]
    points = []
    for scen in s.scenarios:
        for p in unit_points:
            points.append({"scenario": scen, **{k: _plain(_coerce(k, v)) for k, v in p.items()}})
    return points


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _from_unit(spec: list[Any] | Range, u: float) -> Any:
    if isinstance(spec, Range):
        return float(spec.low + u * (spec.high - spec.low))
    # categorical (or a list of numbers): equal-width bins of the unit interval
    return spec[min(int(u * len(spec)), len(spec) - 1)]


def salib_problem(names: list[str]) -> dict:
    """The SALib problem over the unit hypercube (values are mapped to levers afterwards)."""
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def _unit_samples(s: ExperimentSection, k: int) -> np.ndarray:
    seed = derive_seed(s.seed, "design", s.design) % (2**32)
    if s.design == "latin_hypercube":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=k, seed=np.random.default_rng(seed)).random(s.samples)
    problem = salib_problem([f"x{i}" for i in range(k)])
    if s.design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, s.trajectories, num_levels=s.levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, s.samples, calc_second_order=False, seed=seed)


def describe_design(exp: Experiment) -> str:
    """One line describing the design: points, replications, runs, scenarios and levers."""
    s = exp.settings
    levers = ", ".join(exp.parameter_names) or "none"
    return (f"{exp.name}: {s.design}, {len(exp.points)} points x {s.replications} replications = "
            f"{exp.n_runs} runs over {', '.join(s.scenarios)}; levers: {levers}")


__all__ = [
    "DESIGNS", "EXPERIMENT_DIR", "Experiment", "ExperimentError", "Range", "RunSpec", "describe_design",
    "design_points", "load_experiment", "run_key", "salib_problem",
]
