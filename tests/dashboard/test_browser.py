"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

What a commissioner does to answer "what happens to Inspire if we halve it,
against keeping it?": open a shared link, type a lever, step and play, open a
charity's card from the network, compare with another scenario, see a result
marked out of date when a lever moves, read a size-mismatch warning, export.
Plus two tabs that must not share a run, and a link that restores a setup.
Any error on the page or in the console, and any request that leaves the
machine, fails the test. Timings (click to updated page, comparison start to
result) are printed and written to ``timings.json`` in the output folder;
nothing asserts on them. Screenshots at 1400x900, 1280x720 and 800 px wide go
to the same folder.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from urllib.parse import urlparse

import pandas as pd
import pytest

import sim
from dashboards import setup as setup_mod

from .conftest import CHROMIUM, CHROMIUM_ARGS, address_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOOPBACK = {"127.0.0.1", "localhost"}
SIZES = {"1400x900": (1400, 900), "1280x720": (1280, 720), "800x900": (800, 900)}


class Browser:
    """A Chromium that records console errors, page errors and off-machine requests."""

    def __init__(self, playwright, output_dir):
        self.output_dir = output_dir
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        self.errors: list[str] = []
        self.external: list[str] = []
        self.server_log = None

    def page(self, url: str, width: int = 1400, height: int = 900):
        context = self.browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
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
        wait_ready(page)
        return page

    def shot(self, page, name: str, full: bool = False) -> None:
        size = page.viewport_size
        page.screenshot(path=str(self.output_dir / f"{name}-{size['width']}x{size['height']}.png"), full_page=full)

    def close(self) -> None:
        self.browser.close()


def wait_ready(page) -> None:
    page.wait_for_selector(".month-label", timeout=240_000)
    page.wait_for_selector(".network-view .js-plotly-plot", timeout=120_000)
    page.wait_for_selector(".chart-monitoring_time_share .js-plotly-plot .ytick", timeout=60_000)


def assert_clean(page, browser: Browser) -> None:
    """No Python error, no failure message, no console error, nothing fetched from outside."""
    text = page.inner_text("body")
    for marker in ("Traceback", "Exception", "Error:"):
        assert marker not in text, f"{marker!r} shown on the page:\n{text[:3000]}"
    for problem in (".settings-problem", ".step-problem", ".compare-problem"):
        assert page.query_selector(problem) is None, f"{problem}: {page.inner_text(problem)}"
    assert not browser.errors, "browser console errors:\n" + "\n".join(browser.errors)
    assert not browser.external, "requests left the machine:\n" + "\n".join(browser.external)
    if browser.server_log is not None:
        fetched = [line for line in browser.server_log.read_text().splitlines() if "Could not load URL" in line]
        assert not fetched, "front-end files missing locally:\n" + "\n".join(fetched)


def month(page) -> int:
    return int(page.inner_text(".month-label").split()[1])


def wait_month(page, at_least: int, timeout: float = 60_000) -> None:
    page.wait_for_function("(m) => parseInt(document.querySelector('.month-label').innerText.split(' ')[1]) >= m",
                           arg=at_least, timeout=timeout)


def y_ticks(page, chart: str) -> list[str]:
    """The chart's y tick labels once the figure has settled (two reads half a second apart agree)."""
    def read() -> list[str]:
        return [t.strip() for t in page.eval_on_selector_all(f"{chart} .js-plotly-plot .ytick text",
                                                             "els => els.map(e => e.textContent)")]
    last = read()
    for _ in range(40):
        page.wait_for_timeout(500)
        now = read()
        if now and now == last:
            return now
        last = now
    return last


def pick(page, select: str, text: str) -> None:
    """Choose an item of a Vuetify select by its visible text."""
    page.click(f"{select} .v-select__slot")
    page.click(f".v-menu__content.menuable__content__active .v-list-item:has-text({json.dumps(text)})")


def type_lever(page, slug: str, value: str) -> None:
    box = page.locator(f".lever--{slug} .typed-entry input")
    box.fill(value)
    box.press("Enter")


