"""Leakage-safe features of every pipe in service at an as-of date.

``build_features(data, as_of)`` returns one row per pipe in service at ``as_of``,
indexed by ``pipe_id`` and sorted by it. Nothing dated on or after ``as_of`` reaches
a feature: breaks, inspection outcomes, dated welds and weather rows are cut at
``as_of`` before anything is computed.

A pipe is *in service* at ``as_of`` when it was installed before it (a pipe installed
in year Y counts from 1 January of Y) and its removal year, if any, is not before the
year of ``as_of`` (a removal during the as-of year is not yet known on ``as_of``).

Feature groups (each skipped, with one log line, when its layer is missing):

- attributes: ``age_years``, ``install_year``, ``material``, ``diameter_mm``,
  ``length_m``, ``lined``, ``pressure_zone``;
- failure history on the pipe: ``failures_total``, ``failures_last_{n}y``,
  ``years_since_last_failure``, ``failures_per_km``, ``failures_per_km_year``;
- failures on neighbours within ``neighbour_radius_m`` (pipes with geometry only):
  ``neighbour_failures_total``, ``neighbour_failures_last_{n}y``;
- soils (geometry only): ``soil_<column>`` by length-weighted overlap, numbers stay
  numbers, text becomes a category (the value covering most of the pipe);
- weather over the last ``weather_years`` years: ``weather_<column>_mean`` for every
  numeric column, plus freeze-thaw, freezing-index and dry-summer indices when
  minimum/maximum temperature and precipitation columns are found; by nearest
  station when stations are given and pipes have geometry, network-wide otherwise;
- welds and joints: ``welds_total``, ``welds_per_km``, ``welds_grade_<grade>``;
- inspection outcomes (``outcomes=`` or ``data.inspections``): ``inspections_total``,
  ``inspection_leaks_found``, ``years_since_last_inspection``.

Categorical columns use pandas ``category`` dtype with the sorted values of the pipes in
service at the as-of date (materials always include the data contract's list); a model
maps them to its own category lists by name (``RiskModel``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from risk.contract import MATERIALS
from risk.geometry import map_chunks
from risk.utility import UtilityData

log = logging.getLogger(__name__)

#: Default radius around a pipe within which failures of other pipes are counted, in metres.
DEFAULT_NEIGHBOUR_RADIUS_M = 100.0
#: Default number of years of weather before the as-of date that features summarise.
DEFAULT_WEATHER_YEARS = 5
#: Default windows, in years before the as-of date, of the recent-failure counts.
DEFAULT_FAILURE_WINDOWS_YEARS = (1, 3, 5, 10)
#: Weather columns that are calendar fields, not measurements.
_CALENDAR_COLUMNS = {"year", "month", "day", "doy", "dayofyear", "station_id", "n_days"}
#: Soil columns that are identifiers or geometry bookkeeping, not soil properties (names
#: ending in ``_id`` are identifiers too).
_SOIL_ID_COLUMNS = {
    "fid",
    "id",
    "gid",
    "objectid",
    "ogc_fid",
    "shape_area",
    "shape_length",
    "shape__area",
    "shape__length",
}
#: Name patterns used to find temperature and precipitation columns in a weather table.
_WEATHER_ROLE_PATTERNS = {
    "tmin": r"^(tmin|t_min|temp_?min|min_?temp|tn)(_|$)",
    "tmax": r"^(tmax|t_max|temp_?max|max_?temp|tx)(_|$)",
    "tmean": r"^(tmean|tavg|t_mean|t_avg|temp_?mean|mean_?temp|tmoy|tm)(_|$)",
    "precip": r"^(precip|prec|prcp|rain|rr|pluie|precipitation)(_|$)",
}
#: Summer months used by the dry-summer index (northern hemisphere).
_SUMMER_MONTHS = (6, 7, 8)
_DAYS_PER_YEAR = 365.25


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


def in_service(pipes: pd.DataFrame, as_of) -> pd.Series:
    """Boolean mask of pipes in service at ``as_of`` (see the module docstring for the rule).

    Pipes with an unknown install year are kept: they are in the ground today.
    """

    def years(column: str) -> np.ndarray | None:
        if column not in pipes:
            return None
        return pipes[column].astype("Float64").to_numpy(float, na_value=np.nan)

    mask = _in_service_mask(years("install_year"), years("removed_year"), to_timestamp(as_of))
    return pd.Series(mask, index=pipes.index)


def _in_service_mask(install: np.ndarray, removed: np.ndarray | None, as_of) -> np.ndarray:
    """The rule of :func:`in_service` on arrays of years (NaN where unknown)."""
    serving = np.isnan(install) | (install < year_fraction(as_of))
    if removed is not None:
        serving &= ~(removed < as_of.year)  # NaN < year is False: not removed
    return serving


def count_failures(data: UtilityData, start, end) -> pd.Series:
    """Number of linked failures per ``pipe_id`` dated in ``[start, end)``.

    Pipes without a failure in the window are absent from the result.
    """
    start, end = to_timestamp(start), to_timestamp(end)
    breaks = data.linked_breaks
    in_window = (breaks["date"] >= start) & (breaks["date"] < end)
    counts = breaks.loc[in_window, "pipe_id"].astype("string").value_counts()
    counts.index.name = "pipe_id"
    return counts.rename("failures").sort_index()


def records_start(data: UtilityData, explicit: int | None, history: pd.DataFrame, as_of) -> float:
    """First year of a complete break record.

    ``explicit`` when given, else ``records_complete_from`` found by ingestion
    (``data.meta``), else the year of the earliest break in ``history`` (breaks before
    ``as_of``), else the year of ``as_of``.
    """
    if explicit is not None:
        return float(explicit)
    found = (data.meta or {}).get("records_complete_from")
    if found is not None and not pd.isna(found):
        return float(found)
    if len(history):
        return float(pd.to_datetime(history["date"]).dt.year.min())
    return float(to_timestamp(as_of).year)


def to_timestamp(value) -> pd.Timestamp:
    """A date-like value as a day-resolution ``Timestamp``; a bare year means 1 January."""
    if isinstance(value, (int, np.integer)) and 1000 <= int(value) <= 9999:
        return pd.Timestamp(year=int(value), month=1, day=1)
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"as_of must be a date such as '2019-01-01' or a year such as 2019; got {value!r}"
        ) from error
    if pd.isna(stamp):
        raise ValueError(f"as_of must be a date such as '2019-01-01'; got {value!r}")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def positions(keys, values) -> np.ndarray:
    """Position of each of ``values`` in ``keys`` (unique identifiers), -1 when absent.

    ``pd.Index(keys).get_indexer(values)`` for string identifiers, several times faster
    on millions of rows (Arrow hash lookup).
    """
    key_array = pa.array(pd.Series(keys, copy=False).astype("string"))
    value_array = pa.array(pd.Series(values, copy=False).astype("string"))
    found = pc.index_in(value_array, value_set=key_array)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def stable_uniform(ids, seed: int, salt: str = "") -> np.ndarray:
    """A uniform number in [0, 1) per identifier, fixed by ``seed`` and ``salt``.

    Depends on the identifier only, not on row order: sub-samples drawn with it are the
    same whatever order the rows come in.
    """
    key = hashlib.sha256(f"{seed}:{salt}".encode()).hexdigest()[:16]
    values = pd.Series(ids, copy=False).astype("string").to_numpy(dtype=object, na_value="")
    hashed = pd.util.hash_array(values, hash_key=key, categorize=False)
    return (hashed >> np.uint64(11)).astype(np.float64) / float(2**53)


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
            parts.append(_outcome_features(outcomes, pipes, as_of))
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
        return _in_service_mask(rows["install_year"], rows["removed_year"], to_timestamp(as_of))

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
            "material": _in_service_categories(rows["material"], serving_pos, pipe_pos),
            "diameter_mm": rows["diameter_mm"][pipe_pos],
            "length_m": rows["length_m"][pipe_pos],
        }
        if rows["lined"] is not None:
            out["lined"] = rows["lined"][pipe_pos]
        zone = rows["pressure_zone"]
        if zone is not None and (zone[0][serving_pos] >= 0).any():
            out["pressure_zone"] = _in_service_categories(zone, serving_pos, pipe_pos)
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
        pos = _positions_among(welds["row"], pipe_pos, len(self._pipes))
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
        pos = _positions_among(self._break_rows[before], pipe_pos, len(self._pipes))
        keep = pos >= 0
        pos = pos[keep]
        age_years = ((as_of - breaks["date"][keep]).dt.days / _DAYS_PER_YEAR).to_numpy()
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
        window_ns = int(np.ceil(window * _DAYS_PER_YEAR)) * day_ns
        recent_from = np.searchsorted(pair_ns, as_of.value - window_ns, side="right")
        if pipe_pos is None:
            pipe_pos = positions(self._pipes["pipe_id"], pipes["pipe_id"])
        pos = _positions_among(pair_pipe_pos[:earlier], pipe_pos, len(self._pipes))
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
            points = _break_points(self.data, self._pipes)
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
            self._soils = _soil_features(self._pipes, self.data.soils)
        return self._soils

    def _weather_features(
        self, pipes: pd.DataFrame, as_of: pd.Timestamp, pipe_pos: np.ndarray | None = None
    ) -> pd.DataFrame:
        """``pipe_pos``: row of each of ``pipes`` in ``self._pipes`` (found when not given)."""
        weather = self.data.weather
        frequency = self.data.weather_frequency or _detect_frequency(weather["date"])
        roles = _weather_roles(weather, self.weather_columns)
        by_station = (
            "station_id" in weather
            and self.data.stations is not None
            and len(self.data.stations)
            and self.data.has_geometry
        )
        if by_station:
            if self._station is None:
                # the station of each row of self._pipes, looked up by position at every date
                self._station = _nearest_station(self._pipes, self.data.stations)
            rows = []
            for station_id, group in weather.groupby("station_id", sort=True):
                summary = _summarise_weather(
                    group, as_of, self.weather_years, frequency, roles
                ).rename(station_id)
                rows.append(summary)
            table = pd.DataFrame(rows)
            if pipe_pos is None:
                pipe_pos = positions(self._pipes["pipe_id"], pipes["pipe_id"])
            return table.reindex(self._station[pipe_pos]).reset_index(drop=True)
        if "station_id" in weather:
            numeric = (
                weather.drop(columns="station_id")
                .groupby("date", sort=True)
                .mean(numeric_only=True)
            )
            weather = numeric.reset_index()
        summary = _summarise_weather(weather, as_of, self.weather_years, frequency, roles)
        return pd.DataFrame(
            np.repeat(summary.to_numpy(float)[None, :], len(pipes), axis=0),
            columns=summary.index,
        )


# ---------------------------------------------------------------------- helpers
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


def prepare_pipes(pipes: pd.DataFrame) -> pd.DataFrame:
    """Check the columns features need and return a copy with ``length_m`` filled."""
    missing = [c for c in ("pipe_id", "material", "install_year") if c not in pipes]
    has_geometry = isinstance(pipes, gpd.GeoDataFrame) and "geometry" in pipes
    if "length_m" not in pipes and not has_geometry:
        missing.append("length_m")
    if missing:
        raise ValueError(
            f"pipes: missing column(s) {', '.join(missing)}; features need pipe_id, material, "
            "install_year and length_m (or geometry). Read the folder with "
            "risk.ingest.read_utility so that columns follow the data contract."
        )
    pipes = pipes.copy()
    pipes["pipe_id"] = pipes["pipe_id"].astype("string")
    if pipes["pipe_id"].duplicated().any():
        dup = pipes.loc[pipes["pipe_id"].duplicated(), "pipe_id"].iloc[0]
        raise ValueError(f"pipes: pipe_id must be unique; '{dup}' appears more than once")
    if "length_m" not in pipes:
        pipes["length_m"] = np.nan
    length = pipes["length_m"].astype(float)
    if has_geometry and length.isna().any():
        length = length.fillna(pd.Series(shapely.length(pipes.geometry.values), index=pipes.index))
    pipes["length_m"] = length
    pipes["install_year"] = pipes["install_year"].astype("Float64")
    pipes = pipes.sort_values("pipe_id", kind="mergesort").reset_index(drop=True)
    return pipes


def prepare_breaks(breaks: pd.DataFrame, pipes: pd.DataFrame) -> pd.DataFrame:
    """Linked breaks (``pipe_id``, ``date``) that belong to the current pipe's life."""
    if breaks is None or len(breaks) == 0 or "pipe_id" not in breaks:
        return pd.DataFrame(
            {"pipe_id": pd.Series(dtype="string"), "date": pd.Series(dtype="M8[s]")}
        )
    linked = breaks[breaks["pipe_id"].notna()]
    if "date" not in linked:
        raise ValueError("breaks: missing column 'date'; every failure record needs a date")
    out = pd.DataFrame(
        {
            "pipe_id": linked["pipe_id"].astype("string").to_numpy(),
            "date": pd.to_datetime(linked["date"]).to_numpy(),
        }
    )
    out = out[out["date"].notna()]
    pos = positions(pipes["pipe_id"], out["pipe_id"])
    install_year = pipes["install_year"].astype("Float64").to_numpy(float, na_value=np.nan)
    install = np.full(len(out), np.nan)
    install[pos >= 0] = install_year[pos[pos >= 0]]
    before_install = out["date"].dt.year.to_numpy(float) < install  # False where unknown
    return out[~before_install].reset_index(drop=True)


