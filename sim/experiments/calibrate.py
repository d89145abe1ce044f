"""ABC-SMC calibration against the target table (``partnersim calibrate``), with pyabc.

A calibration file (TOML) names a scenario, the assumption parameters to fit
with their prior ranges (uniform), and the budget::

    [calibration]
    title = "Smoke calibration"
    scenario = "baseline"        # a name in scenarios/ or a path
    populations = 20             # particles per generation
    generations = 3              # at most this many generations (in total, across resumes)
    minimum_epsilon = 1.0        # stop once epsilon is this small (1 = every target on average at its tolerance)
    seeds = 1                    # replications per simulation; the simulation's value is their mean
    months = 48                  # optional: horizon of every run
    seed = 2026                  # base seed of every run's seeds
    min_acceptance_rate = 0.02   # stop when fewer particles than this are accepted
    targets = ["reoffending_rate"]   # optional: a subset of sim.calibration.TARGETS (default: all produced)

    [set]                        # fixed overrides for every run
    "sector.charities" = 60

    [parameters]                 # uniform priors on scenario keys
    "sector.subsidy" = { low = 0.0, high = 1.5 }

The distance is :func:`sim.calibration.distance`: each target's error scaled by
its tolerance, root mean square over the targets the model produces. Every
simulation's seeds derive from the base seed and the parameter values, so the
same particle always gives the same value. Generations are stored in pyabc's
History database (``calibration.db``) as they finish; running the same command
again resumes from the last finished generation (``ABCSMC.load``). After each
generation the posterior is written: ``posterior.parquet`` (the last
generation's parameter draws with their weights) and ``posterior.json`` (the
manifest: targets, seeds, epsilon schedule, point estimate, versions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..calibration import TARGETS, Target, distance, produced
from ..runner import derive_seed, package_versions
from ..scenario import ScenarioError, apply_overrides, build_scenario, load_scenario
from .design import (EXPERIMENT_DIR, ExperimentError, _coerce, _flatten, _scenario_path, resolve_experiment_path,
                     shown_source)

DB_NAME = "calibration.db"
POSTERIOR_NAME = "posterior.parquet"
MANIFEST_NAME = "posterior.json"
STATE_NAME = "calibration_state.json"


# ------------------------------------------------------------------ the calibration file

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Prior(_Strict):
    """A uniform prior on one scenario key."""

    low: float
    high: float

    @field_validator("high")
    @classmethod
    def _ordered(cls, high: float, info: Any) -> float:
        low = info.data.get("low")
        if low is not None and high <= low:
            raise ValueError(f"high must be greater than low ({low})")
        return high


class CalibrationSection(_Strict):
    title: str = "Untitled calibration"
    description: str = ""
    scenario: str = "baseline"
    populations: int = Field(50, ge=2, le=100_000, description="particles per generation")
    generations: int = Field(5, ge=1, le=1000, description="generations in total (across resumes)")
    minimum_epsilon: float = Field(1.0, ge=0.0, description="stop once epsilon is at most this")
    seeds: int = Field(2, ge=1, le=1000, description="replications per simulation")
    months: int | None = Field(None, ge=1, le=1200)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    min_acceptance_rate: float = Field(0.02, ge=0.0, le=1.0)
    targets: list[str] | None = None

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        known = [t.name for t in TARGETS]
        for n in names:
            if n not in known:
                raise ValueError(f"unknown target {n!r}; allowed: {', '.join(known)}")
        if not names:
            raise ValueError("give at least one target, or leave targets out to use every produced one")
        return names


class CalibrationFile(_Strict):
    calibration: CalibrationSection
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Prior] = Field(..., min_length=1)


@dataclass
class Calibration:
    """A validated calibration: where it came from, its settings, the scenario and the priors."""

    source: str
    name: str
    settings: CalibrationSection
    fixed: dict[str, Any]
    priors: dict[str, Prior]
    scenario: dict  # the base scenario with [set] and months applied, as plain data

    @property
    def targets(self) -> list[Target]:
        """The calibration targets this file fits (all targets when it names none)."""
        wanted = self.settings.targets
        return [t for t in TARGETS if wanted is None or t.name in wanted]

    def resolved(self) -> dict:
        """The calibration as resolved: settings, fixed overrides, priors and base scenario."""
        return {"settings": self.settings.model_dump(mode="json"), "set": self.fixed,
                "parameters": {k: v.model_dump() for k, v in self.priors.items()}, "scenario": self.scenario}

    def fingerprint(self) -> str:
        """A hash of everything that decides the simulations (not the budget: more generations may be added)."""
        data = self.resolved()
        data["settings"] = {k: v for k, v in data["settings"].items()
                            if k not in ("generations", "minimum_epsilon", "min_acceptance_rate", "title",
                                         "description")}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_calibration(name: str | Path | dict, source: str | None = None) -> Calibration:
    """Read and validate a calibration file (or an equivalent dict).

    Raises:
        ExperimentError: one line naming the file, the key and what is allowed.
    """
    if isinstance(name, dict):
        data, src, stem = dict(name), source or "calibration", source or "calibration"
    else:
        path = resolve_experiment_path(name)
        src, stem = str(path), path.stem
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ExperimentError(src, "", f"malformed TOML ({err})") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ExperimentError(src, "", f"cannot read file ({err})") from None
    for table in ("set", "parameters"):
        if isinstance(data.get(table), dict):
            data[table] = _flatten(data[table])
    try:
        spec = CalibrationFile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        if first["type"] == "extra_forbidden":
            msg = ("unknown table; allowed: [calibration], [set], [parameters]" if "." not in key else
                   f"unknown key; allowed: {', '.join(CalibrationSection.model_fields)}"
                   if key.startswith("calibration.") else "unknown key; a prior is { low = ..., high = ... }")
        elif first["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = first["msg"].removeprefix("Value error, ")
            if first["type"] != "value_error":
                msg = f"{msg} (got {first.get('input')!r})"
        raise ExperimentError(src, key, msg) from None
    s = spec.calibration
    try:
        base = load_scenario(_scenario_path(s.scenario, src))
    except ScenarioError as err:
        raise ExperimentError(src, "calibration.scenario", f"{s.scenario!r}: {err}") from None
    fixed = dict(spec.set)
    if s.months is not None:
        fixed["run.months"] = s.months
    try:
        data = apply_overrides(base.model_dump(mode="json"), fixed, src)
        build_scenario(data, src)
    except ScenarioError as err:
        raise ExperimentError(src, f"set.{err.key}", err.message) from None
    for key, prior in spec.parameters.items():
        for probe in (prior.low, prior.high):
            try:
                build_scenario(apply_overrides(data, {key: _coerce(key, probe)}, src), src)
            except ScenarioError as err:
                raise ExperimentError(src, f"parameters.{key}", err.message) from None
    cal = Calibration(src, stem, s, fixed, dict(spec.parameters), data)
    have, _ = produced(cal.targets)
    if not have:
        raise ExperimentError(src, "calibration.targets", "none of these targets is produced by the model yet")
    return cal


# ------------------------------------------------------------------ simulation and distance (run on workers)

def _safe(key: str) -> str:
    """pyabc parameter names: dots are not allowed in its database columns' handling, so map them."""
    return key.replace(".", "__")


