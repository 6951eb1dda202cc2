"""The risk map's switch and risk matrix in a real browser: a person clicks "Consequence",
then "Risk", sees the map recoloured, clicks a cell of the matrix and reads its pipes.

Screenshots: ``test-artifacts/risk-map-consequence.png``, ``risk-map-risk.png`` and
``risk-matrix-cell.png``.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest
from browsing import shoot, sign_in
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

#: Colours the map must show in each mode (risk.consequence.matrix): "severe" consequence
#: and "extreme" risk, both only for P-0000.
SEVERE = (77, 0, 75)
EXTREME = (165, 0, 38)


@pytest.fixture(scope="module")
def app_workspace(tmp_path_factory):
    """apps.build_workspace with a consequence: P-0000 (the likeliest, probability 0.39)
    severe; P-0001 to P-0004 minor by proxy; the others negligible; P-0035 none."""
    from apps import build_workspace

    workspace = build_workspace(tmp_path_factory.mktemp("risk-matrix"))
    ids = [f"P-{i:04d}" for i in range(35)]
    pd.DataFrame(
        {
            "pipe_id": ids,
            "cof_score": [0.9] + [0.1] * 4 + [0.0] * 30,
            "cof_grade": [5] + [2] * 4 + [1] * 30,
            "method": ["hydraulic"] + ["proxy"] * 4 + ["hydraulic"] * 30,
        }
    ).to_parquet(workspace / "consequence.parquet")
    return workspace


def shows_colour(page, colour, timeout_s: float = 60) -> bool:
    """Whether the map (its canvas) shows pixels of ``colour`` within ``timeout_s``."""
    from PIL import Image

    canvas = page.frame_locator("iframe[title='pipe_map.pipe_map']").locator("#map")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        pixels = np.asarray(image, dtype=int).reshape(-1, 3)
        found = int((np.abs(pixels - np.array(colour)).max(axis=1) <= 10).sum())
        if found >= 5:
            return True
        time.sleep(0.5)
    return False


def test_a_user_switches_the_map_and_opens_a_cell_of_the_risk_matrix(server, browser):
    url, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    sign_in(page, url, "erin")
    page.get_by_role("heading", name="Risk matrix").wait_for(timeout=30_000)
    assert not shows_colour(page, EXTREME, timeout_s=5)  # likelihood: no pipe in the top 2 %

    switch = page.locator(".st-key-map_mode")
    switch.get_by_text("Consequence", exact=True).click()
    assert shows_colour(page, SEVERE), "the severe pipe is not drawn in its colour"
    page.get_by_text("Estimated by proxies from the pipe graph").wait_for(timeout=20_000)
    shoot(page, "risk-map-consequence")

    switch.get_by_text("Risk", exact=True).click()
    assert shows_colour(page, EXTREME), "the extreme pipe is not drawn in its colour"
    shoot(page, "risk-map-risk")

    page.get_by_text("Risk grade of the risk matrix below").wait_for(timeout=20_000)
    # The matrix: a 165-pixel likelihood column, then (930 - 165) // 6 = 127 pixels for each
    # consequence and "not assessed" (risk_map.py); rows of 35 pixels under a 35-pixel header.
    # First row "almost certain", fifth consequence "severe": P-0000 alone.
    grid = page.locator("[data-testid='stDataFrame']").first
    page.get_by_text("Click a cell of the matrix to list its pipes").wait_for()
    title = page.get_by_text("Likelihood almost certain × consequence severe: risk extreme, 1 pipe")
    for _ in range(3):  # a click while the page still reruns after the switch is dropped
        grid.click(position={"x": 165 + 4 * 127 + 63, "y": 35 + 17})
        try:
            title.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    title.wait_for(timeout=10_000)
    # The cell's pipes: the table that lists grades (the map's own pipe table, which may
    # still be the second one on the page while the list renders, starts with P-0000 too).
    # Its cells are filled after they are attached.
    deadline = time.monotonic() + 20
    cells = []
    while time.monotonic() < deadline:
        frames = page.locator("[data-testid='stDataFrame']").all()[1:]
        listing = [f.locator("[role=gridcell]").all_inner_texts() for f in frames]
        cells = next((c for c in listing if "almost certain" in c), [])
        cells = [c for c in cells if c.strip()]  # the row's tick box has no text
        if cells[:2] and all(cells[:2]):
            break
        time.sleep(0.3)
    assert cells[:2] == ["1", "P-0000"]  # risk rank, pipe
    assert cells[4:7] == ["almost certain", "severe", "extreme"]
    title.scroll_into_view_if_needed()
    shoot(page, "risk-matrix-cell")

    # A row of the cell's list opens that pipe's card (it could only be read before)
    page.get_by_text("Pick a row to open that pipe's card above.").wait_for()
    frames = page.locator("[data-testid='stDataFrame']").all()
    listed = next(
        f for f in frames[1:] if "almost certain" in f.locator("[role=gridcell]").all_inner_texts()
    )
    listed.scroll_into_view_if_needed()
    time.sleep(1)
    box = listed.bounding_box()
    tick = (box["x"] + 18, box["y"] + 35 + 17)  # the first row's tick box
    page.mouse.move(*tick)
    time.sleep(0.3)
    page.mouse.click(*tick)
    page.get_by_role("heading", name="Pipe P-0000").wait_for(timeout=20_000)
    context.close()
