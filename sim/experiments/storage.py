"""Results on disk as they finish, so a sweep survives a crash and resumes.

Layout of a sweep's output folder::

    manifest.json        written first: the experiment as resolved, code and package versions, seeds
    parts/KEY.SHA.parquet     one finished run (monthly rows), written to a temporary name then renamed
    parts/KEY.SHA.error.json  one failed run: its key, point, error, and whether the model or the
                              infrastructure failed (a run lost with its worker is redone on resume)
    runs.parquet         consolidated at the end: one row per run (parameters, seed, status, final metrics)
    monthly.parquet      consolidated at the end: one row per run and month

A part file is trusted only if it reads back whole: the SHA-256 of its bytes
must match the one in its name, Parquet's footer must parse, every data
page's CRC must match, and the run key stored inside must be the one its
name promises. Anything else (a truncated file, flipped bytes, an empty
file, a leftover ``.tmp``) is deleted and the run is done again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .design import Experiment, RunSpec

MANIFEST = "manifest.json"
PARTS = "parts"
FORMAT_VERSION = 1
HASH_CHARS = 16
PART_NAME = re.compile(r"(?P<key>[0-9a-f]+)\.(?P<sha>[0-9a-f]{%d})\.(?P<suffix>parquet|error\.json)" % HASH_CHARS)


def code_version() -> dict[str, str]:
    """The package version, and the git commit when the code runs from a checkout."""
    from .. import __version__

    out = {"partnersim": __version__}
    root = Path(__file__).resolve().parent.parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if commit.returncode == 0:
            out["git_commit"] = commit.stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--", "sim"], cwd=root,
                                   capture_output=True, text=True, timeout=5)
            out["git_dirty"] = str(bool(dirty.stdout.strip())).lower()
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    # a temporary name of this process's own: two writers never rename each other's file away
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def write_json(target: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``target`` atomically (a temporary file, then a rename)."""
    _atomic_write_bytes(target, json.dumps(obj, indent=2, default=str).encode())


