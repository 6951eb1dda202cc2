"""Features, scores and reasons of a partitioned utility, as the local engine gives them."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xgboost.dask  # noqa: F401  (makes xgb.dask available)
from distributed import Client, Future

from risk.dask_engine.partitions import (
    DateContext,
    PartitionedUtility,
    partition_utility,
    scenario_weather,
)
from risk.dask_engine.training import check_partitions
from risk.explain import (
    DEFAULT_N_EXACT,
    DEFAULT_TOP_N,
    explain_pipes,
    feature_medians,
    median_columns,
)
from risk.features import (
    FeatureBuilder,
    to_timestamp,
)
from risk.model import (
    RiskModel,
)
from risk.scoring import check_model_for, check_weather_for, score_table
from risk.units import UnitRules, rank_pipes, units_for
from risk.utility import UtilityData

log = logging.getLogger(__name__)


def build_features_dask(
    data: UtilityData,
    as_of,
    client: Client,
    *,
    feature_options: Mapping | None = None,
    statistical_prior: bool = True,
    horizon_years: int = 1,
    npartitions: int | None = None,
) -> pd.DataFrame:
    """Features at ``as_of``, gathered: equal to ``RiskModel.build_features`` of the local engine.

    That is :class:`risk.features.FeatureBuilder` with ``feature_options``, plus
    ``leyp_rate_per_km`` when ``statistical_prior`` (see
    :func:`risk.model.add_statistical_prior`). For tests and small networks: the result
    comes back to the driver whole.
    """
    parts = partition_utility(
        data, client, feature_options=feature_options, npartitions=npartitions
    )
    try:
        context = parts.context(
            as_of, statistical_prior=statistical_prior, horizon_years=horizon_years
        )
        chunks = client.gather(parts.features(context))
    finally:
        parts.release()
    return pd.concat(chunks, axis=0).sort_index()


def score_utility_dask(
    data: UtilityData,
    as_of,
    client: Client,
    model: RiskModel,
    *,
    n_exact_explanations: int = DEFAULT_N_EXACT,
    top_n_reasons: int = DEFAULT_TOP_N,
    npartitions: int | None = None,
    partitions: PartitionedUtility | None = None,
    unit_rules: UnitRules | None = None,
) -> pd.DataFrame:
    """:func:`risk.scoring.score_utility` of a fitted ``model`` on a Dask cluster: same
    columns, same order (train one with :func:`train_model_dask`, on the same
    ``partitions``, or use :func:`risk.scoring.train_and_score` for both).

    The ``n_exact_explanations`` first-ranked pipes, over the whole network, get exact
    contributions; the others approximate ones.
    """
    as_of = to_timestamp(as_of)
    check_model_for(model, as_of, model.horizon_years)
    check_weather_for(data, as_of, model.horizon_years, model)
    parts = partitions or partition_utility(
        data, client, feature_options=model.feature_options, npartitions=npartitions
    )
    try:
        check_partitions(parts, model)
        context = parts.context(
            as_of,
            statistical_prior=model.statistical_prior,
            horizon_years=model.fit_horizon,
            weather_scenarios=model.weather_scenarios if model.uses_window_weather else None,
            weather_horizon_years=model.horizon_years,
        )
        chunks = parts.features(context)
        (fitted,) = client.scatter([model], broadcast=True)
        scored = client.gather(
            [
                parts.submit(k, _score, fitted, parts.builders[k], context, x)
                for k, x in enumerate(chunks)
            ]
        )
        by_weather_year = _added([totals for _, totals in scored])
        scored = [frame for frame, _ in scored]
        scores = pd.concat(scored, axis=0)
        scores.index = scores.index.astype(str)
        rules = unit_rules or UnitRules()  # units span partitions: ranked on the driver
        scores = rank_pipes(scores, units_for(data.pipes, scores.index, rules), rules)
        rank = scores["rank"].to_numpy()
        bounds = np.cumsum([0, *(len(s) for s in scored)])
        medians = _network_medians(parts, chunks)
        explained = [
            parts.submit(
                k,
                _explain,
                fitted,
                x,
                rank[bounds[k] : bounds[k + 1]],
                n_exact_explanations,
                top_n_reasons,
                medians,
            )
            for k, x in enumerate(chunks)
        ]
        reasons = pd.concat(client.gather(explained), axis=0)
        for future in [*chunks, *explained, fitted]:
            future.release()
    finally:
        if partitions is None:
            parts.release()
    out = score_table(scores, reasons, by_weather_year)
    log.info("scored %d pipes at %s on %d partitions", len(out), as_of.date(), parts.npartitions)
    return out


def _score(
    model: RiskModel, builder: FeatureBuilder, context: DateContext, X: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """The fitted model's own forecast on a partition (:meth:`RiskModel.forecast` over the
    partition's weather scenarios), and its expected failures under each scenario."""
    if len(X) == 0:
        empty = np.zeros(0)
        columns = ("probability", "expected_failures", "expected_failures_per_km", "length_m")
        return pd.DataFrame(dict.fromkeys(columns, empty), index=X.index), {}
    predicted, totals = model.forecast(X, scenario_weather(builder, context, X))
    out = pd.DataFrame(predicted, index=X.index)
    out["length_m"] = X["length_m"].to_numpy(dtype=float)
    return out, totals


def _added(totals: list[dict]) -> dict:
    """Per-partition totals by weather year, added (partitions without pipes have none)."""
    out: dict = {}
    for part in totals:
        for year, value in part.items():
            out[year] = out.get(year, 0.0) + value
    return out


def _network_medians(parts: PartitionedUtility, chunks: list[Future]) -> dict[str, float]:
    """:func:`risk.explain.feature_medians` over every partition's features (on the driver).

    Only the columns reasons compare with their median come back, as float64: an exact
    median over all pipes, as the local engine's.
    """
    columns = [parts.submit(k, _median_inputs, x) for k, x in enumerate(chunks)]
    return feature_medians(pd.concat(parts.client.gather(columns), axis=0))


def _median_inputs(X: pd.DataFrame) -> pd.DataFrame:
    return X[median_columns(X)].astype(float)


def _explain(
    model: RiskModel, X: pd.DataFrame, rank, n_exact: int, top_n: int, medians: dict
) -> pd.Series:
    """Reasons of a partition's pipes, with the network's ``medians`` (see _network_medians)."""
    if len(X) == 0:
        return pd.Series([], index=X.index, dtype="string", name="top_reasons")
    return explain_pipes(model, X, rank, n_exact=n_exact, top_n=top_n, reference_medians=medians)
