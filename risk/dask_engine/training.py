"""Training on the cluster: the panel built on the workers, XGBoost trained with xgboost.dask, the local engine's calibration."""

from __future__ import annotations

import logging

import dask.dataframe as dd
import numpy as np
import pandas as pd
import xgboost as xgb
import xgboost.dask  # noqa: F401  (makes xgb.dask available)
from distributed import Client

from risk.dask_engine.partitions import (
    LABEL_COLUMN,
    MARGIN_COLUMN,
    WEIGHT_COLUMN,
    PartitionedUtility,
    empty_like,
    partition_utility,
)
from risk.errors import InputError
from risk.features import (
    to_timestamp,
)
from risk.model import (
    RiskModel,
    as_categories,
    fitted_horizon,
    gap_years_of,
    in_record,
    is_excluded_column,
    may_be_time_only,
    panel_dates,
)
from risk.model.columns import (
    exposure_km,
    least_panel_dates,
    set_booster_start,
    start_log_rate,
)
from risk.scoring import new_model
from risk.utility import UtilityData

log = logging.getLogger(__name__)


def train_model_dask(
    data: UtilityData,
    as_of,
    client: Client,
    *,
    horizon_years: int = 1,
    records_start_year: int | None = None,
    model_params: dict | None = None,
    npartitions: int | None = None,
    partitions: PartitionedUtility | None = None,
) -> RiskModel:
    """:func:`risk.scoring.train_model` on a Dask cluster; returns a normal fitted RiskModel.

    ``partitions`` (from :func:`partition_utility` with the model's feature options) are
    reused instead of cutting ``data`` again, e.g. to score right after training.
    """
    model = new_model(horizon_years, records_start_year, model_params)
    parts = partitions or partition_utility(
        data, client, feature_options=model.feature_options, npartitions=npartitions
    )
    check_partitions(parts, model)
    try:
        fit_utility_dask(model, parts, as_of)
    finally:
        if partitions is None:
            parts.release()
    return model


def fit_utility_dask(model: RiskModel, parts: PartitionedUtility, as_of) -> RiskModel:
    """:meth:`RiskModel.fit_utility` with the panel built and XGBoost trained on the workers.

    Same panel (dates, labels, case-control sampling, LEYP prior), same dropped features,
    same panel dates in the break record, same calibration (the held-out dates of
    :meth:`RiskModel.held_out_plan`, each predicted by a fit on the dates before it, pooled
    by ``RiskModel.calibrate_years``, then a fit on every date); the trees come from
    ``xgboost.dask.train``.
    """
    model.check_params()
    client = parts.client
    start = (model.feature_options or {}).get("records_start_year")
    if start is None:
        start = (parts.data.meta or {}).get("records_complete_from")
    model.fit_horizon_years_ = fitted_horizon(  # the local engine's rule
        as_of,
        model.horizon_years,
        model.panel_years,
        None if start is None or pd.isna(start) else int(start),
        gap_years_of(parts.data),
    )
    chunks = panel_chunks(model, parts, as_of)
    summaries = client.gather([parts.submit(k, _summarise, f) for _, k, f in chunks])
    kept = [(*c, s) for c, s in zip(chunks, summaries, strict=True) if s["rows"]]
    for (_, _, f), s in zip(chunks, summaries, strict=True):
        if not s["rows"]:
            f.release()
    if not kept:
        raise InputError(
            f"no pipe in service at any panel date before {to_timestamp(as_of).date()}; "
            "check install_year, or pick a later as_of"
        )
    # panel dates before the complete break record are left out, as RiskModel.fit does
    start = (model.feature_options or {}).get("records_start_year")
    distinct = np.array(sorted({np.datetime64(d, "ns") for d, _, _, _ in kept}))
    least = least_panel_dates(model.panel_years)
    inside = set(distinct[in_record(distinct, start, len(distinct), least_dates=least)].tolist())
    for d, _, f, _ in kept:
        if np.datetime64(d, "ns").tolist() not in inside:
            f.release()
    kept = [c for c in kept if np.datetime64(c[0], "ns").tolist() in inside]
    rows = sum(s["rows"] for _, _, _, s in kept)
    represented = sum(s["weight"] for _, _, _, s in kept)
    failures = sum(s["failures"] for _, _, _, s in kept)
    sampled = any(s["sampled"] for _, _, _, s in kept)
    if sampled:
        log.info(
            "training panel sampled: %d pipe-years (all %d with failures) stand for %d",
            rows,
            sum(s["failing_rows"] for _, _, _, s in kept),
            round(represented),
        )

    columns = list(dict.fromkeys(c for _, _, _, s in kept for c in s["columns"]))
    dropped = [c for c in columns if is_excluded_column(c, model.exclude_features)]
    if model.drop_time_only_features:
        constant = [c for c in _time_only(kept, columns, rows) if c not in dropped]
        if constant:
            log.info("features constant at every panel date, not used: %s", ", ".join(constant))
        dropped += constant
    used = [c for c in columns if c not in dropped]
    model.set_features(columns, dropped, _merged_categories(kept, used))

    frames = [(d, k, parts.submit(k, _model_frame, model, f)) for d, k, f, _ in kept]
    model.reset_calibration()
    # the same held-out dates and pooled calibration as RiskModel.fit (one rule)
    failures_by_date: dict = {}
    for d, _, _, summary in kept:
        failures_by_date[d] = failures_by_date.get(d, 0.0) + float(summary["failures"])
    plan = model.held_out_plan(failures_by_date, start)
    held_parts = []
    for date, before in plan:
        early = _train(parts, model, [(k, f) for d, k, f in frames if np.datetime64(d) in before])
        held_out = client.gather(
            [
                parts.submit(k, _held_out, model, early, f)
                for d, k, f, _ in kept
                if np.datetime64(d) == date
            ]
        )
        held = pd.concat(held_out).sort_index()
        held_parts.append(
            (date, held["mu"].to_numpy(float), held["y"].to_numpy(float), held["w"].to_numpy(float))
        )
    if held_parts:
        model.calibrate_years(held_parts)
    elif model.calibrate:
        log.info("no panel date to check calibration on; probabilities not calibrated")
    for _, _, f, _ in kept:
        f.release()
    model.set_booster(_train(parts, model, [(k, f) for _, k, f in frames]))
    for _, _, f in frames:
        f.release()
    dates = [d for d, _, _, _ in kept]
    model.record_training(parts.data, as_of, rows, represented, failures, dates)
    return model


