"""Running a scenario over seeds, summarising, and writing results to disk.

This is the layer the command line, the experiment engine and the dashboard
call; the model itself knows nothing of it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import metrics_of
from .scenario import Scenario, load_scenario


def derive_seed(base_seed: int, *key: int | str) -> int:
    """A 63-bit seed from a base seed and a run key (numpy SeedSequence).

    The same (base, key) always gives the same seed, independent of how many
    runs there are, the order they finish or the number of workers.
    """
    words = [int(base_seed)]
    for k in key:
        if isinstance(k, str):
            words.append(int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], "little"))
        else:
            words.append(int(k))
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0] >> np.uint64(1))


def replication_seeds(scenario: Scenario, n: int) -> list[int]:
    """Seeds of replications 0..n-1 of a scenario (from ``run.seed``)."""
    return [derive_seed(scenario.run.seed, i) for i in range(n)]


@dataclass
class RunResult:
    """One run: monthly metrics (one row a month) and end-of-run metrics."""

    seed: int
    monthly: pd.DataFrame
    final: dict[str, float]


def run(scenario: Scenario, seed: int | None = None, model_cls: type | None = None) -> RunResult:
    """Run one scenario with one seed to its horizon."""
    from .model import PartnershipModel

    cls = model_cls or PartnershipModel
    seed = scenario.run.seed if seed is None else seed
    model = cls(scenario, seed=seed)
    model.run_for(scenario.run.months)
    monthly = model.monthly_frame()
    final = {m: float(monthly[m].iloc[-1]) for m in cls.metrics.names}
    return RunResult(seed, monthly, final)


def run_seeds(
    scenario: Scenario,
    seeds: int | Sequence[int],
    progress: bool | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    model_cls: type | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run several seeds; returns (monthly, final) tidy DataFrames with a ``seed`` column.

    Args:
        seeds: a count (replication seeds derived from ``run.seed``) or explicit seeds.
        progress: show a progress bar (default: when stdout is a terminal and >1 seed).
    """
    seed_list = replication_seeds(scenario, seeds) if isinstance(seeds, int) else list(seeds)
    if progress is None:
        progress = sys.stdout.isatty() and len(seed_list) > 1
    iterator: Iterable[int] = seed_list
    if progress:
        from tqdm import tqdm

        iterator = tqdm(seed_list, desc=scenario.run.title[:30], unit="run")
    monthly, finals = [], []
    for i, s in enumerate(iterator):
        res = run(scenario, s, model_cls)
        if on_result:
            on_result(res)
        m = res.monthly
        m.insert(0, "replication", i)
        m.insert(0, "seed", s)
        monthly.append(m)
        finals.append({"seed": s, "replication": i, **res.final})
    return pd.concat(monthly, ignore_index=True), pd.DataFrame(finals)


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and a t-based confidence interval (the mean itself when n < 2 or no spread)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2 or np.all(x == x[0]):
        return m, m, m
    from scipy import stats  # imported here: sweeps' workers never need it, and it is slow to import

    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def summarise(final: pd.DataFrame, metrics: Sequence[str] | None = None, model_cls: type | None = None) -> pd.DataFrame:
    """Per metric: end-of-run mean and 95% CI over seeds.

    Args:
        metrics: names to summarise (default: every metric of ``model_cls`` present in ``final``,
            then any other numeric column a custom model recorded).
    """
    if metrics is None:
        declared = metrics_of(model_cls).names
        metrics = [m for m in declared if m in final.columns]
    rows = []
    for name in metrics:
        m, lo, hi = mean_ci(final[name])
        rows.append({"metric": name, "mean": m, "ci_low": lo, "ci_high": hi, "n": int(final[name].notna().sum())})
    return pd.DataFrame(rows).set_index("metric")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages results depend on (for the manifest)."""
    names = ["partnersim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic"]
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def write_results(out_dir: Path, scenario: Scenario, monthly: pd.DataFrame, final: pd.DataFrame, source: str) -> list[Path]:
    """Write monthly.parquet, runs.parquet and manifest.json into ``out_dir``.

    Each file is written to a temporary name and renamed, so a crash never
    leaves a half-written file and nothing already there is lost until the
    new file is complete.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("monthly.parquet", monthly), ("runs.parquet", final)):
        target = out_dir / name
        tmp = target.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
        written.append(target)
    manifest = {
        "scenario_source": source,
        "scenario": scenario.model_dump(mode="json"),
        "seeds": [int(s) for s in final["seed"]],
        "versions": package_versions(),
        "metrics": [c for c in final.columns if c not in ("seed", "replication")],
    }
    target = out_dir / "manifest.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp, target)
    written.append(target)
    return written


__all__ = [
    "RunResult", "derive_seed", "replication_seeds", "run", "run_seeds", "mean_ci", "summarise",
    "write_results", "package_versions", "load_scenario",
]
