"""The renewal plan on networks small enough to check by hand, its files, the command line
and the Renewal page (same numbers from the same function)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from apps import app_as, build_workspace
from shapely.geometry import LineString

from risk.errors import InputError
from risk.renewal import build_inputs, plan_renewal, workspace_renewal_plan, write_renewal
from risk.renewal import export as renewal_export
from risk.renewal.inputs import check_plan_request
from risk.renewal.projection import (
    DEFAULT_NEW_PIPE_RATE_PER_KM_YEAR,
    PRIOR_AGEING_EXPONENT,
    estimate_ageing_exponent,
    growth_factors,
)
from risk.renewal.words import scenario_table

#: Five pipes of 100 m. A-D are 100 mm (480 €/m: 48,000 € each), E is 300 mm (85,000 €).
#: No young pipes: a renewed pipe fails at the prior 0.03 per km-year, 0.003 a year here.
IDS = ["A", "B", "C", "D", "E"]
EXPECTED = [0.5, 0.4, 0.3, 0.05, 0.6]
NEW = DEFAULT_NEW_PIPE_RATE_PER_KM_YEAR * 0.1


def network(units=None, geometry=False):
    pipes = pd.DataFrame(
        {
            "pipe_id": IDS,
            "material": ["pvc", "pvc", "cast_iron", "cast_iron", "ductile_iron"],
            "diameter_mm": [100.0, 100.0, 100.0, 100.0, 300.0],
            "install_year": pd.array([1980, 1990, 1910, 1900, 1950], dtype="Int64"),
            "length_m": 100.0,
        }
    )
    if geometry:
        lines = [LineString([(700_000 + 200 * i, 6_600_000), (700_100 + 200 * i, 6_600_000)])
                 for i in range(5)]  # fmt: skip
        pipes = gpd.GeoDataFrame(pipes, geometry=lines, crs="EPSG:2154")
    scores = pd.DataFrame({"pipe_id": IDS, "expected_failures": EXPECTED})
    if units is not None:
        scores["unit_id"] = units
    return scores, pipes


def inputs_for(years=1, *, units=None, consequence=None, geometry=False, **kw):
    scores, pipes = network(units, geometry)
    return build_inputs(
        scores, pipes, years=years, as_of="2026-01-01", ageing_exponent=0.0,
        consequence=consequence, **kw,
    )  # fmt: skip


def test_a_budget_that_buys_two_pipes_takes_the_two_best_per_euro():
    plan = plan_renewal(inputs_for(), 96_000)
    main = plan.main
    # E fails most (0.6) but costs 85,000 €: 0.597 avoided / 85,000 < B's 0.397 / 48,000
    assert main.renewed["pipe_id"].tolist() == ["A", "B"]
    assert main.totals["cost_eur"] == 96_000
    # half of the renewal year's failures are avoided (works spread over the year)
    avoided = 0.5 * ((0.5 - NEW) + (0.4 - NEW))
    assert main.totals["failures_avoided"] == pytest.approx(avoided)
    assert main.totals["expected_failures"] == pytest.approx(sum(EXPECTED) - avoided)
    assert main.totals["money_saved_eur"] == pytest.approx(avoided * (3000 + 300 * 0.6))
    assert main.totals["water_saved_m3"] == pytest.approx(avoided * 300)
    assert main.renewed["expected_failures_avoided"].tolist() == pytest.approx(
        [0.5 * (0.5 - NEW), 0.5 * (0.4 - NEW)]
    )


def test_the_next_year_takes_the_next_best_that_fits():
    plan = plan_renewal(inputs_for(years=2), 96_000)
    renewed = plan.main.renewed
    assert renewed[["year", "pipe_id"]].values.tolist() == [[2026, "A"], [2026, "B"], [2027, "E"]]
    assert plan.main.yearly["cost_eur"].tolist() == [96_000, 85_000]  # 11,000 € left unspent
    # A and B avoid half a year in 2026 and a whole year in 2027, E half of 2027
    year_2 = (0.5 - NEW) + (0.4 - NEW) + 0.5 * (0.6 - NEW)
    assert plan.main.yearly["failures_avoided"].tolist() == pytest.approx(
        [0.5 * (0.9 - 2 * NEW), year_2]
    )


def test_doing_nothing_costs_nothing_and_a_zero_budget_is_doing_nothing():
    plan = plan_renewal(inputs_for(years=3), 96_000, factors=[0, 1])
    nothing = plan.scenario("nothing")
    zero = plan.scenario("budget_0")
    assert nothing.totals["cost_eur"] == 0
    assert nothing.totals["failures_avoided"] == 0
    assert nothing.totals["expected_failures"] == pytest.approx(3 * sum(EXPECTED))
    assert zero.totals == nothing.totals
    assert zero.renewed.empty
    assert [s.key for s in plan.scenarios] == ["budget_100", "budget_0", "age_rule", "nothing"]


def test_the_age_rule_renews_the_oldest_first():
    plan = plan_renewal(inputs_for(), 96_000)
    assert plan.scenario("age_rule").renewed["pipe_id"].tolist() == ["C", "D"]  # 1910, 1900
    assert plan.scenario("age_rule").totals["cost_eur"] == 96_000
    assert (
        plan.scenario("age_rule").totals["failures_avoided"] < plan.main.totals["failures_avoided"]
    )


def test_without_install_years_the_age_rule_is_not_compared_and_the_plan_says_why():
    from risk.renewal.words import plan_story

    scores, pipes = network()
    pipes["install_year"] = pd.array([None, None, None, 1900, None], dtype="Int64")
    inputs = build_inputs(scores, pipes, years=1, as_of="2026-01-01", ageing_exponent=0.0)
    plan = plan_renewal(inputs, 96_000)
    assert [s.key for s in plan.scenarios] == ["budget_100", "budget_70", "budget_130", "nothing"]
    assert plan.basis["install_year_known_share"] == pytest.approx(0.2)
    story = plan_story(plan, "en")
    assert story[1] == (
        "The oldest-first rule is not compared: only 20% of the network's length has an "
        "install year."
    )
    assert "20" in plan_story(plan, "fr")[1]
    assert len(scenario_table(plan, "en")) == 4
    # with the years known for half the length, it is compared again
    pipes["install_year"] = pd.array([1980, 1990, None, 1900, None], dtype="Int64")
    inputs = build_inputs(scores, pipes, years=1, as_of="2026-01-01", ageing_exponent=0.0)
    assert plan_renewal(inputs, 96_000).scenario("age_rule") is not None


def test_consequence_weighs_the_choice():
    consequence = pd.DataFrame({"pipe_id": ["C"], "cof_score": [1.0]})
    plan = plan_renewal(inputs_for(consequence=consequence), 96_000)
    # C's failures count twice: 2 x 0.297 / 48,000 beats A's 0.497 / 48,000
    assert plan.main.renewed["pipe_id"].tolist() == ["A", "C"]
    assert plan.basis["weighted_by_consequence"]
    c = plan.main.renewed.set_index("pipe_id").loc["C"]
    assert c["risk_reduction"] == pytest.approx(2 * c["expected_failures_avoided"])


def test_by_unit_renews_whole_units():
    units = ["U1", "U2", "U3", "U1", "U4"]  # A and D are one street works site
    plan = plan_renewal(inputs_for(units=units), 96_000, by_unit=True)
    # U2 (B) 8.3e-6 per €, U4 (E) 7.0e-6 does not fit after it, U3 (C) 6.2e-6, U1 (A+D) 5.7e-6
    assert plan.main.renewed["pipe_id"].tolist() == ["B", "C"]
    plan = plan_renewal(inputs_for(units=units), 120_000, by_unit=True)
    renewed = set(plan.main.renewed["pipe_id"])
    assert ("A" in renewed) == ("D" in renewed)
    with pytest.raises(InputError, match="no inspection units"):
        plan_renewal(inputs_for(), 96_000, by_unit=True)


@pytest.mark.parametrize(
    ("budget", "years", "message"),
    [(0, 10, "budget must be"), (-5, 10, "budget must be"), (float("nan"), 10, "budget must be"),
     (1e6, 0, "1 to 50 years"), (1e6, 2.5, "1 to 50 years")],
)  # fmt: skip
def test_bad_requests_are_refused(budget, years, message):
    with pytest.raises(InputError, match=message):
        check_plan_request(budget, years)
    with pytest.raises(InputError, match=message):
        workspace_renewal_plan("no-such-workspace", budget, years=years)


def test_a_multi_year_model_gives_its_first_year_and_ageing_grows_the_rate():
    scores, pipes = network()
    pipes["install_year"] = pd.array([2016] * 5, dtype="Int64")  # 10 years old in 2026
    inputs = build_inputs(
        scores.assign(expected_failures=3.45), pipes, years=3, as_of="2026-01-01",
        horizon_years=3, ageing_exponent=1.0,
    )  # fmt: skip
    # rate(k) = r * (10 + k - 0.5) / 10.5, and the 3 years add up to the model's 3.45
    first = 3.45 * 10.5 / (10.5 + 11.5 + 12.5)
    assert inputs.rate[0].tolist() == pytest.approx(
        [first, first * 11.5 / 10.5, first * 12.5 / 10.5]
    )
    assert inputs.rate[0].sum() == pytest.approx(3.45)
    assert growth_factors([None], 2, 1.0).tolist() == [[1.0, 1.0]]  # unknown age: flat


def test_the_ageing_exponent_is_estimated_from_the_record():
    rng = np.random.default_rng(3)
    n = 3000
    install = rng.integers(1920, 2010, n)
    material = np.where(rng.random(n) < 0.5, "cast_iron", "pvc")
    level = np.where(material == "cast_iron", 0.2, 0.05)
    pipes = pd.DataFrame(
        {"pipe_id": [f"P{i}" for i in range(n)], "material": material,
         "install_year": install, "length_m": 1000.0}
    )  # fmt: skip
    rows = []
    for year in range(2000, 2020):
        age = year - install
        counts = rng.poisson(np.where(age >= 1, level * ((age + 0.5) / 50.0) ** 1.0, 0.0))
        for i in np.flatnonzero(counts):
            rows += [(f"P{i}", f"{year}-06-01")] * int(counts[i])
    breaks = pd.DataFrame(rows, columns=["pipe_id", "date"])
    estimate = estimate_ageing_exponent(pipes, breaks, start_year=2000, end_year=2019)
    assert estimate.source == "record"
    assert estimate.exponent == pytest.approx(1.0, abs=0.15)
    few = estimate_ageing_exponent(pipes, breaks.head(10), start_year=2000, end_year=2019)
    assert (few.source, few.exponent) == ("prior", PRIOR_AGEING_EXPONENT)


# -- the files --------------------------------------------------------------------------------


def test_the_csv_and_geojson_are_written_whole(tmp_path):
    plan = plan_renewal(inputs_for(years=2, geometry=True), 96_000)
    paths = write_renewal(plan, tmp_path / "out")
    table = pd.read_csv(paths["csv"], dtype={"pipe_id": str})
    assert table["pipe_id"].tolist() == ["A", "B", "E"]
    assert list(table.columns[:8]) == ["year", "pipe_id", "unit_id", "material", "diameter_mm",
                                       "install_year", "length_m", "cost_eur"]  # fmt: skip
    assert table["cost_eur"].tolist() == [48_000, 48_000, 85_000]
    geo = json.loads(paths["geojson"].read_text(encoding="utf-8"))
    assert [f["properties"]["pipe_id"] for f in geo["features"]] == ["A", "B", "E"]
    lon, lat = geo["features"][0]["geometry"]["coordinates"][0]
    assert -10 < lon < 10 and 40 < lat < 52  # WGS 84, in France
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert [s["scenario"] for s in summary["scenarios"]] == [
        "budget_100", "budget_70", "budget_130", "age_rule", "nothing"
    ]  # fmt: skip
    assert summary["scenarios"][0]["totals"]["pipes_renewed"] == 3


def test_a_failure_while_writing_leaves_the_previous_files(tmp_path, monkeypatch):
    plan = plan_renewal(inputs_for(), 96_000)
    out = tmp_path / "out"
    write_renewal(plan, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(_plan):
        raise RuntimeError("disk full")

    monkeypatch.setattr(renewal_export, "summary_document", broken)
    with pytest.raises(RuntimeError):
        write_renewal(plan_renewal(inputs_for(years=3), 200_000), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary left


# -- the command line and the page ----------------------------------------------------------


def test_the_command_line_writes_the_plan(run, tiny_workspace):
    code, out, err = run("plan", tiny_workspace, "--budget-eur-per-year", 150_000, "--years", 3)
    assert code == 0, err
    assert "the plan renews" in out
    assert "Oldest pipes first, the usual rule (150,000 €/year)" in out
    assert "Do nothing:" in out
    folder = tiny_workspace / "renewal"
    table = pd.read_csv(folder / "renewal_plan.csv", dtype={"pipe_id": str})
    summary = json.loads((folder / "renewal_summary.json").read_text(encoding="utf-8"))
    assert len(table) == summary["scenarios"][0]["totals"]["pipes_renewed"] > 0
    assert (table.groupby("year")["cost_eur"].sum() <= 150_000).all()
    features = json.loads((folder / "renewal_plan.geojson").read_text())["features"]
    assert len(features) == len(table)
    # a second plan replaces the workspace's last plan; the first is kept with its budget
    code, out, err = run("plan", tiny_workspace, "--budget-eur-per-year", 90_000, "--years", 3)
    assert code == 0, err
    kept = sorted((folder / "history").iterdir())
    assert len(kept) == 2
    assert kept[0].name.endswith("-150000eur") and kept[1].name.endswith("-90000eur")
    first = json.loads((kept[0] / "renewal_summary.json").read_text(encoding="utf-8"))
    assert first == summary and f"Kept with the earlier plans in {kept[1]}" in out
    last = json.loads((folder / "renewal_summary.json").read_text(encoding="utf-8"))
    assert last["basis"]["budget_eur_per_year"] == 90_000


def test_the_command_line_and_the_page_function_give_the_same_plan(run, tiny_workspace, tmp_path):
    code, _, err = run(
        "plan", tiny_workspace, "--budget-eur-per-year", 100_000, "--years", 5,
        "--scenarios", "0.5,2", "--out", tmp_path / "out",
    )  # fmt: skip
    assert code == 0, err
    plan = workspace_renewal_plan(tiny_workspace, 100_000, years=5, factors=[0.5, 2])
    written = (tmp_path / "out" / "renewal_plan.csv").read_text(encoding="utf-8")
    assert written == renewal_export.plan_csv_text(plan)
    summary = json.loads((tmp_path / "out" / "renewal_summary.json").read_text(encoding="utf-8"))
    assert summary["scenarios"] == renewal_export.summary_document(plan)["scenarios"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget-eur-per-year", 0], "budget must be a number of euros per year > 0"),
        (["--budget-eur-per-year", 1e5, "--years", 0], "must last 1 to 50 years"),
        (["--budget-eur-per-year", 1e5, "--scenarios", "0.7,lots"], "'lots' is not a number"),
        (["--budget-eur-per-year", 1e5, "--by-unit"], "no inspection units"),
        # 1e30 wrote the files, then a traceback formatting the figures
        (["--budget-eur-per-year", 1e30], "the budget of 1e+30 euros per year is more than"),
        (["--budget-eur-per-year", 1e5, "--out", "README.md"], "--out README.md is a file"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(run, tiny_workspace, args, message):
    code, _, err = run("plan", tiny_workspace, *args)
    assert code == 2
    assert message in err
    assert not (tiny_workspace / "renewal").exists()


def test_without_scores_it_says_to_score_first(run, tiny_workspace):
    (tiny_workspace / "scores.parquet").unlink()
    code, _, err = run("plan", tiny_workspace, "--budget-eur-per-year", 1e5)
    assert code == 2
    assert "not scored yet" in err
    assert "risk score" in err


def test_the_page_shows_the_package_plan(tmp_path):
    workspace = build_workspace(tmp_path)
    at = app_as(workspace, "marc", "renewal")
    assert not at.exception
    at.number_input(key="renewal_budget").set_value(200_000).run()
    assert not at.exception
    expected = scenario_table(workspace_renewal_plan(workspace, 200_000, years=10), "en")
    shown = at.table[0].value  # the scenarios, the first (static) table of the page
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected)
    french = app_as(workspace, "marc", "renewal", lang="fr")
    assert not french.exception
    assert "Plan de renouvellement" in [t.value for t in french.title]


def test_the_page_says_scores_older_than_the_network_in_words(tmp_path):
    """After a reload whose export dropped scored pipes, the page showed a traceback."""
    workspace = build_workspace(tmp_path)
    scores = pd.read_parquet(workspace / "scores.parquet")
    gone = scores.iloc[[0]].assign(pipe_id="P-GONE")
    pd.concat([scores, gone], ignore_index=True).to_parquet(workspace / "scores.parquet")
    french = app_as(workspace, "marc", "renewal", lang="fr")
    assert not french.exception
    (error,) = [e.value for e in french.error]
    assert error.startswith("Les scores sont plus anciens que le dernier chargement du réseau")
    assert "P-GONE" in error and f"risk score {workspace} --as-of " in error
    with pytest.raises(InputError, match="older than the last 'risk ingest'"):
        workspace_renewal_plan(workspace, 200_000, years=10)  # risk plan: the same rule


def test_the_assumptions_name_the_models_horizon_in_the_languages_grammar():
    from risk.renewal.words import assumptions

    plan = plan_renewal(inputs_for(), 96_000)
    assert plan.basis["horizon_years"] == 1
    assert "(1-year model)" in assumptions(plan, "en")
    assert "(modèle à 1 an)" in assumptions(plan, "fr")  # not "an(s)"


def test_a_budget_below_the_cheapest_pipe_says_so_with_its_cost():
    """A budget of 100 € a year renewed 0 km, and the plan said so as if it were a choice."""
    from risk.renewal.words import plan_story

    plan = plan_renewal(inputs_for(years=3), 40_000)
    assert plan.main.renewed.empty
    assert (plan.basis["cheapest_id"], plan.basis["cheapest_eur"]) == ("A", 48_000)
    assert plan_story(plan, "en")[1] == (
        "A budget of 40,000 € a year renews nothing: the cheapest pipe to renew (A) costs "
        "48,000 €, and a year's budget is not carried over to the next. Give a budget of at "
        "least 48,000 € a year."
    )
    assert "48\u202f000" in plan_story(plan, "fr")[1]
    units = ["U1", "U2", "U3", "U1", "U4"]
    by_unit = plan_renewal(inputs_for(units=units), 40_000, by_unit=True)
    assert "inspection unit to renew (U2)" in plan_story(by_unit, "en")[1]
    enough = plan_story(plan_renewal(inputs_for(years=3), 48_000), "en")
    assert not any("renews nothing" in s for s in enough)


def test_a_plan_from_scores_of_a_past_year_says_its_first_years_are_past():
    """Scores as of 1 January 2024 planned renewals "from 2024" in 2026, without a word."""
    from datetime import date

    from risk.renewal.words import plan_story

    plan = plan_renewal(inputs_for(years=3), 96_000)  # scores as of 2026-01-01
    assert not any("already past" in s for s in plan_story(plan, "en", today=date(2026, 12, 5)))
    story = plan_story(plan, "en", today=date(2028, 3, 1))
    assert story[1].startswith(
        "The scores are of Jan 1, 2026, so the plan starts in 2026, and it is now 2028"
    )
    assert "nous sommes en 2028" in plan_story(plan, "fr", today=date(2028, 3, 1))[1]
