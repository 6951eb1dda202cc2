"""A manager plans the renewal in a real browser: types a budget, sees the plan change.

The ``server`` and ``browser`` fixtures (conftest.py) serve ``apps.build_workspace`` (36
pipes of 95 m) to Debian's Chromium; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from browsing import main_text, shoot, sign_in


@pytest.mark.browser
def test_a_manager_changes_the_budget_and_the_plan_changes(server, browser):
    url, _ = server
    desk = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = desk.new_page()
    sign_in(page, url, "marc")
    page.get_by_test_id("stSidebarNav").get_by_text("Renewal", exact=True).click()
    page.get_by_role("heading", name="Renewal plan").wait_for()
    # The suggested budget (1 % of 3.4 km a year) buys no 95 m pipe.
    page.get_by_text("With this budget no pipe can be renewed.").wait_for(timeout=20_000)
    assert "Pipes to renew" not in main_text(page)
    shoot(page, "renewal-small-budget")

    budget = page.get_by_role("spinbutton", name="Budget per year (€)")
    budget.click()
    budget.fill("200000")
    budget.press("Enter")
    page.get_by_text("Plan: best value for money (200,000 €/year)").first.wait_for(timeout=20_000)
    page.get_by_role("heading", name="Pipes to renew").wait_for(timeout=20_000)
    text = main_text(page)
    assert "With 200,000 € a year for 10 years" in text
    assert "With this budget no pipe can be renewed." not in text
    page.get_by_role("button", name="Download the plan (CSV)").wait_for()
    page.get_by_role("button", name="Download the plan for the GIS (GeoJSON)").wait_for()
    page.wait_for_timeout(3000)  # the chart draws after the tables
    shoot(page, "renewal")
    desk.close()
