"""Run one benchmark case in a fresh subprocess and measure it from outside.

Memory is counted two ways, both without psutil:

* ``maxrss_mb``: the child's peak resident set size as the kernel reports it
  to ``os.wait4`` (``ru_maxrss``; the largest single process among the child
  and the descendants it waited for);
* ``tree_rss_mb``: the peak of the *sum* of VmRSS over the child and all its
  descendants (a sweep's driver, Dask nanny and worker processes), sampled
  from /proc every ``interval`` seconds.

The child writes its own figures (times measured inside it, so imports are
not timed) as JSON to a file whose path is its last argument.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and brackets: split after the last ')'
        rest = stat[stat.rfind(b")") + 2:].split()
        kids.setdefault(int(rest[1]), []).append(int(entry.name))
    return kids


def tree_pids(root: int) -> list[tuple[int, int]]:
    """The process and all its living descendants, as (pid, depth below the root)."""
    kids = _children_map()
    out, todo = [], [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        out.append((pid, depth))
        todo.extend((k, depth + 1) for k in kids.get(pid, ()))
    return out


def _role(pid: int, depth: int) -> str:
    if depth == 0:
        return "driver"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        cmd = ""
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "spawn_main" in cmd or "forkserver" in cmd:
        # LocalCluster(processes=True): the nannies live in the driver; each spawns one worker process
        return "Dask worker" if depth == 1 else f"spawned process (depth {depth})"
    return f"child (depth {depth})"


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped."""

    def __init__(self, root: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_kb = 0
        self.peak_procs = 0
        self.samples = 0
        self.per_pid: dict[int, list] = {}  # pid -> [role, peak kB]
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = tree_pids(self.root)
            total = 0
            for pid, depth in pids:
                kb = rss_kb(pid)
                total += kb
                rec = self.per_pid.get(pid)
                if rec is None:
                    rec = self.per_pid[pid] = ["", 0]
                if kb > rec[1]:  # name it when it peaks (a fresh fork still shows its parent's command line)
                    rec[0], rec[1] = _role(pid, depth), kb
            self.samples += 1
            if total > self.peak_kb:
                self.peak_kb, self.peak_procs = total, len(pids)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_case(script: str, args: dict, timeout: float = 1800.0, interval: float = 0.05) -> dict:
    """Run ``python <script> '<json args>' <result file>`` in a fresh process; return its figures.

    Adds ``maxrss_mb``, ``tree_rss_mb``, ``tree_procs`` (processes in the tree at its peak),
    ``user_s``/``sys_s`` (CPU of the child and the descendants it waited for) and ``wall_s``
    (the whole subprocess, imports included).
    """
    fd, result_path = tempfile.mkstemp(prefix="bench-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(HERE / script), json.dumps(args), result_path]
    env = dict(os.environ, PYTHONHASHSEED="0")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    sampler = TreeSampler(proc.pid, interval)
    sampler.start()
    deadline = start + timeout
    status, usage = 0, None
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
    finally:
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    try:
        data = json.loads(Path(result_path).read_text() or "{}")
    finally:
        os.unlink(result_path)
    if proc.returncode != 0 or not data:
        raise RuntimeError(f"benchmark case {script} {args} failed (exit {proc.returncode})")
    data.update(
        maxrss_mb=usage.ru_maxrss / 1024, tree_rss_mb=sampler.peak_kb / 1024, tree_procs=sampler.peak_procs,
        user_s=usage.ru_utime, sys_s=usage.ru_stime, wall_s=wall,
        processes=sorted(([role, kb / 1024] for role, kb in sampler.per_pid.values() if kb), key=lambda r: -r[1]),
    )
    return data


def child_main(fn) -> None:
    """Entry point of a case script: ``fn(args) -> dict`` is written as JSON to the result file."""
    args = json.loads(sys.argv[1])
    out = fn(args)
    Path(sys.argv[2]).write_text(json.dumps(out))
