"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

One walk-through of what a commissioner does (load, pick a case study, move
a lever, switch the network layer, step, play, compare with the baseline,
export), with a screenshot of each state, plus a check that two sessions do
not share a run. Any error on the page or in the browser console, and any
request that leaves the machine, fails the test. Timings (step to updated
chart, comparison start to result) are printed and written to
``test-output/dashboard/timings.json``; nothing asserts on them.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from urllib.parse import urlparse

import pandas as pd
import pytest

import sim

from .conftest import CHROMIUM, CHROMIUM_ARGS, address_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOOPBACK = {"127.0.0.1", "localhost"}


class Browser:
    """A Chromium page that records console errors, page errors and off-machine requests."""

    def __init__(self, playwright, output_dir):
        self.output_dir = output_dir
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        self.errors: list[str] = []
        self.external: list[str] = []
        self.shots = 0
        self.server_log = None

    def page(self, url: str):
        context = self.browser.new_context(viewport={"width": 1440, "height": 2400}, accept_downloads=True)
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

        def route(r):
            host = urlparse(r.request.url).hostname
            if r.request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOOPBACK:
                self.external.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.goto(url)
        page.wait_for_selector("img.network-view", timeout=90_000)
        page.wait_for_selector(".metrics-view canvas", timeout=30_000)
        return page

    def shot(self, page, name: str) -> None:
        self.shots += 1
        page.screenshot(path=str(self.output_dir / f"{self.shots:02d}-{name}.png"), full_page=True)

    def close(self) -> None:
        self.browser.close()


def assert_clean(page, browser: Browser) -> None:
    """No Python error, no failure message, no console error, nothing fetched from outside."""
    text = page.inner_text("body")
    for marker in ("Traceback", "Exception", "Error:"):
        assert marker not in text, f"{marker!r} shown on the page:\n{text[:3000]}"
    for problem in (".settings-problem", ".step-problem", ".compare-problem"):
        assert page.query_selector(problem) is None, f"{problem}: {page.inner_text(problem)}"
    assert not browser.errors, "browser console errors:\n" + "\n".join(browser.errors)
    assert not browser.external, "requests left the machine:\n" + "\n".join(browser.external)
    if browser.server_log is not None:  # the server must not have tried a CDN for a missing front-end file
        fetched = [line for line in browser.server_log.read_text().splitlines() if "Could not load URL" in line]
        assert not fetched, "front-end files missing locally:\n" + "\n".join(fetched)


def src(page, selector: str) -> str:
    return page.get_attribute(selector, "src") or ""


def wait_src_change(page, selector: str, old: str, timeout: float = 30_000) -> None:
    page.wait_for_function("([sel, old]) => { const e = document.querySelector(sel); return e && e.src && e.src !== old; }",
                           arg=[selector, old], timeout=timeout)


def remember_chart(page) -> None:
    """Keep the chart's current pixels (ECharts draws on a canvas in the browser)."""
    page.evaluate("() => { window.__chart = document.querySelector('.metrics-view canvas').toDataURL(); }")


def wait_chart_change(page, timeout: float = 30_000) -> None:
    page.wait_for_function("() => { const c = document.querySelector('.metrics-view canvas');"
                           " return c && c.toDataURL() !== window.__chart; }", timeout=timeout)


def month(page) -> int:
    return int(page.inner_text(".month-label").split()[1])


def case_study() -> tuple[str, str]:
    """(file name, title) of a case-study scenario: any scenario other than the baseline."""
    catalogue = sim.list_scenarios()
    others = [(n, s.run.title) for n, s in catalogue if n != "baseline.toml"]
    preferred = [c for c in others if "inspire" in c[0]] or others
    if not preferred:
        pytest.fail("no case-study scenario in scenarios/ (only the baseline)")
    return preferred[0]


@pytest.fixture(scope="module")
def browser(output_dir):
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium; CI installs it)")
    from playwright.sync_api import sync_playwright  # the test extra; only a missing Chromium skips

    with sync_playwright() as p:
        b = Browser(p, output_dir)
        try:
            yield b
        finally:
            b.close()