def _unsafe(name: str) -> str:
    return name.replace("__", ".")


@dataclass
class ScenarioSimulator:
    """Runs the calibrated scenario for one particle and returns the target metrics (mean over seeds)."""

    scenario: dict
    keys: list[str]
    metrics: list[str]
    seeds: int
    base_seed: int

    def overrides(self, par: Mapping[str, float]) -> dict[str, Any]:
        """Scenario overrides for one parameter draw, coerced to each key's type."""
        return {k: _coerce(k, float(par[_safe(k)])) for k in self.keys}

    def seeds_for(self, overrides: Mapping[str, Any]) -> list[int]:
        """The seeds of the runs for one set of overrides (derived from the base seed and the overrides)."""
        text = json.dumps(overrides, sort_keys=True)
        return [derive_seed(self.base_seed, "calibrate", text, i) for i in range(self.seeds)]

    def __call__(self, par: Mapping[str, float]) -> dict[str, float]:
        from ..runner import run

        ov = self.overrides(par)
        sc = build_scenario(apply_overrides(self.scenario, ov, "calibrate"), "calibrate")
        finals = [run(sc, s).final for s in self.seeds_for(ov)]
        out = {}
        for m in self.metrics:
            x = np.array([f.get(m, np.nan) for f in finals], dtype=float)
            x = x[np.isfinite(x)]
            out[m] = float(x.mean()) if x.size else float("nan")
        return out


