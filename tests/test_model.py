"""Tests of risk.model, risk.scoring and risk.explain: estimator contract, leakage, scoring."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from towns import add_break, make_utility, shuffled

from risk.backtest import capture_at_length
from risk.explain import (
    MIN_REASON_LOG_RATE,
    _number,
    _phrases,
    concept_of,
    contributions,
    explain_pipes,
    feature_medians,
    reason_concepts,
)
from risk.features import FeatureBuilder, count_failures
from risk.model import RiskModel, build_panel, panel_dates
from risk.modelcard import describe_card, model_cautions
from risk.scoring import (
    SCORE_COLUMNS,
    load_model,
    save_model,
    score_table,
    score_utility,
    train_model,
)

#: Small and fast model settings for tests.
FAST = {"n_estimators": 40, "max_depth": 3, "learning_rate": 0.2, "panel_years": 6, "n_jobs": 1}


@pytest.fixture(scope="module")
def utility():
    return make_utility(150)


@pytest.fixture(scope="module")
def panel(utility):
    return build_panel(utility, "2016-01-01", horizon_years=1, panel_years=6)


@pytest.fixture(scope="module")
def fitted(panel):
    return RiskModel(**FAST).fit(panel.X, panel.y, panel_date=panel.panel_date)


def test_panel_dates_end_one_horizon_before_as_of():
    dates = panel_dates("2016-01-01", horizon_years=3, panel_years=2)
    assert [d.year for d in dates] == [2012, 2013]


def test_panel_labels_are_failures_in_the_following_horizon(utility, panel):
    rows = panel.panel_date == np.datetime64("2015-01-01")
    labels = pd.Series(panel.y[rows], index=panel.X.index[rows])
    truth = count_failures(utility, "2015-01-01", "2016-01-01")
    assert labels.sum() == truth.reindex(labels.index, fill_value=0).sum()
    assert labels.sum() > 0
    assert (panel.panel_date < np.datetime64("2016-01-01")).all()


def test_unfitted_model_says_so(panel):
    with pytest.raises(NotFittedError, match="This RiskModel instance is not fitted yet"):
        RiskModel().predict(panel.X)


def test_fit_returns_self_and_learned_state_ends_with_underscore(panel):
    model = RiskModel(**FAST)
    assert model.fit(panel.X, panel.y, panel_date=panel.panel_date) is model
    assert model.n_features_in_ == len(model.feature_names_in_)
    assert model.calibration_ is not None
    assert not hasattr(RiskModel(), "booster_")
    assert clone(model).get_params() == model.get_params()


def test_set_features_keeps_the_columns_not_dropped_in_order_with_their_categories():
    model = RiskModel()
    categories = {"kind": ["x"], "zone": pd.Index(["p", "q"])}
    model.set_features(pd.Index(["b", "zone", "a", "kind"]), ["a", "kind"], categories)
    assert list(model.feature_names_in_) == ["b", "zone"]
    assert model.n_features_in_ == 2
    assert model.dropped_features_ == ["a", "kind"]
    assert model.categories_ == {"zone": ["p", "q"]}


def test_record_training_keeps_the_data_and_panel_and_says_when_it_has_no_failure(caplog):
    data = make_utility(20, seed=3)
    data.meta = {"fingerprint": "sha256:abc"}
    model = RiskModel()
    with caplog.at_level("WARNING", logger="risk.model.estimator"):
        model.record_training(
            data, pd.Timestamp("2020-06-30 10:00"), 120, 480.4, np.float64(2),
            np.array(["2019-01-01", "2018-01-01", "2019-01-01"], dtype="datetime64[ns]"),
        )  # fmt: skip
    assert model.panel_dates_ == ["2018-01-01", "2019-01-01"]
    assert model.data_fingerprint_ == "sha256:abc"
    assert model.left_out_columns_ == {}
    assert model.as_of_ == "2020-06-30"
    assert (model.training_rows_, model.training_rows_represented_) == (120, 480)
    assert model.training_failures_ == 2.0
    assert caplog.text == ""
    with caplog.at_level("WARNING", logger="risk.model.estimator"):
        model.record_training(data, "2021-01-01", 120, 120.0, 0)
    assert "no failure in the training panel before 2021-01-01" in caplog.text


def test_a_record_starting_inside_the_panel_is_what_the_card_counts(utility, tmp_path):
    """The panel's dates before the complete record, and its first date (no history
    recorded behind it: every pipe looks clean), are left out of the fit, of the rows and
    failures the card reports, and of its panel dates; the card then says the record is
    shorter than the panel the model is built for."""
    options = {"records_start_year": 2012}
    model = RiskModel(**FAST, feature_options=options).fit_utility(utility, "2016-01-01")
    assert model.panel_dates_ == [f"{year}-01-01" for year in range(2013, 2016)]
    full = build_panel(utility, "2016-01-01", panel_years=6, feature_options=options)
    inside = full.panel_date >= np.datetime64("2013-01-01")
    assert model.training_rows_ == inside.sum() < len(full.X)
    assert model.training_failures_ == full.y[inside].sum()
    card = json.loads((save_model(model, tmp_path) / "model_card.json").read_text())
    assert card["panel_dates"] == model.panel_dates_
    trained = describe_card(card)["trained"]
    assert "each pipe seen at 3 yearly dates" in trained
    one = describe_card({**card, "panel_dates": card["panel_dates"][:1]})["trained"]
    assert "each pipe seen at 1 yearly date)" in one
    assert "gives 3 yearly dates of the 6 the model is built for" in trained
    assert load_model(save_model(model, tmp_path / "again")).panel_dates_ == model.panel_dates_
    # a record covering the whole panel: no such sentence
    whole = RiskModel(**FAST).fit_utility(utility, "2016-01-01")
    assert len(whole.panel_dates_) == 6
    card = json.loads((save_model(whole, tmp_path / "whole") / "model_card.json").read_text())
    assert "yearly dates of the" not in describe_card(card)["trained"]


def test_score_table_sorts_by_rank_with_the_score_columns():
    units = {c: [7, 8] for c in SCORE_COLUMNS if c.startswith("unit_")}
    scores = pd.DataFrame(
        {
            "probability": [0.1, 0.3],
            "expected_failures": [0.1, 0.4],
            "rank": [2, 1],
            "expected_failures_per_km": [1.0, 2.0],
            "length_m": [100, 200],
            **units,
        },
        index=pd.Index(["P1", "P2"], dtype=object),
    )
    reasons = pd.Series(["young", "cast iron"], index=scores.index)
    out = score_table(scores, reasons, {2020: 3.0})
    assert list(out.columns) == list(SCORE_COLUMNS)
    assert out["pipe_id"].tolist() == ["P2", "P1"]
    assert out["top_reasons"].tolist() == ["cast iron", "young"]
    assert out["pipe_id"].dtype == "string" and out["top_reasons"].dtype == "string"
    assert out["length_m"].dtype == np.float64 and out["length_m"].tolist() == [200.0, 100.0]
    assert out["unit_id"].tolist() == [8, 7]
    assert out.attrs["expected_failures_by_weather_year"] == {2020: 3.0}


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="The 'max_depth' parameter of RiskModel must be an int"):
        RiskModel(max_depth=-1).fit(pd.DataFrame({"length_m": [1.0]}), [0])
    with pytest.raises(ValueError, match="'subsample' parameter of RiskModel must be a float"):
        RiskModel(subsample=2.0).fit(pd.DataFrame({"length_m": [1.0]}), [0])
    with pytest.raises(ValueError, match="failure counts >= 0"):
        RiskModel().fit(pd.DataFrame({"length_m": [1.0]}), [-1])


def test_fit_twice_gives_identical_predictions(panel, fitted):
    again = RiskModel(**FAST).fit(panel.X, panel.y, panel_date=panel.panel_date)
    np.testing.assert_array_equal(fitted.predict(panel.X), again.predict(panel.X))
    np.testing.assert_array_equal(
        fitted.predict_probability(panel.X), again.predict_probability(panel.X)
    )


def test_row_order_changes_neither_fit_nor_predictions(panel, fitted):
    order = np.random.default_rng(3).permutation(len(panel.X))
    X, y, dates = panel.X.iloc[order], panel.y[order], panel.panel_date[order]
    refit = RiskModel(**FAST).fit(X, y, panel_date=dates)
    np.testing.assert_array_equal(refit.predict(panel.X), fitted.predict(panel.X))
    np.testing.assert_array_equal(fitted.predict(X), fitted.predict(panel.X)[order])


def test_predictions_are_probabilities_counts_and_ranks(panel, fitted):
    X = panel.X[panel.panel_date == panel.panel_date.max()]
    scores = fitted.score_frame(X)
    assert scores["probability"].between(0, 1, inclusive="neither").all()
    assert (scores["expected_failures"] >= 0).all()
    assert sorted(scores["rank"]) == list(range(1, len(X) + 1))
    first = scores.sort_values("rank").iloc[0]
    assert first["expected_failures_per_km"] == scores["expected_failures_per_km"].max()


def test_network_wide_weather_is_not_used_to_rank(fitted):
    assert any(c.startswith("weather_") for c in fitted.dropped_features_)
    assert not any(c.startswith("weather_") for c in fitted.feature_names_in_)


def test_model_finds_more_failures_than_chance():
    data = make_utility(400, seed=5)
    scores = score_utility(data, "2018-01-01", model_params=FAST)
    truth = count_failures(data, "2018-01-01", "2020-01-01").reindex(
        scores["pipe_id"], fill_value=0
    )
    capture = capture_at_length(scores["rank"], scores["length_m"], truth.to_numpy(), 0.2)
    assert capture > 0.4  # chance finds 0.2


def test_score_utility_covers_every_pipe_in_service(utility):
    scores = score_utility(utility, "2016-01-01", model_params=FAST)
    assert list(scores.columns[:5]) == [
        "pipe_id",
        "probability",
        "expected_failures",
        "rank",
        "top_reasons",
    ]
    in_service = utility.pipes["install_year"] < 2016
    assert set(scores["pipe_id"]) == set(utility.pipes.loc[in_service, "pipe_id"])
    assert scores["rank"].tolist() == list(range(1, len(scores) + 1))
    assert scores["top_reasons"].str.len().gt(0).all()


def test_a_failure_after_as_of_changes_no_score(utility):
    before = score_utility(utility, "2016-01-01", model_params=FAST)
    after = score_utility(
        add_break(utility, "P0007", "2016-03-01"), "2016-01-01", model_params=FAST
    )
    pd.testing.assert_frame_equal(before, after)


def test_row_order_of_inputs_changes_no_score(utility):
    pd.testing.assert_frame_equal(
        score_utility(utility, "2016-01-01", model_params=FAST),
        score_utility(shuffled(utility), "2016-01-01", model_params=FAST),
    )


def test_attribute_only_inventory_is_scored():
    data = make_utility(80, geometry=False, weather=None, welds=False)
    scores = score_utility(data, "2016-01-01", model_params=FAST)
    assert len(scores) == (data.pipes["install_year"] < 2016).sum()
    assert scores["probability"].notna().all()


def test_longer_horizons_are_available(utility):
    one = train_model(utility, "2016-01-01", model_params=FAST)
    three = train_model(utility, "2016-01-01", horizon_years=3, model_params=FAST)
    X = one.build_features(utility, "2016-01-01")
    assert three.predict(X).sum() > 1.5 * one.predict(X).sum()
    with pytest.raises(ValueError, match="3-year horizon"):
        score_utility(utility, "2016-01-01", model=three)


def test_on_a_short_record_a_longer_horizon_is_the_year_ahead_times_the_years(utility, tmp_path):
    """A record from 2012 holds two 3-year windows before 2016 (fewer than half the
    panel's six dates) and four 1-year ones: the 3-year model learns the 1-year windows
    (the same panel, hence the same trees) and forecasts three times the year ahead, with
    the chance of no failure in any of the three; saved and loaded, it stays so."""
    one = train_model(utility, "2016-01-01", records_start_year=2012, model_params=FAST)
    three = train_model(
        utility, "2016-01-01", horizon_years=3, records_start_year=2012, model_params=FAST
    )
    assert (three.horizon_years, three.fit_horizon, one.fit_horizon) == (3, 1, 1)
    X = one.build_features(utility, "2016-01-01")
    X3 = three.build_features(utility, "2016-01-01")
    # the 1-year LEYP prior; only the usual weather differs (of 3-year windows, per year)
    same = [c for c in X if not c.startswith("window_weather_")]
    pd.testing.assert_frame_equal(X3[same], X[same])
    p1, p3 = one.predictions(X), three.predictions(X)
    np.testing.assert_allclose(p3["expected_failures"], 3 * p1["expected_failures"])
    np.testing.assert_allclose(p3["probability"], 1 - (1 - p1["probability"]) ** 3)
    folder = save_model(three, tmp_path / "models")
    again = load_model(folder)
    assert again.fit_horizon == 1
    card = json.loads((folder / "model_card.json").read_text())
    said = "the model learnt from 1-year windows, and its 3-year forecast is 3 times the year"
    assert said in describe_card(card)["trained"]
    assert said in " ".join(model_cautions(three)) and said not in " ".join(model_cautions(one))
    np.testing.assert_allclose(again.predict(X), three.predict(X))
    # a record long enough for 3-year windows: they are learnt
    longer = train_model(
        utility, "2016-01-01", horizon_years=3, records_start_year=2005, model_params=FAST
    )
    assert longer.fit_horizon == 3


def test_a_model_fitted_later_is_refused_for_an_earlier_date(utility):
    model = train_model(utility, "2016-01-01", model_params=FAST)
    with pytest.raises(ValueError, match="has seen the failures it would predict"):
        score_utility(utility, "2014-01-01", model=model)


def test_the_trees_start_from_the_panels_failure_rate(panel):
    """The first tree starts from the panel's failures per km and year, not from 1 per km
    (the least risky pipes were left over-predicted): two small trees already give the
    panel's total. The start is kept with the booster (the save and load test reads it
    back) and counted in the bias of the contributions."""
    km = np.maximum(panel.X["length_m"].to_numpy(float), 1.0) / 1000.0
    model = RiskModel(**{**FAST, "n_estimators": 2, "learning_rate": 0.05}).fit(
        panel.X, panel.y, panel_date=panel.panel_date
    )
    start = float(model.booster_.attr("start_log_rate_per_km"))
    assert start == pytest.approx(np.log(panel.y.sum() / km.sum()))
    assert model.predict(panel.X).sum() == pytest.approx(panel.y.sum(), rel=0.1)
    rows = panel.X.iloc[:20]
    contributions = model.contributions(rows).sum(axis=1).to_numpy()
    rate = model.predictions(rows)["expected_failures_per_km"]
    np.testing.assert_allclose(np.exp(contributions), rate, rtol=1e-4)


def test_save_and_load_model(tmp_path, utility):
    model = train_model(utility, "2016-01-01", model_params=FAST)
    folder = save_model(model, tmp_path / "models", metrics={"capture_at_5pct": 0.3})
    card = json.loads((folder / "model_card.json").read_text())
    assert card["as_of"] == "2016-01-01"
    assert card["features"] == list(model.feature_names_in_)
    assert card["metrics"] == {"capture_at_5pct": 0.3}
    assert card["data_fingerprint"].startswith("sha256:")
    loaded = load_model(folder)
    assert list(loaded.feature_names_in_) == list(model.feature_names_in_)
    assert loaded.n_features_in_ == model.n_features_in_
    assert loaded.dropped_features_ == model.dropped_features_
    assert loaded.categories_ == model.categories_ != {}
    assert loaded.booster_.get_dump() == model.booster_.get_dump()
    X = model.build_features(utility, "2017-01-01")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)
    np.testing.assert_allclose(loaded.predict_probability(X), model.predict_probability(X))
    pd.testing.assert_frame_equal(
        score_utility(utility, "2017-01-01", model=loaded),
        score_utility(utility, "2017-01-01", model=model),
    )
    with pytest.raises(FileNotFoundError, match="version folder"):
        load_model(tmp_path)


def test_a_model_that_cannot_be_written_whole_leaves_no_version(tmp_path, utility, monkeypatch):
    """The trees were written, then the card failed (a full disk): a version folder with
    trees and no card, or half a card, stayed among the models."""
    import pathlib

    model = train_model(utility, "2016-01-01", model_params=FAST)
    real = pathlib.Path.write_text

    def full_disk(self, *args, **kwargs):
        if self.name == "model_card.json":
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_model(model, tmp_path / "models")
    models = tmp_path / "models"
    assert not models.exists() or list(models.iterdir()) == []
    (models / "v0").mkdir(parents=True)  # a models folder with a version already
    with pytest.raises(OSError, match="No space left"):
        save_model(model, models)
    assert [p.name for p in models.iterdir()] == ["v0"]


@pytest.fixture(scope="module")
def explained():
    """A model, the features it explains and their scores (300 pipes)."""
    data = make_utility(300, seed=2)
    model = train_model(data, "2018-01-01", model_params=FAST)
    X = model.build_features(data, "2018-01-01")
    return model, X, model.score_frame(X)


def test_reasons_name_the_concepts_in_plain_words(explained):
    assert concept_of("failures_last_5y_per_km") == "failure_history"
    assert concept_of("soil_corrosivity") == "soil"
    assert concept_of("age_years") == concept_of("material") == "material_age"
    model, X, scores = explained
    reasons = explain_pipes(model, X, scores["rank"], n_exact=20)
    top = reasons[scores["rank"] <= 10]
    assert top.str.contains(r"failures? in the last|cast iron, \d+ years old|soil").any()
    assert not reasons.str.contains("_").any()  # no raw feature names
    approx = explain_pipes(model, X, scores["rank"], n_exact=0)
    assert (approx.index == reasons.index).all()
    busy = X["failures_last_3y"].idxmax()
    assert "failure" in reasons[busy]


def test_a_concept_that_barely_raises_the_risk_is_no_reason(explained):
    """A concept raising a pipe's rate by under 5 % is not named: lining, with a sliver of
    the model's weight, was a reason for half the demo network ("unlined" for 10,746 pipes
    of 19,821, while the Model page gave it 0 %)."""
    model, X, scores = explained
    concepts = reason_concepts(contributions(model, X))
    top = -np.sort(-concepts.to_numpy(dtype=float), axis=1)[:, :3]
    reasons = explain_pipes(model, X, scores["rank"], n_exact=0)
    named = (reasons.str.count("; ") + 1).where(~reasons.str.startswith("no factor"), 0)
    assert named.tolist() == (top >= MIN_REASON_LOG_RATE).sum(axis=1).tolist()
    assert ((top > 0) & (top < MIN_REASON_LOG_RATE)).any()  # the rule left some out


def every_phrase_reasons(model, X, rank, n_exact: int, top_n: int) -> pd.Series:
    """explain_pipes the plain way: every concept phrased for every pipe, then the best kept."""
    features = contributions(model, X, exact_rows=np.asarray(rank) <= n_exact)
    concepts = reason_concepts(features)
    radius = (model.feature_options or {}).get("neighbour_radius_m")
    medians = feature_medians(X)
    phrases = {c: _phrases(c, X, features, radius, medians).tolist() for c in concepts}
    out = []
    for i, values in enumerate(concepts.to_numpy()):
        best = sorted(range(len(values)), key=lambda j: -values[j])[:top_n]  # stable
        words = [phrases[concepts.columns[j]][i] for j in best if values[j] >= MIN_REASON_LOG_RATE]
        out.append("; ".join(words) or "no factor above the network average")
    return pd.Series(out, index=X.index, name="top_reasons", dtype="string")


@pytest.mark.parametrize("top_n", [1, 3, 20])
def test_reasons_equal_those_of_every_concept_phrased_for_every_pipe(explained, top_n):
    # phrases are written only where shown; the words still compare with the medians of
    # every pipe explained
    model, X, scores = explained
    got = explain_pipes(model, X, scores["rank"], n_exact=20, top_n=top_n)
    want = every_phrase_reasons(model, X, scores["rank"], 20, top_n)
    pd.testing.assert_series_equal(got, want, check_exact=True)
    if top_n > 1:  # as a first reason they do not reach 5 % in this small town
        assert got.str.contains("diameter|soil corrosivity (?:high|low)").any()
    assert not got.str.contains("segment|short pipe|long pipe").any()  # no reason by length


def test_reference_medians_set_the_high_low_small_large_words(explained):
    model, X, scores = explained
    medians = feature_medians(X)
    assert {"diameter_mm", "length_m", "soil_corrosivity", "weather_tmin_c_mean"} <= set(medians)
    assert "soil_soil_class" not in medians  # a category has no median
    assert medians["diameter_mm"] == X["diameter_mm"].median()
    default = explain_pipes(model, X, scores["rank"], n_exact=0)
    given = explain_pipes(model, X, scores["rank"], n_exact=0, reference_medians=medians)
    pd.testing.assert_series_equal(given, default, check_exact=True)

    # medians of a network of larger, longer, more corrosive pipes: only the words change
    bigger = {"diameter_mm": 1e9, "length_m": 1e9, "soil_corrosivity": 1e9}
    words = explain_pipes(model, X, scores["rank"], n_exact=0, reference_medians=bigger)
    assert default.str.contains("large diameter|corrosivity high").any()
    assert not words.str.contains("large diameter|corrosivity high").any()
    pd.testing.assert_series_equal(neutral(words), neutral(default))
    # columns the mapping lacks use the medians of X
    none_given = explain_pipes(model, X, scores["rank"], n_exact=0, reference_medians={})
    pd.testing.assert_series_equal(none_given, default, check_exact=True)


def neutral(reasons: pd.Series) -> pd.Series:
    """Reasons without the words that compare with a median."""
    return reasons.str.replace(r"\b(small|large|short|long|high|low)\b", "~", regex=True)


def test_numbers_are_written_with_thousands_separators():
    values = pd.Series([1234.5, 1235.5, -0.2, 0.2, np.nan, 2_000_000.0, 1234.5])
    assert _number(values).tolist() == ["1,234", "1,236", "-0", "0", "?", "2,000,000", "1,234"]
    assert _number(values, 1).tolist()[2:5] == ["-0.2", "0.2", "?"]
    assert _number(values.iloc[:0]).tolist() == []


def test_statistical_prior_is_a_feature_fitted_before_each_panel_date(utility, panel):
    assert "leyp_rate_per_km" in panel.X
    assert panel.X["leyp_rate_per_km"].notna().all()
    plain = build_panel(utility, "2016-01-01", panel_years=2, statistical_prior=False)
    assert "leyp_rate_per_km" not in plain.X
    # the prior at the latest panel date knows nothing of that date's outcome window
    later = add_break(utility, "P0005", "2015-06-01")
    a = build_panel(utility, "2016-01-01", panel_years=1).X["leyp_rate_per_km"]
    b = build_panel(later, "2016-01-01", panel_years=1).X["leyp_rate_per_km"]
    pd.testing.assert_series_equal(a, b)


def test_rate_per_km_times_length_is_the_expected_count(panel, fitted):
    X = panel.X[panel.X["length_m"] >= 1.0]
    expected = fitted.predict(X)
    rate = fitted.predict_rate_per_km(X)
    np.testing.assert_allclose(rate * X["length_m"].to_numpy() / 1000.0, expected, rtol=1e-4)


def test_a_capped_panel_keeps_every_failure_and_weighs_the_sampled_rows(utility):
    full = build_panel(utility, "2016-01-01", panel_years=6, statistical_prior=False)
    capped = build_panel(
        utility, "2016-01-01", panel_years=6, statistical_prior=False, max_rows=300
    )
    assert len(capped.X) < len(full.X) / 2
    assert capped.y.sum() == full.y.sum()  # every pipe-year with a failure is kept
    assert (capped.weight[capped.y > 0] == 1).all()
    assert (capped.weight[capped.y == 0] > 1).all()
    # the weighted rows stand for the whole panel, within sampling noise
    assert capped.weight.sum() == pytest.approx(len(full.X), rel=0.15)
    # features of the sampled rows are built alone, yet equal the full panel's rows
    for date in np.unique(capped.panel_date):
        sampled = capped.X[capped.panel_date == date]
        whole = full.X[full.panel_date == date]
        pd.testing.assert_frame_equal(sampled, whole.loc[sampled.index])
    # the sample depends on pipe_id and date, not on row order
    again = build_panel(
        shuffled(utility), "2016-01-01", panel_years=6, statistical_prior=False, max_rows=300
    )
    key = lambda p: sorted(zip(p.X.index, p.panel_date.astype(str), strict=True))  # noqa: E731
    assert key(again) == key(capped)


def test_unit_weights_change_nothing_and_bad_weights_are_refused(panel, fitted):
    ones = np.ones(len(panel.X))
    weighted = RiskModel(**FAST).fit(
        panel.X, panel.y, panel_date=panel.panel_date, sample_weight=ones
    )
    np.testing.assert_array_equal(weighted.predict(panel.X), fitted.predict(panel.X))
    with pytest.raises(ValueError, match="sample_weight must hold finite values > 0"):
        RiskModel(**FAST).fit(panel.X, panel.y, sample_weight=np.zeros(len(panel.X)))
    with pytest.raises(ValueError, match="sample_weight must have one value per row"):
        RiskModel(**FAST).fit(panel.X, panel.y, sample_weight=[1.0])


def test_a_model_trained_on_a_sampled_panel_says_so_and_still_ranks(utility):
    model = RiskModel(**FAST, max_training_rows=300).fit_utility(utility, "2016-01-01")
    assert model.training_rows_ < model.training_rows_represented_
    X = model.build_features(utility, "2016-01-01")
    scores = model.score_frame(X)
    truth = count_failures(utility, "2016-01-01", "2019-01-01").reindex(X.index, fill_value=0)
    hit = truth.to_numpy() > 0
    top = scores["rank"].to_numpy() <= len(X) // 5
    assert hit[top].mean() > 1.5 * hit.mean()  # the riskiest fifth is richer in failures


def test_the_chance_of_a_failure_follows_from_the_expected_failures(panel, fitted):
    # one answer: the matrix grades likelihood from the chance, totals add expected
    # failures; a held-out logistic curve once put most pipes' chance above their count
    assert fitted.calibration_ is not None  # the model was checked on held-out years
    X = panel.X[panel.panel_date == panel.panel_date.max()]
    scores = fitted.score_frame(X)
    expected = scores["expected_failures"].to_numpy()
    np.testing.assert_allclose(scores["probability"], 1 - np.exp(-expected), rtol=1e-12)
    assert (scores["probability"] <= expected).all()


def test_a_zone_that_appears_between_panel_dates_stays_a_category(utility):
    pipes = utility.pipes.copy()
    pipes.loc[0, ["install_year", "pressure_zone"]] = [2013, "Z9"]  # after the first dates
    data = dataclasses.replace(utility, pipes=pipes)
    panel = build_panel(data, "2016-01-01", panel_years=6, statistical_prior=False)
    zone = panel.X["pressure_zone"]
    assert isinstance(zone.dtype, pd.CategoricalDtype)
    assert zone.notna().all()
    assert "Z9" in list(zone.cat.categories) and (zone == "Z9").any()


def test_a_shared_feature_builder_gives_the_same_scores(utility):
    params = {"model_params": FAST, "records_start_year": 2000}
    plain = score_utility(utility, "2017-01-01", **params)
    builder = FeatureBuilder(utility, records_start_year=2000)
    model = train_model(utility, "2017-01-01", builder=builder, **params)
    shared = score_utility(utility, "2017-01-01", model=model, builder=builder)
    pd.testing.assert_frame_equal(shared, plain)


def test_a_builder_of_other_data_or_options_is_refused(utility):
    model = RiskModel(**FAST, feature_options={"neighbour_radius_m": 50.0})
    other = FeatureBuilder(utility, neighbour_radius_m=80.0)
    with pytest.raises(ValueError, match="neighbour_radius_m=80.0"):
        model.fit_utility(utility, "2016-01-01", builder=other)
    stranger = model.feature_builder(dataclasses.replace(utility))
    with pytest.raises(ValueError, match="another UtilityData"):
        model.build_features(utility, "2016-01-01", builder=stranger)


def test_time_only_columns_are_those_with_one_value_per_panel_date():
    from risk.model import time_only_columns

    dates = np.array(["2019-01-01", "2020-01-01", "2019-01-01", "2020-01-01"], dtype="M8[ns]")
    X = pd.DataFrame(
        {
            "weather_tmin_c_mean": [1.5, 2.0, 1.5, 2.0],  # one value per date
            "age_years": [10.0, 11.0, 30.0, 31.0],
            "zone": pd.Categorical(["a", "b", "a", "b"]),
            "all_missing": [np.nan] * 4,
            "partly_missing": [np.nan, 1.0, 2.0, 1.0],
            "flag": [True, False, True, False],
            "length_m": [5.0, 6.0, 5.0, 6.0],  # never dropped: it is the exposure
        }
    )
    assert time_only_columns(X, dates) == ["weather_tmin_c_mean", "zone", "all_missing", "flag"]
    assert time_only_columns(X.iloc[:1], dates[:1]) == []


def test_a_network_with_no_failure_recorded_says_why_its_list_is_oldest_first():
    """A utility that loads its pipes before its break records: the model rates every pipe
    alike and the list puts the oldest first. Each pipe's reason said "no factor above the
    network average" (a crew cannot act on it); it says its material and age, and the rule."""
    from risk.pipecard import reasons_in_words

    data = make_utility(60, seed=2)
    data.breaks = data.breaks.iloc[:0]
    scores = score_utility(data, "2018-01-01", model_params=FAST)
    first = scores.iloc[0]
    laid = data.pipes.set_index("pipe_id")["install_year"]
    assert laid[first["pipe_id"]] == laid[scores["pipe_id"]].min()  # the oldest first
    assert scores["top_reasons"].str.endswith("no failure recorded yet: the oldest first").all()
    assert laid[first["pipe_id"]] == 1901
    assert first["top_reasons"] == (
        "cast iron, 117 years old; no failure recorded yet: the oldest first"
    )
    assert reasons_in_words(first["top_reasons"], "fr") == [
        "fonte grise, 117 ans",
        "aucune casse enregistrée encore : les plus anciennes d'abord",
    ]
