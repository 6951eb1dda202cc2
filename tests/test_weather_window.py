"""The weather of the outcome window: learnt from past windows, averaged over past years when
forecasting (the coming year's weather is unknown), and known to a backtest's hindcast."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from towns import make_utility

from risk.errors import InputError
from risk.features import WINDOW_PREFIX, FeatureBuilder, scenario_starts, window_weather
from risk.model import RiskModel, build_panel, usual_weather
from risk.scoring import score_utility, weather_range_words

AS_OF = pd.Timestamp("2020-01-01")
ROLES = {"tmin": "tmin_c", "tmax": "tmax_c", "precip": "precip_mm"}


def _days(first="2017-01-01", last="2021-12-31") -> pd.DataFrame:
    days = pd.date_range(first, last, freq="D")
    return pd.DataFrame({"date": days, "tmin_c": 5.0, "tmax_c": 15.0, "precip_mm": 2.0})


def test_a_window_holds_the_winter_that_ends_in_it_whole():
    weather = _days()
    # a hard December 2019 belongs to the winter of 2020, not to the year 2019
    december = (weather["date"] >= "2019-12-01") & (weather["date"] < "2020-01-01")
    weather.loc[december, ["tmin_c", "tmax_c"]] = [-6.0, 2.0]
    year = pd.DateOffset(years=1)
    of_2019 = window_weather(weather, pd.Timestamp("2019-01-01"), AS_OF, "daily", ROLES)
    of_2020 = window_weather(weather, AS_OF, AS_OF + year, "daily", ROLES)
    frost = WINDOW_PREFIX + "freezing_index_degree_days_per_year"
    thaw = WINDOW_PREFIX + "freeze_thaw_per_year"
    assert of_2019[frost] == 0 and of_2019[thaw] == 0
    assert of_2020[frost] == pytest.approx(31 * 2.0)  # daily mean -2 °C on 31 days
    assert of_2020[thaw] == 31
    # a 3-year window holds three winters: per-year figures are their mean
    three = window_weather(weather, pd.Timestamp("2019-01-01"), pd.Timestamp("2022-01-01"),
                           "daily", ROLES)  # fmt: skip
    assert three[thaw] == pytest.approx(31 / 3)


def test_a_window_the_weather_does_not_cover_has_no_indices():
    weather = _days(first="2020-01-01")  # the winter 2019-20 began before the table
    out = window_weather(weather, AS_OF, AS_OF + pd.DateOffset(years=1), "daily", ROLES)
    assert np.isnan(out[WINDOW_PREFIX + "freezing_index_degree_days_per_year"])
    assert not np.isnan(out[WINDOW_PREFIX + "summer_tmax_c"])  # the summer is covered
    # and no scenario starts before the table's first winter
    starts = scenario_starts(weather["date"], pd.Timestamp("2022-01-01"), 1, 10)
    assert [s.year for s in starts] == [2021]


@pytest.fixture(scope="module")
def harsh():
    """A town whose failures treble in every third winter, 8 °C colder than the others."""
    return make_utility(400, weather="daily", harsh_winters=3.0, seed=3)


@pytest.fixture(scope="module")
def fitted(harsh):
    model = RiskModel(n_estimators=120, panel_years=12, calibration_years=3, n_jobs=1)
    builder = model.feature_builder(harsh)
    model.fit_utility(harsh, AS_OF, builder=builder)
    return model, builder


def test_panel_rows_carry_the_weather_their_outcome_window_met(harsh):
    builder = FeatureBuilder(harsh)
    panel = build_panel(harsh, AS_OF, panel_years=3, builder=builder, verbose=False)
    columns = [c for c in panel.X.columns if c.startswith(WINDOW_PREFIX)]
    assert len(columns) == 4
    for date in np.unique(panel.panel_date):
        rows = panel.panel_date == date
        start = pd.Timestamp(date)
        met = builder.window_weather(start, start + pd.DateOffset(years=1), panel.X.index[rows])
        pd.testing.assert_frame_equal(panel.X.loc[rows, columns], met[columns], check_dtype=False)
    # harsh winters are told apart
    by_date = panel.X[columns[0]].groupby(panel.panel_date).first()
    harsh_years = [d for d in by_date.index if pd.Timestamp(d).year % 3 == 0]
    assert by_date[harsh_years].min() > by_date.drop(harsh_years).max()
    # without the option, nothing is added
    plain = build_panel(harsh, AS_OF, panel_years=3, builder=builder, verbose=False,
                        window_weather=False)  # fmt: skip
    assert not any(c.startswith(WINDOW_PREFIX) for c in plain.X.columns)


def test_the_model_learns_a_harsh_winter_and_forecasts_the_usual_year(harsh, fitted):
    model, builder = fitted
    assert any(str(c).startswith(WINDOW_PREFIX) for c in model.feature_names_in_)
    X = model.build_features(harsh, AS_OF, builder=builder)
    scenarios = model.scenario_weather(builder, AS_OF, X.index)
    assert sorted(scenarios) == list(range(2005, 2020))  # the 15 latest past windows
    # the features people read hold the usual window: each index averaged over the scenarios
    usual = usual_weather(scenarios, X.index)
    pd.testing.assert_frame_equal(X[usual.columns], usual, check_dtype=False)
    predicted, totals = model.forecast(X, scenarios)
    harsh_years = [y for y in totals if y % 3 == 0]
    mild = np.mean([v for y, v in totals.items() if y not in harsh_years])
    assert np.mean([totals[y] for y in harsh_years]) > 1.8 * mild
    # the forecast is the mean of the scenarios, pipe by pipe and in total
    assert predicted["expected_failures"].sum() == pytest.approx(np.mean(list(totals.values())))
    one = model.predictions(X.assign(**scenarios[2010]))
    assert not np.allclose(one["expected_failures"], predicted["expected_failures"])


def test_scores_are_the_forecast_and_keep_the_weather_range(harsh, fitted):
    model, builder = fitted
    scores = score_utility(harsh, AS_OF, model=model, builder=builder)
    totals = scores.attrs["expected_failures_by_weather_year"]
    assert len(totals) == 15
    assert scores["expected_failures"].sum() == pytest.approx(np.mean(list(totals.values())))
    assert min(totals.values()) < scores["expected_failures"].sum() < max(totals.values())
    # reasons never name the coming year's weather: it is the same assumption for everyone
    assert not scores["top_reasons"].str.contains("window|ahead", case=False).any()
    sentence = weather_range_words(totals, scores["expected_failures"].sum(), 1)
    assert "with the usual weather" in sentence and "2005-2019" in sentence


def test_without_weather_nothing_changes():
    data = make_utility(150, weather=None)
    model = RiskModel(n_estimators=30, panel_years=3, n_jobs=1).fit_utility(data, AS_OF)
    assert not any(str(c).startswith(WINDOW_PREFIX) for c in model.feature_names_in_)
    builder = model.feature_builder(data)
    X = model.build_features(data, AS_OF, builder=builder)
    assert model.scenario_weather(builder, AS_OF, X.index) == {}
    predicted, totals = model.forecast(X, {})
    assert totals == {}
    np.testing.assert_array_equal(predicted["expected_failures"], model.predict(X))
    # the manager still reads the total, and that the coming weather is left out
    assert weather_range_words({}, 1.0, 1) == (
        "Expected failures in the year ahead: 1 (the weather of the coming year is not taken "
        "into account)."
    )


def test_a_model_cannot_forecast_without_a_past_window_of_weather(harsh, fitted):
    model, _ = fitted
    cut = harsh.weather[harsh.weather["date"] >= "2015-06-01"]  # no whole winter before 2016
    short = dataclasses.replace(harsh, weather=cut)
    with pytest.raises(
        InputError, match="before 2016-01-01 it holds no whole 1-year window.*from 2016-08-01"
    ):
        model.build_features(short, pd.Timestamp("2016-01-01"))


def test_the_backtest_checks_the_forecast_and_names_a_year_beyond_its_training(harsh):
    from risk.backtest import evaluate_utility

    frozen = harsh.weather.copy()
    winter = (frozen["date"] >= "2018-11-01") & (frozen["date"] < "2019-04-01")
    frozen.loc[winter, ["tmin_c", "tmax_c"]] -= 15.0  # the winter 2018-19, colder than all
    data = dataclasses.replace(harsh, weather=frozen)
    result = evaluate_utility(
        data, [2019], out_dir=None,
        model_params={"n_estimators": 60, "panel_years": 10, "n_jobs": 1},
    )  # fmt: skip
    assert result["calibration"]["basis"] == "weather of the year"
    (year,) = result["forecast"]["years"]
    assert year["year"] == 2019 and len(year["by_weather_year"]) == 15
    assert year["low"] < year["expected"] < year["high"]
    assert year["observed"] == result["years"][0]["failures"]
    beyond = result["years"][0]["weather_beyond_training"]
    assert "freezing_index_degree_days_per_year" in [b["index"] for b in beyond]
    # the Model page's sentence, the same in the backtest's warnings and its report
    assert any(w.startswith("In 2019, the weather went beyond every year") and "frost" in w
               for w in result["warnings"])  # fmt: skip


REPORT = {
    "years": [
        {"year": 2024},
        {
            "year": 2025,
            "weather_beyond_training": [
                {
                    "index": "dry_summer_index",
                    "value": 0.886,
                    "low": -0.545,
                    "high": 0.279,
                    "years": [2017, 2024],
                },
            ],
        },
    ],
    "forecast": {
        "years": [
            {
                "year": 2024,
                "expected": 687.2,
                "observed": 662.0,
                "low": 557.0,
                "high": 871.0,
                "by_weather_year": {"2009": 557.0, "2023": 871.0},
                "outside_range": False,
                "truth_usual_weather": 795.1,
            },
            {
                "year": 2025,
                "expected": 721.0,
                "observed": 1290.0,
                "low": 590.0,
                "high": 827.0,
                "by_weather_year": {"2010": 590.0, "2024": 827.0},
                "outside_range": True,
            },
        ]
    },
}


def test_the_model_page_tells_the_forecast_and_a_year_beyond_the_training_in_words():
    from risk import modelcard

    table = modelcard.forecast_table(REPORT, "fr")
    assert list(table.iloc[0]) == ["2024", "687", "de 557 à 871", "662", "795"]
    assert table.columns[1] == "Prévision (météo habituelle)"
    (outside,) = modelcard.forecast_sentences(REPORT, "en")
    assert outside.startswith("In 2025, the failures observed fell outside")
    assert "went beyond every year the model learnt from" in outside
    (beyond,) = modelcard.beyond_training_sentences(REPORT, "en")
    assert (
        "In 2025, the weather went beyond every year the backtest's model for 2025 learnt from "
        "(2017-2024)"
    ) in beyond
    assert "summer dryness of the year predicted 0.89 (at most 0.28 before)" in beyond
    assert beyond.endswith("so it expects too few failures for it.")
    assert modelcard.forecast_table({}, "en").empty and modelcard.forecast_sentences(None) == []


def test_the_current_forecast_is_said_from_the_workspace(tiny_workspace):
    from risk import modelcard
    from risk.workspace import Workspace

    ws = Workspace(tiny_workspace)
    assert modelcard.current_forecast_sentence(tiny_workspace) is None  # no scores.json yet
    ws.write_scores_basis("2026-01-01", 1, by_weather_year={2011: 0.2, 2024: 9.75})
    total = ws.read_scores()["expected_failures"].sum()
    sentence = modelcard.current_forecast_sentence(tiny_workspace, "fr")
    assert sentence.startswith("Casses attendues dans l'année à venir")
    assert f"{total:.0f} avec une météo habituelle" in sentence.replace("\u202f", " ")
    assert "de 0 à 10 avec la météo de l'une des années 2011-2024" in sentence
    ws.write_scores_basis("2026-01-01", 1)  # scored without weather: the total alone
    sentence = modelcard.current_forecast_sentence(tiny_workspace)
    assert sentence == (
        f"Expected failures in the year ahead: {total:.0f} (the weather of the coming year is "
        "not taken into account)."
    )


def _seasonal_weather(winter_months, summer_months) -> pd.DataFrame:
    """Daily weather, 2015-2022: frost (mean -5 °C) in ``winter_months``, 30 °C afternoons
    in ``summer_months``, mild otherwise."""
    days = pd.date_range("2015-01-01", "2022-12-31", freq="D")
    cold, hot = np.isin(days.month, winter_months), np.isin(days.month, summer_months)
    return pd.DataFrame(
        {
            "date": days,
            "tmin_c": np.where(cold, -8.0, 5.0),
            "tmax_c": np.where(cold, -2.0, np.where(hot, 30.0, 15.0)),
            "precip_mm": 2.0,
        }
    )


def test_the_seasons_follow_the_hemisphere():
    roles = {"tmin": "tmin_c", "tmax": "tmax_c", "precip": "precip_mm"}
    frost = WINDOW_PREFIX + "freezing_index_degree_days_per_year"
    summer = WINDOW_PREFIX + "summer_tmax_c"
    south = _seasonal_weather((5, 6, 7, 8, 9), (12, 1, 2))
    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2022-01-01")
    read = window_weather(south, start, end, "daily", roles, "south")
    # the winter May-September 2021 (153 days at -5 °C) and the summer December 2020-February 2021
    assert read[frost] == pytest.approx(153 * 5.0)
    assert read[summer] == pytest.approx(30.0)
    # read with northern seasons the same table has no frost and a freezing "summer"
    wrong = window_weather(south, start, end, "daily", roles, "north")
    assert wrong[frost] == 0.0 and wrong[summer] == pytest.approx(-2.0)
    # and the northern table with northern seasons reads as the southern one does
    north = _seasonal_weather((11, 12, 1, 2, 3), (6, 7, 8))
    same = window_weather(north, start, end, "daily", roles, "north")
    assert same[frost] == pytest.approx(151 * 5.0) and same[summer] == pytest.approx(30.0)


def test_the_hemisphere_is_read_from_the_stations_or_the_pipes():
    import geopandas as gpd
    from shapely.geometry import Point

    from risk.features import hemisphere_of

    def at(lat):  # a point in a projected CRS (UTM zone 56 north or south)
        place = gpd.GeoDataFrame(geometry=[Point(151.2, lat)], crs=4326)
        return place.to_crs(32756 if lat < 0 else 32656)

    assert hemisphere_of(at(-33.9)) == "south"  # Sydney
    assert hemisphere_of(at(45.0)) == "north"
    assert hemisphere_of(at(45.0), stations=at(-33.9)) == "south"  # the stations first
    assert hemisphere_of(pd.DataFrame({"pipe_id": ["a"]})) == "north"  # no coordinates
    made_up = gpd.GeoDataFrame(geometry=[Point(0.0, 0.0)], crs=2154)  # far outside France
    assert hemisphere_of(made_up) == "north"
    fiji = gpd.GeoDataFrame(geometry=[Point(178.4, -18.1)], crs=4326).to_crs(3460)
    assert hemisphere_of(fiji) == "south"  # a system whose area crosses 180°
    data = make_utility(20, seed=2)
    assert FeatureBuilder(data).hemisphere == "north"