@dataclass
class TargetDistance:
    """pyabc distance: :func:`sim.calibration.distance` over the given targets (observed data unused)."""

    targets: list[Target]

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, float] | None = None) -> float:
        return distance({k: float(v) for k, v in x.items()}, self.targets)


# ------------------------------------------------------------------ the ABC-SMC loop

@dataclass
class CalibrationResult:
    """What a calibration did: its generations, posterior sample, manifest and timing."""
    out_dir: Path
    generations: pd.DataFrame
    posterior: pd.DataFrame
    manifest: dict
    resumed: bool = False
    seconds: float = 0.0
    stopped_because: str = ""
    new_simulations: int = 0

    def lines(self) -> list[str]:
        """Human-readable summary lines: generations, simulations, stopping reason and the posterior."""
        est = self.manifest.get("point_estimate", {})
        out = [f"{len(self.generations)} generations, {self.manifest.get('simulations', 0)} simulations in total "
               f"({self.new_simulations} this time, {self.seconds:.1f} s); stopped: {self.stopped_because}"]
        if est:
            out.append("posterior (weighted mean [2.5%, 97.5%]):")
            for k, v in est.items():
                out.append(f"  {k} = {v['mean']:.4g} [{v['q025']:.4g}, {v['q975']:.4g}]")
        out.append(f"posterior: {self.out_dir / POSTERIOR_NAME} (manifest {MANIFEST_NAME})")
        return out


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    x, w = x[order], w[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return float(np.interp(q, cw, x))


def point_estimate(posterior: pd.DataFrame, keys: Sequence[str]) -> dict[str, dict[str, float]]:
    """Weighted mean, median and 95% interval of each parameter in a posterior frame."""
    w = posterior["weight"].to_numpy(float)
    out = {}
    for k in keys:
        x = posterior[k].to_numpy(float)
        out[k] = {"mean": float(np.average(x, weights=w)), "median": _weighted_quantile(x, w, 0.5),
                  "q025": _weighted_quantile(x, w, 0.025), "q975": _weighted_quantile(x, w, 0.975)}
    return out


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _versions() -> dict[str, str]:
    import importlib.metadata

    v = package_versions()
    for n in ("pyabc", "distributed"):
        try:
            v[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            v[n] = "not installed"
    return v


def run_abc(
    simulator: Callable[[Mapping[str, float]], dict[str, float]],
    priors: Mapping[str, Prior | tuple[float, float]],
    targets: Sequence[Target],
    out_dir: str | Path,
    *,
    populations: int,
    generations: int,
    minimum_epsilon: float = 0.0,
    min_acceptance_rate: float = 0.0,
    sampler: Any = None,
    fingerprint: str = "",
    manifest_extra: Mapping[str, Any] | None = None,
    announce: Callable[[str], None] | None = None,
    numpy_seed: int | None = None,
) -> CalibrationResult:
    """ABC-SMC of ``simulator`` against ``targets``; resumable from ``out_dir/calibration.db``.

    Args:
        simulator: ``par -> {metric: value}``, ``par`` keyed by the priors' keys with dots as ``__``.
        priors: key -> uniform prior (``Prior`` or ``(low, high)``).
        targets: the targets whose metrics the simulator returns; the distance is on them.
        sampler: a pyabc sampler (default: single core).
        fingerprint: stored beside the database; a resume with a different one is refused.
        numpy_seed: seeds numpy's global generator, which pyabc samples from (for reproducible tests).
    """
    import logging

    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)  # our own progress lines replace pyabc's
    logging.getLogger("Epsilon").setLevel(logging.WARNING)
    logging.getLogger("Distance").setLevel(logging.WARNING)
    say = announce or (lambda line: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / DB_NAME
    state_path = out / STATE_NAME
    priors = {k: (v if isinstance(v, Prior) else Prior(low=v[0], high=v[1])) for k, v in priors.items()}
    keys = list(priors)
    if numpy_seed is not None:
        np.random.seed(numpy_seed % 2**32)

    prior = pyabc.Distribution(**{_safe(k): pyabc.RV("uniform", p.low, p.high - p.low) for k, p in priors.items()})
    sampler = sampler or pyabc.sampler.SingleCoreSampler()

    def make_abc():
        # a fresh ABCSMC for every generation, loaded from the database: exactly the path of a resume after a
        # crash (an ABCSMC object caches the population it calibrated from, so it is not reused)
        return pyabc.ABCSMC(simulator, prior, TargetDistance(list(targets)), population_size=populations,
                            sampler=sampler)

    abc = make_abc()
    db = f"sqlite:///{db_path.resolve()}"
    resumed = False
    if db_path.is_file() and state_path.is_file():
        state = json.loads(state_path.read_text())
        if fingerprint and state.get("fingerprint") != fingerprint:
            from ..errors import UsageError

            raise UsageError(f"{out}: holds a calibration of a different experiment or settings; nothing was "
                             "changed; give another --out")
        abc_id = int(state.get("abc_id", 1))
        history = abc.load(db, abc_id)
        resumed = True
        say(f"resuming from {db_path}: {max(history.max_t + 1, 0)} generations already done")
    else:
        if db_path.exists():  # never delete what we did not write: the user decides
            from ..errors import UsageError

            raise UsageError(f"{out}: holds {DB_NAME} without {STATE_NAME} (not a calibration this command "
                             "started, or one that crashed while starting); nothing was changed; give another --out")
        observed = {t.metric: float(t.published) for t in targets}
        history = abc.new(db, observed, meta_info={"fingerprint": fingerprint})
        abc_id = int(history.id)
        _atomic_write(state_path, lambda p: p.write_text(json.dumps({"fingerprint": fingerprint,
                                                                     "abc_id": int(history.id)})))
    start = time.perf_counter()
    sims_before = int(history.total_nr_simulations) if history.max_t >= 0 else 0
    stopped = ""
    result_manifest: dict = {}
    posterior = pd.DataFrame()
    while True:
        done = history.max_t + 1
        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0]
        if done >= generations:
            stopped = f"reached {generations} generations"
            break
        if done > 0 and float(pops["epsilon"].iloc[-1]) <= minimum_epsilon:
            stopped = f"epsilon {float(pops['epsilon'].iloc[-1]):.3g} at or below the minimum {minimum_epsilon:g}"
            break
        if done > 0 and min_acceptance_rate > 0:
            last = pops.iloc[-1]
            if last["particles"] / max(last["samples"], 1) < min_acceptance_rate:
                stopped = f"acceptance rate below {min_acceptance_rate:g}"
                break
        if done > 0:
            abc = make_abc()
            abc.load(db, abc_id)
        history = abc.run(minimum_epsilon=minimum_epsilon, max_nr_populations=1,
                          min_acceptance_rate=min_acceptance_rate)
        if history.max_t + 1 == done:
            stopped = "the last generation could not be completed (acceptance rate too low)"
            break
        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0]
        row = pops.iloc[-1]
        rate = row["particles"] / max(row["samples"], 1)
        posterior = _posterior_frame(history, keys)
        result_manifest = _manifest(pops, posterior, keys, priors, targets, fingerprint, manifest_extra)
        _write_posterior(out, posterior, result_manifest)
        say(f"generation {int(row['t'])}: epsilon {row['epsilon']:.4g}, acceptance rate {rate:.3f} "
            f"({int(row['particles'])} of {int(row['samples'])} accepted), {row['wall_time']:.1f} s")
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    if history.max_t >= 0 and posterior.empty:
        posterior = _posterior_frame(history, keys)
        result_manifest = _manifest(pops, posterior, keys, priors, targets, fingerprint, manifest_extra)
        _write_posterior(out, posterior, result_manifest)
    sims_after = int(history.total_nr_simulations) if history.max_t >= 0 else 0
    result_manifest["stopped_because"] = stopped
    result_manifest["simulations"] = sims_after  # including pyabc's calibration sample from the prior
    if history.max_t >= 0:
        _write_posterior(out, posterior, result_manifest)
    return CalibrationResult(out, pops, posterior, result_manifest, resumed, time.perf_counter() - start, stopped,
                             sims_after - sims_before)