def year_fraction(as_of: pd.Timestamp) -> float:
    """``as_of`` as a decimal year (1 January 2019 -> 2019.0)."""
    start = pd.Timestamp(year=as_of.year, month=1, day=1)
    days_in_year = 366 if as_of.is_leap_year else 365
    return as_of.year + (as_of - start).days / days_in_year


def category_list(values: pd.Series, base: Sequence[str] = ()) -> list[str]:
    seen = values.dropna().astype(str).unique().tolist()
    return sorted(set(base) | set(seen))


def _positions_among(rows: np.ndarray, pipe_pos: np.ndarray, n_rows: int) -> np.ndarray:
    """Position among ``pipe_pos`` of each of ``rows`` (both rows of a table of ``n_rows``
    rows; -1 in ``rows`` for none), -1 when it is not among them."""
    among = np.full(n_rows + 1, -1)  # the last slot answers the rows -1
    among[pipe_pos] = np.arange(len(pipe_pos))
    return among[rows]


def _in_service_categories(
    coded: tuple[np.ndarray, list, np.ndarray], serving_pos: np.ndarray, pipe_pos: np.ndarray
) -> pd.Categorical:
    """Rows ``pipe_pos`` of a coded column (codes, sorted categories, base mask) as a
    Categorical on the categories of the rows ``serving_pos`` plus the base ones."""
    codes, categories, base = coded
    seen = codes[serving_pos]
    kept = base.copy()
    kept[seen[seen >= 0]] = True
    new_code = np.cumsum(kept) - 1
    picked = codes[pipe_pos]
    return pd.Categorical.from_codes(
        np.where(picked >= 0, new_code[np.maximum(picked, 0)], -1),
        categories=[c for c, keep in zip(categories, kept, strict=True) if keep],
    )


