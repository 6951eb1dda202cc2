"""The field crew's journey (issue #15): on a phone, in a real browser, from sign-in to the
next pipe; and the printed sheets of a crew-day on A4.

The project's round is planned for next week, never today, so the crew page must open on
the crew's next planned day by itself. Every choice is a real tap in Chromium (nothing is
put into the session state). Screenshots go to ``test-artifacts/``. The app and Chromium are the ``server`` and ``browser``
fixtures of conftest.py (the app serves ``app_workspace`` below); like ``test_browser.py``,
skipped without Playwright or Chromium, except in CI.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import urllib.parse

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from apps import TODAY, USERS, app_as, build_workspace, texts
from browsing import ARTIFACTS, sign_in
from shapely.geometry import LineString

from risk import auth
from risk.dispatch import Crew, crewday, plan_inspections
from risk.dispatch.sheets import render_sheets
from risk.i18n import format_date
from risk.store import OutcomeStore

NEXT_WEEK = TODAY + dt.timedelta(days=7)
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def app_workspace(tmp_path_factory):
    """Crew Nord's day next week: 27 pipes (3 from ``build_workspace`` and 24 more); one
    overdue inspection last week and one the day after, which the page must not open on."""
    workspace = build_workspace(tmp_path_factory.mktemp("journey"), planned_date=NEXT_WEEK)
    more = pd.DataFrame(
        {
            "pipe_id": [f"P-{i:04d}" for i in range(6, 32)],
            "crew": "Nord",
            "date": [pd.Timestamp(NEXT_WEEK)] * 24
            + [pd.Timestamp(TODAY - dt.timedelta(days=7)), pd.Timestamp(NEXT_WEEK + dt.timedelta(days=1))],
            "visit_order": [*range(4, 28), 1, 1],
        }
    )  # fmt: skip
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        store.add_assignments(more, user="erin", round_id="round-2")
    return workspace


# -- what the page decides (risk.dispatch.crewday) --------------------------------------------


def _assignments(rows) -> pd.DataFrame:
    table = pd.DataFrame(
        rows, columns=["assignment_id", "pipe_id", "planned_date", "visit_order", "status"]
    )
    table["planned_date"] = pd.to_datetime(table["planned_date"])
    return table


def test_the_day_a_crew_opens_on():
    table = _assignments(
        [(1, "A", "2026-01-02", 1, "done"), (2, "B", "2026-01-05", 1, "planned"),
         (3, "C", "2026-01-06", 1, "planned"), (4, "D", "2025-12-30", 1, "planned")]
    )  # fmt: skip
    day = dt.date
    # the first day on or after today with inspections still planned (not today, not the past)
    assert crewday.opening_day(table, day(2026, 1, 2)) == (day(2026, 1, 5), "next")
    assert crewday.opening_day(table, day(2026, 1, 6)) == (day(2026, 1, 6), "next")
    # none from today on: the last day that still has planned ones, said plainly
    assert crewday.opening_day(table, day(2026, 2, 1)) == (day(2026, 1, 6), "last")
    done = table.assign(status="done")
    assert crewday.opening_day(done, day(2026, 2, 1)) == (day(2026, 1, 6), "done")
    assert crewday.opening_day(table.iloc[:0], day(2026, 2, 1)) == (None, "none")


def test_the_days_list_is_in_plain_words_and_the_next_pipe_follows_the_last_saved():
    table = _assignments(
        [(7, "P2", "2026-01-05", 2, "planned"), (6, "P1", "2026-01-05", 1, "done"),
         (8, "P3", "2026-01-05", 3, "planned"), (9, "P4", "2026-01-05", 4, "planned")]
    )  # fmt: skip
    pipes = pd.DataFrame(
        {"pipe_id": ["P1", "P2", "P3", "P4"], "material": ["cast_iron", None, "pvc", "weird_stuff"],
         "diameter_mm": [150.0, np.nan, 100.0, 80.0], "length_m": [95.0, 10.0, np.nan, 1234.5]}
    )  # fmt: skip
    view = crewday.crew_view(table, pipes, today=dt.date(2026, 1, 2), lang="fr")
    assert view.day == dt.date(2026, 1, 5) and view.opening == "next"
    assert view.rows["pipe_id"].tolist() == ["P1", "P2", "P3", "P4"]  # visiting order
    assert view.rows["details"].tolist() == [
        "fonte grise, 150\u00a0mm, 95\u00a0m", "–, –, 10\u00a0m", "PVC, 100\u00a0mm, –",
        "weird stuff, 80\u00a0mm, 1\u202f234\u00a0m",
    ]  # fmt: skip
    shown = " ".join(view.rows[["details", "look_for", "option", "button"]].to_numpy().ravel())
    assert "None" not in shown and "nan" not in shown and "cast_iron" not in shown
    assert view.rows["look_for"].iloc[0].startswith("fissures circulaires")
    assert view.next_assignment() == 7
    assert view.next_assignment(after=8) == 9  # after a save: the next one in visiting order
    assert view.next_assignment(after=9) == 7  # ... or back to the first one still to do
    assert view.options()[6].startswith("✓ 1 · P1")  # a recorded pipe stays selectable
    event = {"selection": {"objects": {crewday.STOPS_LAYER: [{"id": "P3", "aid": 8}]}}}
    assert crewday.picked_assignment(event, view) == 8
    assert crewday.picked_assignment({"selection": {"objects": {}}}, view) is None


def test_a_pipe_the_latest_export_no_longer_has_is_said_on_the_crews_list():
    """Planned before a reload whose export dropped it: the crew's page crashed ("boolean
    value of NA is ambiguous"); the list now says the pipe is not in the latest export."""
    table = _assignments(
        [(1, "P1", "2026-01-05", 1, "planned"), (2, "GONE", "2026-01-05", 2, "planned")]
    )
    pipes = pd.DataFrame({"pipe_id": ["P1"], "material": pd.array(["pvc"], dtype="string"),
                          "diameter_mm": [100.0], "length_m": [95.0]})  # fmt: skip
    # the workspace's material is text: a pipe it lacks merges as NA, which crashed the page
    view = crewday.crew_view(table, pipes, today=dt.date(2026, 1, 5), lang="en")
    assert view.rows["details"].tolist()[1].startswith("not in the network's latest export")
    french = crewday.crew_view(table, pipes, today=dt.date(2026, 1, 5), lang="fr")
    assert "demandez à votre ingénieur" in french.rows["details"].tolist()[1]
    assert "GONE" in french.rows["button"].tolist()[1]
    # the next pipe to visit is one the network has; the other only when nothing else is left
    gone_first = _assignments(
        [(1, "GONE", "2026-01-05", 1, "planned"), (2, "P1", "2026-01-05", 2, "planned")]
    )
    view = crewday.crew_view(gone_first, pipes, today=dt.date(2026, 1, 5), lang="en")
    assert view.next_assignment() == 2 and view.next_assignment(after=2) == 2
    only_gone = _assignments(
        [(1, "GONE", "2026-01-05", 1, "planned"), (2, "P1", "2026-01-05", 2, "done")]
    )
    view = crewday.crew_view(only_gone, pipes, today=dt.date(2026, 1, 5), lang="en")
    assert view.next_assignment() == 1


