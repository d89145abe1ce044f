"""Results folders: checked before any work starts, locked while a process works in them, never overwritten.

Every command that writes results (``run --out``, ``sweep``, ``compare --out``,
``sensitivity``, ``discover``, ``report``, ``calibrate``) goes through here:

1. :func:`check_out_path` before any run starts: the path must be a folder,
   or creatable as one, and writable (a file, ``/dev/null``, a path under a
   file or a read-only folder is refused with one line);
2. :func:`claim` creates the folder and takes a lock (the ``filelock``
   library; one process at a time works in a folder);
3. :func:`refuse_other_results` refuses a folder that holds results of
   something else. Its advice never deletes what is there.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import UsageError

#: Files and folders that mark a results folder.
RESULT_NAMES = ("manifest.json", "runs.parquet", "monthly.parquet", "parts")
LOCK_NAME = ".partnersim.lock"


def check_out_path(out: str | Path, option: str = "--out") -> Path:
    """Refuse an output path that cannot hold results, before any work starts.

    Raises:
        UsageError: one line naming the path and what is wrong.
    """
    out = Path(out)
    if out.is_symlink() and not out.exists():
        raise UsageError(f"{option} {out}: a broken symbolic link; give a folder path")
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"{option} {out}: exists and is not a folder; give a folder path")
        _probe(out, option, out)
        return out
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {out}: {parent} is not a folder; give a folder path")
            _probe(parent, option, out)
            return out
    return out


def _probe(folder: Path, option: str, out: Path) -> None:
    """Write and remove a temporary folder: the only reliable test of writability (root ignores modes)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".partnersim-probe-", dir=folder))
    except OSError as err:
        where = "" if folder == out else f" (cannot create it in {folder})"
        raise UsageError(f"{option} {out}: folder is not writable{where}: {err.strerror}; "
                         "give a folder you can write to") from None


@contextlib.contextmanager
def claim(out: str | Path, option: str = "--out") -> Iterator[Path]:
    """Create the folder and hold its lock for the duration of the ``with`` block.

    Raises:
        UsageError: another process holds the lock, or the folder cannot be created.
    """
    from filelock import FileLock, Timeout

    out = check_out_path(out, option)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{option} {out}: cannot create the folder ({err.strerror})") from None
    lock = FileLock(str(out / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(f"{option} {out}: another partnersim process is working in this folder; wait for it "
                         "to finish, or choose another folder") from None
    except OSError as err:
        raise UsageError(f"{option} {out}: cannot lock the folder ({err.strerror})") from None
    try:
        yield out
    finally:
        lock.release()


def holds_results(out: Path) -> bool:
    """Whether the folder holds results (a manifest, consolidated tables, or part files)."""
    out = Path(out)
    if not out.is_dir():
        return False
    for name in RESULT_NAMES:
        p = out / name
        if p.is_dir():
            if any(p.iterdir()):
                return True
        elif p.exists():
            return True
    return False


def read_manifest(out: Path) -> dict | None:
    try:
        data = json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_results(manifest: dict | None) -> str:
    """A short phrase saying what a results folder holds, from its manifest."""
    if manifest is None:
        return "results without a readable manifest"
    if manifest.get("kind") == "sweep":
        return f"results of a different experiment ({manifest.get('experiment', {}).get('name', 'a sweep')})"
    title = manifest.get("scenario", {}).get("run", {}).get("title")
    return f"a run of {title!r}" if title else "a scenario run"


def refuse_other_results(out: Path, accept: Callable[[dict | None], bool] | None = None,
                         option: str = "--out") -> None:
    """Refuse a folder that holds results unless ``accept(manifest)`` says they are ours (a resume).

    Raises:
        UsageError: one line; the advice is to choose another folder (nothing on disk is touched).
    """
    if not holds_results(out):
        return
    manifest = read_manifest(out)
    if accept is not None and accept(manifest):
        return
    raise UsageError(f"{option} {out}: already holds {describe_results(manifest)}; nothing was changed; "
                     "choose another folder")


__all__ = ["LOCK_NAME", "check_out_path", "claim", "describe_results", "holds_results", "refuse_other_results"]