def _posterior_frame(history: Any, keys: Sequence[str]) -> pd.DataFrame:
    frame, w = history.get_distribution(m=0, t=history.max_t)
    frame = frame.rename(columns=_unsafe).reset_index(drop=True)
    frame = frame[list(keys)].astype(float)
    frame.insert(0, "weight", np.asarray(w, float) / float(np.sum(w)))
    frame.insert(0, "draw", np.arange(len(frame)))
    frame.insert(0, "generation", int(history.max_t))
    return frame


def _manifest(pops, posterior, keys, priors, targets, fingerprint, extra) -> dict:
    gens = [{"generation": int(r["t"]), "epsilon": float(r["epsilon"]), "samples": int(r["samples"]),
             "accepted": int(r["particles"]), "acceptance_rate": float(r["particles"] / max(r["samples"], 1)),
             "seconds": None if r["wall_time"] is None or not math.isfinite(float(r["wall_time"]))
             else float(r["wall_time"])} for _, r in pops.iterrows()]
    return {
        "kind": "posterior",
        "fingerprint": fingerprint,
        "parameters": {k: {"prior": "uniform", "low": p.low, "high": p.high} for k, p in priors.items()},
        "targets": [{"name": t.name, "metric": t.metric, "published": t.published, "low": t.low, "high": t.high,
                     "source": t.source} for t in targets],
        "distance": "root mean square of each target's error scaled by its tolerance (sim.calibration.distance)",
        "generations": gens,
        "simulations": int(sum(g["samples"] for g in gens)),
        "draws": len(posterior),
        "point_estimate": point_estimate(posterior, keys) if len(posterior) else {},
        "versions": _versions(),
        **dict(extra or {}),
    }


