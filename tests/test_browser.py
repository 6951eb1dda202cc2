"""The dashboards in a real browser: a crew records an outcome, a manager sees it counted.

Starts ``streamlit run dashboards/app.py`` on a free port with a small project folder and
drives Debian's Chromium with Playwright. Screenshots of each page go to ``test-artifacts/``.
Skipped when Playwright or Chromium is missing, except in CI (``CI`` set), where it fails.

Install: ``pip install playwright`` and
``apt-get install -y --no-install-recommends chromium fonts-liberation``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_dashboard import PASSWORD, build_workspace

ROOT = Path(__file__).parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("RISK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright is not installed: pip install playwright"
        sync_playwright = None
    if reason is None and not Path(CHROMIUM).is_file():
        reason = f"No Chromium at {CHROMIUM}: apt-get install -y chromium fonts-liberation"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser test: {reason}")
        pytest.skip(reason)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_workspace(tmp_path_factory) -> Path:
    """The project folder the app serves (a test module may override this fixture)."""
    return build_workspace(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(app_workspace, tmp_path_factory):
    """The app on a free port, serving ``app_workspace``; stopped afterwards."""
    workspace = app_workspace
    port = _free_port()
    log = (tmp_path_factory.mktemp("log") / "streamlit.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--", "--workspace", str(workspace)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"streamlit did not start; see {log.name}")
        time.sleep(0.3)
    yield url, workspace
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}").wait_for(timeout=20_000)


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_a_crew_records_a_leak_and_the_manager_sees_it(server, browser):
    url, workspace = server
    internet = []

    def watch(request):
        if not request.url.startswith(url) and not request.url.startswith("data:"):
            internet.append(request.url)

    # A field crew on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = phone.new_page()
    page.on("request", watch)
    sign_in(page, url, "nadia")
    page.get_by_role("heading", name="Inspection list").wait_for()
    page.locator("canvas").first.wait_for(state="attached", timeout=20_000)
    shoot(page, "crew-list")
    page.get_by_text("Leak found").click()  # the leak kinds are one tap each (radio buttons)
    page.get_by_role("radiogroup", name="Where was the leak?").get_by_text("joint").click()
    page.get_by_role("spinbutton", name="Estimated flow (m³/h)").fill("2.5")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved: outcome").wait_for(timeout=20_000)
    shoot(page, "crew-saved")
    phone.close()

    # The manager sees the leak counted on the Impact page.
    desk = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = desk.new_page()
    page.on("request", watch)
    sign_in(page, url, "marc")
    page.get_by_role("heading", name="Impact").wait_for()
    leaks = page.get_by_test_id("stMetric").filter(has_text="Leaks found")
    assert leaks.get_by_test_id("stMetricValue").inner_text().strip() == "1"
    shoot(page, "impact")
    desk.close()

    # Every other page, as an administrator, for the screenshots.
    admin = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = admin.new_page()
    page.on("request", watch)
    sign_in(page, url, "ada")
    page.get_by_role("heading", name="Risk map").wait_for()
    map_frame = page.frame_locator("iframe[title='pipe_map.pipe_map']")
    map_frame.locator("canvas").last.wait_for(state="attached", timeout=20_000)
    time.sleep(1.5)
    shoot(page, "risk-map")
    for link, heading, name in [
        ("Model", "Model", "model"),
        ("Dispatch", "Dispatch", "dispatch"),
        ("Accounts", "Accounts", "admin"),
    ]:
        page.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()
        page.get_by_role("heading", name=heading).first.wait_for()
        if name == "dispatch":
            page.get_by_role("button", name="Make the lists").click()
            page.get_by_role("heading", name="Lists").wait_for(timeout=20_000)
            page.locator("canvas").first.wait_for(state="attached", timeout=20_000)
        time.sleep(1)
        shoot(page, name)
    admin.close()

    assert not internet, f"the app requested the internet: {internet[:3]}"


def test_clicking_a_pipe_on_the_map_shows_its_card(server, browser):
    import io

    from PIL import Image

    url, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    sign_in(page, url, "ada")
    page.get_by_text("Click a pipe on the map").wait_for(timeout=20_000)
    # The risk map is its own component (a frame): the server finds the clicked pipe.
    frame = page.frame_locator("iframe[title='pipe_map.pipe_map']")
    frame.locator("canvas").last.wait_for(state="attached", timeout=20_000)
    canvas = frame.locator("#map")
    # wait until the pipes are drawn, then click the middle of a drawn (coloured) pixel
    deadline, hit = time.monotonic() + 60, None
    while hit is None and time.monotonic() < deadline:
        image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        width, height = image.size
        pixels = image.load()
        coloured = [
            (x, y)
            for x in range(8, width - 8, 3)
            for y in range(8, height - 8, 3)
            if max(pixels[x, y]) - min(pixels[x, y]) > 60  # a band colour, not grey/white
            and all(max(pixels[x + d, y]) - min(pixels[x + d, y]) > 60 for d in (-1, 1))
        ]
        hit = coloured[len(coloured) // 2] if coloured else None
        if hit is None:
            time.sleep(0.5)
    assert hit is not None, "no pipe drawn on the map"
    canvas.click(position={"x": hit[0], "y": hit[1]})
    page.get_by_role("heading", name=re.compile(r"^Pipe P-")).wait_for(timeout=20_000)
    page.get_by_text("Inspection rank").first.wait_for(timeout=20_000)
    shoot(page, "risk-map-card")
    context.close()