@pytest.fixture(scope="module")
def browser(output_dir):
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium; CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = Browser(p, output_dir)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def timings(output_dir):
    found: dict[str, float] = {}
    yield found
    print("\ndashboard timings:", json.dumps(found))
    (output_dir / "timings.json").write_text(json.dumps(found, indent=2) + "\n")


def test_inspire_halved_against_inspire(dashboard_server, browser, output_dir, timings):
    """The commissioner's question, answered in the dashboard alone, from a shared link."""
    browser.server_log = dashboard_server.log_path
    assert address_in(dashboard_server.address_line) == dashboard_server.url
    t0 = time.perf_counter()
    page = browser.page(dashboard_server.url + "?scenario=inspire", 1400, 900)
    timings["page_load_s"] = round(time.perf_counter() - t0, 2)
    assert "partnersim" in page.title().lower()
    assert "Inspire" in page.inner_text(".scenario-select")
    assert "What this scenario is" in page.inner_text(".scenario-card")
    assert page.query_selector(".scenario-passage") is not None
    assert page.query_selector("text=This website runs on") is None or not page.is_visible("text=This website runs on")
    browser.shot(page, "01-inspire-loaded")
    assert_clean(page, browser)

    # typed entry: halve the contract at re-tender by typing -50 beside the slider
    type_lever(page, "commissioning-value-change-at-retender", "-50")
    page.wait_for_function("() => document.querySelector('.lever--commissioning-value-change-at-retender .lever-label')"
                           ".innerText.includes('-50%')")
    page.wait_for_function("() => location.search.includes('value_change_at_retender=-0.5')")
    # a value outside the schema is explained, not applied
    type_lever(page, "commissioning-value-change-at-retender", "-300")
    page.wait_for_selector(".lever--commissioning-value-change-at-retender .typed-problem")
    assert "-50%" in page.inner_text(".lever--commissioning-value-change-at-retender .lever-label")
    browser.shot(page, "02-typed-entry")

    # step: time from the click to the updated chart and month
    before = page.eval_on_selector(".chart-partnerships_active .js-plotly-plot", "e => e.innerHTML.length")
    t0 = time.perf_counter()
    page.click(".btn-step")
    page.wait_for_function("() => document.querySelector('.month-label').innerText.startsWith('Month 1 ')")
    page.wait_for_function("(n) => document.querySelector('.chart-partnerships_active .js-plotly-plot')"
                           ".innerHTML.length !== n", arg=before, timeout=30_000)
    timings["step_click_to_chart_s"] = round(time.perf_counter() - t0, 3)

    # play at the normal speed for a while, then pause
    pick(page, ".speed-select", "Normal")
    t0 = time.perf_counter()
    page.click(".btn-play")
    wait_month(page, 9, timeout=120_000)
    timings["play_normal_months_per_s"] = round((month(page) - 1) / (time.perf_counter() - t0), 1)
    page.click(".btn-play")
    page.wait_for_selector(".btn-step:not([disabled])")
    paused = month(page)
    time.sleep(0.6)
    assert month(page) == paused, "the model kept running after Pause"
    browser.shot(page, "03-played")

    # the monitoring chart's tick labels hold every digit and span the exported values
    with page.expect_download(timeout=30_000) as info:
        page.click(".export-card button:has-text('Run data (CSV)')")
    target = output_dir / info.value.suggested_filename
    info.value.save_as(target)
    raw = target.read_text()
    assert raw.startswith("# partnersim") and "scenario: Inspire" in raw and "-50%" in raw
    run = pd.read_csv(io.StringIO(raw), comment="#")
    column = next(c for c in run.columns if c.startswith("Staff time on monitoring"))
    assert "(%)" in column and "rel_partner_frontline_mean" not in run.columns
    shares = run.loc[run["Month"] > 0, column].dropna()
    assert (shares.round(2) == shares).all(), "exported values are not rounded"
    ticks = y_ticks(page, ".chart-monitoring_time_share")
    numbers = [float(t.rstrip("%").replace(",", "").replace("\u2212", "-")) for t in ticks]
    assert all(t.endswith("%") for t in ticks), ticks
    assert min(numbers) == 0, f"the share axis does not start at 0: {ticks}"
    assert max(numbers) <= 100 and max(numbers) >= shares.max(), f"ticks {ticks} do not span the data {shares.max()}"
    for t in y_ticks(page, ".chart-partnerships_active"):
        assert re.fullmatch(r"[0-9,]+", t), f"count axis with a fractional tick {t!r}"

    # a click on a charity in the network opens its card
    point = page.locator(".network-view .js-plotly-plot .scatterlayer .trace:last-child .point").first
    if point.count() == 0:
        point = page.locator(".network-view .js-plotly-plot .scatterlayer .point").last
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".charity-card", timeout=15_000)
    card = page.inner_text(".charity-card")
    for heading in ("Size", "Specialisms", "Places", "Partnerships", "Contracts and grants", "Reserves"):
        assert heading in card, card
    browser.shot(page, "04-charity-card")

    # compare like for like: your setup (Inspire halved by hand) against Inspire as its file sets it
    page.locator(".comparison-card").scroll_into_view_if_needed()
    assert page.query_selector(".size-mismatch") is None
    t0 = time.perf_counter()
    page.click(".btn-compare")
    page.wait_for_selector(".comparison-readings .reading", timeout=300_000)
    timings["comparison_inspire_s"] = round(time.perf_counter() - t0, 2)
    readings = page.inner_text(".comparison-readings")
    assert "Inspire" in page.inner_text(".comparison-title")
    assert page.query_selector(".comparison-stale") is None
    assert page.query_selector(".band-grid .js-plotly-plot") is not None
    assert "better" in readings or "worse" in readings or "no clear difference" in readings
    browser.shot(page, "05-comparison")
    assert_clean(page, browser)

    # move a lever: the result is marked out of date
    type_lever(page, "partnership-joint-training-months", "6")
    page.wait_for_selector(".comparison-stale", timeout=15_000)
    browser.shot(page, "06-stale")

    # export the comparison: readable, with its header
    with page.expect_download(timeout=30_000) as info:
        page.click(".export-card button:has-text('Comparison (CSV)')")
    text = info.value.path().read_text()
    assert text.startswith("# comparison:") and "seeds:" in text
    compared = pd.read_csv(io.StringIO(text), comment="#")
    assert {"Metric", "Difference", "ci_low", "ci_high", "reading"} <= set(compared.columns)
    assert_clean(page, browser)