def check_partitions(parts: PartitionedUtility, model: RiskModel) -> None:
    wanted = {k: v for k, v in (model.feature_options or {}).items() if k != "outcomes"}
    if wanted != parts.feature_options:
        raise ValueError(
            f"the partitions were built with feature options {parts.feature_options}, the "
            f"model uses {wanted}; build them with "
            "partition_utility(data, client, feature_options=model.feature_options)"
        )


def panel_chunks(model: RiskModel, parts: PartitionedUtility, as_of) -> list[tuple]:
    """The training panel on the workers: (panel date, partition, future of its rows) for
    every date and partition, each chunk holding the rows of :func:`risk.model.panel_rows`
    with the label and weight columns; the same dates, sampling and prior as
    :func:`risk.model.build_panel`."""
    dates = panel_dates(as_of, model.fit_horizon, model.panel_years, gap_years_of(parts.data))
    if not dates:
        raise InputError(
            f"every panel date before {to_timestamp(as_of).date()} has an outcome window in a "
            f"year with records missing ({gap_years_of(parts.data)}): nothing to learn from"
        )
    rows_per_date = None
    if model.max_training_rows is not None:
        rows_per_date = max(int(model.max_training_rows) // len(dates), 1)
    chunks, prior = [], None
    for date in dates:
        context = parts.context(
            date,
            statistical_prior=model.statistical_prior,
            horizon_years=model.fit_horizon,
            labels=True,
            rows_per_date=rows_per_date,
            random_state=model.random_state,
            warm_from=prior,
            weather_scenarios=model.weather_scenarios if model.uses_window_weather else None,
        )
        prior = context.prior
        chunks += [(date, k, f) for k, f in enumerate(parts.features(context))]
    return chunks


def _time_only(kept, columns, rows) -> list[str]:
    """Columns holding one value per panel date, from per-chunk summaries."""
    if rows < 2:
        return []
    by_date: dict = {}
    for date, _, _, summary in kept:
        by_date.setdefault(date, []).append(summary["constants"])
    out = []
    for column in columns:
        if not may_be_time_only(column):
            continue
        constant = True
        for constants in by_date.values():
            # a column a date lacks is missing at every row of that date
            values = [c.get(column, np.nan) for c in constants]
            first = values[0]
            if any(v is _VARIES for v in values) or not all(_same(v, first) for v in values):
                constant = False
                break
        if constant:
            out.append(column)
    return out


def _same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def _merged_categories(kept, names) -> dict:
    """Category list of each categorical feature (one list when every date agrees)."""
    out = {}
    for column in names:
        lists = [s["categories"][column] for _, _, _, s in kept if column in s["categories"]]
        if not lists:
            continue
        merged = sorted(set().union(*lists))
        if any(list(values) != merged for values in lists):
            log.info("categories of %s differ between panel dates; using their union", column)
        out[column] = merged
    return out


def _train(parts: PartitionedUtility, model: RiskModel, frames: list) -> xgb.Booster:
    """``xgboost.dask.train`` with the model's parameters on (partition, XGBoost frame) pairs."""
    names = list(model.feature_names_in_)
    meta = parts.submit(frames[0][0], empty_like, frames[0][1]).result()
    data = dd.from_delayed([f for _, f in frames], meta=meta, verify_meta=False)
    # the trees start from the panel's failures per km and year, as RiskModel._train's
    failures, exposure = parts.client.compute(
        [
            (data[LABEL_COLUMN] * data[WEIGHT_COLUMN]).sum(),
            (np.exp(data[MARGIN_COLUMN]) * data[WEIGHT_COLUMN]).sum(),
        ],
        sync=True,
    )
    start = start_log_rate(float(failures), float(exposure))
    matrix = xgb.dask.DaskQuantileDMatrix(
        parts.client,
        data[names],
        label=data[LABEL_COLUMN],
        weight=data[WEIGHT_COLUMN],
        base_margin=data[MARGIN_COLUMN] + start,
        enable_categorical=True,
    )
    params = model.xgb_params()
    params.pop("nthread", None)  # each worker uses its own threads
    with xgb.config_context(verbosity=0):
        output = xgb.dask.train(
            parts.client, params, matrix, num_boost_round=int(model.n_estimators)
        )
    booster = output["booster"]
    booster.set_param({"nthread": int(model.n_jobs)})  # the held-out fits predict with it
    set_booster_start(booster, start)
    return booster


class _Varies:
    def __repr__(self) -> str:
        return "<varies>"


_VARIES = _Varies()


def _summarise(chunk: pd.DataFrame) -> dict:
    """Row counts, category lists and single values per column of a panel chunk."""
    features = chunk.drop(columns=[LABEL_COLUMN, WEIGHT_COLUMN])
    y, w = chunk[LABEL_COLUMN].to_numpy(float), chunk[WEIGHT_COLUMN].to_numpy(float)
    constants = {}
    for column in features.columns:
        values = features[column]
        if values.nunique(dropna=False) <= 1:
            constants[column] = values.iloc[0] if len(values) else np.nan
        else:
            constants[column] = _VARIES
    return {
        "rows": len(chunk),
        "failures": float(y.sum()),
        "failing_rows": int((y > 0).sum()),
        "weight": float(w.sum()),
        "sampled": bool((w != 1).any()),
        "columns": list(features.columns),
        "constants": constants,
        "categories": {
            c: list(features[c].cat.categories)
            for c in features.columns
            if isinstance(features[c].dtype, pd.CategoricalDtype)
        },
    }


def _model_frame(model: RiskModel, chunk: pd.DataFrame) -> pd.DataFrame:
    """The frame ``RiskModel._dmatrix`` gives XGBoost, with label, weight and base margin."""
    frame = {}
    for column in model.feature_names_in_:
        values = chunk[column] if column in chunk else pd.Series(np.nan, index=chunk.index)
        if column in model.categories_:
            frame[column] = as_categories(values, model.categories_[column])
        else:
            frame[column] = pd.to_numeric(values, errors="coerce").to_numpy(
                dtype=np.float32, na_value=np.nan
            )
    out = pd.DataFrame(frame, index=chunk.index)
    out[LABEL_COLUMN] = chunk[LABEL_COLUMN].to_numpy(float)
    out[WEIGHT_COLUMN] = chunk[WEIGHT_COLUMN].to_numpy(float)
    out[MARGIN_COLUMN] = np.log(exposure_km(chunk))  # the local engine's exposure
    return out


def _held_out(model: RiskModel, booster: xgb.Booster, chunk: pd.DataFrame) -> pd.DataFrame:
    """Raw expected failures of the first fit on the held-out rows, with labels and weights."""
    features = chunk.drop(columns=[LABEL_COLUMN, WEIGHT_COLUMN])
    for column in model.feature_names_in_:
        if column not in features:
            features[column] = np.nan
    return pd.DataFrame(
        {
            "mu": model.raw_expected(booster, features),
            "y": chunk[LABEL_COLUMN].to_numpy(float),
            "w": chunk[WEIGHT_COLUMN].to_numpy(float),
        },
        index=chunk.index,
    )