def test_a_cancelled_round_leaves_the_crews_list_of_that_day():
    """Two rounds on one day, one cancelled: the list read "76 pipes, 35 left", with its
    stop numbers twice."""
    table = _assignments(
        [(1, "P1", "2026-01-05", 1, "planned"), (2, "P2", "2026-01-05", 2, "done"),
         (3, "P3", "2026-01-05", 1, "cancelled"), (4, "P4", "2026-01-05", 2, "cancelled")]
    )  # fmt: skip
    pipes = pd.DataFrame({"pipe_id": ["P1", "P2", "P3", "P4"], "material": "pvc"})
    view = crewday.crew_view(table, pipes, today=dt.date(2026, 1, 2), lang="en")
    assert view.rows["pipe_id"].tolist() == ["P1", "P2"]
    assert len(view.pending) == 1 and view.next_assignment() == 1


def test_pipes_of_one_inspection_unit_are_named_together_in_the_days_list():
    table = _assignments(
        [(1, "P1", "2026-01-05", 1, "planned"), (2, "P2", "2026-01-05", 2, "planned"),
         (3, "P3", "2026-01-05", 3, "planned"), (4, "P9", "2026-01-05", 4, "planned")]
    )  # fmt: skip
    pipes = pd.DataFrame({"pipe_id": ["P1", "P2", "P3", "P9"], "material": ["pvc"] * 4})
    units = pd.DataFrame(
        {
            "pipe_id": ["P1", "P2", "P3"],
            "unit_id": ["U-P1", "U-P1", "U-P3"],
            "unit_order": [1, 2, 1],
        }
    )
    rows = crewday.day_list(table, pipes, dt.date(2026, 1, 5), "en", units)
    assert rows["unit_id"].tolist() == ["U-P1", "U-P1", "U-P3", ""]
    assert rows["unit_line"].iloc[1] == (
        "Inspection unit U-P1: pipe 2 of 2 on today's list, walk them in order"
    )
    assert rows["unit_line"].iloc[2:].tolist() == ["", ""]  # alone that day, or no unit
    assert rows["button"].iloc[0].endswith("· unit U-P1, 1/2")
    assert "unit" not in rows["button"].iloc[2]
    french = crewday.day_list(table, pipes, dt.date(2026, 1, 5), "fr", units)
    assert french["unit_line"].iloc[0].startswith("Unité d'inspection U-P1 : conduite 1 sur 2")
    assert crewday.day_list(table, pipes, dt.date(2026, 1, 5), "en")["unit_line"].eq("").all()