def _write_posterior(out: Path, posterior: pd.DataFrame, manifest: dict) -> None:
    _atomic_write(out / POSTERIOR_NAME, lambda p: posterior.to_parquet(p, index=False))
    _atomic_write(out / MANIFEST_NAME, lambda p: p.write_text(json.dumps(manifest, indent=1, default=str)))


# ------------------------------------------------------------------ the scenario calibration

def calibrate(cal: Calibration, out_dir: str | Path, workers: int | None = None, scheduler: str | None = None,
              announce: Callable[[str], None] | None = None) -> CalibrationResult:
    """Run (or resume) a scenario calibration on the embedded Dask cluster, an existing one, or in this process."""
    have, missing = produced(cal.targets)
    say = announce or (lambda line: None)
    if missing:
        say("targets not yet produced by the model (left out of the distance): " + ", ".join(t.name for t in missing))
    s = cal.settings
    simulator = ScenarioSimulator(cal.scenario, list(cal.priors), sorted({t.metric for t in have}), s.seeds, s.seed)
    extra = {
        "calibration": {"source": shown_source(cal.source), "name": cal.name, **cal.resolved()},
        "seeds": {"per_simulation": s.seeds, "base_seed": s.seed,
                  "rule": "derive_seed(base_seed, 'calibrate', json of the particle's overrides, replication)"},
        "targets_not_produced": [t.name for t in missing],
    }
    from .engine import _Cluster

    import warnings

    with warnings.catch_warnings():  # "port 8787 in use": the scheduler's plain HTTP server then takes another port
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = _Cluster(workers, scheduler)
    try:
        import pyabc

        if cluster.client is None:
            sampler = pyabc.sampler.SingleCoreSampler()
        else:
            sampler = pyabc.sampler.DaskDistributedSampler(dask_client=cluster.client,
                                                           client_max_jobs=2 * cluster.workers, batch_size=1)
        say(f"{cal.name}: {s.populations} particles a generation, up to {s.generations} generations, "
            f"{s.seeds} seeds a simulation, {len(cal.priors)} parameters, {len(have)} targets, "
            f"{cluster.workers} workers")
        result = run_abc(simulator, cal.priors, have, out_dir, populations=s.populations, generations=s.generations,
                         minimum_epsilon=s.minimum_epsilon, min_acceptance_rate=s.min_acceptance_rate,
                         sampler=sampler, fingerprint=cal.fingerprint(), manifest_extra=extra, announce=say,
                         numpy_seed=derive_seed(s.seed, "abc") if cluster.client is None else None)
    finally:
        if cluster.cluster is not None:
            _wait_until_idle(cluster.client)
        cluster.close()
    return result