def test_commissioner_walkthrough(dashboard_server, browser, output_dir):
    browser.server_log = dashboard_server.log_path
    timings: dict[str, float] = {}
    assert address_in(dashboard_server.address_line) == dashboard_server.url, dashboard_server.address_line

    t0 = time.perf_counter()
    page = browser.page(dashboard_server.url)
    timings["page_load_s"] = round(time.perf_counter() - t0, 2)
    assert page.inner_text(".month-label").startswith("Month 0 of")
    browser.shot(page, "loaded")
    assert_clean(page, browser)

    # pick a case study by its readable title; its description replaces the baseline's
    file_name, title = case_study()
    old_description = page.inner_text(".scenario-description")
    page.click(".scenario-select .v-input__slot")
    page.click(f".v-menu__content .v-list-item:has-text({json.dumps(title)})")
    page.wait_for_function("(t) => document.querySelector('.scenario-select').innerText.includes(t)", arg=title)
    expected_description = dict(sim.list_scenarios())[file_name].run.description
    if expected_description and expected_description != old_description:
        page.wait_for_function("(d) => document.querySelector('.scenario-description').innerText.trim() === d",
                               arg=expected_description.strip())
    browser.shot(page, "case-study")

    # move a slider with the keyboard: contract length to its maximum
    label = page.inner_text(".lever-contract_months label")
    page.focus(".lever-contract_months .v-slider__thumb-container")
    page.keyboard.press("End")
    page.wait_for_function("(old) => document.querySelector('.lever-contract_months label').innerText !== old",
                           arg=label)
    assert "120 months" in page.inner_text(".lever-contract_months label")
    horizon = int(page.inner_text(".month-label").split()[3])
    if horizon <= 120:  # contracts outlast the run: the page explains why re-tender levers do nothing
        page.wait_for_selector(".settings-notice:has-text('never tendered again')")
    browser.shot(page, "slider-moved")

    # switch the network between its two layers
    network_before = src(page, "img.network-view")
    page.click(".layer-toggle button:has-text('Frontline')")
    wait_src_change(page, "img.network-view", network_before)
    browser.shot(page, "frontline-layer")

    # step: the month, the chart and the network change; time from click to the new chart
    remember_chart(page)
    network_before = src(page, "img.network-view")
    headline_before = page.inner_text(".headlines")
    t0 = time.perf_counter()
    page.click(".btn-step")
    wait_chart_change(page)
    timings["step_to_chart_s"] = round(time.perf_counter() - t0, 3)
    page.wait_for_function("() => document.querySelector('.month-label').innerText.startsWith('Month 1 ')")
    wait_src_change(page, "img.network-view", network_before)
    assert page.inner_text(".headlines") != headline_before
    browser.shot(page, "stepped")

    # play, then pause
    remember_chart(page)
    network_before = src(page, "img.network-view")
    page.click(".btn-play")
    page.wait_for_function("() => parseInt(document.querySelector('.month-label').innerText.split(' ')[1]) >= 6",
                           timeout=60_000)
    assert page.inner_text(".btn-play").lower() == "pause", f"stopped by itself at {page.inner_text('.month-label')}"
    page.click(".btn-play")
    page.wait_for_selector(".btn-step:not([disabled])")
    paused_at = month(page)
    assert paused_at >= 6
    wait_chart_change(page, timeout=5_000)
    assert src(page, "img.network-view") != network_before
    time.sleep(0.5)
    assert month(page) == paused_at, "the model kept running after Pause"
    browser.shot(page, "played")
    assert_clean(page, browser)

    # compare with the baseline in the background; the page keeps responding meanwhile
    t0 = time.perf_counter()
    page.click(".btn-compare")
    page.wait_for_selector(".compare-progress", timeout=15_000)
    browser.shot(page, "comparison-running")
    before = month(page)
    t1 = time.perf_counter()
    page.click(".btn-step")
    page.wait_for_function("(m) => parseInt(document.querySelector('.month-label').innerText.split(' ')[1]) > m",
                           arg=before, timeout=30_000)
    timings["step_during_comparison_s"] = round(time.perf_counter() - t1, 3)
    page.wait_for_selector(".comparison-readings .reading", timeout=180_000)
    timings["comparison_s"] = round(time.perf_counter() - t0, 2)
    readings = page.inner_text(".comparison-readings")
    assert "baseline" in readings
    page.wait_for_selector("img.comparison-view")
    page.wait_for_selector("table.compare")
    browser.shot(page, "comparison-done")
    assert_clean(page, browser)

    # export the run's data and the pictures
    downloads = {}
    for label_text in ("Run data (CSV)", "Network (PNG)", "Charts (PNG)", "Comparison (CSV)"):
        with page.expect_download(timeout=30_000) as info:
            page.click(f".export-card button:has-text({json.dumps(label_text)})")
        target = output_dir / info.value.suggested_filename
        info.value.save_as(target)
        downloads[label_text] = target.read_bytes()
    run = pd.read_csv(io.BytesIO(downloads["Run data (CSV)"]))
    assert {"month", *sim.BRIEF_METRICS} <= set(run.columns)
    assert run["month"].max() == month(page)
    assert downloads["Network (PNG)"].startswith(b"\x89PNG") and downloads["Charts (PNG)"].startswith(b"\x89PNG")
    compared = pd.read_csv(io.BytesIO(downloads["Comparison (CSV)"]))
    assert {"metric", "difference", "ci_low", "ci_high", "reading"} <= set(compared.columns)
    browser.shot(page, "exported")
    assert_clean(page, browser)

    # reset: back to month 0 with the same settings
    page.click(".btn-reset")
    page.wait_for_function("() => document.querySelector('.month-label').innerText.startsWith('Month 0 ')")
    assert "120 months" in page.inner_text(".lever-contract_months label")
    browser.shot(page, "reset")
    assert_clean(page, browser)

    print("\ndashboard timings:", json.dumps(timings))
    (output_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")


def test_sessions_do_not_share_a_run(dashboard_server, browser):
    browser.server_log = dashboard_server.log_path
    first = browser.page(dashboard_server.url)
    second = browser.page(dashboard_server.url)
    for _ in range(2):
        before = month(first)
        first.click(".btn-step")
        first.wait_for_function("(m) => parseInt(document.querySelector('.month-label').innerText.split(' ')[1]) > m",
                                arg=before)
    assert month(first) == 2
    with contextlib.suppress(Exception):  # give a shared model, if any, time to show up
        second.wait_for_function("() => !document.querySelector('.month-label').innerText.startsWith('Month 0 ')",
                                 timeout=1500)
    assert month(second) == 0, "the second session sees the first session's run"
    second.click(".btn-step")
    second.wait_for_function("() => document.querySelector('.month-label').innerText.startsWith('Month 1 ')")
    assert month(first) == 2
    browser.shot(second, "second-session")
    assert_clean(first, browser)
    assert_clean(second, browser)