def test_a_crew_whose_lists_are_all_in_the_past_is_told_so(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path, planned_date=TODAY - dt.timedelta(days=10))
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "nadia", "crew")
    assert not at.exception
    day = format_date(TODAY - dt.timedelta(days=10))
    assert at.date_input[0].value == TODAY - dt.timedelta(days=10)
    assert f"the last day that still has pipes to inspect, {day}" in texts(at)
    assert f"Nord, {day}: 3 pipes, 3 left to do." in texts(at)


def test_the_crew_page_in_french_has_no_codes(app_workspace, monkeypatch):
    monkeypatch.setenv("RISK_WORKSPACE", str(app_workspace))
    at = app_as(app_workspace, "nadia", "crew", lang="fr")
    assert not at.exception
    shown = texts(at) + " ".join(str(b.label) for b in at.button)
    shown += " ".join(at.selectbox(key="f_assignment").options)
    assert "fonte grise" in shown or "amiante-ciment" in shown
    for code in ("cast_iron", "ductile_iron", "asbestos_cement", "None", "00:00"):
        assert code not in shown
    assert f"Nord, {format_date(NEXT_WEEK, 'fr')} : 27 conduites" in texts(at)


# -- the journey in Chromium ------------------------------------------------------------------


def _phone(browser):
    """A 390x844 touch phone (a small touch window on a Chromium without mobile emulation)."""
    try:
        return browser.new_context(
            viewport=PHONE, device_scale_factor=1, has_touch=True, is_mobile=True
        )
    except Exception:  # noqa: BLE001 - a Chromium without mobile emulation: a small window
        return browser.new_context(viewport=PHONE, device_scale_factor=1, has_touch=True)


def _kept_sign_in(context) -> list[dict]:
    """The browser's session cookies once the page's script has kept the sign-in (a reload
    before then opens the sign-in form)."""
    for _ in range(100):
        cookies = [c for c in context.cookies() if c["name"].startswith("risk_session_")]
        if cookies:
            return cookies
        time.sleep(0.1)
    raise AssertionError("the page did not keep the sign-in within 10 s")


def _crew_on_a_phone(browser, url: str):
    """A phone signed in as the crew member sam, on the day's list, its sign-in kept."""
    phone = _phone(browser)
    page = phone.new_page()
    sign_in(page, url, "sam")
    page.get_by_role("heading", name="Inspection list").wait_for()
    _kept_sign_in(phone)
    return phone, page


def _watch(page, requests: list[str]) -> None:
    """Collect every request that leaves 127.0.0.1 (data: and blob: URLs stay in the page)."""

    def check(request):
        url = urllib.parse.urlsplit(request.url)
        if url.scheme not in ("data", "blob") and url.hostname != "127.0.0.1":
            requests.append(request.url)

    page.on("request", check)


