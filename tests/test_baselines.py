"""Tests of risk.baselines on hand-checked fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from towns import add_break, make_utility, shuffled

from risk.baselines import (
    AgeBaseline,
    MaterialDecadeBaseline,
    PriorFailuresBaseline,
    RandomBaseline,
    WeibullBaseline,
    default_baselines,
)
from risk.features import FeatureBuilder
from risk.utility import UtilityData


@pytest.fixture
def tiny() -> UtilityData:
    """Four pipes, three breaks since 2000, scored on 2015-01-01."""
    pipes = pd.DataFrame(
        {
            "pipe_id": pd.array(["A", "B", "C", "D"], dtype="string"),
            "material": pd.array(["cast_iron", "pvc", "cast_iron", "ductile_iron"], dtype="string"),
            "diameter_mm": [150.0, 100.0, 150.0, 200.0],
            "install_year": pd.array([1950, 1990, 1955, 1970], dtype="Int64"),
            "length_m": [100.0, 100.0, 25.0, 200.0],
        }
    )
    breaks = pd.DataFrame(
        {
            "date": pd.to_datetime(["2005-06-01", "2012-03-01", "2010-01-01", "2016-01-01"]),
            "pipe_id": pd.array(["A", "A", "C", "B"], dtype="string"),
        }
    )
    return UtilityData(pipes=pipes, breaks=breaks)


def order(frame: pd.DataFrame) -> list[str]:
    return frame.sort_values("score", ascending=False, kind="mergesort").index.tolist()


def test_age_puts_the_oldest_first(tiny):
    predicted = AgeBaseline().fit(tiny, "2015-01-01").predict(tiny, "2015-01-01")
    assert order(predicted) == ["A", "C", "D", "B"]
    assert predicted["probability"].isna().all()


def test_prior_failures_per_km_hand_checked(tiny):
    predicted = PriorFailuresBaseline(records_start_year=2000).fit(tiny, "2015-01-01")
    predicted = predicted.predict(tiny, "2015-01-01")
    assert order(predicted)[:2] == ["C", "A"]  # 40 and 20 failures per km
    assert predicted.loc["C", "score"] == pytest.approx(40.0)
    assert predicted.loc["A", "expected_failures"] == pytest.approx(2 / 15)
    assert predicted.loc["B", "expected_failures"] == 0  # its 2016 break is not known yet


def test_material_decade_rate_hand_checked(tiny):
    baseline = MaterialDecadeBaseline(records_start_year=2000, prior_km_years=0.0)
    predicted = baseline.fit(tiny, "2015-01-01").predict(tiny, "2015-01-01")
    # cast iron of the 1950s: 3 failures over (0.1 + 0.025) km x 15 years
    assert predicted.loc["A", "score"] == pytest.approx(3 / 1.875)
    assert predicted.loc["C", "score"] == predicted.loc["A", "score"]
    assert predicted.loc["A", "expected_failures"] == pytest.approx(3 / 1.875 * 0.1)
    assert predicted.loc["B", "score"] == 0
    assert predicted.loc["D", "score"] == 0


def test_random_is_seeded_and_independent_of_row_order(tiny):
    one = RandomBaseline(random_state=1).fit(tiny, "2015-01-01").predict(tiny, "2015-01-01")
    again = RandomBaseline(random_state=1).fit(tiny, "2015-01-01")
    pd.testing.assert_frame_equal(one, again.predict(shuffled(tiny), "2015-01-01"))
    data = make_utility(100, geometry=False)
    a = RandomBaseline(random_state=1).fit(data, 2015).predict(data, 2015)
    b = RandomBaseline(random_state=2).fit(data, 2015).predict(data, 2015)
    assert order(a) != order(b)


@pytest.mark.parametrize(
    "baseline", default_baselines(records_start_year=1995), ids=lambda b: b.name
)
def test_no_baseline_uses_a_failure_after_as_of(baseline):
    data = make_utility(80, geometry=False, weather=None, welds=False)
    before = baseline.fit(data, "2014-01-01").predict(data, "2014-01-01")
    later = add_break(data, "P0003", "2014-02-01")
    after = baseline.fit(later, "2014-01-01").predict(later, "2014-01-01")  # refit from scratch
    pd.testing.assert_frame_equal(before, after)
    assert len(before) == (data.pipes["install_year"] < 2014).sum()


def test_unfitted_baseline_says_so(tiny):
    with pytest.raises(RuntimeError, match="not fitted yet"):
        AgeBaseline().predict(tiny, "2015-01-01")
    fitted = AgeBaseline().fit(tiny, "2015-01-01")
    with pytest.raises(ValueError, match="would use later records"):
        fitted.predict(tiny, "2010-01-01")


def simulated_weibull_utility(n: int = 3000) -> UtilityData:
    """Pipes failing as a Weibull process with shape 2 and a cast-iron effect of 1.1."""
    rng = np.random.default_rng(7)
    delta, base = 2.0, 0.004  # intensity per km: base * exp(1.1 * cast_iron) * delta * t^(delta-1)
    cast_iron = rng.random(n) < 0.5
    install = rng.integers(1930, 1995, n)
    start, end = 2000.0, 2020.0
    a, b = start - install, end - install
    scale = base * np.exp(1.1 * cast_iron)
    counts = rng.poisson(scale * (b**delta - a**delta))
    pipe = np.repeat(np.arange(n), counts)
    u = rng.random(len(pipe))
    age = (a[pipe] ** delta + u * (b[pipe] ** delta - a[pipe] ** delta)) ** (1 / delta)
    when = install[pipe] + age
    dates = pd.to_datetime((when - 1970) * 365.25, unit="D", origin="unix").normalize()
    pipes = pd.DataFrame(
        {
            "pipe_id": pd.array([f"P{i}" for i in range(n)], dtype="string"),
            "material": pd.array(np.where(cast_iron, "cast_iron", "pvc"), dtype="string"),
            "diameter_mm": 150.0,
            "install_year": pd.array(install, dtype="Int64"),
            "length_m": 1000.0,
        }
    )
    breaks = pd.DataFrame(
        {"date": dates, "pipe_id": pd.array([f"P{i}" for i in pipe], dtype="string")}
    )
    return UtilityData(pipes=pipes, breaks=breaks)


def cast_iron_effect(model: WeibullBaseline) -> float:
    return (
        model.beta_[1 + model.materials_.index("cast_iron")]
        - model.beta_[1 + model.materials_.index("pvc")]
    )


def test_weibull_recovers_the_shape_and_material_effect_of_simulated_pipes():
    data = simulated_weibull_utility()
    model = WeibullBaseline(records_start_year=2000).fit(data, "2020-01-01")
    assert model.converged_
    assert model.n_fit_pipes_ == 3000
    assert model.delta_ == pytest.approx(2.0, abs=0.25)
    assert model.alpha_ < 0.15  # no failure-history effect was simulated
    assert cast_iron_effect(model) == pytest.approx(1.1, abs=0.2)
    predicted = model.predict(data, "2020-01-01")
    assert predicted["expected_failures"].notna().all()
    assert predicted.loc["P0", "probability"] == pytest.approx(
        1 - np.exp(-predicted.loc["P0", "expected_failures"])
    )


def test_weibull_failure_history_raises_the_intensity(tiny):
    model = WeibullBaseline(records_start_year=2000).fit(tiny, "2015-01-01")
    predicted = model.predict(tiny, "2015-01-01")
    assert order(predicted)[0] in {"A", "C"}
    assert model.alpha_ >= 0


def test_weibull_without_any_install_year_ranks_by_history(tiny):
    """An inventory with no install year at all (a warning at ingestion) still gets a
    prior: every pipe the same age, its material and history telling them apart."""
    tiny.pipes["install_year"] = pd.array([pd.NA] * 4, dtype="Int64")
    model = WeibullBaseline(records_start_year=2000).fit(tiny, "2015-01-01")
    predicted = model.predict(tiny, "2015-01-01")
    assert model.install_median_ == 1985.0 and predicted["score"].notna().all()
    assert order(predicted)[0] in {"A", "C"}


@pytest.mark.parametrize("records_start_year", [None, 2000])
def test_weibull_without_any_failure_recorded_expects_none(tiny, records_start_year):
    """A network loaded before its break records: the ageing curves saw no failure. They
    predicted 100 million failures a pipe (a start guess of one failure over no exposure),
    and a probability of 1 everywhere in the backtest."""
    tiny.breaks = tiny.breaks.iloc[:0]
    model = WeibullBaseline(records_start_year=records_start_year).fit(tiny, "2015-01-01")
    predicted = model.predict(tiny, "2015-01-01")
    assert predicted["expected_failures"].sum() < 1e-9
    assert predicted["probability"].max() < 1e-9


def test_weibull_fitted_on_a_sample_of_a_large_network_keeps_its_estimates():
    data = simulated_weibull_utility(6000)
    full = WeibullBaseline(records_start_year=2000, max_fit_pipes=None).fit(data, "2020-01-01")
    sampled = WeibullBaseline(records_start_year=2000, max_fit_pipes=2000).fit(data, "2020-01-01")
    assert 1800 < sampled.n_fit_pipes_ < 2200
    assert sampled.delta_ == pytest.approx(full.delta_, abs=0.3)
    assert cast_iron_effect(sampled) == pytest.approx(cast_iron_effect(full), abs=0.3)
    # every pipe is still scored, and the sample does not depend on row order
    assert len(sampled.predict(data, "2020-01-01")) == 6000
    again = WeibullBaseline(records_start_year=2000, max_fit_pipes=2000).fit(
        shuffled(data), "2020-01-01"
    )
    assert again.n_fit_pipes_ == sampled.n_fit_pipes_
    assert again.delta_ == pytest.approx(sampled.delta_, rel=1e-6)


def test_weibull_warm_start_reaches_the_same_estimates_in_fewer_iterations():
    data = simulated_weibull_utility()
    cold = WeibullBaseline(records_start_year=2000).fit(data, "2019-01-01")
    warm = WeibullBaseline(records_start_year=2000, warm_start=True)
    warm.fit(data, "2018-01-01").fit(data, "2019-01-01")
    assert warm.converged_ and cold.converged_
    assert warm.n_iter_ < cold.n_iter_
    assert warm.delta_ == pytest.approx(cold.delta_, rel=1e-3)
    assert cast_iron_effect(warm) == pytest.approx(cast_iron_effect(cold), abs=1e-3)
    expected_cold = cold.predict(data, "2019-01-01")["expected_failures"]
    expected_warm = warm.predict(data, "2019-01-01")["expected_failures"]
    np.testing.assert_allclose(expected_warm, expected_cold, rtol=1e-3)


def test_weibull_accepts_a_feature_builder_in_place_of_the_utility():
    data = simulated_weibull_utility(500)
    builder = FeatureBuilder(data, records_start_year=2000)
    plain = WeibullBaseline(records_start_year=2000).fit(data, "2020-01-01")
    reused = WeibullBaseline(records_start_year=2000).fit(builder, "2020-01-01")
    assert reused.delta_ == plain.delta_
    pd.testing.assert_frame_equal(
        reused.predict(builder, "2020-01-01"), plain.predict(data, "2020-01-01")
    )


def test_weibull_predicts_a_subset_of_pipes_as_the_full_table():
    data = simulated_weibull_utility(500)
    model = WeibullBaseline(records_start_year=2000).fit(data, "2020-01-01")
    full = model.predict(data, "2020-01-01")
    wanted = ["P7", "P3", "P499", "not-a-pipe"]
    part = model.predict(data, "2020-01-01", pipe_ids=wanted)
    pd.testing.assert_frame_equal(part, full.loc[sorted(wanted[:3])])


def test_distinct_rows_group_equal_rows_only():
    from risk.baselines import _distinct_rows

    rng = np.random.default_rng(0)
    X = np.c_[np.ones(500), rng.integers(0, 2, (500, 3)), rng.choice([-0.5, 0.25, 1.75], 500)]
    group, distinct = _distinct_rows(X)
    np.testing.assert_array_equal(distinct[group], X)  # each row is its group's row
    assert len(distinct) == len(np.unique(X, axis=0))  # and equal rows share a group
    assert len(_distinct_rows(np.zeros((0, 3)))[1]) == 0


def test_leyp_predictions_by_builder_rows_equal_those_by_pipe_ids():
    data = make_utility(200, seed=5)
    builder = FeatureBuilder(data)
    model = WeibullBaseline(records_start_year=2000).fit(builder, "2015-01-01")
    rows = builder.in_service_rows("2016-01-01")[::3]
    ids = builder.pipes["pipe_id"].iloc[rows]
    by_ids = model.predict(builder, "2016-01-01", pipe_ids=ids)
    pd.testing.assert_frame_equal(model.predict(builder, "2016-01-01", pipe_rows=rows), by_ids)
    pd.testing.assert_frame_equal(model.predict(data, "2016-01-01", pipe_ids=ids), by_ids)
    features = builder.build("2016-01-01", verbose=False, pipe_ids=ids)
    pd.testing.assert_frame_equal(
        builder.build("2016-01-01", verbose=False, pipe_rows=rows), features
    )
    with pytest.raises(TypeError, match="FeatureBuilder"):
        model.predict(data, "2016-01-01", pipe_rows=rows)


def test_a_panel_date_before_the_complete_record_has_no_prior_and_does_not_crash():
    """Stray breaks before the complete record are not history: at a date before the record
    starts, the LEYP model has no failure to learn from (it crashed on the empty history)."""
    from risk.model.panel import fit_statistical_prior

    data = make_utility(150)
    assert (data.breaks["date"].dt.year < 2010).any()  # breaks exist, before the record
    fitted = WeibullBaseline(records_start_year=2012).fit(data, "2010-01-01")
    assert fitted.n_failures_ == 0
    assert fit_statistical_prior(data, "2010-01-01", 1, 2012) is None
    later = fit_statistical_prior(data, "2016-01-01", 1, 2012)
    assert later is not None and later.n_failures_ > 0