def _break_points(data: UtilityData, pipes: pd.DataFrame) -> gpd.GeoDataFrame:
    """Locations and dates of dated breaks: their own point, else the middle of their pipe.

    Unlinked breaks with a location count too: they are failures of nearby mains that
    have since been replaced.
    """
    breaks = data.breaks
    crs = data.pipes.crs
    empty = gpd.GeoDataFrame(
        {"break_pipe_id": pd.Series(dtype=object), "date": pd.Series(dtype="M8[ns]")},
        geometry=gpd.GeoSeries([], crs=crs).values,
        crs=crs,
    )
    if breaks is None or len(breaks) == 0:
        return empty
    before = breaks[pd.to_datetime(breaks["date"]).notna()]
    pipe_id = before["pipe_id"].astype("string") if "pipe_id" in before else None
    geometry = break_locations(before, pipes)
    points = gpd.GeoDataFrame(
        {
            "break_pipe_id": (
                pipe_id.to_numpy(dtype=object, na_value=None)
                if pipe_id is not None
                else np.full(len(before), None, dtype=object)
            ),
            "date": pd.to_datetime(before["date"]).to_numpy(dtype="datetime64[ns]"),
        },
        geometry=gpd.GeoSeries(geometry, crs=crs).values,
        crs=crs,
    )
    located = ~(points.geometry.isna() | points.geometry.is_empty)
    return points[located.to_numpy()] if len(points) else empty