def _shoot(page, name: str, *, full: bool = False) -> None:
    """A screenshot; ``full``: the whole page (Streamlit scrolls inside its main block, so
    the viewport is stretched to the page's height for the shot)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    if full:
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        time.sleep(0.7)
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    page.set_viewport_size(size)


def _chosen(page, title: str) -> None:
    """Wait until the pipe chosen in the form (the select above it) is ``title``, and only
    it: while the app reruns, the select of the run before may still be on the page."""
    # a pipe already recorded is ticked: "✓ 1 · P-0000 — PVC"
    pattern = re.compile(rf"^(✓ )?{re.escape(title)} —")
    deadline = time.monotonic() + 20
    while True:
        boxes = page.get_by_role("combobox", name="Pipe")
        try:
            values = [boxes.nth(i).input_value(timeout=1_000) for i in range(boxes.count())]
        except Exception:  # noqa: BLE001 - an element removed while read: read again
            values = []
        if len(values) == 1 and pattern.match(values[0]):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the chosen pipe is {values}, expected {title}")
        time.sleep(0.2)


def _settled(page) -> None:
    """Wait until the app has finished its run (Streamlit's "Running..." status is gone)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)


def _outcomes(workspace) -> pd.DataFrame:
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        return store.outcomes()


def test_a_crew_member_on_a_phone_finds_the_day_and_records_a_leak_in_three_taps(server, browser):
    from playwright.sync_api import expect

    url, workspace = server
    outside: list[str] = []
    phone = _phone(browser)
    page = phone.new_page()
    _watch(page, outside)
    sign_in(page, url, "nadia")
    page.get_by_role("heading", name="Inspection list").wait_for()

    # Next week's list, without touching the date (today has nothing planned).
    day = format_date(NEXT_WEEK)
    page.get_by_text(f"Nord, {day}: 27 pipes, 27 left to do.").wait_for(timeout=20_000)
    assert page.get_by_text("Nothing planned").count() == 0
    _chosen(page, "1 · P-0000")
    # The form sits under the next pipe, above the list (not below 27 rows).
    save = page.get_by_role("button", name="Save")
    first = page.get_by_role("button", name="1 · P-0000")
    assert save.bounding_box()["y"] < first.bounding_box()["y"]
    assert save.bounding_box()["y"] < 1.2 * PHONE["height"]
    page.locator("canvas").first.wait_for(state="attached", timeout=20_000)
    _shoot(page, "journey-crew-phone")
    _shoot(page, "journey-crew-phone-full", full=True)

    # Tap a later pipe: its form opens; then the first one; record a leak in three taps.
    page.get_by_role("button", name="5 · P-0007").tap()
    _chosen(page, "5 · P-0007")
    expect(page.get_by_text("Chosen pipe")).to_be_visible()
    first.tap()
    _chosen(page, "1 · P-0000")
    page.locator(".st-key-f_result").get_by_text("Leak found", exact=True).tap()
    page.locator(".st-key-f_leak_kind").get_by_text("joint", exact=True).tap()
    save.tap()
    expect(page.get_by_text("Saved for pipe P-0000: leak found (record")).to_be_visible(
        timeout=20_000
    )
    stored = _outcomes(workspace)
    assert stored[["pipe_id", "result", "leak_kind", "recorded_by"]].values.tolist() == [
        ["P-0000", "leak_found", "joint", "nadia"]
    ]

    # The flow was forgotten: back to the pipe, the form says what is recorded and that the
    # new record replaces it; a decimal comma is read as one.
    _chosen(page, "2 · P-0001")
    page.get_by_text(f"Nord, {day}: 27 pipes, 26 left to do.").wait_for()
    _settled(page)  # a tap during the save's rerun is lost
    first.tap()
    _chosen(page, "1 · P-0000")
    expect(page.get_by_text("Already recorded for this pipe on")).to_be_visible()
    replaces = page.get_by_role(
        "radio", name=re.compile(r"^replaces leak found at a joint \(record")
    )
    expect(replaces).to_be_checked()
    page.locator(".st-key-f_result").get_by_text("Leak found", exact=True).tap()
    page.locator(".st-key-f_leak_kind").get_by_text("joint", exact=True).tap()
    page.locator(".st-key-f_flow input").fill("2,5")
    save.tap()
    expect(
        page.get_by_text("Saved for pipe P-0000: leak found (record 2), correcting")
    ).to_be_visible(timeout=20_000)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        counted = store.outcomes(counted=True)
    assert counted[["pipe_id", "flow_m3_per_h"]].values.tolist() == [["P-0000", 2.5]]

    # The next pipe comes up, with a blank form: nothing carried over from the leak.
    _chosen(page, "2 · P-0001")
    expect(page.get_by_text("Next pipe to visit")).to_be_visible()
    assert page.locator(".st-key-f_result input:checked").count() == 0
    assert page.locator(".st-key-f_leak_kind input:checked").count() == 0
    assert page.locator(".st-key-f_flow input").input_value() == ""
    page.get_by_text(f"Nord, {day}: 27 pipes, 26 left to do.").wait_for()
    _shoot(page, "journey-crew-phone-saved")

    # A double tap on Save records once.
    page.locator(".st-key-f_result").get_by_text("Nothing found", exact=True).tap()
    save.dblclick()
    _chosen(page, "3 · P-0002")
    time.sleep(1.5)  # let a second submission, if any, reach the store
    stored = _outcomes(workspace)
    assert (stored["pipe_id"] == "P-0001").sum() == 1
    assert len(stored) == 3

    # Three quick taps on Save with a leak: one record, on the pipe the form was for. The
    # later taps reached the page once it had moved on to the next pipe, still carrying the
    # leak: it was recorded on a pipe nobody had inspected.
    _settled(page)
    page.locator(".st-key-f_result").get_by_text("Leak found", exact=True).tap()
    page.locator(".st-key-f_leak_kind").get_by_text("joint", exact=True).tap()
    _settled(page)
    box = save.bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.touchscreen.tap(*centre)
    page.get_by_text("Saved for pipe P-0002").wait_for(timeout=20_000)
    page.touchscreen.tap(*centre)  # the next taps, as the page moves on to the next pipe
    time.sleep(0.1)
    page.touchscreen.tap(*centre)
    _chosen(page, "4 · P-0006")
    time.sleep(3)  # let the later taps reach the store
    _settled(page)
    stored = _outcomes(workspace)
    assert stored.loc[stored["pipe_id"] == "P-0002", "result"].tolist() == ["leak_found"]
    assert len(stored) == 4, stored[["pipe_id", "result"]]
    expect(page.get_by_text("P-0002: leak found (record 4)")).to_be_visible()
    assert page.locator(".st-key-f_result input:checked").count() == 0  # P-0006: blank

    # A pipe typed by hand: an unknown number is said in words (it was the store's English
    # refusal with a folder path); a number typed then ONE tap on Save records it (the
    # first tap was lost: the field sat outside the form), and its stop counts as done.
    _settled(page)
    page.get_by_role("combobox", name="Pipe").click()
    page.keyboard.type("Another")  # the last of 28 options: typed to, as a person would
    page.get_by_role("option", name=re.compile("^Another pipe")).click()
    other = page.locator(".st-key-f_other_pipe input")
    other.wait_for(timeout=20_000)
    expect(page.locator(".st-key-f_result")).to_have_count(1, timeout=20_000)  # rerun done
    page.locator(".st-key-f_result").get_by_text("Nothing found", exact=True).tap()
    other.fill("P-9999")
    save.tap()
    expect(page.get_by_text("This pipe is not in the network")).to_be_visible(timeout=20_000)
    assert page.get_by_text("Saved for pipe").count() == 0  # the last save's note is gone
    assert "outcomes.sqlite" not in page.get_by_test_id("stMain").inner_text()
    _settled(page)
    other.fill("P-0007")
    save.tap()
    expect(page.get_by_text("Saved for pipe P-0007: nothing found")).to_be_visible(timeout=20_000)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        planned = store.assignments()
    assert planned.loc[planned["pipe_id"] == "P-0007", "status"].tolist() == ["done"]

    # The list folds away; a tap on a pipe of the map chooses that pipe.
    page.get_by_text("The day's list").first.tap()
    expect(page.get_by_role("button", name="27 · P-0029")).to_be_hidden()
    canvas = page.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    hit = _a_pipe_to_visit(canvas)
    assert hit is not None, "no pipe still to visit drawn on the map"
    canvas.tap(position={"x": hit[0], "y": hit[1]})
    expect(page.get_by_role("combobox", name="Pipe")).not_to_have_value(
        re.compile(r"^3 · P-0002 —"), timeout=20_000
    )
    expect(page.get_by_text("Chosen pipe")).to_be_visible()
    # then a pipe chosen in the list stays chosen (it snapped back to the tapped one)
    _settled(page)
    page.get_by_role("combobox", name="Pipe").click()
    page.keyboard.type("P-0002")
    page.get_by_role("option", name=re.compile("P-0002")).click()
    _chosen(page, "3 · P-0002")
    time.sleep(3)  # the redrawn map's own reruns
    _settled(page)
    _chosen(page, "3 · P-0002")
    phone.close()

    # The same page on a desk, in English and in French.
    desk = browser.new_context(viewport=DESK)
    page = desk.new_page()
    _watch(page, outside)
    sign_in(page, url, "nadia")
    page.get_by_text(f"Nord, {day}: 27 pipes, 23 left to do.").wait_for(timeout=20_000)
    page.locator("canvas").first.wait_for(state="attached", timeout=20_000)
    _shoot(page, "journey-crew-desk", full=True)
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    page.get_by_role("option", name="Français").click()
    page.get_by_role("heading", name="Liste d'inspection").wait_for(timeout=20_000)
    page.get_by_text("27 conduites, 23 restantes").first.wait_for()
    chosen = page.get_by_role("combobox", name="Conduite")
    expect(chosen).not_to_have_value(re.compile("cast iron|ductile iron|asbestos cement"))
    shown = page.get_by_test_id("stMain").inner_text()
    assert "fonte grise" in shown or "amiante-ciment" in shown
    assert not re.search(r"cast_iron|asbestos_cement|ductile_iron|\bNone\b|00:00:00", shown)
    # Typing the flow then Enter neither saves half a form nor shows Streamlit's English
    # hint ("Press Enter to submit form") under the French field.
    recorded = len(_outcomes(workspace))
    flow = page.locator(".st-key-f_flow input")
    flow.fill("1,5")
    flow.press("Enter")
    time.sleep(1.5)
    assert len(_outcomes(workspace)) == recorded
    assert "Press Enter" not in page.get_by_test_id("stMain").inner_text()
    assert flow.input_value() == "1,5"
    _shoot(page, "journey-crew-desk-fr", full=True)
    desk.close()
    assert not outside, f"requests left 127.0.0.1: {outside[:3]}"


def test_a_reload_keeps_the_crew_signed_in_and_a_sign_out_ends_it(server, browser):
    """A phone reloads the page when its owner switches apps and back: the crew stays
    signed in on the day's list. After signing out (the sidebar folds away from the form)
    a reload opens the sign-in form: the next person on a shared phone is not the last."""
    from playwright.sync_api import expect

    url, _ = server
    phone, page = _crew_on_a_phone(browser, url)
    page.reload()
    page.get_by_role("heading", name="Inspection list").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Sign in").count() == 0
    _shoot(page, "journey-crew-reloaded")

    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.tap()
    page.get_by_role("button", name="Sign out").tap()
    page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
    expect(page.get_by_role("button", name="Expand sidebar")).to_be_visible(timeout=20_000)
    page.get_by_role("textbox", name="User name").tap()  # not under the sidebar
    assert not [c for c in phone.cookies() if c["name"].startswith("risk_session_")]
    # the next person starts at the app's address, not at the page the last one left open
    expect(page).to_have_url(url.rstrip("/") + "/")
    page.reload()
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    assert page.get_by_role("heading", name="Inspection list").count() == 0
    _shoot(page, "journey-crew-signed-out-reloaded")
    phone.close()


def test_a_crews_page_on_a_desk_stays_narrow_across_a_reload(server, browser):
    """A crew's page is laid out narrow (one column, as on the phone); after a reload it
    opened wide, and snapped narrow at the first click."""
    url, _ = server
    desk = browser.new_context(viewport=DESK)
    page = desk.new_page()
    sign_in(page, url, "sam")
    page.get_by_role("heading", name="Inspection list").wait_for()
    main = page.get_by_test_id("stMainBlockContainer")

    def width() -> float:
        return main.bounding_box()["width"]

    narrow = width()
    assert narrow < 0.7 * DESK["width"]
    _kept_sign_in(desk)
    page.reload()
    page.get_by_role("heading", name="Inspection list").wait_for(timeout=30_000)
    assert width() == narrow
    desk.close()


def test_a_tab_left_behind_does_not_sign_out_a_newer_sign_in(server, browser):
    """Two tabs of one browser: sign out in B, sign in again there; a click in the old tab
    A ends A only (it says so), and B stays signed in across a reload (A's clean-up once
    removed the cookie that held B's new sign-in)."""
    url, _ = server
    desk = browser.new_context(viewport=DESK)
    a = desk.new_page()
    sign_in(a, url, "erin")
    b = desk.new_page()
    b.goto(url)
    b.get_by_text("Signed in as erin").wait_for(timeout=30_000)  # the kept sign-in
    b.get_by_role("button", name="Sign out").click()
    b.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
    sign_in(b, url, "erin")
    a.bring_to_front()
    a.get_by_role("link", name="Model").first.click()
    a.get_by_text("Your sign-in has ended").wait_for(timeout=20_000)
    time.sleep(1)  # the old tab's script has run
    b.reload()
    b.get_by_text("Signed in as erin").wait_for(timeout=30_000)
    assert b.get_by_role("button", name="Sign in").count() == 0
    desk.close()


def test_a_leak_typed_when_the_sign_in_ended_is_saved_after_signing_in_again(server, browser):
    """The crew's sign-in ends under the form (signed out on another phone, a password
    reset, 12 hours): Save records nothing, the sign-in page says what was typed is kept;
    signing in again brings it back in the form, and Save records it."""
    from playwright.sync_api import expect

    url, workspace = server
    phone, page = _crew_on_a_phone(browser, url)
    pipe = page.get_by_role("combobox", name="Pipe").input_value()
    cookies = _kept_sign_in(phone)
    before = len(_outcomes(workspace))
    page.locator(".st-key-f_result").get_by_text("Leak found", exact=True).tap()
    page.locator(".st-key-f_leak_kind").get_by_text("main", exact=True).tap()
    page.locator(".st-key-f_flow input").fill("0,8")
    page.get_by_text("Date, repair, notes").tap()
    page.locator(".st-key-f_notes textarea").fill("by the school gate")
    auth.end_session(workspace / "outcomes.sqlite", cookies[0]["value"])  # ended elsewhere
    page.get_by_role("button", name="Save").tap()
    page.get_by_text("It is kept for sam").wait_for(timeout=20_000)
    assert len(_outcomes(workspace)) == before
    # the page opens at its top (it kept the form's scroll: the notice was under the header)
    expect(page.get_by_role("heading", name="Leak risk")).to_be_in_viewport()
    time.sleep(0.5)
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") == 0
    _shoot(page, "journey-crew-draft-kept")
    sign_in(page, url, "sam", go=False)
    page.get_by_text("What you typed is back in the form").wait_for(timeout=20_000)
    expect(page.get_by_role("combobox", name="Pipe")).to_have_value(pipe)
    expect(page.locator(".st-key-f_flow input")).to_have_value("0,8")
    # the details open by themselves: the kept note is seen
    expect(page.locator(".st-key-f_notes textarea")).to_be_visible()
    expect(page.locator(".st-key-f_notes textarea")).to_have_value("by the school gate")
    _shoot(page, "journey-crew-draft-back")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Saved for pipe")).to_be_visible(timeout=20_000)
    stored = _outcomes(workspace).iloc[before:]
    assert stored[
        ["result", "leak_kind", "flow_m3_per_h", "notes", "recorded_by"]
    ].values.tolist() == [["leak_found", "main", 0.8, "by the school gate", "sam"]]
    phone.close()


def test_what_a_crew_typed_comes_back_after_the_page_reloads(server, browser):
    """A phone reloads the page when its owner switches to the camera and back; a form's
    fields reach the server only at Save, so the leak, flow and note typed were lost. The
    page keeps them in the browser as they are typed: after the reload they are back, Save
    records them, and a reload after the save shows a blank form."""
    from playwright.sync_api import expect

    url, workspace = server
    phone, page = _crew_on_a_phone(browser, url)
    pipe = page.get_by_role("combobox", name="Pipe").input_value()
    before = len(_outcomes(workspace))
    page.locator(".st-key-f_result").get_by_text("Leak found", exact=True).tap()
    page.locator(".st-key-f_leak_kind").get_by_text("joint", exact=True).tap()
    page.locator(".st-key-f_flow input").fill("1,2")
    page.get_by_text("Date, repair, notes").tap()
    page.locator(".st-key-f_notes textarea").fill("valve box cracked, water on the kerb")
    time.sleep(0.5)  # typed, not saved: the crew switches to the camera
    page.reload()
    page.get_by_text("What you had typed is back in the form").wait_for(timeout=30_000)
    expect(page.get_by_role("combobox", name="Pipe")).to_have_value(pipe)
    expect(page.get_by_text("Next pipe to visit")).to_be_visible()  # still the next one
    expect(page.get_by_role("radio", name="Leak found")).to_be_checked()
    expect(page.get_by_role("radio", name="joint")).to_be_checked()
    expect(page.locator(".st-key-f_flow input")).to_have_value("1,2")
    expect(page.locator(".st-key-f_notes textarea")).to_have_value(
        "valve box cracked, water on the kerb"
    )
    assert len(_outcomes(workspace)) == before  # a copy in the browser, not a record
    _shoot(page, "journey-crew-typed-back")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Saved for pipe")).to_be_visible(timeout=20_000)
    stored = _outcomes(workspace).iloc[before:]
    assert stored[["pipe_id", "result", "leak_kind", "flow_m3_per_h", "notes"]].values.tolist() == [
        [pipe.split(" ")[2], "leak_found", "joint", 1.2, "valve box cracked, water on the kerb"]
    ]
    time.sleep(1)  # the next form's script has run
    assert not [c for c in phone.cookies() if c["name"].startswith("risk_form_")]
    page.reload()
    page.get_by_role("heading", name="Inspection list").wait_for(timeout=30_000)
    expect(page.get_by_role("button", name="Save")).to_be_visible(timeout=20_000)
    assert page.get_by_text("What you had typed is back").count() == 0
    assert page.locator(".st-key-f_flow input").input_value() == ""
    phone.close()


def test_a_language_switch_under_a_typed_form_keeps_what_was_tapped(server, browser):
    """Switching language redrew the form's choices in the new words and dropped the result
    and leak kind already tapped (a form's fields reach the server only at Save)."""
    from playwright.sync_api import expect

    url, workspace = server
    phone, page = _crew_on_a_phone(browser, url)
    page.locator(".st-key-f_result").get_by_text("Leak found", exact=True).tap()
    page.locator(".st-key-f_leak_kind").get_by_text("valve", exact=True).tap()
    page.locator(".st-key-f_flow input").fill("0,4")
    time.sleep(0.5)

    def switch(to: str) -> None:
        expand = page.get_by_test_id("stExpandSidebarButton")
        if expand.is_visible():
            expand.tap()
        page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
        page.get_by_role("option", name=to).click()

    switch("Français")
    page.get_by_role("heading", name="Liste d'inspection").wait_for(timeout=30_000)
    expect(page.get_by_role("radio", name="Fuite trouvée")).to_be_checked(timeout=30_000)
    expect(page.get_by_role("radio", name="vanne")).to_be_checked()
    expect(page.locator(".st-key-f_flow input")).to_have_value("0,4")
    # the sidebar opened to switch does not come back over the form after the reload
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    _shoot(page, "journey-crew-language-switched")
    switch("English")  # the account's language back, for the other journeys
    page.get_by_role("heading", name="Inspection list").wait_for(timeout=30_000)
    expect(page.get_by_role("radio", name="Leak found")).to_be_checked(timeout=30_000)
    phone.close()


def _a_pipe_to_visit(canvas) -> tuple[int, int] | None:
    """A point of a pipe still to visit (drawn in blue) on the crew map, found in a
    screenshot of the canvas once the map is drawn."""
    from PIL import Image

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        pixels = np.asarray(image).astype(int)
        blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 60)  # a pipe still to visit
        ys, xs = np.nonzero(blue)
        if len(xs):
            k = len(xs) // 2
            return int(xs[k]), int(ys[k])
        time.sleep(0.5)
    return None


