"""Shared fixtures for the dashboard tests: the repo on sys.path, a live server, an output folder."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``dashboards`` sits beside ``sim``, outside the installed package
    sys.path.insert(0, str(ROOT))

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots, downloads and timings of the browser tests.

    ``PARTNERSIM_TEST_OUTPUT`` names the folder (CI uploads it); by default test-output/dashboard/ (gitignored).
    """
    out = Path(os.environ.get("PARTNERSIM_TEST_OUTPUT") or ROOT / "test-output" / "dashboard")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DashboardServer:
    """``python -m sim.cli dashboard --port P`` on loopback, stopped by the fixture."""

    def __init__(self, log_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        # own process group, so stopping it also stops the comparison's worker processes
        self.proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "dashboard", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     start_new_session=True)
        self.address_line = self.proc.stdout.readline().strip()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dashboard exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"dashboard not ready on {self.url} after {timeout}s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.log.close()


@pytest.fixture(scope="module")
def dashboard_server(output_dir):
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium; CI installs it)")
    server = DashboardServer(output_dir / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def address_in(line: str) -> str | None:
    found = re.search(r"http://[^\s]+", line)
    return found.group(0) if found else None
