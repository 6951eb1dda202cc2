"""The manager's and the administrator's journeys in a real browser, and one savings answer.

A crew member's leak is recorded through ``risk.outcomes.writes`` (the crew journey itself is in
``test_browser.py``); the manager signs in and sees it counted with the same figures
everywhere (saved to date vs projected over a year, a small-sample warning); the
administrator deactivates an account with real clicks; a French account stays French. No
page shows Streamlit's Deploy button, a raw code, "None" or a time of day. Screenshots at
1400×900 and 390×844 go to ``test-artifacts/``.

The command line (``risk savings --json``) and the Impact page (AppTest) give the same
figures from the same store and ``[savings]`` settings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
from apps import PASSWORD, app_as, build_workspace
from browsing import main_text, shoot, sign_in, watch_internet

from risk import auth, clock
from risk.i18n import format_date, format_number, format_quantity
from risk.outcomes import writes
from risk.savings.impact import workspace_impact
from risk.store import OutcomeStore
from risk.workspace import load_workspace

TODAY = clock.today()
DESK = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
#: What must never reach a person: codes of the data and the store, Python's None, times.
RAW = re.compile(
    r"\b(None|NaN|nan|weibull_leyp|material_decade|prior_failures|leak_found|nothing_found|"
    r"no_access|set_role|set_active|create_user|record_outcome|[a-z]+_[a-z_]+)\b|\d\d:\d\d:\d\d"
)
SETTINGS = "[savings]\nsurvey_interval_years = 2\nrepair_days = 5\nhousehold_m3_per_year = 150\n"


def record_leaks(workspace) -> None:
    """Crew Nord's findings: a leak repaired 30 days ago, a leak not yet repaired, a pipe
    without a leak (recorded by nadia through the one guarded write path)."""
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        ids = store.assignments(crew="Nord").set_index("pipe_id")["assignment_id"]
    found = TODAY - dt.timedelta(days=40)
    rows = [
        {"pipe_id": "P-0000", "result": "leak_found", "leak_kind": "joint",
         "flow_m3_per_h": 1.5, "inspected_on": found, "repair_date": TODAY - dt.timedelta(days=30)},
        {"pipe_id": "P-0001", "result": "leak_found", "leak_kind": "main",
         "flow_m3_per_h": 2.5, "inspected_on": TODAY},
        {"pipe_id": "P-0002", "result": "nothing_found", "inspected_on": TODAY},
    ]  # fmt: skip
    for row in rows:
        row["assignment_id"] = int(ids[row["pipe_id"]])
        writes.record_outcome(workspace, "nadia", row, idempotency_key=f"k-{row['pipe_id']}")


# -- one answer: the command line and the Impact page ----------------------------------------


def test_risk_savings_and_the_impact_page_give_the_same_figures(run, tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    (workspace / "settings.toml").write_text(SETTINGS)
    record_leaks(workspace)

    code, out, err = run("savings", workspace, "--json")
    assert code == 0, err
    cli = json.loads(out)["summary"]
    assert cli["settings"]["survey_interval_years"] == 2.0  # the workspace's settings
    assert cli["settings"]["household_m3_per_year"] == 150.0
    assert (cli["leaks_found"], cli["leaks_repaired"]) == (2, 1)
    assert cli["saved_m3_to_date"] == pytest.approx(1.5 * 24 * 31)  # repaired 30 days ago
    assert cli["households_for_a_year"] == pytest.approx(cli["projected_m3_year"] / 150.0)

    at = app_as(workspace, "marc")  # the manager's first page: Impact
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leaks found"] == format_number(cli["leaks_found"])
    assert metrics["Water saved to date"] == format_quantity(cli["saved_m3_to_date"], "m³")
    assert metrics["Projected over a year"] == format_quantity(cli["projected_m3_year"], "m³")
    assert metrics["Households supplied for a year"] == format_number(cli["households_for_a_year"])
    # The package function behind both.
    same = workspace_impact(workspace)["savings"]
    assert same["projected_m3_year"] == pytest.approx(cli["projected_m3_year"])

    # The terminal tells the same story in the same words.
    code, out, _ = run("savings", workspace)
    page = "\n".join(m.value for m in at.markdown).replace("**", "")
    for line in out.splitlines():
        if line.startswith(("Saved to date", "Projected over a year", "Checked on")):
            assert line in page
    assert "Repairs entered: 1 of 2 leaks found" in out
    assert "1 leak has no repair date yet" in out

    # A flag overrides the setting, for that run only.
    code, out, _ = run("savings", workspace, "--household-m3-per-year", "100", "--json")
    assert json.loads(out)["summary"]["households_for_a_year"] == pytest.approx(
        cli["projected_m3_year"] / 100.0
    )


# -- the browser journeys ------------------------------------------------------------------


def shoot_all(page, name: str) -> None:
    """``test-artifacts/<name>.png`` of the screen, then ``<name>-2.png``... scrolled down
    one screen at a time (Streamlit scrolls inside the page, so a full-page shot is one
    screen)."""
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    time.sleep(0.3)
    shoot(page, name)
    for part in range(2, 6):
        moved = page.evaluate(
            """() => { const main = document.querySelector('[data-testid="stMain"]');
                       const before = main.scrollTop;
                       main.scrollBy(0, main.clientHeight - 80);
                       return main.scrollTop - before; }"""
        )
        if moved <= 0:
            break
        time.sleep(0.5)
        shoot(page, f"{name}-{part}")
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")


def check_clean(page, where: str) -> None:
    """No Deploy button, no raw code, no "None", no time of day, on the page and sidebar."""
    assert page.get_by_test_id("stAppDeployButton").count() == 0, where
    assert page.get_by_role("button", name="Deploy").count() == 0, where
    found = RAW.findall(main_text(page))
    assert not found, f"{where}: raw text {found[:5]}"
    values = page.evaluate("() => [...document.querySelectorAll('input')].map(i => i.value)")
    assert not [v for v in values if RAW.search(v)], f"{where}: raw text in a field {values}"


def wait_for_charts(page, n: int) -> None:
    charts = page.get_by_test_id("stVegaLiteChart")
    for i in range(n):
        charts.nth(i).locator("canvas, svg").first.wait_for(timeout=20_000)
    time.sleep(0.5)


def metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def test_the_manager_sees_the_leak_counted_with_consistent_figures(server, browser):  # noqa: F811
    url, workspace = server
    (workspace / "settings.toml").write_text(SETTINGS)
    record_leaks(workspace)
    internet: list[str] = []

    context = browser.new_context(viewport=DESK, locale="en-US")
    page = context.new_page()
    watch_internet(page, url, internet)
    sign_in(page, url, "marc")
    page.get_by_role("heading", name="Impact").wait_for()
    wait_for_charts(page, 1)  # the water saved per month; 3 inspections compare with nothing
    assert page.get_by_text("Random choice", exact=True).count() == 0  # no bars of the old ways

    assert metric(page, "Leaks found") == "2"
    text = main_text(page)
    # The same figure, in every place it appears.
    to_date, projected = metric(page, "Water saved to date"), metric(page, "Projected over a year")
    households = metric(page, "Households supplied for a year")
    assert to_date == "1,116 m³"  # 1.5 m³/h for the 31 days since the recorded repair
    assert f"Saved to date ({format_date(TODAY)}): {to_date}." in text
    assert f"Projected over a year: {projected}," in text
    assert f"the water of {households} households for a year" in text
    assert "Repairs entered: 1 of 2 leaks found" in text
    assert "1 leak has no repair date yet" in text
    km = metric(page, "Length inspected")
    assert km == "0.28 km" and f"Too little inspected to compare yet: {km} in 3 inspections" in text
    assert "from 10 km and 30 inspections" in text
    check_clean(page, "impact")
    # The night flows of the zone of the repaired leak, from the utility's telemetry: chosen
    # in the page's file picker, as a manager would; the meters bear the estimate out.
    assert "No night flows loaded yet" in text
    zone = str(load_workspace(workspace).pipes.set_index("pipe_id").loc["P-0000", "pressure_zone"])
    repaired = TODAY - dt.timedelta(days=30)
    nights = [repaired + dt.timedelta(days=d) for d in range(-20, 29)]
    export = workspace.parent / "scada-nights.csv"
    export.write_text(
        "zone,date,min_night_flow_m3_per_h\n"
        + "".join(f"{zone},{d.isoformat()},{9.0 if d < repaired else 7.6}\n" for d in nights)
    )
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(export))
    page.get_by_text("49 rows of night flows loaded from scada-nights.csv").wait_for(timeout=30_000)
    said = "A drop of 1.4 m³/h, 93% of the estimate: the meters bear it out."
    page.get_by_text(said).wait_for(timeout=20_000)
    assert (workspace / "night_flow.csv").read_text() == export.read_text()
    check_clean(page, "impact with night flows")
    shoot_all(page, "manager-impact-desk")
    page.set_viewport_size(PHONE)
    time.sleep(1.5)
    check_clean(page, "impact (phone)")
    shoot_all(page, "manager-impact-phone")
    context.close()
    assert not internet, f"the app requested the internet: {internet[:3]}"


def test_the_administrator_deactivates_an_account_with_clicks(server, browser):  # noqa: F811
    url, workspace = server
    context = browser.new_context(viewport=DESK, locale="en-US")
    page = context.new_page()
    sign_in(page, url, "ada")
    page.get_by_test_id("stSidebarNav").get_by_text("Accounts", exact=True).click()
    page.get_by_role("heading", name="Accounts").first.wait_for()
    page.get_by_test_id("stDataFrame").first.wait_for()
    time.sleep(1)
    check_clean(page, "accounts")
    shoot_all(page, "admin-accounts-desk")

    page.get_by_test_id("stSelectbox").filter(has_text="Account").click()
    page.get_by_role("option", name="sam (field crew)").click()
    page.get_by_role("button", name="Deactivate sam").click()
    page.get_by_text("sam is deactivated").first.wait_for(timeout=20_000)
    assert not auth.get_user(workspace / "outcomes.sqlite", "sam", include_inactive=True).active
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        last = store.audit().iloc[-1]
    assert (last["user"], last["action"]) == ("ada", "set_active")

    # The last administrator cannot be deactivated.
    # typed, not clicked in the list: a click once landed before the list opened (CI)
    page.get_by_test_id("stSelectbox").filter(has_text="Account").click()
    page.keyboard.type("ada (administrator)")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Deactivate ada").click()
    page.get_by_text("ada is the last active administrator").wait_for(timeout=20_000)
    audit = page.get_by_text("Audit log (latest first)")
    # a rerun leaves the previous run's elements for a moment: click once they are gone
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')]"
        ".filter(p => p.textContent === 'Audit log (latest first)').length === 1",
        timeout=20_000,
    )
    audit.click()
    page.get_by_test_id("stExpander").get_by_test_id("stDataFrame").wait_for()
    page.set_viewport_size(PHONE)
    time.sleep(1.5)
    check_clean(page, "accounts (phone)")
    shoot_all(page, "admin-accounts-phone")
    context.close()

    # sam can no longer sign in.
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill("sam")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Unknown user name or wrong password").wait_for(timeout=20_000)
    check_clean(page, "sign-in")
    context.close()


def test_a_french_account_stays_french(server, browser):  # noqa: F811
    url, workspace = server
    store = workspace / "outcomes.sqlite"
    if auth.get_user(store, "lea", include_inactive=True) is None:
        auth.create_user(store, "lea", PASSWORD, "manager", language="fr")
    context = browser.new_context(viewport=DESK, locale="en-US")  # an English browser
    page = context.new_page()

    def sign_in_french() -> None:
        page.get_by_role("textbox", name="User name").fill("lea")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Connecté : lea").wait_for(timeout=20_000)

    page.goto(url)
    sign_in_french()
    page.get_by_role("heading", name="Impact").wait_for()
    assert metric(page, "Eau économisée à ce jour").endswith("\u00a0m³")  # French spacing
    check_clean(page, "impact (French)")
    shoot_all(page, "manager-impact-desk-fr")
    # The file picker's own words were English ("Upload", "200MB per file • CSV"): in French.
    seen = page.get_by_test_id("stFileUploaderDropzone").evaluate(
        """zone => [...zone.querySelectorAll('button [data-testid=stMarkdownContainer],'
            + ' [data-testid=stFileUploaderDropzoneInstructions] div')].map(el => [
            getComputedStyle(el, '::after').content,
            [...el.children].map(c => getComputedStyle(c).display)])"""
    )
    assert seen == [['"Choisir un fichier"', ["none"]], ['"CSV, 200 Mo au plus"', ["none"]]]
    # The telemetry's export as a spreadsheet saves it on a French computer (Windows-1252,
    # semicolons), chosen in the file picker: refused in French with the fix (the
    # semicolons would be read); the night flows in use are unchanged.
    kept = workspace / "night_flow.csv"
    before = kept.read_bytes() if kept.exists() else None
    export = workspace.parent / "débits-nuit.csv"
    export.write_bytes("zone;date;débit\nHAUTE;01/11/2026;12,5\n".encode("cp1252"))
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(export))
    refusal = page.get_by_test_id("stAlertContainer").filter(has_text="débits-nuit.csv")
    refusal.wait_for(timeout=30_000)
    said = refusal.inner_text()
    assert "débits-nuit.csv : n'est pas un texte UTF-8" in said, said
    assert "CSV UTF-8" in said and "points-virgules" not in said, said
    assert "Save it" not in said and "nothing was written" not in said, said
    shoot(page, "manager-night-refused-fr")
    assert (kept.read_bytes() if kept.exists() else None) == before
    # Another page (its content is another test's business: only the address matters here).
    page.get_by_test_id("stSidebarNav").get_by_text("Modèle", exact=True).click()
    page.wait_for_url("**/model")
    page.reload()  # a new Streamlit session: the sign-in is kept, at the same address
    page.get_by_text("Connecté : lea").wait_for(timeout=30_000)
    assert page.url.endswith("/model")
    assert page.get_by_role("textbox", name="User name").count() == 0
    # A browser without the sign-in (a bookmark on another computer): the sign-in form at
    # the page's address, then that page.
    other = browser.new_context(viewport=DESK, locale="en-US")
    bookmark = other.new_page()
    bookmark.goto(f"{url}/model")
    bookmark.get_by_role("textbox", name="User name").wait_for()
    assert bookmark.get_by_text("Page not found").count() == 0
    check_clean(bookmark, "sign-in at a page's address")
    bookmark.get_by_role("textbox", name="User name").fill("lea")
    bookmark.get_by_role("textbox", name="Password").fill(PASSWORD)
    bookmark.get_by_role("button", name="Sign in").click()
    bookmark.get_by_text("Connecté : lea").wait_for(timeout=20_000)
    assert bookmark.url.endswith("/model")
    other.close()
    language = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Langue")
    assert language.input_value() == "Français"
    page.get_by_test_id("stSidebarNav").get_by_text("Impact", exact=True).click()
    page.get_by_role("heading", name="Impact").wait_for()
    page.get_by_text("Eau économisée à ce jour").first.wait_for()
    check_clean(page, "impact (French, after a reload)")
    shoot(page, "manager-french-after-reload")
    assert auth.get_user(store, "lea").language == "fr"
    context.close()


def test_risk_serve_and_the_repository_config_hide_the_deploy_button(tmp_path, monkeypatch):
    import tomllib
    from pathlib import Path

    from risk.commands import app

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"  # `streamlit run` from the repository
    calls = []

    class Started:  # the dashboard's process, as `risk serve` starts and waits for it
        def __init__(self, command, env):
            calls.append(command)

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(app.subprocess, "Popen", Started)
    workspace = build_workspace(tmp_path)
    assert app.serve(workspace, port=8599) == 0  # `risk serve` and `risk demo`, from anywhere
    command = calls[0]
    assert command[command.index("--client.toolbarMode") + 1] == "viewer"
