"""The dashboards in a real browser: a crew records an outcome, a manager sees it counted.

The ``server`` fixture (conftest.py) starts ``streamlit run dashboards/app.py`` on a free
port with a small project folder (``apps.build_workspace``); ``browser`` drives Debian's
Chromium with Playwright. Screenshots of each page go to ``test-artifacts/``. Skipped when
Playwright or Chromium is missing, except in CI (``CI`` set), where it fails; see
``browsing.py`` for the installation.
"""

from __future__ import annotations

import re
import time

from browsing import main_text, shoot, sign_in


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
    page.get_by_text(
        "Leak found", exact=True
    ).click()  # the leak kinds are one tap each (radio buttons)
    page.get_by_role("radiogroup", name="Where was the leak?").get_by_text("joint").click()
    page.get_by_role("textbox", name="Estimated flow (m³/h)").fill("2.5")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved for pipe").wait_for(timeout=20_000)
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


def test_a_crew_member_at_the_address_of_a_page_not_theirs_is_told_why(server, browser):
    """A bookmark or a link sent by a colleague: the sign-in there opens the crew's own page
    and says why (before: the list opened without a word). Before signing in, the address
    shows the sign-in form, not the page files' menu."""
    url, _ = server
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{url}/dispatch")
    page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
    assert "dispatch\nimpact" not in main_text(page)  # no menu of the page files
    sign_in(page, f"{url}/dispatch", "nadia")
    page.get_by_role("heading", name="Inspection list").wait_for(timeout=20_000)
    page.get_by_text("The page “Dispatch” you asked for is not open to your role").wait_for()
    shoot(page, "crew-redirected")
    phone.close()


def test_stopping_risk_serve_stops_the_dashboard(app_workspace):
    """A service manager stops `risk serve` with SIGTERM: its Streamlit child went on
    serving the port (found by stopping the demo's dashboard with kill)."""
    import signal
    import socket
    import subprocess
    import sys
    from pathlib import Path

    def listening(port: int) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    risk = Path(sys.executable).with_name("risk")
    proc = subprocess.Popen([str(risk), "serve", str(app_workspace), "--port", str(port)])
    try:
        deadline = time.monotonic() + 90
        while not listening(port):
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while listening(port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not listening(port), "the dashboard still serves after risk serve was stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
