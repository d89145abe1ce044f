"""``partnersim dashboard``: options, address, offline front end."""

from __future__ import annotations

import argparse

from sim import dashboard_command


def parse(*argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    dashboard_command.register(sub)
    return parser.parse_args(["dashboard", *argv])


def test_defaults_to_loopback():
    args = parse()
    assert args.host == "127.0.0.1" and args.port == dashboard_command.DEFAULT_PORT
    assert args.handler is dashboard_command.run_dashboard
    args = parse("--host", "0.0.0.0", "--port", "9000")
    assert args.host == "0.0.0.0" and args.port == 9000


def test_address_and_loopback_detection():
    assert dashboard_command.url_for("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert dashboard_command.url_for("::1", 8765) == "http://[::1]:8765/"
    assert dashboard_command.is_loopback("127.0.0.1") and dashboard_command.is_loopback("localhost")
    assert not dashboard_command.is_loopback("0.0.0.0")
    assert 0 < dashboard_command.free_port("127.0.0.1") < 65536


def test_solara_command_runs_the_app_on_the_given_address():
    cmd = dashboard_command.solara_command("127.0.0.1", 8123)
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("dashboards/app.py")
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8123"
    env = dashboard_command.solara_environment()
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_front_end_is_installed_locally():
    """The ipyvue/ipyvuetify major version picks Solara's front end; solara-assets must hold it."""
    assert dashboard_command.missing_front_end() == []


class Launched(Exception):
    """Raised instead of replacing the test process with Solara."""


def launch(monkeypatch, capsys, *argv):
    seen = {}

    def fake_execve(path, command, env):
        seen.update(path=path, command=command, env=env)
        raise Launched

    monkeypatch.setattr(dashboard_command.os, "execve", fake_execve)
    try:
        dashboard_command.run_dashboard(parse(*argv))
    except Launched:
        pass
    out, err = capsys.readouterr()
    return seen, out, err


def test_prints_the_address_then_starts_solara_on_loopback(monkeypatch, capsys):
    seen, out, err = launch(monkeypatch, capsys, "--port", "8766")
    assert out.strip() == "partnersim dashboard: open http://127.0.0.1:8766/ in your browser (Ctrl+C to stop)"
    assert seen["command"][seen["command"].index("--host") + 1] == "127.0.0.1"
    assert "other computers" not in err


def test_all_interfaces_only_when_asked_and_then_said(monkeypatch, capsys):
    seen, out, err = launch(monkeypatch, capsys, "--host", "0.0.0.0", "--port", "0")
    port = int(seen["command"][seen["command"].index("--port") + 1])
    assert port > 0 and f"http://127.0.0.1:{port}/" in out
    assert "other computers can open the dashboard" in err


def test_bad_port_is_one_line(monkeypatch, capsys):
    from sim.cli import UsageError

    monkeypatch.setattr(dashboard_command.os, "execve", lambda *a: (_ for _ in ()).throw(AssertionError("started")))
    try:
        dashboard_command.run_dashboard(parse("--port", "70000"))
    except UsageError as err:
        assert "--port must be 0-65535" in str(err)
    else:
        raise AssertionError("no error for port 70000")


def test_no_framework_badge_and_a_page_title(monkeypatch, capsys):
    seen, _, _ = launch(monkeypatch, capsys, "--port", "8766")
    assert seen["env"]["SOLARA_THEME_SHOW_BANNER"] == "False"
    assert "partnersim" in seen["env"]["SOLARA_THEME_TITLE"]
    assert "PARTNERSIM_POSTERIOR" not in seen["env"]


def test_a_posterior_is_checked_then_handed_to_the_page(monkeypatch, capsys, tmp_path):
    import pandas as pd

    from sim.cli import UsageError

    pd.DataFrame({"weight": [1.0], "clients.support_effect": [0.2]}).to_parquet(tmp_path / "posterior.parquet")
    seen, _, _ = launch(monkeypatch, capsys, "--port", "8766", "--posterior", str(tmp_path))
    assert seen["env"]["PARTNERSIM_POSTERIOR"] == str((tmp_path / "posterior.parquet").resolve())
    monkeypatch.setattr(dashboard_command.os, "execve", lambda *a: (_ for _ in ()).throw(AssertionError("started")))
    try:
        dashboard_command.run_dashboard(parse("--port", "8766", "--posterior", str(tmp_path / "missing")))
    except UsageError as err:
        assert "--posterior" in str(err) and "not found" in str(err)
    else:
        raise AssertionError("no error for a missing posterior")
    assert "open http" not in capsys.readouterr().out