def break_locations(breaks: pd.DataFrame, pipes: pd.DataFrame) -> np.ndarray:
    """Each break's own point, else the middle of its pipe; None when neither is known."""
    if isinstance(breaks, gpd.GeoDataFrame):
        geometry = breaks.geometry.to_numpy().copy()
        missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    else:
        geometry = np.full(len(breaks), None, dtype=object)
        missing = np.ones(len(breaks), dtype=bool)
    if "pipe_id" in breaks and missing.any():
        pos = positions(pipes["pipe_id"], breaks["pipe_id"])
        fill = missing & (pos >= 0)
        geometry[fill] = shapely.line_interpolate_point(
            pipes.geometry.values[pos[fill]], 0.5, normalized=True
        )
    return geometry


#: A column with at least this many distinct values, one for more than this share of the
#: rows, names its rows rather than describing them (a polygon code such as "S042").
IDENTIFIER_MIN_DISTINCT = 20
IDENTIFIER_DISTINCT_SHARE = 0.5


def identifier_like_columns(table: pd.DataFrame, columns) -> list[str]:
    """Columns of ``table`` that identify rows instead of describing them: text with (almost)
    one value per row, or whole numbers all distinct. Such a column would let the model learn
    one polygon's history and would read as a reason like "soil code: S042"; it is left out
    (and listed in the model card).

    >>> soils = pd.DataFrame({"code": [f"S{i:03d}" for i in range(30)], "clay": ["high"] * 30})
    >>> identifier_like_columns(soils, ["code", "clay"])
    ['code']
    """
    out = []
    for column in columns:
        values = table[column].dropna()
        distinct = values.nunique()
        if distinct < IDENTIFIER_MIN_DISTINCT:
            continue
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            whole = bool(np.all(np.mod(values.to_numpy(float), 1) == 0))
            if whole and distinct == len(values):
                out.append(column)
        elif distinct > IDENTIFIER_DISTINCT_SHARE * len(values):
            out.append(column)
    return out