class SweepStore:
    """The on-disk state of one sweep (see the module docstring for the layout)."""

    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir)
        self.parts = self.dir / PARTS
        self.results: dict[str, Path] = {}  # run key -> its verified result file
        self.errors: dict[str, Path] = {}   # run key -> its verified failure record

    # -------------------------------------------------------------- manifest
    @property
    def manifest_path(self) -> Path:
        """Path of the folder's manifest file."""
        return self.dir / MANIFEST

    def read_manifest(self) -> dict | None:
        """The folder's manifest, or ``None`` if missing or unreadable."""
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return None

    def start(self, exp: Experiment, runs: list[RunSpec], versions: dict[str, str]) -> dict | None:
        """Create the folder and write the manifest first; returns the earlier manifest when resuming."""
        self.parts.mkdir(parents=True, exist_ok=True)
        previous = self.read_manifest()
        manifest = {
            "kind": "sweep",
            "format_version": FORMAT_VERSION,
            "experiment": exp.resolved(),
            "fingerprint": exp.fingerprint(),
            "code_version": code_version(),
            "versions": versions,
            "metrics": exp.metrics,
            "model": exp.settings.model or "sim.model:PartnershipModel",
            "seeds": {
                "base_seed": exp.settings.seed,
                "seeding": exp.settings.seeding,
                "rule": {"paired": "sim.derive_seed(base_seed, 'replication-<r>'): the same seeds at every point",
                         "scenario": "sim.derive_seed(scenario run.seed, replication)",
                         "per_run": "sim.derive_seed(base_seed, run_key)"}[exp.settings.seeding],
                "runs": {r.key: r.seed for r in runs},
            },
            "n_runs": len(runs),
            "started": (previous or {}).get("started") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "status": "running",
        }
        if previous is not None:
            manifest["resumed"] = [*previous.get("resumed", []), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())]
        write_json(self.manifest_path, manifest)
        return previous

    def finish(self, summary: dict) -> None:
        """Mark the manifest complete or incomplete and record the sweep's summary."""
        manifest = self.read_manifest() or {}
        manifest.update(status="complete" if summary.get("left", 0) == 0 else "incomplete", summary=summary,
                        finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_json(self.manifest_path, manifest)

    # -------------------------------------------------------------- parts
    # A part's name carries its run key and the SHA-256 of its bytes: KEY.SHA.parquet or
    # KEY.SHA.error.json. Files are complete when they appear (written aside, then renamed),
    # and any damage afterwards shows as a checksum that no longer matches the name.

    def _write_part_bytes(self, key: str, suffix: str, data: bytes) -> Path:
        digest = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
        target = self.parts / f"{key}.{digest}.{suffix}"
        _atomic_write_bytes(target, data)
        for old in self.parts.glob(f"{key}.*"):  # an earlier failure (or result) of the same run
            if old != target and not old.name.endswith(".tmp"):
                old.unlink(missing_ok=True)
        (self.results if suffix == "parquet" else self.errors)[key] = target
        (self.errors if suffix == "parquet" else self.results).pop(key, None)
        return target

    def write_part(self, run: RunSpec, monthly: pd.DataFrame) -> Path:
        """One finished run: its monthly rows, with the key in the file's metadata."""
        table = pa.Table.from_pandas(monthly, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"partnersim.run_key"] = run.key.encode()
        table = table.replace_schema_metadata(meta)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, write_page_checksum=True)
        return self._write_part_bytes(run.key, "parquet", sink.getvalue().to_pybytes())

    def write_error(self, run: RunSpec, error: str, cause: str = "model") -> Path:
        """One failed run. ``cause`` is ``model`` (the run raised) or ``infrastructure`` (its worker was lost)."""
        record = {"run_key": run.key, "point": run.point, "scenario": run.scenario_name, "params": run.params,
                  "replication": run.replication, "seed": run.seed, "error": error, "cause": cause}
        return self._write_part_bytes(run.key, "error.json", json.dumps(record, indent=2, default=str).encode())

    @staticmethod
    def _verified_bytes(path: Path) -> bytes:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise CorruptPart(f"{path.name}: {err.strerror}") from None
        expected = path.name.split(".")[1]
        if hashlib.sha256(data).hexdigest()[:HASH_CHARS] != expected:
            raise CorruptPart(f"{path.name}: checksum does not match (file truncated or changed)")
        return data

    def read_part(self, key: str) -> pd.DataFrame:
        """A finished run's monthly rows, verified; raises ``CorruptPart`` when they cannot be trusted."""
        path = self.results[key]
        data = self._verified_bytes(path)
        try:
            table = pq.read_table(pa.BufferReader(data), page_checksum_verification=True)
        except Exception as err:  # noqa: BLE001 - any read failure means the file is not trustworthy
            raise CorruptPart(f"{path.name}: {type(err).__name__}: {err}") from None
        if (table.schema.metadata or {}).get(b"partnersim.run_key") != key.encode():
            raise CorruptPart(f"{path.name}: run key in the file does not match its name")
        return table.to_pandas()

    def read_error(self, key: str) -> dict:
        """The recorded error of a failed run (CorruptPart if the record is damaged)."""
        path = self.errors[key]
        try:
            record = json.loads(self._verified_bytes(path))
        except ValueError as err:
            raise CorruptPart(f"{path.name}: {err}") from None
        if record.get("run_key") != key or "error" not in record:
            raise CorruptPart(f"{path.name}: incomplete record")
        return record

    def scan(self, keys: set[str], retry_failed: bool = False) -> tuple[set[str], set[str], list[str]]:
        """What is already on disk: (done keys, failed keys, notes about damaged files redone).

        Leftover temporary files are deleted; so are part files that do not
        verify (their runs will be done again). Files of runs that are not in
        the experiment, and files this code did not name, are left alone.
        """
        self.results, self.errors = {}, {}
        notes: list[str] = []
        if not self.parts.is_dir():
            return set(), set(), notes
        for path in sorted(self.parts.iterdir()):
            if path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                continue
            m = PART_NAME.fullmatch(path.name)
            if not m or m["key"] not in keys:
                continue
            key, is_result = m["key"], m["suffix"] == "parquet"
            (self.results if is_result else self.errors)[key] = path
            try:
                self.read_part(key) if is_result else self.read_error(key)
            except CorruptPart as err:
                notes.append(f"redoing a run whose {'result' if is_result else 'error'} file is damaged ({err})")
                path.unlink(missing_ok=True)
                (self.results if is_result else self.errors).pop(key)
        for key in set(self.errors) & set(self.results):  # a retry succeeded; the old failure is stale
            self.errors.pop(key).unlink(missing_ok=True)
        for key in list(self.errors):  # runs lost with their worker are not the model's fault: redo them
            record = self.read_error(key)
            if record.get("cause", "infrastructure" if record["error"].startswith("KilledWorker") else "model") \
                    == "infrastructure":
                notes.append(f"redoing run {key}, lost last time to the infrastructure")
                self.errors.pop(key).unlink(missing_ok=True)
        if retry_failed:
            for path in self.errors.values():
                path.unlink(missing_ok=True)
            self.errors = {}
        return set(self.results), set(self.errors), notes

    # -------------------------------------------------------------- consolidation
    def consolidate(self, exp: Experiment, runs: Iterator[RunSpec], metrics: list[str]) -> dict:
        """Write runs.parquet and monthly.parquet from the part files, in design order.

        Memory holds one run's monthly rows at a time (streamed into row groups).
        """
        run_rows: list[dict] = []
        writer: pq.ParquetWriter | None = None
        monthly_target = self.dir / "monthly.parquet"
        monthly_tmp = monthly_target.with_name(monthly_target.name + ".tmp")
        batch: list[pd.DataFrame] = []
        batch_rows = 0
        counts = {"ok": 0, "failed": 0, "missing": 0}

        def flush() -> None:
            nonlocal writer, batch, batch_rows
            if not batch:
                return
            table = pa.Table.from_pandas(pd.concat(batch, ignore_index=True), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(monthly_tmp, table.schema, write_page_checksum=True)
            writer.write_table(table.cast(writer.schema))
            batch, batch_rows = [], 0

        for run in runs:
            row = {"run_key": run.key, "point": run.point, "scenario": run.scenario_name, **run.params,
                   "replication": run.replication, "seed": run.seed}
            if run.key in self.results:
                monthly = self.read_part(run.key)
                last = monthly.iloc[-1]
                row.update(status="ok", error="", months=int(len(monthly)),
                           **{m: float(last[m]) for m in metrics})
                ids = pd.DataFrame({"run_key": run.key, "point": run.point, "scenario": run.scenario_name,
                                    "replication": run.replication, "seed": run.seed}, index=monthly.index)
                batch.append(pd.concat([ids, monthly[["month", *metrics]]], axis=1))
                batch_rows += len(monthly)
                counts["ok"] += 1
                if batch_rows >= 20_000 or len(batch) >= 50:  # bounded: memory flat in the number of runs
                    flush()
            elif run.key in self.errors:
                record = self.read_error(run.key)
                row.update(status="failed", error=record["error"], months=0, **{m: float("nan") for m in metrics})
                counts["failed"] += 1
            else:
                row.update(status="missing", error="", months=0, **{m: float("nan") for m in metrics})
                counts["missing"] += 1
            run_rows.append({k: row[k] for k in row})
        flush()
        if writer is None:  # every run failed: an empty table with the right columns
            empty = pd.DataFrame({"run_key": pd.Series(dtype=str), "point": pd.Series(dtype="int64"),
                                  "scenario": pd.Series(dtype=str), "replication": pd.Series(dtype="int64"),
                                  "seed": pd.Series(dtype="int64"), "month": pd.Series(dtype="int64"),
                                  **{m: pd.Series(dtype=float) for m in metrics}})
            empty.to_parquet(monthly_tmp, index=False)
        else:
            writer.close()
        os.replace(monthly_tmp, monthly_target)
        runs_df = pd.DataFrame(run_rows)
        runs_df["seed"] = runs_df["seed"].astype("int64")
        target = self.dir / "runs.parquet"
        tmp = target.with_name(target.name + ".tmp")
        runs_df.to_parquet(tmp, index=False)
        os.replace(tmp, target)
        return counts


class CorruptPart(Exception):
    """A result file that does not read back whole (the run is redone)."""


def load_results(out_dir: str | Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(manifest, runs, monthly) of a sweep folder or a ``partnersim run --out`` folder.

    Both kinds are normalised: ``runs`` has one row per run with a ``group``
    label column (scenario, and the parameter values of its point), and
    ``monthly`` carries the same ``group`` column.
    """
    d = Path(out_dir)
    if not d.is_dir():
        from ..cli import UsageError

        raise UsageError(f"{d}: not a folder")
    missing = [n for n in (MANIFEST, "runs.parquet", "monthly.parquet") if not (d / n).is_file()]
    if missing:
        from ..cli import UsageError

        hint = " (a sweep that has not finished: run the same 'partnersim sweep' again to resume)" \
            if (d / PARTS).is_dir() else " (expected the output of 'partnersim sweep' or 'partnersim run --out')"
        raise UsageError(f"{d}: missing {', '.join(missing)}{hint}")
    try:
        manifest = json.loads((d / MANIFEST).read_text())
        runs = pd.read_parquet(d / "runs.parquet")
        monthly = pd.read_parquet(d / "monthly.parquet")
    except (OSError, ValueError, pa.ArrowException) as err:
        from ..errors import UsageError

        raise UsageError(f"{d}: results cannot be read ({type(err).__name__}: {' '.join(str(err).split())[:160]})") \
            from None
    if not isinstance(manifest, dict):
        from ..errors import UsageError

        raise UsageError(f"{d}: manifest.json is not a results manifest")
    if manifest.get("kind") == "sweep":
        params = list(manifest["experiment"]["parameters"])
        labels = {}
        for _, r in runs.drop_duplicates("point").iterrows():
            bits = [str(r["scenario"])] + [f"{p.split('.')[-1]}={_fmt(r[p])}" for p in params]
            labels[r["point"]] = ", ".join(bits)
        runs["group"] = runs["point"].map(labels)
        monthly["group"] = monthly["point"].map(labels)
        runs = runs[runs["status"] == "ok"].copy() if "status" in runs else runs
    else:
        title = manifest.get("scenario", {}).get("run", {}).get("title") or Path(manifest.get("scenario_source", "run")).stem
        runs = runs.assign(group=title, point=0, scenario=title)
        monthly = monthly.assign(group=title, point=0, scenario=title)
    return manifest, runs, monthly


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)
