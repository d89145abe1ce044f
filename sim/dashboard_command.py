"""``partnersim dashboard``: start the commissioners' dashboard in a browser.

Runs the Solara app in ``dashboards/app.py`` on 127.0.0.1 unless another host
is asked for, prints the address, and keeps everything offline: telemetry is
off and the front end is served from the locally installed ``solara-assets``
(a missing front-end file would otherwise be fetched from a CDN, and without a
network the page stays blank).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import ipaddress
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def register(subparsers) -> None:
    """Add the ``dashboard`` subcommand."""
    p = subparsers.add_parser(
        "dashboard",
        help="open the commissioners' dashboard in a browser",
        description="Start the commissioners' dashboard (a Solara web app) and print its address. "
                    "It listens on 127.0.0.1 only unless --host says otherwise.",
    )
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}, this computer only; 0.0.0.0 = all interfaces)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to listen on (default {DEFAULT_PORT}; 0 = any free port)")
    p.add_argument("--posterior", metavar="FILE", default=None,
                   help="a posterior from 'partnersim calibrate' (posterior.parquet or its folder): comparisons can "
                        "then run across plausible assumptions")
    p.set_defaults(handler=run_dashboard)


def free_port(host: str) -> int:
    """A port that is free on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def url_for(host: str, port: int) -> str:
    """The address to open in a browser for a dashboard served on ``host:port``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (localhost or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def missing_front_end() -> list[str]:
    """Front-end files the installed Solara will ask for that are not available offline.

    Solara picks its Vue 2 or Vue 3 front end from the installed ipyvue's
    major version; ``solara-assets`` must hold that exact bundle.
    """
    try:
        import solara.server.settings as settings  # noqa: PLC0415
        import solara.server.server as server  # noqa: PLC0415
    except Exception as err:  # noqa: BLE001
        return [f"solara server cannot be imported ({err})"]
    template = Path(server.__file__).parent / "templates" / "solara.html.j2"
    app_name = "solara-vuetify3-app" if getattr(server, "vue3", False) else "solara-vuetify-app"
    found = re.search(rf"@widgetti/{app_name}@([0-9.]+)", template.read_text(encoding="utf-8"))
    if not found:
        return []
    bundle = Path(settings.assets.proxy_cache_dir) / "@widgetti" / f"{app_name}@{found.group(1)}"
    if bundle.is_dir():
        return []
    try:
        ipyvue = importlib.metadata.version("ipyvue")
    except importlib.metadata.PackageNotFoundError:
        ipyvue = "not installed"
    return [f"{app_name}@{found.group(1)} (needed with ipyvue {ipyvue}) is not in {bundle.parent}; "
            "install solara-assets, or ipyvue<2 and ipyvuetify<2 whose front end it holds"]


def solara_command(host: str, port: int) -> list[str]:
    """The command line that serves the dashboard with Solara on ``host:port``."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def solara_environment() -> dict[str, str]:
    """The environment for the Solara server: no telemetry, our title, the project on PYTHONPATH."""
    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no calls home
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # no framework badge over the charts
    env["SOLARA_THEME_TITLE"] = "partnersim dashboard"
    root = str(APP.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def run_dashboard(args: argparse.Namespace) -> int:
    """Check the set-up, print the address, then become the Solara server."""
    from .cli import UsageError  # noqa: PLC0415

    if not APP.is_file():
        raise UsageError(f"dashboard app not found at {APP} (run from a source checkout of partnersim)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {args.port}")
    posterior = ""
    if getattr(args, "posterior", None):
        from .experiments.posterior import load_posterior  # noqa: PLC0415 - checks the file, one line if it is wrong

        posterior = str(Path(load_posterior(args.posterior).source).resolve())
    port = args.port or free_port(args.host)
    for problem in missing_front_end():
        print(f"partnersim: warning: {problem}; the page needs a network connection to load", file=sys.stderr)
    if not is_loopback(args.host):
        print(f"partnersim: note: listening on {args.host}, so other computers can open the dashboard",
              file=sys.stderr)
    print(f"partnersim dashboard: open {url_for(args.host, port)} in your browser (Ctrl+C to stop)", flush=True)
    command = solara_command(args.host, port)
    env = solara_environment()
    if posterior:
        env["PARTNERSIM_POSTERIOR"] = posterior
    if os.name == "posix":  # replace this process, so stopping it stops the server
        sys.stderr.flush()
        os.execve(sys.executable, command, env)
    return subprocess.call(command, env=env)
