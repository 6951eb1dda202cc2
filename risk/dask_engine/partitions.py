"""Spatial partitions of a utility on the workers, each with its FeatureBuilder, and the rows of a partition at a date."""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xgboost.dask  # noqa: F401  (makes xgb.dask available)
from distributed import Client, Future

from risk.contract import MATERIALS
from risk.errors import InputError
from risk.features import DEFAULT_NEIGHBOUR_RADIUS_M, FeatureBuilder, in_service, to_timestamp
from risk.features.common import (
    break_locations,
    category_list,
    positions,
    prepare_breaks,
    prepare_pipes,
    records_start,
)
from risk.geometry import has_shape
from risk.model import (
    fit_statistical_prior,
    panel_rows,
    usual_weather,
    with_prior,
    with_window_weather,
)
from risk.utility import UtilityData

log = logging.getLogger(__name__)


#: Pipes per spatial partition when ``npartitions`` is not given (at least 2 partitions).
PIPES_PER_PARTITION = 100_000


# Reserved columns of panel chunks and XGBoost frames (never feature names).
LABEL_COLUMN, WEIGHT_COLUMN, MARGIN_COLUMN = "__label__", "__weight__", "__margin__"


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
        weather_scenarios: int | None = None,
        weather_horizon_years: int | None = None,
    ) -> DateContext:
        """Network-wide quantities the partitions need at ``as_of`` (computed here, once).

        ``warm_from``: the LEYP prior of the previous panel date (see
        :func:`risk.model.fit_statistical_prior`). ``weather_scenarios``: the model's, when
        it learns from the outcome window's weather (None: it does not); with ``labels`` the
        window's own weather is added, else the usual one of that many past windows of
        ``weather_horizon_years`` (default ``horizon_years``: a model that learnt 1-year
        windows for a longer horizon forecasts with the horizon's windows)."""
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
        return DateContext(
            as_of=as_of,
            records_start_year=start,
            columns=tuple(columns),
            categories=categories,
            statistical_prior=statistical_prior,
            prior=prior,
            horizon_years=horizon_years if labels else None,
            sample_rate=rate,
            random_state=random_state,
            weather_horizon_years=weather_horizon_years or horizon_years,
            weather_scenarios=weather_scenarios,
        )

    def features(self, context: DateContext) -> list[Future]:
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
class DateContext:
    as_of: pd.Timestamp
    records_start_year: float
    columns: tuple
    categories: dict
    statistical_prior: bool
    prior: object | None
    horizon_years: int | None
    sample_rate: float | None
    random_state: int
    weather_horizon_years: int = 1
    weather_scenarios: int | None = None  # None: no outcome-window weather


#: Seconds a cluster without a worker is given for one to join (or come back: a worker
#: restarted by its nanny, or one whose heartbeat a busy machine delayed) before it is said.
WORKER_WAIT_S = 20


def _workers(client: Client) -> dict:
    """The cluster's workers ({address: info}), waiting up to :data:`WORKER_WAIT_S` for one."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    if not workers:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            return {}
        workers = client.scheduler_info(n_workers=-1)["workers"]
    return workers


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
    workers = sorted(_workers(client).items(), key=lambda w: str(w[1].get("name")))
    if not workers:
        raise InputError(
            f"the Dask cluster has no worker (none joined within {WORKER_WAIT_S} s); start some "
            "with 'dask worker ADDRESS'"
        )
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
        valid = has_shape(geometry)
        if valid.any():
            lines = gpd.GeoDataFrame(geometry=geometry[valid], crs=data.pipes.crs)
            frame = dask_geopandas.from_geopandas(lines, npartitions=max(1, min(8, len(lines))))
            hilbert = frame.hilbert_distance(total_bounds=lines.total_bounds)
            # on the driver's threads: the geometry is here, shipping it costs more
            distance[valid] = hilbert.compute(scheduler="threads").to_numpy(dtype=np.int64)
    order = np.lexsort((ids, distance))
    return [chunk for chunk in np.array_split(order, npartitions) if len(chunk)]


def _start_builder(part: UtilityData, shared: dict, options: dict) -> FeatureBuilder:
    """A partition's FeatureBuilder with its static parts (neighbour pairs, soils,
    nearest stations) computed, by building the features of one date."""
    part = dataclasses.replace(part, **shared)
    builder = FeatureBuilder(part, **options)
    builder.build(pd.Timestamp.now().normalize(), verbose=False)
    return builder


def _chunk(builder: FeatureBuilder, context: DateContext) -> pd.DataFrame:
    """Features of a partition at a date, with labels and weights when asked: the rows of
    :func:`risk.model.panel_rows`, as the local engine builds them."""
    # a copy shares the computed static parts; the record start depends on the date
    builder = copy.copy(builder)
    builder.records_start_year = context.records_start_year
    if context.horizon_years is None:  # scoring: features of every pipe in service
        X = _conform(builder.build(context.as_of, verbose=False), context)
        if context.statistical_prior:
            X = with_prior(X, builder, context.as_of, context.prior)
        if context.weather_scenarios is not None:
            X = with_window_weather(
                X, usual_weather(scenario_weather(builder, context, X), X.index)
            )
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
        window_weather=context.weather_scenarios is not None,
    )
    X = X.copy()
    X[LABEL_COLUMN] = labels
    X[WEIGHT_COLUMN] = weight
    return X


def scenario_weather(builder: FeatureBuilder, context: DateContext, X: pd.DataFrame) -> dict:
    """The weather scenarios of the rows of ``X`` at the context's date (as
    :meth:`risk.model.RiskModel.scenario_weather` on the whole network)."""
    if context.weather_scenarios is None:
        return {}
    return builder.scenario_weather(
        context.as_of, context.weather_horizon_years, context.weather_scenarios, X.index
    )


def _conform(X: pd.DataFrame, context: DateContext) -> pd.DataFrame:
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


def empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:0]