def soil_property_columns(soils: gpd.GeoDataFrame) -> tuple[list[str], list[str]]:
    """The soil columns used as features, and those left out as identifiers."""
    candidates = [
        c
        for c in soils.columns
        if c != soils.geometry.name
        and c.lower() not in _SOIL_ID_COLUMNS
        and not c.lower().endswith("_id")
    ]
    left_out = identifier_like_columns(soils, candidates)
    return [c for c in candidates if c not in left_out], left_out


def left_out_columns(data) -> dict[str, list[str]]:
    """Columns of the context layers not used as features because they look like identifiers,
    per layer (for the model card)."""
    out = {}
    if data.soils is not None and len(data.soils):
        _, left_out = soil_property_columns(data.soils)
        if left_out:
            out["soils"] = left_out
    return out


def _soil_features(pipes: pd.DataFrame, soils: gpd.GeoDataFrame) -> pd.DataFrame:
    """Length-weighted soil attributes of every pipe (all pipes of the inventory)."""
    columns, _ = soil_property_columns(soils)
    soils = soils[[*columns, soils.geometry.name]].reset_index(drop=True)
    pipe_geoms = np.asarray(pipes.geometry.values)
    soil_wkb = shapely.to_wkb(np.asarray(soils.geometry.values))

    def overlaps(start: int, geoms: np.ndarray) -> tuple[np.ndarray, ...]:
        # a private copy per chunk: prepared geometries must not be shared between threads
        # (chunks in threads here, Dask workers' threads)
        soil_geoms = shapely.from_wkb(soil_wkb)
        # (pipe, soil) pairs in the order of the soil layer's spatial index, as gpd.sjoin
        # gives: grouped by pipe in pipe order, so chunks concatenate to the whole query
        pipe_pos, soil_pos = shapely.STRtree(soil_geoms).query(geoms, predicate="intersects")
        # a polygon that covers a pipe overlaps it by the pipe's length: intersect the others
        shapely.prepare(soil_geoms)
        overlap = shapely.length(geoms)[pipe_pos]
        crossing = ~shapely.covers(soil_geoms[soil_pos], geoms[pipe_pos])
        overlap[crossing] = shapely.length(
            shapely.intersection(geoms[pipe_pos[crossing]], soil_geoms[soil_pos[crossing]])
        )
        return pipe_pos + start, soil_pos, overlap

    pipe_pos, soil_pos, overlap = map_chunks(overlaps, pipe_geoms)
    length = shapely.length(pipe_geoms)
    n = len(pipes)
    out = {}
    pipe_length = np.maximum(length, 1e-9)
    covered = np.bincount(pipe_pos, weights=overlap, minlength=n)
    out["soil_covered_share"] = np.minimum(covered / pipe_length, 1.0)
    for column in columns:
        values = soils[column]
        name = "soil_" + clean_name(column)
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            v = values.astype("Float64").to_numpy(float, na_value=np.nan)[soil_pos]
            ok = ~np.isnan(v)
            weighted = np.bincount(pipe_pos[ok], weights=v[ok] * overlap[ok], minlength=n)
            weight = np.bincount(pipe_pos[ok], weights=overlap[ok], minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[name] = np.where(weight > 0, weighted / weight, np.nan)
        else:
            text = values.astype("string")
            categories = category_list(text)
            codes = pd.Categorical(
                text.to_numpy(dtype=object, na_value=None), categories=categories
            ).codes[soil_pos]
            # overlap of each (pipe, value) pair, then the value covering most of each
            # pipe (ties: the first value in sorted order)
            ok = codes >= 0
            pair = pipe_pos[ok].astype(np.int64) * max(len(categories), 1) + codes[ok]
            pairs, inverse = np.unique(pair, return_inverse=True)
            total = np.bincount(inverse, weights=overlap[ok])
            pair_pipe, pair_code = np.divmod(pairs, max(len(categories), 1))
            order = np.lexsort((pair_code, -total, pair_pipe))
            first = order[np.diff(pair_pipe[order], prepend=-1) != 0]
            dominant = np.full(n, -1, dtype=np.int64)
            dominant[pair_pipe[first]] = pair_code[first]
            out[name] = pd.Categorical.from_codes(dominant, categories=categories)
    return pd.DataFrame(out, index=pd.Index(pipes["pipe_id"], name="pipe_id"))


def clean_name(name) -> str:
    """A column name or value of the data as part of a feature name: lower-case ASCII
    letters, digits and underscores, accents taken off the letters (not the letters off).

    >>> clean_name("agressivité"), clean_name("Résistivité (ohm.cm)"), clean_name("PLOMB")
    ('agressivite', 'resistivite_ohm_cm', 'plomb')
    """
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", ascii_name.lower()).strip("_") or "value"


def source_names(data) -> dict[str, str]:
    """Feature name -> the data's own name it comes from, for the features named after the
    utility's columns or values: ``soil_agressivite`` -> ``agressivité``, ``weather_rr_mean``
    -> ``RR``, ``welds_grade_mauvais`` -> ``MAUVAIS``. Reasons use them to speak the
    utility's words (:mod:`risk.explain`); features themselves use :func:`clean_name`.
    """
    out: dict[str, str] = {}
    if data.soils is not None and len(data.soils):
        for column in soil_property_columns(data.soils)[0]:
            out.setdefault("soil_" + clean_name(column), str(column))
    if data.weather is not None and len(data.weather):
        for column in weather_measure_columns(data.weather):
            out.setdefault(f"weather_{clean_name(column)}_mean", str(column))
    welds = data.welds
    if welds is not None and len(welds) and "grade" in welds:
        for grade in welds["grade"].dropna().astype(str).unique():
            out.setdefault("welds_grade_" + clean_name(grade), grade)
    return out


def _detect_frequency(dates: pd.Series) -> str:
    days = pd.Series(pd.to_datetime(dates).drop_duplicates().sort_values()).diff().dt.days
    return "monthly" if days.median() >= 27 else "daily"


def _weather_roles(weather: pd.DataFrame, override: Mapping[str, str] | None) -> dict[str, str]:
    """Which column holds tmin, tmax, tmean and precipitation (when recognised)."""
    roles = {}
    for column in sorted(weather_measure_columns(weather), reverse=True):
        role = weather_role(column)
        if role is not None:
            roles[role] = column  # the first column of each role in sorted order wins
    for role, column in (override or {}).items():
        if role not in _WEATHER_ROLE_PATTERNS:
            raise ValueError(
                f"weather_columns: unknown role {role!r}; use {sorted(_WEATHER_ROLE_PATTERNS)}"
            )
        if column not in weather:
            raise ValueError(
                f"weather_columns: column {column!r} for {role!r} is not in the weather table "
                f"(columns: {', '.join(map(str, weather.columns))})"
            )
        roles[role] = column
    return roles


def weather_role(column) -> str | None:
    """What a weather column measures, from its name: ``"tmin"``, ``"tmax"``, ``"tmean"``
    (temperatures), ``"precip"`` (precipitation), or None when the name is not recognised.
    The freeze-thaw, freezing-index and dry-summer features are computed from these roles.

    >>> weather_role("TN"), weather_role("precip_mm"), weather_role("RR"), weather_role("wind")
    ('tmin', 'precip', 'precip', None)
    """
    name = str(column).lower()
    for role, pattern in _WEATHER_ROLE_PATTERNS.items():
        if re.match(pattern, name):
            return role
    return None


def weather_measure_columns(weather: pd.DataFrame) -> list[str]:
    """The weather columns summarised into features (``weather_<column>_mean``): every
    numeric column but the date, the station and calendar fields (year, month, ...)."""
    return [
        c
        for c in weather.columns
        if c != "date"
        and str(c).lower() not in _CALENDAR_COLUMNS
        and pd.api.types.is_numeric_dtype(weather[c])
        and not pd.api.types.is_bool_dtype(weather[c])
    ]


def _summarise_weather(
    weather: pd.DataFrame,
    as_of: pd.Timestamp,
    years: int,
    frequency: str,
    roles: dict[str, str],
) -> pd.Series:
    """Weather summary over ``[as_of - years, as_of)``: means and derived indices."""
    dates = pd.to_datetime(weather["date"])
    if frequency == "monthly":
        period_end = dates + pd.offsets.MonthBegin(1)
        known = period_end <= as_of
        days = dates.dt.days_in_month.to_numpy(float)
    else:
        known = dates < as_of
        days = np.ones(len(weather))
    start = as_of - pd.DateOffset(years=years)
    window = known & (dates >= start)
    columns = weather_measure_columns(weather)
    recent = weather.loc[window, columns].astype(float)
    out = {f"weather_{clean_name(c)}_mean": recent[c].mean() for c in columns}
    w_days = days[window.to_numpy()]
    n_years = w_days.sum() / _DAYS_PER_YEAR if len(recent) else np.nan
    tmin = recent[roles["tmin"]].to_numpy() if "tmin" in roles else None
    tmax = recent[roles["tmax"]].to_numpy() if "tmax" in roles else None
    if "tmean" in roles:
        tmean = recent[roles["tmean"]].to_numpy()
    elif tmin is not None and tmax is not None:
        tmean = (tmin + tmax) / 2.0
    else:
        tmean = None
    if tmin is not None and tmax is not None:
        # Daily input: days with a frost and a thaw. Monthly input: months whose mean
        # minimum is below and mean maximum above 0 degC (a coarser proxy).
        crossing = ((tmin < 0) & (tmax > 0)).astype(float)
        unit = "months" if frequency == "monthly" else "days"
        out[f"weather_freeze_thaw_{unit}_per_year"] = (
            np.nansum(crossing) / n_years if len(recent) else np.nan
        )
    if tmean is not None:
        degree_days = np.maximum(-tmean, 0.0) * w_days
        out["weather_freezing_index_degree_days_per_year"] = (
            np.nansum(degree_days) / n_years if len(recent) else np.nan
        )
    if "precip" in roles:
        out["weather_dry_summer_index"] = _dry_summer_index(
            dates[known], weather.loc[known, roles["precip"]].astype(float), start
        )
    return pd.Series(out, dtype=float)


def _dry_summer_index(dates: pd.Series, precip: pd.Series, start: pd.Timestamp) -> float:
    """Mean relative summer rainfall deficit of the window's summers (positive = drier).

    Each summer's (June-August) precipitation is compared with the mean summer
    precipitation of every complete summer known before the as-of date.
    """
    summer = dates.dt.month.isin(_SUMMER_MONTHS).to_numpy()
    if not summer.any():
        return np.nan
    per_year = (
        pd.Series(precip.to_numpy()[summer])
        .groupby(dates.dt.year.to_numpy()[summer])
        .agg(["sum", "count"])
    )
    complete = per_year["count"] >= per_year["count"].max()
    totals = per_year.loc[complete, "sum"]
    if totals.empty or totals.mean() <= 0:
        return np.nan
    recent = totals[totals.index >= start.year]
    if recent.empty:
        return np.nan
    return float((1.0 - recent / totals.mean()).mean())


def _nearest_station(pipes: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> np.ndarray:
    """``station_id`` of the station nearest to the middle of each pipe, row by row (the
    smallest ``station_id`` among equally near ones; missing for a pipe without geometry)."""
    middle = shapely.line_interpolate_point(np.asarray(pipes.geometry.values), 0.5, normalized=True)
    stations = stations.to_crs(pipes.crs) if stations.crs != pipes.crs else stations
    station_id = stations["station_id"].reset_index(drop=True)
    rank = station_id.rank(method="dense").to_numpy()  # the order of sort_values
    tree = shapely.STRtree(np.asarray(stations.geometry.values))  # only read by the threads

    def nearest(start: int, points: np.ndarray) -> tuple[np.ndarray, ...]:
        (pipe_pos, station_pos), distance = tree.query_nearest(
            points, all_matches=True, return_distance=True
        )
        return pipe_pos + start, station_pos, distance

    pipe_pos, station_pos, distance = map_chunks(nearest, middle)
    order = np.lexsort((rank[station_pos], distance, pipe_pos))
    first = order[np.diff(pipe_pos[order], prepend=-1) != 0]  # the nearest of each pipe
    out = np.full(len(pipes), None, dtype=object)
    out[pipe_pos[first]] = station_id.to_numpy(dtype=object)[station_pos[first]]
    return out


def _outcome_features(
    outcomes: pd.DataFrame, pipes: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Inspections before ``as_of`` per pipe, leaks they found and years since the last one."""
    missing = [c for c in ("pipe_id", "date") if c not in outcomes]
    if missing:
        raise ValueError(
            f"outcomes: missing column(s) {', '.join(missing)}; inspection outcomes need "
            "pipe_id, date and optionally leak_found (true/false)"
        )
    dates = pd.to_datetime(outcomes["date"])
    before = (dates < as_of).to_numpy()
    n = len(pipes)
    pos = positions(pipes["pipe_id"], outcomes["pipe_id"])
    ok = before & (pos >= 0)
    found = (
        outcomes["leak_found"].astype("boolean").fillna(False).to_numpy(bool)
        if "leak_found" in outcomes
        else np.zeros(len(outcomes), dtype=bool)
    )
    age = ((as_of - dates).dt.days / _DAYS_PER_YEAR).to_numpy()
    last = np.full(n, np.inf)
    np.minimum.at(last, pos[ok], age[ok])
    return pd.DataFrame(
        {
            "inspections_total": np.bincount(pos[ok], minlength=n).astype(float),
            "inspection_leaks_found": np.bincount(pos[ok & found], minlength=n).astype(float),
            "years_since_last_inspection": np.where(np.isfinite(last), last, np.nan),
        }
    )
