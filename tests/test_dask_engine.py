"""The Dask engine (risk.dask_engine) against the local engine, on a LocalCluster.

The clusters have 2 worker *processes* of 1 thread each on 127.0.0.1, as ``risk score
--engine dask`` starts them: one for the module, one started by the command-line test.
Features must equal the local engine's exactly, and a given model must score exactly as it
does locally. A model trained on the cluster must agree with the local one within the
tolerance documented in docs/dask.md, for a record of at least ~250 failures a year:

- Spearman rank correlation of ``expected_failures_per_km`` >= 0.98;
- share of next-year failures found in the riskiest 5 % and 10 % of length within 0.03.

Measured on this module's town (3,000 segments, seed 0, 259 failures in 2025): 0.996, and
gaps of +0.017 and 0.000. Distributed runs repeat exactly on the same cluster shape.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client
from scipy.stats import spearmanr
from towns import make_utility

import risk
from risk import dask_engine
from risk.backtest import capture_at_length
from risk.cli import main
from risk.errors import InputError
from risk.features import FeatureBuilder, count_failures
from risk.generate import generate_utility
from risk.ingest import read_utility
from risk.model import add_statistical_prior
from risk.scoring import SCORE_COLUMNS, score_utility, train_model

#: Agreement of a model trained on the cluster with the local one (docs/dask.md).
MIN_SPEARMAN = 0.98
MAX_CAPTURE_GAP = 0.03
#: One XGBoost thread for the local engine, as each Dask worker has.
PARAMS = {"n_jobs": 1}
#: Scoring date: the generated record ends in 2025, so next-year failures are known.
AS_OF = "2025-01-01"


@pytest.fixture(scope="module")
def client():
    client = dask_engine.connect(n_workers=2, threads_per_worker=1)
    yield client
    client.close()


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    # 3,000 segments: about 250 failures a year, enough for a capture comparison
    return generate_utility(tmp_path_factory.mktemp("dask") / "town", n_segments=3_000, seed=0)


@pytest.fixture(scope="module")
def data(town):
    return read_utility(town)


def local_features(data, as_of, options):
    X = FeatureBuilder(data, **options).build(as_of)
    return add_statistical_prior(X, data, as_of, 1, options)


def test_features_equal_the_local_engine_exactly(client, data):
    options = {"records_start_year": data.meta["records_complete_from"]}
    got = dask_engine.build_features_dask(
        data, "2021-01-01", client, feature_options=options, npartitions=3
    )
    want = local_features(data, "2021-01-01", options)
    assert {"neighbour_failures_total", "soil_texture", "welds_grade_a"} <= set(want.columns)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_features_equal_without_record_start_break_points_or_geometry(client):
    # no records_complete_from (the start year is found per date), breaks without a point
    # (placed at the middle of their pipe), network-wide weather, inspections; and an
    # inventory without geometry
    data = make_utility(240, seed=2)
    data.inspections = pd.DataFrame(
        {
            "pipe_id": pd.array(["P0003", "P0100", "P0100", "P0200"], dtype="string"),
            "date": pd.to_datetime(["2012-05-01", "2014-03-01", "2016-07-01", "2018-01-01"]),
            "leak_found": [True, False, True, False],
        }
    )
    attributes_only = make_utility(120, seed=5, geometry=False)
    for utility in (data, attributes_only):
        got = dask_engine.build_features_dask(utility, "2017-01-01", client, npartitions=4)
        want = local_features(utility, "2017-01-01", {})
        pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.fixture(scope="module")
def local_model(data):
    return train_model(data, AS_OF, records_start_year=2000, model_params=PARAMS)


@pytest.fixture(scope="module")
def local_scores(data, local_model):
    return score_utility(data, AS_OF, model=local_model)


def test_a_given_model_scores_and_explains_exactly_as_locally(
    client, data, local_model, local_scores
):
    got = dask_engine.score_utility_dask(data, AS_OF, client, model=local_model, npartitions=3)
    pd.testing.assert_frame_equal(got, local_scores, check_exact=True)
    assert list(got.columns) == list(SCORE_COLUMNS)
    # the network's expected failures under each past year's weather: partitions added up
    want = local_scores.attrs["expected_failures_by_weather_year"]
    remote = got.attrs["expected_failures_by_weather_year"]
    assert len(want) == 15 and remote.keys() == want.keys()
    assert remote == pytest.approx(want, rel=1e-9)
    # words such as "high"/"low" compare with the network's medians, not the partition's
    assert got["top_reasons"].str.contains(r"\b(?:high|low|small|large|short|long)\b").any()


@pytest.fixture(scope="module")
def cli_run(town, tmp_path_factory):
    """``risk score TOWN --engine dask`` once: a fresh local cluster, training, scoring."""
    out = tmp_path_factory.mktemp("cli") / "scores.parquet"
    stdout, stderr = io.StringIO(), io.StringIO()
    args = ["score", str(town), "--as-of", AS_OF, "--engine", "dask", "--out", str(out), "--json"]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(args)
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_risk_score_with_the_dask_engine_writes_the_standard_columns(cli_run):
    code, stdout, err, out = cli_run
    assert code == 0, err
    assert "Starting a local Dask cluster (2 workers)" in err
    scores = pd.read_parquet(out)
    # a file for people: the standard columns, the reasons in words after top_reasons
    columns = list(SCORE_COLUMNS)
    columns.insert(columns.index("top_reasons") + 1, "reasons")
    assert list(scores.columns) == columns
    assert json.loads(stdout)["pipes"] == len(scores) > 2_000
    assert scores["rank"].tolist() == list(range(1, len(scores) + 1))
    assert scores["probability"].between(0, 1).all()
    assert scores["top_reasons"].notna().all()


def test_a_model_trained_on_the_cluster_agrees_with_the_local_one(data, cli_run, local_scores):
    got = pd.read_parquet(cli_run[3]).set_index("pipe_id")
    want = local_scores.set_index("pipe_id")
    got = got.reindex(want.index)
    rho = spearmanr(want["expected_failures_per_km"], got["expected_failures_per_km"]).statistic
    assert rho >= MIN_SPEARMAN
    failures = count_failures(data, AS_OF, "2026-01-01").reindex(want.index, fill_value=0)
    assert failures.sum() > 100  # enough failures for the capture to mean something
    for share in (0.05, 0.10):
        local = capture_at_length(want["rank"], want["length_m"], failures, share)
        dask = capture_at_length(got["rank"], got["length_m"], failures, share)
        assert abs(dask - local) <= MAX_CAPTURE_GAP, (share, local, dask)


def test_both_engines_calibrate_on_the_same_held_out_years(client, data, local_model):
    remote = dask_engine.train_model_dask(
        data, AS_OF, client, records_start_year=2000, model_params=PARAMS, npartitions=3
    )
    want, got = local_model.calibration_, remote.calibration_
    assert len(want["held_out_dates"]) > 1  # pooled over several years, not the last one
    assert got["held_out_dates"] == want["held_out_dates"]
    assert remote.count_scale_ == local_model.count_scale_ == 1.0  # checked, not scaled
    # the same failures held out, expected about alike by trees fitted on the workers
    assert got["failures"] == want["failures"]
    assert got["raw_expected"] == pytest.approx(want["raw_expected"], rel=0.1)
    # the learned state both engines set through the model (set_features, record_training)
    assert list(remote.feature_names_in_) == list(local_model.feature_names_in_)
    assert remote.dropped_features_ == local_model.dropped_features_
    assert remote.categories_ == local_model.categories_
    names = ("as_of_", "training_rows_", "training_rows_represented_", "training_failures_")
    for name in (*names, "data_fingerprint_", "left_out_columns_"):
        assert getattr(remote, name) == getattr(local_model, name), name


def test_risk_train_with_the_dask_engine_saves_a_model_version(
    run, town, tmp_path, client, local_model, monkeypatch
):
    # the wiring only (training on a cluster is covered above): a client on the module's
    # cluster, and a stand-in for the training
    monkeypatch.setattr(dask_engine, "connect", lambda *a, **k: Client(client.scheduler.address))
    calls = []

    def train(data, as_of, client, **options):
        calls.append((str(as_of.date()), options))
        return local_model

    monkeypatch.setattr(dask_engine, "train_model_dask", train)
    code, stdout, err = run(
        "train", town, "--as-of", AS_OF, "--engine", "dask", "--models-dir", tmp_path, "--json"
    )
    assert code == 0, err
    # risk train takes the engine through risk.scoring.train_on_engine, as risk score does
    assert calls == [(AS_OF, {"horizon_years": 1, "records_start_year": 2000, "partitions": None})]
    assert (Path(json.loads(stdout)["model"]) / "booster.json").is_file()
    assert client.status != "closed"  # only the CLI's own client was closed


def test_an_unreachable_scheduler_is_explained(run, town, monkeypatch, tmp_path):
    monkeypatch.setattr(dask_engine.cluster, "SCHEDULER_TIMEOUT_S", 1.0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    for command, output in (("score", "--out"), ("train", "--models-dir")):
        code, _, err = run(
            command,
            town,
            "--as-of",
            "2026-01-01",
            "--engine",
            "dask",
            "--scheduler",
            address,
            output,
            tmp_path / "out.parquet",
        )
        assert code == 2
        assert f"could not reach the Dask scheduler at '{address}'" in err
        assert "dask scheduler" in err and "leave out --scheduler" in err


def test_engine_options_are_checked(run, town, monkeypatch):
    code, _, err = run(
        "score", town, "--as-of", "2026-01-01", "--scheduler", "tcp://x:8786", "--out", "x.csv"
    )
    assert code == 2 and "--scheduler needs --engine dask" in err
    # without the optional packages, the message says how to install them
    monkeypatch.delattr(risk, "dask_engine")
    for name in [m for m in sys.modules if m.startswith("risk.dask_engine")]:
        monkeypatch.delitem(sys.modules, name)  # the package and its modules
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)
    code, _, err = run("score", town, "--as-of", "2026-01-01", "--engine", "dask", "--out", "x.csv")
    assert code == 2
    assert "pip install 'leak-risk[dask]'" in err and "dask_geopandas" in err


def test_partitions_are_compact_in_space_and_cover_every_pipe(client, data):
    parts = dask_engine.partition_utility(data, client, npartitions=4)
    try:
        assert parts.npartitions == 4
        assert sum(parts.pipe_counts) == len(data.pipes)
        assert max(parts.pipe_counts) - min(parts.pipe_counts) <= 1
        x0, y0, x1, y1 = data.pipes.total_bounds
        areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in parts.bounds]
        # Hilbert runs tile the town; random quarters would each span all of it (sum ~4x)
        assert sum(areas) < 2.0 * (x1 - x0) * (y1 - y0)
    finally:
        parts.release()
    with pytest.raises(ValueError, match="npartitions must be an int >= 1"):
        dask_engine.partition_utility(data, client, npartitions=0)


@pytest.mark.parametrize(("max_rows", "horizon"), [(None, 1), (4_000, 1), (None, 3)])
def test_panels_and_labels_equal_the_local_engine_exactly(client, data, max_rows, horizon):
    # the same per-partition rule (risk.model.panel_rows): dates, labels, sampling, weights
    from risk.model import RiskModel, build_panel

    options = {"records_start_year": data.meta["records_complete_from"]}
    model = RiskModel(
        feature_options=options, max_training_rows=max_rows, panel_years=4, horizon_years=horizon
    )
    want = build_panel(
        data,
        AS_OF,
        horizon_years=horizon,
        panel_years=4,
        feature_options=options,
        max_rows=max_rows,
        verbose=False,
    )
    parts = dask_engine.partition_utility(data, client, feature_options=options, npartitions=3)
    try:
        chunks = dask_engine.panel_chunks(model, parts, AS_OF)
        frames = client.gather([f for _, _, f in chunks])
    finally:
        parts.release()
    dates = [d for d, _, _ in chunks]
    assert sorted(set(dates)) == sorted(set(pd.to_datetime(want.panel_date)))
    assert len(set(dates)) == 4
    if max_rows:
        assert (want.weight > 1).any()  # the sampling rule is exercised
    for date in sorted(set(dates)):
        got = pd.concat([f for d, f in zip(dates, frames, strict=True) if d == date])
        got = got.sort_index()
        rows = pd.to_datetime(want.panel_date) == date
        local = want.X[rows]
        assert got.index.equals(local.index)
        labels = got.pop(dask_engine.LABEL_COLUMN).to_numpy()
        weights = got.pop(dask_engine.WEIGHT_COLUMN).to_numpy()
        assert (labels == want.y[rows]).all() and (weights == want.weight[rows]).all()
        # the prior's sums run in another order on a partition: equal to the last bit or so
        prior = "leyp_rate_per_km"
        assert got.pop(prior).to_numpy() == pytest.approx(local.pop(prior).to_numpy(), rel=1e-12)
        pd.testing.assert_frame_equal(
            got[local.columns].astype({c: object for c in got.select_dtypes("category")}),
            local.astype({c: object for c in local.select_dtypes("category")}),
            check_exact=True,
        )


def test_a_short_record_composes_a_longer_horizon_alike_in_both_engines(client, data):
    """A record from 2021 holds two 3-year windows before 2025 and four 1-year ones: both
    engines learn the 1-year windows (one rule, risk.model.fitted_horizon) and a composed
    model scores exactly alike on the cluster."""
    params = {**PARAMS, "n_estimators": 60}
    local = train_model(data, AS_OF, horizon_years=3, records_start_year=2021, model_params=params)
    assert local.fit_horizon == 1
    want = score_utility(data, AS_OF, model=local, horizon_years=3)
    got = dask_engine.score_utility_dask(data, AS_OF, client, model=local, npartitions=3)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    remote = dask_engine.train_model_dask(
        data, AS_OF, client, horizon_years=3, records_start_year=2021, model_params=params,
        npartitions=3,
    )  # fmt: skip
    assert remote.fit_horizon == 1 and remote.panel_dates_ == local.panel_dates_


def test_a_date_before_the_weather_is_refused_alike_by_both_engines(client, data, local_model):
    """A date before the weather table holds one past window: the local engine refused it,
    the Dask engine stopped on an internal error (the window weather columns missing)."""
    old = data.weather[data.weather["date"] >= "2024-01-01"]
    late = dataclasses.replace(data, weather=old)
    for score in (
        lambda: score_utility(late, AS_OF, model=local_model),
        lambda: dask_engine.score_utility_dask(late, AS_OF, client, model=local_model),
    ):
        with pytest.raises(InputError, match="Give an as-of date from 2025-03-01"):
            score()