def test_inspire_against_inspire_halved_scenario_file(dashboard_server, browser, timings):
    """Another scenario as the other arm (the file inspire_halved.toml); 'nothing to compare' for the file itself."""
    browser.server_log = dashboard_server.log_path
    page = browser.page(dashboard_server.url + "?scenario=inspire", 1280, 720)
    page.wait_for_selector(".nothing-to-compare")
    assert page.is_disabled(".btn-compare")
    title = dict(sim.list_scenarios())["inspire_halved.toml"].run.title
    pick(page, ".compare-against", f"Another scenario: {title}")
    page.wait_for_function("() => !document.querySelector('.nothing-to-compare')")
    page.wait_for_function("() => location.search.includes('vs=inspire_halved')")
    assert page.query_selector(".size-mismatch") is None
    t0 = time.perf_counter()
    page.click(".btn-compare")
    page.wait_for_selector(".comparison-readings .reading", timeout=300_000)
    timings["comparison_inspire_vs_halved_s"] = round(time.perf_counter() - t0, 2)
    browser.shot(page, "07-inspire-vs-halved")
    # the fast speed, measured (printed, not asserted)
    pick(page, ".speed-select", "Fast")
    start, t0 = month(page), time.perf_counter()
    page.click(".btn-play")
    page.wait_for_timeout(5000)
    timings["play_fast_months_per_s"] = round((month(page) - start) / (time.perf_counter() - t0), 1)
    if page.inner_text(".btn-play").lower() == "pause":
        page.click(".btn-play")
    page.wait_for_selector(".btn-play:has-text('Play')")
    # the run controls stay in view while the page scrolls
    page.locator(".export-card").scroll_into_view_if_needed()
    assert page.locator(".run-bar").is_visible()
    bar = page.locator(".run-bar").bounding_box()
    assert bar is not None and -2 <= bar["y"] <= 720, bar
    browser.shot(page, "08-scrolled")
    assert_clean(page, browser)