def _wait_until_idle(client: Any, timeout: float = 120.0) -> None:
    """Let the embedded workers finish the runs pyabc cancelled but could not interrupt.

    A worker still inside a model run when its scheduler closes logs a heartbeat
    traceback; waiting for idle threads keeps the end of a calibration quiet.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            busy = client.run(lambda dask_worker: len(dask_worker.active_threads))
        except Exception:  # noqa: BLE001 - a cluster already going away: nothing to wait for
            return
        if not any(busy.values()):
            return
        time.sleep(0.5)


# ------------------------------------------------------------------ command line

def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand to the parser."""
    p = sub.add_parser("calibrate", help="ABC-SMC calibration against the published figures (pyabc; resumable)",
                       description="Fit the assumption parameters of a calibration file to the target table "
                       "(docs/calibration.md) with ABC-SMC; run the same command again to resume.")
    p.add_argument("experiment", help="calibration file (path, or a name in experiments/)")
    p.add_argument("--out", help="results folder (default: results/EXPERIMENT_NAME)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, help="workers of the embedded Dask cluster (default: all cores; 0 = in this process)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="use an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``partnersim calibrate``: run or resume an ABC-SMC calibration and write its posterior."""
    from ..errors import UsageError
    from .outdir import claim, refuse_other_results

    if args.workers is not None and args.workers < 0:
        raise UsageError(f"--workers: must be 0 or more (got {args.workers})")
    cal = load_calibration(args.experiment)
    out = Path(args.out) if args.out else Path("results") / cal.name
    announce = (lambda line: print(line, file=sys.stderr, flush=True))
    # the path is checked and the folder locked, as for every other command that writes results; a folder
    # of other results (a sweep's, a run's) is refused, one of a calibration is resumed (run_abc checks it is
    # the same experiment)
    with claim(out):
        refuse_other_results(out, accept=lambda manifest: (out / STATE_NAME).is_file())
        result = calibrate(cal, out, workers=args.workers, scheduler=args.scheduler, announce=announce)
    if args.json:
        print(json.dumps({"experiment": cal.source, "out": str(out), "stopped_because": result.stopped_because,
                          "seconds": round(result.seconds, 2), "new_simulations": result.new_simulations,
                          "generations": result.manifest.get("generations", []),
                          "point_estimate": result.manifest.get("point_estimate", {})}))
    else:
        print("\n".join(result.lines()))
    return 0


__all__ = ["Calibration", "CalibrationResult", "Prior", "ScenarioSimulator", "TargetDistance", "calibrate",
           "cmd_calibrate", "load_calibration", "point_estimate", "register", "run_abc", "EXPERIMENT_DIR"]
