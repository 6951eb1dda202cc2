"""The distributed engine: the local engine's features, model and scores on a Dask cluster.

``risk score DIR --as-of D --engine dask [--scheduler tcp://host:8786]`` runs the pipeline of
:func:`risk.scoring.score_utility` with the work split between the process that runs the
command (the *driver*) and the Dask *workers*:

driver
    holds the tables as read (:func:`risk.ingest.read_utility` or a workspace); orders the
    pipes along a Hilbert curve (dask-geopandas) and cuts them into spatial partitions of
    about :data:`PIPES_PER_PARTITION` pipes; cuts breaks, welds and inspections to each
    partition and sends soils, weather and stations once to every worker (see
    :func:`partition_utility`); computes the few network-wide quantities the features need
    (pipes in service, category lists, first year of the break record, panel sampling
    rate); fits the LEYP prior (:class:`risk.baselines.WeibullBaseline`, which samples at
    most 200,000 pipes) at each date on pipe attributes without geometry; fits the Platt
    calibrator on the held-out panel date; ranks every pipe; writes the output.
workers
    hold one :class:`risk.features.FeatureBuilder` per partition (its neighbour pairs, soil
    overlaps and nearest stations are computed there once), build the features and labels
    of every panel date and predict the prior on them, train XGBoost together
    (``xgboost.dask``), then score and explain their partitions with the fitted
    :class:`risk.model.RiskModel`'s own methods.

Features equal the local engine's exactly: the same ``FeatureBuilder`` code runs on each
partition's pipes with every record that can reach them (breaks without a location get the
middle of their pipe first, computed over the whole network), and categories are recoded to
the network-wide lists. Scores of a *given* model are identical too. A model *trained* here
is close to, not equal to, the local one: distributed XGBoost merges per-worker quantile
sketches and draws row subsamples per worker, so the trees differ (tolerance measured in
docs/dask.md). Reasons of a given model are identical too: words such as "high"/"low"
compare a value with the median of the whole network, gathered from every partition.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import dask.dataframe as dd
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xgboost as xgb
import xgboost.dask  # noqa: F401  (makes xgb.dask available)
from distributed import Client, Future

from risk.contract import MATERIALS
from risk.errors import InputError
from risk.explain import (
    DEFAULT_N_EXACT,
    DEFAULT_TOP_N,
    explain_pipes,
    feature_medians,
    median_columns,
)
from risk.features import (
    DEFAULT_NEIGHBOUR_RADIUS_M,
    FeatureBuilder,
    break_locations,
    category_list,
    in_service,
    positions,
    prepare_breaks,
    prepare_pipes,
    records_start,
    to_timestamp,
)
from risk.model import (
    MIN_EXPOSURE_LENGTH_M,
    RiskModel,
    as_categories,
    fit_statistical_prior,
    gap_years_of,
    in_record,
    is_excluded_column,
    panel_dates,
    panel_rows,
    with_prior,
)
from risk.scoring import SCORE_COLUMNS, check_model_for, data_fingerprint
from risk.units import UnitRules, rank_pipes, units_for
from risk.utility import UtilityData

log = logging.getLogger(__name__)

#: Pipes per spatial partition when ``npartitions`` is not given (at least 2 partitions).
PIPES_PER_PARTITION = 100_000
#: Seconds to wait for a scheduler given by address before giving up.
SCHEDULER_TIMEOUT_S = 10.0

# Reserved columns of panel chunks and XGBoost frames (never feature names).
LABEL_COLUMN, WEIGHT_COLUMN, _MARGIN = "__label__", "__weight__", "__margin__"


class SchedulerUnreachableError(ConnectionError):
    """The Dask scheduler given by address did not answer."""


def connect(
    scheduler: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    *,
    processes: bool = True,
    timeout: float | None = None,
) -> Client:
    """A Dask client: to the scheduler at ``scheduler``, else to a new local cluster.

    The local cluster (``n_workers`` processes of ``threads_per_worker`` threads, listening
    on 127.0.0.1, no dashboard) is closed with the client. Nothing here reaches the internet.

    Raises
    ------
    SchedulerUnreachableError
        When ``scheduler`` does not answer within ``timeout`` seconds
        (default :data:`SCHEDULER_TIMEOUT_S`) or is not an address.
    """
    timeout = SCHEDULER_TIMEOUT_S if timeout is None else float(timeout)
    if scheduler:
        try:
            return Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerUnreachableError(
                f"could not reach the Dask scheduler at {scheduler!r} ({error}). Start one with "
                "'dask scheduler' and workers with 'dask worker tcp://HOST:8786', check the "
                "address (tcp://host:port) and the firewall, or leave out --scheduler to run "
                "a local cluster on this machine."
            ) from error
    return Client(
        n_workers=int(n_workers),
        threads_per_worker=int(threads_per_worker),
        processes=processes,
        host="127.0.0.1",
        dashboard_address=None,
        # the scheduler's HTTP endpoints (health, metrics) still listen: on a free port
        # of the loopback interface rather than 8787, which another cluster may hold
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )


# --------------------------------------------------------------------- partitions
@dataclass
class PartitionedUtility:
    """A utility cut into spatial partitions, one ``FeatureBuilder`` per partition on a worker.

    Built by :func:`partition_utility`. ``pipe_counts`` and ``bounds`` (xmin, ymin, xmax,
    ymax in the pipes' CRS; NaN without geometry) describe each partition, ``placement``
    gives the address of the worker that holds it. ``release()`` frees the workers' memory.
    """

    data: UtilityData
    client: Client
    feature_options: dict
    attributes: UtilityData
    builders: list[Future]
    schema: pd.DataFrame
    pipe_counts: list[int]
    bounds: list[tuple]
    placement: list[str]
    _breaks: pd.DataFrame = field(repr=False)

    @property
    def npartitions(self) -> int:
        return len(self.builders)

    def context(
        self,
        as_of,
        *,
        statistical_prior: bool,
        horizon_years: int,
        labels: bool = False,
        rows_per_date: int | None = None,
        random_state: int = 0,
        warm_from=None,
    ) -> _DateContext:
        """Network-wide quantities the partitions need at ``as_of`` (computed here, once).

        ``warm_from``: the LEYP prior of the previous panel date (see
        :func:`risk.model.fit_statistical_prior`)."""
        as_of = to_timestamp(as_of)
        pipes = self.attributes.pipes
        live = pipes[in_service(pipes, as_of)]
        columns = list(self.schema.columns)
        categories = {
            c: list(self.schema[c].cat.categories)
            for c in columns
            if isinstance(self.schema[c].dtype, pd.CategoricalDtype)
        }
        categories["material"] = category_list(live["material"], MATERIALS)
        if "pressure_zone" in live and live["pressure_zone"].notna().any():
            categories["pressure_zone"] = category_list(live["pressure_zone"].astype("string"))
            after = "lined" if "lined" in columns else "length_m"
            columns.insert(columns.index(after) + 1, "pressure_zone")
        explicit = self.feature_options.get("records_start_year")
        history = self._breaks[self._breaks["date"] < as_of]
        start = records_start(self.data, explicit, history, as_of)
        prior = None
        if statistical_prior and len(live):
            # on the driver, as the local engine (the optimum found depends on the BLAS
            # threads at large sizes); a panel refits it from the previous date's estimates
            prior = fit_statistical_prior(
                self.attributes, as_of, horizon_years, explicit, warm_from=warm_from
            )
        rate = None
        if labels and rows_per_date is not None and len(live) > rows_per_date:
            rate = rows_per_date / len(live)
        return _DateContext(
            as_of=as_of,
            records_start_year=start,
            columns=tuple(columns),
            categories=categories,
            statistical_prior=statistical_prior,
            prior=prior,
            horizon_years=horizon_years if labels else None,
            sample_rate=rate,
            random_state=random_state,
        )

    def features(self, context: _DateContext) -> list[Future]:
        """One future per partition: its features (and labels) at ``context.as_of``."""
        return [self.submit(k, _chunk, b, context) for k, b in enumerate(self.builders)]

    def submit(self, partition: int, function, *args) -> Future:
        """Run ``function(*args)`` on the worker that holds ``partition``.

        Partitions never move: the same data on the same workers, in the same order, makes
        distributed training repeat exactly on the same cluster.
        """
        return self.client.submit(
            function,
            *args,
            workers=[self.placement[partition]],
            allow_other_workers=False,
            pure=False,
        )

    def release(self) -> None:
        """Drop the partitions from the workers."""
        for future in self.builders:
            future.release()
        self.builders = []


@dataclass(frozen=True)
class _DateContext:
    as_of: pd.Timestamp
    records_start_year: float
    columns: tuple
    categories: dict
    statistical_prior: bool
    prior: object | None
    horizon_years: int | None
    sample_rate: float | None
    random_state: int


def partition_utility(
    data: UtilityData,
    client: Client,
    *,
    feature_options: Mapping | None = None,
    npartitions: int | None = None,
) -> PartitionedUtility:
    """Cut ``data`` into spatial partitions and start one ``FeatureBuilder`` per partition.

    Each partition receives its pipes; the dated breaks linked to them plus every located
    break within the neighbour radius of its bounds (breaks without a point of their own
    are first placed at the middle of their pipe, as the local engine does); the welds and
    inspections of its pipes. Soils, weather and stations are sent whole, once to every
    worker.

    Parameters
    ----------
    data : UtilityData
        Canonical tables of one utility.
    client : distributed.Client
        Where the partitions go (see :func:`connect`).
    feature_options : mapping, optional
        Keyword arguments of :class:`risk.features.FeatureBuilder` (those of the model).
    npartitions : int, optional
        Number of partitions (default: one per :data:`PIPES_PER_PARTITION` pipes, at least 2).
    """
    options = dict(feature_options or {})
    outcomes = options.pop("outcomes", None)
    if outcomes is None:
        outcomes = data.inspections
    n = len(data.pipes)
    if npartitions is None:
        npartitions = max(2, math.ceil(n / PIPES_PER_PARTITION))
    if isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1:
        raise ValueError(f"npartitions must be an int >= 1; got {npartitions!r}")
    npartitions = max(1, min(npartitions, n))
    radius = float(options.get("neighbour_radius_m", DEFAULT_NEIGHBOUR_RADIUS_M))

    prepared = prepare_pipes(data.pipes)  # the local engine's checks and length filling
    attribute_pipes = pd.DataFrame(prepared.drop(columns="geometry", errors="ignore"))
    breaks = _dated_breaks(data)
    attributes = UtilityData(
        pipes=attribute_pipes,
        breaks=pd.DataFrame(breaks.drop(columns="geometry", errors="ignore")),
        meta=data.meta,
    )
    welds = data.welds
    schema = _schema(data, breaks, outcomes, options)  # also checks the options

    pipe_ids = data.pipes["pipe_id"].astype("string")
    chunks = _spatial_chunks(data, npartitions)
    part_of_pipe = np.empty(n, dtype=np.int64)
    for k, rows in enumerate(chunks):
        part_of_pipe[rows] = k

    def part_of(table) -> np.ndarray:
        if table is None or "pipe_id" not in table:
            return np.full(0 if table is None else len(table), -1)
        pos = positions(pipe_ids, table["pipe_id"])
        return np.where(pos >= 0, part_of_pipe[np.maximum(pos, 0)], -1)

    # partition k lives on worker k mod W, workers in the order of their names
    workers = sorted(
        client.scheduler_info(n_workers=-1)["workers"].items(), key=lambda w: str(w[1].get("name"))
    )
    if not workers:
        raise InputError("the Dask cluster has no worker; start some with 'dask worker ADDRESS'")
    placement = [workers[k % len(workers)][0] for k in range(len(chunks))]
    break_part, weld_part, outcome_part = part_of(breaks), part_of(welds), part_of(outcomes)
    if data.has_geometry:
        bx0, by0, bx1, by1 = shapely.bounds(breaks.geometry.values).T
        located = ~np.isnan(bx0)
    shared = {}
    # whole layers, once per worker; soils too: the soil overlaps of a pipe are summed in
    # the order of the layer's spatial index, so a subset of the layer would change the
    # last bits of the sums
    for name in ("weather", "stations", "soils"):
        table = getattr(data, name)
        if table is not None:
            shared[name] = client.scatter(table, broadcast=True)

    builders, counts, bounds = [], [], []
    for k, rows in enumerate(chunks):
        rows = np.sort(rows)
        pipes = data.pipes.iloc[rows]
        mine = break_part == k
        x0 = y0 = x1 = y1 = np.nan
        if data.has_geometry:
            x0, y0, x1, y1 = pipes.total_bounds
            near = located & (bx1 >= x0 - radius) & (bx0 <= x1 + radius)
            near &= (by1 >= y0 - radius) & (by0 <= y1 + radius)
            mine |= near
        part = UtilityData(
            pipes=pipes,
            breaks=breaks[mine],
            welds=None if welds is None else welds[weld_part == k],
            inspections=None if outcomes is None else outcomes[outcome_part == k],
            crs=data.crs,
            weather_frequency=data.weather_frequency,
        )
        (piece,) = client.scatter([part], workers=[placement[k]], hash=False)
        builders.append(
            client.submit(
                _start_builder,
                piece,
                shared,
                options,
                workers=[placement[k]],
                allow_other_workers=False,
                pure=False,
            )
        )
        counts.append(len(rows))
        bounds.append((float(x0), float(y0), float(x1), float(y1)))
        del part, piece
    log.info("%d pipes in %d spatial partitions", n, len(builders))
    return PartitionedUtility(
        data=data,
        client=client,
        feature_options=options,
        attributes=attributes,
        builders=builders,
        schema=schema,
        pipe_counts=counts,
        bounds=bounds,
        placement=placement,
        _breaks=prepare_breaks(attributes.breaks, attribute_pipes),
    )


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


# ----------------------------------------------------------------------- training
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
    model = _new_model(horizon_years, records_start_year, model_params)
    parts = partitions or partition_utility(
        data, client, feature_options=model.feature_options, npartitions=npartitions
    )
    _check_partitions(parts, model)
    try:
        fit_utility_dask(model, parts, as_of)
    finally:
        if partitions is None:
            parts.release()
    model.data_fingerprint_ = data_fingerprint(data)
    return model


def fit_utility_dask(model: RiskModel, parts: PartitionedUtility, as_of) -> RiskModel:
    """:meth:`RiskModel.fit_utility` with the panel built and XGBoost trained on the workers.

    Same panel (dates, labels, case-control sampling, LEYP prior), same dropped features,
    same panel dates in the break record, same calibration (the held-out dates of
    :meth:`RiskModel.held_out_plan`, each predicted by a fit on the dates before it, pooled
    by ``RiskModel._calibrate_years``, then a fit on every date); the trees come from
    ``xgboost.dask.train``.
    """
    model._check_params()
    client = parts.client
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
    inside = set(distinct[in_record(distinct, start, len(distinct))].tolist())
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
    model.dropped_features_ = dropped
    model.feature_names_in_ = np.array([c for c in columns if c not in dropped], dtype=object)
    model.n_features_in_ = len(model.feature_names_in_)
    model.categories_ = _merged_categories(kept, model.feature_names_in_)

    frames = [(d, k, parts.submit(k, _model_frame, model, f)) for d, k, f, _ in kept]
    model.calibrator_ = None
    model.count_scale_ = 1.0
    model.calibration_ = None
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
        model._calibrate_years(held_parts)
    elif model.calibrate:
        log.info("no panel date to check calibration on; probabilities not calibrated")
    for _, _, f, _ in kept:
        f.release()
    model.booster_ = _train(parts, model, [(k, f) for _, k, f in frames])
    for _, _, f in frames:
        f.release()

    model.as_of_ = str(to_timestamp(as_of).date())
    model.training_rows_ = rows
    model.training_rows_represented_ = round(float(represented))
    model.training_failures_ = float(failures)
    if model.training_failures_ == 0:
        log.warning(
            "no failure in the training panel before %s: scores rest on attributes "
            "alone and carry little information",
            model.as_of_,
        )
    return model


# ------------------------------------------------------------------------ scoring
def score_utility_dask(
    data: UtilityData,
    as_of,
    client: Client,
    *,
    horizon_years: int = 1,
    model: RiskModel | None = None,
    records_start_year: int | None = None,
    model_params: dict | None = None,
    n_exact_explanations: int = DEFAULT_N_EXACT,
    top_n_reasons: int = DEFAULT_TOP_N,
    npartitions: int | None = None,
    partitions: PartitionedUtility | None = None,
    unit_rules: UnitRules | None = None,
) -> pd.DataFrame:
    """:func:`risk.scoring.score_utility` on a Dask cluster: same columns, same order.

    Trains a model first with :func:`train_model_dask` when none is given (on the same
    partitions). The ``n_exact_explanations`` first-ranked pipes, over the whole network, get
    exact contributions; the others approximate ones.
    """
    as_of = to_timestamp(as_of)
    if model is None:
        options = _new_model(horizon_years, records_start_year, model_params).feature_options
    else:
        check_model_for(model, as_of, horizon_years)
        options = model.feature_options
    parts = partitions or partition_utility(
        data, client, feature_options=options, npartitions=npartitions
    )
    try:
        if model is None:
            model = train_model_dask(
                data,
                as_of,
                client,
                horizon_years=horizon_years,
                records_start_year=records_start_year,
                model_params=model_params,
                partitions=parts,
            )
        else:
            _check_partitions(parts, model)
        context = parts.context(
            as_of, statistical_prior=model.statistical_prior, horizon_years=model.horizon_years
        )
        chunks = parts.features(context)
        (fitted,) = client.scatter([model], broadcast=True)
        scored = client.gather([parts.submit(k, _score, fitted, x) for k, x in enumerate(chunks)])
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
    out = pd.DataFrame(
        {
            "pipe_id": scores.index.astype("string"),
            "probability": scores["probability"].to_numpy(),
            "expected_failures": scores["expected_failures"].to_numpy(),
            "rank": rank,
            "top_reasons": reasons.to_numpy(),
            "expected_failures_per_km": scores["expected_failures_per_km"].to_numpy(),
            "length_m": scores["length_m"].to_numpy(dtype=float),
            **{c: scores[c].to_numpy() for c in SCORE_COLUMNS if c.startswith("unit_")},
        }
    )
    out["top_reasons"] = out["top_reasons"].astype("string")
    out = out.sort_values("rank", kind="mergesort").reset_index(drop=True)
    log.info("scored %d pipes at %s on %d partitions", len(out), as_of.date(), parts.npartitions)
    return out[list(SCORE_COLUMNS)]


# -------------------------------------------------------------- driver helpers
def _new_model(horizon_years, records_start_year, model_params) -> RiskModel:
    """The unfitted model :func:`risk.scoring.train_model` would fit."""
    params = dict(model_params or {})
    params["horizon_years"] = horizon_years
    if records_start_year is not None:
        options = dict(params.get("feature_options") or {})
        options["records_start_year"] = records_start_year
        params["feature_options"] = options
    return RiskModel(**params)


def _check_partitions(parts: PartitionedUtility, model: RiskModel) -> None:
    wanted = {k: v for k, v in (model.feature_options or {}).items() if k != "outcomes"}
    if wanted != parts.feature_options:
        raise ValueError(
            f"the partitions were built with feature options {parts.feature_options}, the "
            f"model uses {wanted}; build them with "
            "partition_utility(data, client, feature_options=model.feature_options)"
        )


def _dated_breaks(data: UtilityData) -> pd.DataFrame:
    """Dated breaks (``pipe_id``, ``date``), with a location when pipes have geometry.

    A break without a point of its own is placed at the middle of its pipe
    (:func:`risk.features.break_locations`, as the local engine does), over the whole
    network so that every partition sees it where the local engine does.
    """
    breaks = data.breaks
    if breaks is None or len(breaks) == 0 or "date" not in breaks:
        breaks = pd.DataFrame(
            {"pipe_id": pd.Series(dtype="string"), "date": pd.Series(dtype="M8[ns]")}
        )
    dated = breaks[pd.to_datetime(breaks["date"]).notna()]
    if "pipe_id" in dated:
        pipe_id = dated["pipe_id"].astype("string")
    else:
        pipe_id = pd.Series(pd.NA, index=dated.index, dtype="string")
    table = pd.DataFrame({"pipe_id": pipe_id.to_numpy(), "date": dated["date"].to_numpy()})
    if not data.has_geometry:
        return table
    geometry = break_locations(dated, data.pipes)
    return gpd.GeoDataFrame(table, geometry=geometry, crs=data.pipes.crs)


def _schema(data, breaks, outcomes, options) -> pd.DataFrame:
    """Columns and dtypes of the features (zero rows): ``FeatureBuilder`` on no pipe.

    Every layer is there, so every feature group appears, soil categories come from the
    whole soil layer and weld-grade columns from every linked weld, as in the local engine.
    Material and pressure-zone categories depend on the pipes in service at each date
    (see :meth:`PartitionedUtility.context`).
    """
    welds = data.welds
    if welds is not None and len(welds) and "pipe_id" in welds:
        linked = welds[welds["pipe_id"].notna()]
        if len(linked):
            welds = linked.drop_duplicates("grade") if "grade" in linked else linked.iloc[:1]
        else:
            welds = welds.iloc[:1]
    probe = UtilityData(
        pipes=data.pipes.iloc[:0],
        breaks=breaks.iloc[:0],
        soils=data.soils,
        weather=data.weather,
        stations=data.stations,
        welds=welds,
        inspections=None if outcomes is None else outcomes.iloc[:0],
        crs=data.crs,
        weather_frequency=data.weather_frequency,
        meta=data.meta,
    )
    # a day in the weather record, else any day: the values are not used
    day = pd.Timestamp("2000-01-01")
    if data.weather is not None and len(data.weather):
        day = pd.to_datetime(data.weather["date"]).max()
    return FeatureBuilder(probe, **options).build(day, verbose=True)


def _spatial_chunks(data: UtilityData, npartitions: int) -> list[np.ndarray]:
    """Row positions of the pipes of each partition: consecutive runs along a Hilbert curve.

    Pipes without geometry (attribute-only inventories, or missing lines) are ordered by
    ``pipe_id`` after the others.
    """
    ids = data.pipes["pipe_id"].astype("string").to_numpy(dtype=object)
    distance = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    if data.has_geometry and len(ids):
        geometry = data.pipes.geometry.values
        valid = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
        if valid.any():
            lines = gpd.GeoDataFrame(geometry=geometry[valid], crs=data.pipes.crs)
            frame = dask_geopandas.from_geopandas(lines, npartitions=max(1, min(8, len(lines))))
            hilbert = frame.hilbert_distance(total_bounds=lines.total_bounds)
            # on the driver's threads: the geometry is here, shipping it costs more
            distance[valid] = hilbert.compute(scheduler="threads").to_numpy(dtype=np.int64)
    order = np.lexsort((ids, distance))
    return [chunk for chunk in np.array_split(order, npartitions) if len(chunk)]


def panel_chunks(model: RiskModel, parts: PartitionedUtility, as_of) -> list[tuple]:
    """The training panel on the workers: (panel date, partition, future of its rows) for
    every date and partition, each chunk holding the rows of :func:`risk.model.panel_rows`
    with the label and weight columns; the same dates, sampling and prior as
    :func:`risk.model.build_panel`."""
    dates = panel_dates(as_of, model.horizon_years, model.panel_years, gap_years_of(parts.data))
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
            horizon_years=model.horizon_years,
            labels=True,
            rows_per_date=rows_per_date,
            random_state=model.random_state,
            warm_from=prior,
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
        if column == "length_m":
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
    meta = parts.submit(frames[0][0], _empty_like, frames[0][1]).result()
    data = dd.from_delayed([f for _, f in frames], meta=meta, verify_meta=False)
    matrix = xgb.dask.DaskQuantileDMatrix(
        parts.client,
        data[names],
        label=data[LABEL_COLUMN],
        weight=data[WEIGHT_COLUMN],
        base_margin=data[_MARGIN],
        enable_categorical=True,
    )
    params = model._xgb_params()
    params.pop("nthread", None)  # each worker uses its own threads
    with xgb.config_context(verbosity=0):
        output = xgb.dask.train(
            parts.client, params, matrix, num_boost_round=int(model.n_estimators)
        )
    booster = output["booster"]
    booster.set_param({"nthread": int(model.n_jobs)})
    return booster


# ----------------------------------------------------------- worker functions
class _Varies:
    def __repr__(self) -> str:
        return "<varies>"


_VARIES = _Varies()


def _start_builder(part: UtilityData, shared: dict, options: dict) -> FeatureBuilder:
    """A partition's FeatureBuilder with its static parts (neighbour pairs, soils,
    nearest stations) computed, by building the features of one date."""
    part = dataclasses.replace(part, **shared)
    builder = FeatureBuilder(part, **options)
    builder.build(pd.Timestamp.now().normalize(), verbose=False)
    return builder


def _chunk(builder: FeatureBuilder, context: _DateContext) -> pd.DataFrame:
    """Features of a partition at a date, with labels and weights when asked: the rows of
    :func:`risk.model.panel_rows`, as the local engine builds them."""
    # a copy shares the computed static parts; the record start depends on the date
    builder = copy.copy(builder)
    builder.records_start_year = context.records_start_year
    if context.horizon_years is None:  # scoring: features of every pipe in service
        X = _conform(builder.build(context.as_of, verbose=False), context)
        if context.statistical_prior:
            X = with_prior(X, builder, context.as_of, context.prior)
        return X
    X, labels, weight = panel_rows(
        builder,
        context.as_of,
        context.horizon_years,
        sample_rate=context.sample_rate,
        random_state=context.random_state,
        statistical_prior=context.statistical_prior,
        prior=context.prior,
        conform=lambda features: _conform(features, context),
    )
    X = X.copy()
    X[LABEL_COLUMN] = labels
    X[WEIGHT_COLUMN] = weight
    return X


def _conform(X: pd.DataFrame, context: _DateContext) -> pd.DataFrame:
    """A partition's features with the network's columns and category lists.

    A partition misses weld-grade columns of grades it has no weld of (0 welds), and
    ``pressure_zone`` when none of its pipes has one (missing).
    """
    extra = [c for c in X.columns if c not in context.columns]
    if extra:
        raise RuntimeError(f"partition features have unexpected columns {extra}")
    out = X.reindex(columns=list(context.columns))
    for column in context.columns:
        if column not in X and column.startswith("welds_"):
            out[column] = 0.0
    for column, categories in context.categories.items():
        if column in out:
            out[column] = out[column].astype(pd.CategoricalDtype(categories))
    return out


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:0]


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
    length_m = pd.to_numeric(chunk["length_m"]).fillna(MIN_EXPOSURE_LENGTH_M).to_numpy(float)
    out[LABEL_COLUMN] = chunk[LABEL_COLUMN].to_numpy(float)
    out[WEIGHT_COLUMN] = chunk[WEIGHT_COLUMN].to_numpy(float)
    out[_MARGIN] = np.log(np.maximum(length_m, MIN_EXPOSURE_LENGTH_M) / 1000.0)
    return out


def _held_out(model: RiskModel, booster: xgb.Booster, chunk: pd.DataFrame) -> pd.DataFrame:
    """Raw expected failures of the first fit on the held-out rows, with labels and weights."""
    features = chunk.drop(columns=[LABEL_COLUMN, WEIGHT_COLUMN])
    for column in model.feature_names_in_:
        if column not in features:
            features[column] = np.nan
    return pd.DataFrame(
        {
            "mu": model._raw_expected(booster, features),
            "y": chunk[LABEL_COLUMN].to_numpy(float),
            "w": chunk[WEIGHT_COLUMN].to_numpy(float),
        },
        index=chunk.index,
    )


def _score(model: RiskModel, X: pd.DataFrame) -> pd.DataFrame:
    """The fitted model's own predictions on a partition."""
    if len(X) == 0:
        empty = np.zeros(0)
        return pd.DataFrame(
            {
                "probability": empty,
                "expected_failures": empty,
                "expected_failures_per_km": empty,
                "length_m": empty,
            },
            index=X.index,
        )
    out = pd.DataFrame(model._predictions(X), index=X.index)
    out["length_m"] = X["length_m"].to_numpy(dtype=float)
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


__all__ = [
    "PIPES_PER_PARTITION",
    "SCHEDULER_TIMEOUT_S",
    "PartitionedUtility",
    "SchedulerUnreachableError",
    "build_features_dask",
    "connect",
    "fit_utility_dask",
    "partition_utility",
    "score_utility_dask",
    "train_model_dask",
]
