"""FeatureBuilder: the features of every pipe in service at a date, its static parts (soils, neighbour pairs, prepared tables) computed once and reused across dates."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from risk.contract import MATERIALS
from risk.features.common import (
    DAYS_PER_YEAR,
    DEFAULT_FAILURE_WINDOWS_YEARS,
    DEFAULT_NEIGHBOUR_RADIUS_M,
    DEFAULT_WEATHER_YEARS,
    break_points,
    category_list,
    in_service_categories,
    outcome_features,
    positions,
    positions_among,
    prepare_breaks,
    prepare_pipes,
    records_start,
    service_mask,
    stable_uniform,
    to_timestamp,
    year_fraction,
)
from risk.features.context import (
    clean_name,
    detect_frequency,
    hemisphere_of,
    nearest_station,
    overlay_soils,
    scenario_starts,
    source_names,
    summarise_weather,
    weather_roles,
    window_weather,
)
from risk.geometry import map_chunks
from risk.utility import UtilityData

log = logging.getLogger(__name__)


def build_features(
    data: UtilityData,
    as_of,
    *,
    neighbour_radius_m: float = DEFAULT_NEIGHBOUR_RADIUS_M,
    weather_years: int = DEFAULT_WEATHER_YEARS,
    failure_windows_years: Sequence[int] = DEFAULT_FAILURE_WINDOWS_YEARS,
    records_start_year: int | None = None,
    weather_columns: Mapping[str, str] | None = None,
    outcomes: pd.DataFrame | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Features of every pipe in service at ``as_of``, using only what was known before it.

    Parameters
    ----------
    data : UtilityData
        Canonical tables of one utility.
    as_of : date-like
        The date at which features are taken. Records dated on or after it are ignored.
    neighbour_radius_m : float
        Failures of other pipes within this many metres of a pipe count as neighbour
        failures (pipes with geometry only).
    weather_years : int
        Number of years before ``as_of`` summarised by the weather features.
    failure_windows_years : sequence of int
        Windows, in years before ``as_of``, of the ``failures_last_{n}y`` counts.
    records_start_year : int, optional
        First year from which the break record is complete; used as the start of the
        exposure of ``failures_per_km_year``. Default: ``records_complete_from`` found by
        ingestion (``data.meta``), else the year of the earliest linked break before
        ``as_of``.
    weather_columns : mapping, optional
        Role -> weather column, for roles ``tmin``, ``tmax``, ``tmean``, ``precip``, when
        the names are not recognised (default: detected from column names).
    outcomes : DataFrame, optional
        Inspection outcomes with ``pipe_id``, ``date`` and optional boolean ``leak_found``
        (default: ``data.inspections`` when present). Inspections that found nothing are
        evidence too: they count in ``inspections_total``.
    verbose : bool
        Log which feature groups are skipped and why.

    Returns
    -------
    DataFrame
        Indexed by ``pipe_id`` (sorted), one row per pipe in service at ``as_of``.
    """
    builder = FeatureBuilder(
        data,
        neighbour_radius_m=neighbour_radius_m,
        weather_years=weather_years,
        failure_windows_years=failure_windows_years,
        records_start_year=records_start_year,
        weather_columns=weather_columns,
        outcomes=outcomes,
    )
    return builder.build(as_of, verbose=verbose)