def test_size_mismatch_is_warned_and_not_judged(dashboard_server, browser):
    browser.server_log = dashboard_server.log_path
    page = browser.page(dashboard_server.url + "?scenario=inspire_halved&vs=baseline", 800, 900)
    page.wait_for_selector(".size-mismatch")
    warning = page.inner_text(".size-mismatch")
    assert "60 charities against 150" in warning
    page.click(".btn-compare")
    page.wait_for_selector(".comparison-readings .reading", timeout=300_000)
    readings = page.inner_text(".comparison-readings") + page.inner_text(".comparison-result")
    assert " - better" not in readings and " - worse" not in readings
    assert page.query_selector(".mismatch-note") is not None
    browser.shot(page, "09-size-mismatch")
    browser.shot(page, "09-size-mismatch-full", full=True)
    assert_clean(page, browser)


def test_a_link_restores_the_setup(dashboard_server, browser):
    browser.server_log = dashboard_server.log_path
    query = setup_mod.to_query(setup_mod.Setup("golden_key_short.toml", (("commissioners.1.contract_months", 24),
                                                                          ("statutory.engagement", 0.3))))
    page = browser.page(dashboard_server.url + "?" + query, 1280, 720)
    assert "one-year" in page.inner_text(".scenario-select").lower() or "Golden Key" in page.inner_text(
        ".scenario-select")
    page.wait_for_function("() => document.querySelector('.lever--statutory-engagement .lever-label')"
                           ".innerText.includes('30%')")
    assert "24 months" in page.inner_text(".lever--commissioners-1-contract-months .lever-label")
    assert "Local authority" in page.inner_text(".lever--commissioners-1-kind")
    assert page.query_selector(".welcome-card") is None, "a shared link is not a first visit"
    browser.shot(page, "10-restored-link")
    # a reload keeps it
    page.reload()
    wait_ready(page)
    assert "30%" in page.inner_text(".lever--statutory-engagement .lever-label")
    assert_clean(page, browser)


def test_two_tabs_are_isolated(dashboard_server, browser):
    browser.server_log = dashboard_server.log_path
    first = browser.page(dashboard_server.url, 1400, 900)
    second = browser.page(dashboard_server.url, 1400, 900)
    assert first.query_selector(".welcome-card") is not None, "a first visit shows what the tool is"
    browser.shot(first, "11-first-visit")
    for n in (1, 2):
        first.click(".btn-step")
        wait_month(first, n)
    with contextlib.suppress(Exception):
        second.wait_for_function("() => !document.querySelector('.month-label').innerText.startsWith('Month 0 ')",
                                 timeout=1500)
    assert month(second) == 0, "the second tab sees the first tab's run"
    second.click(".btn-step")
    second.wait_for_function("() => document.querySelector('.month-label').innerText.startsWith('Month 1 ')")
    assert month(first) == 2
    assert_clean(first, browser)
    assert_clean(second, browser)


def test_screens_at_three_widths(dashboard_server, browser):
    """Screenshots at each width for a person to look at; tick labels stay whole at every width."""
    browser.server_log = dashboard_server.log_path
    for name, (w, h) in SIZES.items():
        page = browser.page(dashboard_server.url + "?scenario=inspire", w, h)
        page.click(".btn-step")
        wait_month(page, 1)
        page.wait_for_timeout(800)
        browser.shot(page, "20-screen")
        for chart in (".chart-monitoring_time_share", ".chart-reoffending_rate", ".chart-partnerships_active"):
            ticks = y_ticks(page, chart)
            assert ticks and all(t for t in ticks), f"{name}: missing tick labels on {chart}: {ticks}"
        page.locator(".network-card").scroll_into_view_if_needed()
        browser.shot(page, "21-network")
        page.close()