# -- the printed sheets ----------------------------------------------------------------------


def _plan(crews: list[Crew]) -> gpd.GeoDataFrame:
    """The lists of ``crews`` on a street grid: mixed materials, three reasons per pipe."""
    rng = np.random.default_rng(3)
    n, side = 400, 20
    x0, y0 = 842_000.0, 6_519_000.0
    lines = [
        LineString([(x0 + 120 * (i % side), y0 + 120 * (i // side)),
                    (x0 + 120 * (i % side) + 110, y0 + 120 * (i // side) + 15)])
        for i in range(n)
    ]  # fmt: skip
    ids = [f"P{i:06d}" for i in range(n)]
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ids,
         "material": rng.choice(["cast_iron", "pvc", "ductile_iron", "asbestos_cement", "steel"], n),
         "diameter_mm": rng.choice([60.0, 100.0, 150.0, 200.0], n),
         "install_year": pd.array(rng.integers(1930, 2015, n), dtype="Int64"),
         "length_m": rng.uniform(60, 170, n).round(1), "pressure_zone": "haut"},
        geometry=lines, crs="EPSG:2154",
    )  # fmt: skip
    probability = np.sort(rng.uniform(0.01, 0.4, n))[::-1]
    scores = pd.DataFrame(
        {"pipe_id": ids, "probability": probability, "expected_failures": probability,
         "rank": np.arange(1, n + 1),
         "top_reasons": "cast iron, 92 years old (LEYP rate 5.56/km); 1 failure in the last 5 "
                        "years; 13 failures on other pipes nearby in the last 10 years"}
    )  # fmt: skip
    return plan_inspections(scores, pipes, crews)


def _pdf_pages(page, html: str) -> int:
    page.set_content(html)
    pdf = page.pdf(format="A4")
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


def test_a_crew_day_of_30_pipes_prints_on_two_a4_pages(browser):
    monday, tuesday = dt.date(2026, 1, 5), dt.date(2026, 1, 6)
    plan = _plan([Crew("Equipe Nord", (monday,), checks_per_day=30)])
    assert len(plan) == 30
    page = browser.new_page()
    for lang, general in (("en", "Listen along the pipe"), ("fr", "Écouter le long")):
        sheet = render_sheets(plan, lang=lang)
        assert sheet.count(general) == 1  # the guidance once per sheet, not on every row
        assert "cast_iron" not in sheet and "None" not in sheet and "00:00" not in sheet
        assert 1 <= _pdf_pages(page, sheet) <= 2, lang
    # A round of 2 crews x 2 days of 30 pipes: four sheets of at most two pages.
    days = (monday, tuesday)
    plan = _plan([Crew("Equipe Nord", days, checks_per_day=30),
                  Crew("Equipe Sud", days, checks_per_day=30)])  # fmt: skip
    sheet = render_sheets(plan)
    assert sheet.count("Listen along the pipe") == 4
    assert 4 <= _pdf_pages(page, sheet) <= 8
    page.close()


def test_the_crew_page_opens_on_the_crews_next_day_for_every_role(app_workspace, monkeypatch):
    monkeypatch.setenv("RISK_WORKSPACE", str(app_workspace))
    crew_members = [name for name, (role, _) in USERS.items() if role == "crew"]
    for username in [*crew_members, "ada"]:
        at = app_as(app_workspace, username, "crew")
        assert not at.exception, username
        assert at.date_input[0].value == NEXT_WEEK, username
        assert "Nothing planned" not in texts(at), username