@dataclass
class FeatureBuilder:
    """Builds features of one utility at several as-of dates, computing static parts once.

    Parameters are those of :func:`build_features`. Soils and the nearest weather
    station do not depend on the as-of date and are computed on first use.
    """

    data: UtilityData
    neighbour_radius_m: float = DEFAULT_NEIGHBOUR_RADIUS_M
    weather_years: int = DEFAULT_WEATHER_YEARS
    failure_windows_years: Sequence[int] = DEFAULT_FAILURE_WINDOWS_YEARS
    records_start_year: int | None = None
    weather_columns: Mapping[str, str] | None = None
    outcomes: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        _check_options(self)
        self._pipes = prepare_pipes(self.data.pipes)
        self._breaks = prepare_breaks(self.data.breaks, self._pipes)
        self._break_rows = positions(self._pipes["pipe_id"], self._breaks["pipe_id"])
        # the attributes alone: the pipes of each date are taken from it without geometry
        self._table = pd.DataFrame(self._pipes.drop(columns="geometry", errors="ignore"))
        self._soils: pd.DataFrame | None = None
        self._station: np.ndarray | None = None  # station_id per row of self._pipes
        self._station_mean: pd.DataFrame | None = None  # the stations' mean by date
        self._hemisphere: str | None = None  # seasons of the weather indices (hemisphere)
        self._summaries: dict = {}  # the stations' weather summaries, by window or date
        self._neighbour_pairs: pd.DataFrame | None = None
        # computed on first use, then read at every date:
        self._rows: dict | None = None  # per-row arrays of the attributes (_row_arrays)
        self._pairs_by_date: tuple[np.ndarray, np.ndarray] | None = None
        self._weld_rows: dict | None = None  # welds by row of self._pipes (_weld_arrays)
        self._uniform: dict[tuple[int, str], np.ndarray] = {}
        self._source_names: dict[str, str] | None = None  # source_names(data), on first use

    # ------------------------------------------------------------------ public
    @property
    def pipes(self) -> pd.DataFrame:
        """Attributes of the whole inventory, checked, ``length_m`` filled, sorted by
        ``pipe_id``, without geometry (read only)."""
        return self._table

    @property
    def breaks(self) -> pd.DataFrame:
        """Linked failures (``pipe_id``, ``date``) within their pipe's life (read only)."""
        return self._breaks

    @property
    def break_pipe_rows(self) -> np.ndarray:
        """Row in :attr:`pipes` of the pipe of each of :attr:`breaks` (read only)."""
        return self._break_rows

    def build(self, as_of, *, verbose: bool = True, pipe_ids=None, pipe_rows=None) -> pd.DataFrame:
        """Features of the pipes in service at ``as_of`` (see :func:`build_features`).

        ``pipe_ids`` limits the rows to those pipes (a sampled training panel); each row is
        the same as in the full table, category lists included. ``pipe_rows`` does the
        same by row of :attr:`pipes`.
        """
        as_of = to_timestamp(as_of)
        serving = self.in_service_mask(as_of)
        serving_pos = np.flatnonzero(serving)  # rows of pipes in self._pipes
        pipe_pos = serving_pos
        if pipe_ids is not None:
            wanted = positions(pd.Series(pipe_ids), self._table["pipe_id"].iloc[serving_pos])
            pipe_pos = serving_pos[wanted >= 0]
        if pipe_rows is not None:
            wanted = np.zeros(len(serving), dtype=bool)
            wanted[np.asarray(pipe_rows, dtype=np.int64)] = True
            pipe_pos = pipe_pos[wanted[pipe_pos]]
        pipes = self._table.iloc[pipe_pos]
        attributes = self._attribute_features(as_of, serving_pos, pipe_pos)
        ids = pd.Index(pipes["pipe_id"], name="pipe_id")
        parts = [attributes]
        parts.append(self._failure_features(pipes, as_of, pipe_pos))
        notes = []
        if self.data.has_geometry:
            parts.append(self._neighbour_features(pipes, as_of, pipe_pos))
            if self.data.soils is not None and len(self.data.soils):
                parts.append(self._soil_features().iloc[pipe_pos])  # in self._pipes order
            else:
                notes.append("no soils layer: soil features skipped")
        else:
            notes.append(
                "pipes have no geometry: spatial features (soils, neighbour failures, "
                "nearest weather station) skipped"
            )
        if self.data.weather is not None and len(self.data.weather):
            parts.append(self._weather_features(pipes, as_of, pipe_pos))
        else:
            notes.append("no weather layer: weather features skipped")
        if self.data.welds is not None and len(self.data.welds):
            parts.append(self._weld_features(as_of, pipe_pos))
        outcomes = self.outcomes
        if outcomes is None:
            outcomes = getattr(self.data, "inspections", None)
        if outcomes is not None:
            parts.append(outcome_features(outcomes, pipes, as_of))
        if verbose:
            for note in notes:
                log.info(note)
        features = pd.concat([p.set_axis(ids, axis=0) for p in parts], axis=1)
        features = features.sort_index()
        # the data's own spelling of the names behind the features, for reasons in words
        if self._source_names is None:
            self._source_names = source_names(self.data)
        features.attrs["source_names"] = {
            k: v for k, v in self._source_names.items() if k in features.columns
        }
        return features

    def in_service_ids(self, as_of) -> pd.Index:
        """``pipe_id`` of the pipes in service at ``as_of``, sorted."""
        return pd.Index(self._table["pipe_id"].iloc[self.in_service_rows(as_of)], name="pipe_id")

    def in_service_mask(self, as_of) -> np.ndarray:
        """:func:`in_service` of :attr:`pipes`, as a boolean array."""
        rows = self._row_arrays()
        return service_mask(rows["install_year"], rows["removed_year"], to_timestamp(as_of))

    def in_service_rows(self, as_of) -> np.ndarray:
        """Rows of :attr:`pipes` in service at ``as_of`` (see :func:`in_service`)."""
        return np.flatnonzero(self.in_service_mask(as_of))

    def uniform(self, seed: int, salt: str = "") -> np.ndarray:
        """:func:`stable_uniform` of each row of :attr:`pipes` (drawn once per seed and salt)."""
        if (seed, salt) not in self._uniform:
            self._uniform[seed, salt] = stable_uniform(self._table["pipe_id"], seed, salt)
        return self._uniform[seed, salt]

    def failure_counts(self, start, end) -> np.ndarray:
        """Failures of :attr:`breaks` dated in ``[start, end)``, per row of :attr:`pipes`.

        The same as :func:`count_failures` for pipes in service at ``start`` (a failure
        dated before its pipe's install year cannot fall in their window).
        """
        dates = self._breaks["date"]
        inside = ((dates >= to_timestamp(start)) & (dates < to_timestamp(end))).to_numpy()
        rows = self._break_rows[inside]
        return np.bincount(rows[rows >= 0], minlength=len(self._table)).astype(float)

    # ----------------------------------------------------------------- private
    def _row_arrays(self) -> dict:
        """The attributes as arrays, one value per row of ``self._pipes``; text columns as
        codes into their sorted categories (``None`` for a column the pipes lack)."""
        if self._rows is None:
            table = self._table

            def coded(column: str, base: Sequence[str] = ()) -> tuple[np.ndarray, list, np.ndarray]:
                text = table[column].astype("string")
                categories = category_list(text, base)
                codes = pd.Categorical(
                    text.to_numpy(dtype=object, na_value=None), categories=categories
                ).codes
                return codes, categories, np.isin(categories, list(base))

            def floats(column: str, dtype: str = "Float64") -> np.ndarray:
                return table[column].astype(dtype).to_numpy(float, na_value=np.nan)

            self._rows = {
                "install_year": floats("install_year"),
                "removed_year": floats("removed_year") if "removed_year" in table else None,
                "material": coded("material", MATERIALS),
                "diameter_mm": floats("diameter_mm")
                if "diameter_mm" in table
                else np.full(len(table), np.nan),
                "length_m": table["length_m"].to_numpy(dtype=float),
                "lined": table["lined"]
                .astype("boolean")
                .astype("Float64")
                .to_numpy(float, na_value=np.nan)
                if "lined" in table
                else None,
                "pressure_zone": coded("pressure_zone") if "pressure_zone" in table else None,
            }
        return self._rows

    def _attribute_features(
        self, as_of: pd.Timestamp, serving_pos: np.ndarray, pipe_pos: np.ndarray
    ) -> pd.DataFrame:
        """Attributes of the rows ``pipe_pos`` of ``self._pipes``; category lists are those
        of the pipes in service (rows ``serving_pos``), materials with the contract's."""
        rows = self._row_arrays()
        install = rows["install_year"][pipe_pos]
        out = {
            "age_years": year_fraction(as_of) - install,
            "install_year": install,
            "material": in_service_categories(rows["material"], serving_pos, pipe_pos),
            "diameter_mm": rows["diameter_mm"][pipe_pos],
            "length_m": rows["length_m"][pipe_pos],
        }
        if rows["lined"] is not None:
            out["lined"] = rows["lined"][pipe_pos]
        zone = rows["pressure_zone"]
        if zone is not None and (zone[0][serving_pos] >= 0).any():
            out["pressure_zone"] = in_service_categories(zone, serving_pos, pipe_pos)
        return pd.DataFrame(out)

    def _weld_arrays(self) -> dict:
        """Welds with a pipe: the row of their pipe in ``self._pipes`` (-1 for an unknown
        pipe), their year (NaN when undated) and grade codes into the sorted grades."""
        if self._weld_rows is None:
            welds = self.data.welds  # with a pipe_id column (see _weld_features)
            welds = welds[welds["pipe_id"].notna()]
            arrays = {
                "row": positions(self._pipes["pipe_id"], welds["pipe_id"]),
                "year": welds["year"].astype("Float64").to_numpy(float, na_value=np.nan)
                if "year" in welds
                else np.full(len(welds), np.nan),
                "grades": None,
            }
            if "grade" in welds:
                grades = category_list(welds["grade"])
                text = welds["grade"].astype("string").to_numpy(dtype=object, na_value=None)
                arrays["grades"] = grades
                arrays["grade_code"] = pd.Categorical(text, categories=grades).codes
            self._weld_rows = arrays
        return self._weld_rows

    def _weld_features(self, as_of: pd.Timestamp, pipe_pos: np.ndarray) -> pd.DataFrame:
        """Weld and joint counts of the rows ``pipe_pos`` of ``self._pipes``; welds dated in
        or after the as-of year are ignored.

        Undated welds count at every date (they are taken as original joints). Grade
        columns come from every grade of the welds table so that columns are the same at
        every date.
        """
        n = len(pipe_pos)
        if "pipe_id" not in self.data.welds:
            return pd.DataFrame(index=range(n))
        welds = self._weld_arrays()
        pos = positions_among(welds["row"], pipe_pos, len(self._pipes))
        # dated in or after the as-of year: not known yet (NaN < year is False: undated)
        ok = (pos >= 0) & ~(welds["year"] >= as_of.year)
        length_km = np.maximum(self._row_arrays()["length_m"][pipe_pos] / 1000.0, 1e-3)
        total = np.bincount(pos[ok], minlength=n).astype(float)
        out = {"welds_total": total, "welds_per_km": total / length_km}
        if welds["grades"] is not None:
            code = welds["grade_code"]
            for k, grade in enumerate(welds["grades"]):
                hit = ok & (code == k)
                count = np.bincount(pos[hit], minlength=n).astype(float)
                out[f"welds_grade_{clean_name(grade)}"] = count
        return pd.DataFrame(out)

    def _failure_features(
        self, pipes: pd.DataFrame, as_of: pd.Timestamp, pipe_pos: np.ndarray
    ) -> pd.DataFrame:
        before = (self._breaks["date"] < as_of).to_numpy()
        breaks = self._breaks[before]
        # row among ``pipes`` (whose rows in self._pipes are pipe_pos) of each break's pipe
        pos = positions_among(self._break_rows[before], pipe_pos, len(self._pipes))
        keep = pos >= 0
        pos = pos[keep]
        age_years = ((as_of - breaks["date"][keep]).dt.days / DAYS_PER_YEAR).to_numpy()
        n = len(pipes)
        length_km = pipes["length_m"].to_numpy(dtype=float) / 1000.0
        out = {"failures_total": np.bincount(pos, minlength=n).astype(float)}
        for window in self.failure_windows_years:
            recent = age_years < window
            out[f"failures_last_{window}y"] = np.bincount(pos[recent], minlength=n).astype(float)
        last = np.full(n, np.inf)
        np.minimum.at(last, pos, age_years)
        out["years_since_last_failure"] = np.where(np.isfinite(last), last, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["failures_per_km"] = out["failures_total"] / np.maximum(length_km, 1e-3)
            for window in self.failure_windows_years:
                out[f"failures_last_{window}y_per_km"] = out[
                    f"failures_last_{window}y"
                ] / np.maximum(length_km, 1e-3)
            start = records_start(self.data, self.records_start_year, breaks, as_of)
            install = pipes["install_year"].astype("Float64").fillna(start).to_numpy(float)
            exposure_years = year_fraction(as_of) - np.maximum(install, float(start))
            exposure_km_years = np.maximum(length_km, 1e-3) * np.maximum(exposure_years, 0.5)
            out["failures_per_km_year"] = out["failures_total"] / exposure_km_years
        return pd.DataFrame(out)

    def _neighbour_features(
        self, pipes: pd.DataFrame, as_of: pd.Timestamp, pipe_pos: np.ndarray | None = None
    ) -> pd.DataFrame:
        """``pipe_pos``: row of each of ``pipes`` in ``self._pipes`` (found when not given)."""
        if self._pairs_by_date is None:
            pairs = self._neighbour_break_pairs()
            dates = pairs["date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
            order = np.argsort(dates, kind="stable")
            self._pairs_by_date = (pairs["pipe_pos"].to_numpy()[order], dates[order])
        pair_pipe_pos, pair_ns = self._pairs_by_date
        window = max(self.failure_windows_years)
        # breaks before as_of, then the recent ones among them: a break is younger than
        # the window when its whole days to as_of (a midnight) are fewer than the window's
        # days, that is when it is later than as_of minus the window's days rounded up
        day_ns = 86_400 * 10**9
        earlier = np.searchsorted(pair_ns, as_of.value, side="left")
        window_ns = int(np.ceil(window * DAYS_PER_YEAR)) * day_ns
        recent_from = np.searchsorted(pair_ns, as_of.value - window_ns, side="right")
        if pipe_pos is None:
            pipe_pos = positions(self._pipes["pipe_id"], pipes["pipe_id"])
        pos = positions_among(pair_pipe_pos[:earlier], pipe_pos, len(self._pipes))
        n = len(pipes)
        total = np.bincount(pos[pos >= 0], minlength=n).astype(float)
        recent = pos[min(recent_from, earlier) :]
        recent = np.bincount(recent[recent >= 0], minlength=n).astype(float)
        return pd.DataFrame(
            {"neighbour_failures_total": total, f"neighbour_failures_last_{window}y": recent}
        )

    def _neighbour_break_pairs(self) -> pd.DataFrame:
        """Every (pipe, break of another pipe within the radius) pair, with the break date.

        Computed once over all dates; each as-of date then keeps the earlier breaks.
        """
        if self._neighbour_pairs is None:
            points = break_points(self.data, self._pipes)
            pipe_pos = np.zeros(0, dtype=np.int64)
            dates = np.zeros(0, dtype="datetime64[ns]")
            if len(points):
                radius = self.neighbour_radius_m
                pipe_geoms = np.asarray(self._pipes.geometry.values)
                point_geoms = np.asarray(points.geometry.values)
                # the pairs of gpd.sjoin(pipes, points, predicate="dwithin"), in its order,
                # faster: candidates by the pipe's box grown by the radius, then the distance
                tree = shapely.STRtree(point_geoms)  # built here, then only read by threads

                def near_pairs(start: int, geoms: np.ndarray) -> tuple[np.ndarray, ...]:
                    x0, y0, x1, y1 = shapely.bounds(geoms).T
                    boxes = shapely.box(x0 - radius, y0 - radius, x1 + radius, y1 + radius)
                    # grouped by pipe in pipe order: chunks concatenate to the whole query
                    pipe_pos, point_pos = tree.query(boxes)
                    near = shapely.dwithin(geoms[pipe_pos], point_geoms[point_pos], radius)
                    return pipe_pos[near] + start, point_pos[near]

                pipe_pos, point_pos = map_chunks(near_pairs, pipe_geoms)
                # a pipe's own breaks are not its neighbours' failures
                break_pipe_pos = positions(self._pipes["pipe_id"], points["break_pipe_id"])
                other = break_pipe_pos[point_pos] != pipe_pos
                pipe_pos = pipe_pos[other].astype(np.int64)
                dates = points["date"].to_numpy(dtype="datetime64[ns]")[point_pos[other]]
            self._neighbour_pairs = pd.DataFrame({"pipe_pos": pipe_pos, "date": dates})
        return self._neighbour_pairs

    def _soil_features(self) -> pd.DataFrame:
        if self._soils is None:
            self._soils = overlay_soils(self._pipes, self.data.soils)
        return self._soils

    @property
    def hemisphere(self) -> str:
        """Where the network lies, for the seasons of the weather indices
        (:func:`risk.features.hemisphere_of` of its stations, else its pipes)."""
        if self._hemisphere is None:
            self._hemisphere = hemisphere_of(self.data.pipes, self.data.stations)
        return self._hemisphere

    @property
    def has_weather(self) -> bool:
        """True when the utility has a weather layer with rows."""
        return self.data.weather is not None and len(self.data.weather) > 0

    def window_weather(self, start, end, pipe_ids) -> pd.DataFrame:
        """The weather of ``[start, end)`` at each of ``pipe_ids`` (its nearest station), as
        :func:`risk.features.window_weather` indices (``window_weather_*``), indexed by
        ``pipe_id``: what a pipe met during an outcome window."""
        start, end = to_timestamp(start), to_timestamp(end)
        if not self.has_weather:
            return pd.DataFrame(index=pd.Index(pipe_ids))
        return self._station_frame(
            lambda weather, frequency, roles: window_weather(
                weather, start, end, frequency, roles, self.hemisphere
            ),
            pipe_ids,
            key=("window", start, end),
        )

    def scenario_weather(self, as_of, horizon_years: int, most: int, pipe_ids) -> dict:
        """The weather of each past outcome window standing for the one ahead of ``as_of``:
        {first year: :meth:`window_weather` frame}, for the latest ``most`` windows the
        weather table covers (:func:`risk.features.scenario_starts`); empty without weather.
        """
        years = pd.DateOffset(years=int(horizon_years))
        return {
            int(start.year): self.window_weather(start, start + years, pipe_ids)
            for start in self.weather_scenarios(as_of, horizon_years, most)
        }

    def weather_scenarios(self, as_of, horizon_years: int, most: int) -> list[pd.Timestamp]:
        """Starts of the past outcome windows standing for the one ahead of ``as_of``
        (:func:`risk.features.scenario_starts`); empty without weather."""
        if not self.has_weather:
            return []
        return scenario_starts(self.data.weather["date"], to_timestamp(as_of), horizon_years, most)

    def _weather_features(
        self, pipes: pd.DataFrame, as_of: pd.Timestamp, pipe_pos: np.ndarray | None = None
    ) -> pd.DataFrame:
        """``pipe_pos``: row of each of ``pipes`` in ``self._pipes`` (found when not given)."""
        if pipe_pos is None:
            pipe_pos = positions(self._pipes["pipe_id"], pipes["pipe_id"])
        return self._station_table(
            lambda weather, frequency, roles: summarise_weather(
                weather, as_of, self.weather_years, frequency, roles, self.hemisphere
            ),
            pipe_pos,
            key=("before", pd.Timestamp(as_of)),
        )

    def _station_frame(self, summarise, pipe_ids, key=None) -> pd.DataFrame:
        """:meth:`_station_table` for ``pipe_ids`` (each must be in the inventory)."""
        ids = pd.Index(pipe_ids)
        pipe_pos = positions(self._pipes["pipe_id"], pd.Series(ids.astype("string")))
        if (pipe_pos < 0).any():
            raise ValueError("window weather asked for pipes outside the inventory")
        out = self._station_table(summarise, pipe_pos, key)
        out.index = ids
        return out

    def _station_table(self, summarise, pipe_pos: np.ndarray, key=None) -> pd.DataFrame:
        """``summarise(weather, frequency, roles)`` (a Series) of the nearest station of each
        row ``pipe_pos`` of ``self._pipes``; of the stations' daily mean without stations.
        The stations' summaries are kept under ``key`` when given: the weather of a window
        or a date is asked again and again (panel dates, weather scenarios, backtest years).
        """
        if key is not None and key in self._summaries:
            table, by_station = self._summaries[key]
        else:
            table, by_station = self._station_summaries(summarise)
            if key is not None:
                self._summaries[key] = (table, by_station)
        if by_station:
            return table.reindex(self._station[pipe_pos]).reset_index(drop=True)
        return pd.DataFrame(
            np.repeat(table.to_numpy(float)[:1], len(pipe_pos), axis=0), columns=table.columns
        )

    def _station_summaries(self, summarise) -> tuple[pd.DataFrame, bool]:
        """``summarise`` of each station's weather (a row per ``station_id``), or of the
        network's (one row), and whether it is by station."""
        weather = self.data.weather
        frequency = self.data.weather_frequency or detect_frequency(weather["date"])
        roles = weather_roles(weather, self.weather_columns)
        by_station = bool(
            "station_id" in weather
            and self.data.stations is not None
            and len(self.data.stations)
            and self.data.has_geometry
        )
        if by_station:
            if self._station is None:
                # the station of each row of self._pipes, looked up by position at every date
                self._station = nearest_station(self._pipes, self.data.stations)
            rows = []
            for station_id, group in weather.groupby("station_id", sort=True):
                rows.append(summarise(group, frequency, roles).rename(station_id))
            return pd.DataFrame(rows), True
        if "station_id" in weather:
            if self._station_mean is None:
                numeric = (
                    weather.drop(columns="station_id")
                    .groupby("date", sort=True)
                    .mean(numeric_only=True)
                )
                self._station_mean = numeric.reset_index()
            weather = self._station_mean
        return pd.DataFrame([summarise(weather, frequency, roles)]), False


def _check_options(builder: FeatureBuilder) -> None:
    problems = []
    if not builder.neighbour_radius_m > 0:
        problems.append(f"neighbour_radius_m must be > 0; got {builder.neighbour_radius_m!r}")
    if int(builder.weather_years) < 1:
        problems.append(f"weather_years must be an integer >= 1; got {builder.weather_years!r}")
    windows = list(builder.failure_windows_years)
    if not windows or any(int(w) < 1 for w in windows):
        problems.append(
            f"failure_windows_years must be years >= 1 such as (1, 3, 5); got {windows!r}"
        )
    if problems:
        raise ValueError("; ".join(problems))
