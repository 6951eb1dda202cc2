"""Helpers of the browser tests (not a test module): the app on a port, Chromium, and what a
person does and reads on a page.

``serve_app`` and ``launch_chromium`` are the plumbing of the ``server`` and ``browser``
fixtures of ``conftest.py``. Chromium is Debian's (``RISK_TEST_CHROMIUM`` to use another);
without Playwright or Chromium the browser tests are skipped, except in CI (``CI`` set),
where they fail. Screenshots go to ``test-artifacts/``.

Install: ``pip install playwright`` and
``apt-get install -y --no-install-recommends chromium fonts-liberation``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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
#: Seconds the app has to answer its health check after ``streamlit run``.
START_TIMEOUT_S = 30


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(workspace: Path, log_path: Path) -> Iterator[str]:
    """``streamlit run dashboards/app.py`` on a free port serving ``workspace``; yields its
    URL once it answers, stops it afterwards. Its output goes to ``log_path``."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
             "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--", "--workspace", str(workspace)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"streamlit did not start; see {log_path}")
            time.sleep(0.3)
        try:
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def playwright_or_skip():
    """Playwright's ``sync_playwright``; skips the test without Playwright or Chromium (fails
    in CI)."""
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


@contextlib.contextmanager
def launch_chromium():
    """A headless Chromium driven by Playwright, closed afterwards."""
    sync_playwright = playwright_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def sign_in(page, url: str, username: str, *, go: bool = True) -> None:
    """Sign in at ``url`` as an account of ``apps.build_workspace`` (its ``PASSWORD``);
    ``go=False``: in the sign-in form the page already shows."""
    from apps import PASSWORD  # apps loads Streamlit; conftest imports this module early

    if go:
        page.goto(url)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}").wait_for(timeout=20_000)


def shoot(page, name: str) -> None:
    """``test-artifacts/<name>.png``: the whole page as the browser lays it out."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def main_text(page) -> str:
    """The text people read in the page and the sidebar (icon ligatures such as
    "keyboard_arrow_right", drawn as icons, left out)."""
    return page.evaluate(
        """() => ['stMain', 'stSidebar'].map(id => {
            const node = document.querySelector(`[data-testid="${id}"]`);
            if (!node) return '';
            const copy = node.cloneNode(true);
            copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach(n => n.remove());
            document.body.appendChild(copy);
            const text = copy.innerText;
            copy.remove();
            return text;
        }).join('\\n')"""
    )


def watch_internet(page, url: str, found: list) -> None:
    """Collect in ``found`` every request of ``page`` that leaves the app at ``url``."""

    def check(request):
        if not request.url.startswith(url) and not request.url.startswith(("data:", "blob:")):
            found.append(request.url)

    page.on("request", check)
