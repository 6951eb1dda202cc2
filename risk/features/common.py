"""What every feature group shares: the as-of date, pipes in service, failure counts, the prepared pipe and break tables, stable sampling, and inspection outcomes before a date."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from risk.geometry import has_shape
from risk.utility import UtilityData

#: Default radius around a pipe within which failures of other pipes are counted, in metres.
DEFAULT_NEIGHBOUR_RADIUS_M = 100.0


#: Default number of years of weather before the as-of date that features summarise.
DEFAULT_WEATHER_YEARS = 5


#: Default windows, in years before the as-of date, of the recent-failure counts.
DEFAULT_FAILURE_WINDOWS_YEARS = (1, 3, 5, 10)


DAYS_PER_YEAR = 365.25


def in_service(pipes: pd.DataFrame, as_of) -> pd.Series:
    """Boolean mask of pipes in service at ``as_of`` (see the module docstring for the rule).

    Pipes with an unknown install year are kept: they are in the ground today.
    """

    def years(column: str) -> np.ndarray | None:
        if column not in pipes:
            return None
        return pipes[column].astype("Float64").to_numpy(float, na_value=np.nan)

    mask = service_mask(years("install_year"), years("removed_year"), to_timestamp(as_of))
    return pd.Series(mask, index=pipes.index)


def service_mask(install: np.ndarray, removed: np.ndarray | None, as_of) -> np.ndarray:
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


def positions_among(rows: np.ndarray, pipe_pos: np.ndarray, n_rows: int) -> np.ndarray:
    """Position among ``pipe_pos`` of each of ``rows`` (both rows of a table of ``n_rows``
    rows; -1 in ``rows`` for none), -1 when it is not among them."""
    among = np.full(n_rows + 1, -1)  # the last slot answers the rows -1
    among[pipe_pos] = np.arange(len(pipe_pos))
    return among[rows]


def in_service_categories(
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


def break_points(data: UtilityData, pipes: pd.DataFrame) -> gpd.GeoDataFrame:
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
    located = has_shape(points.geometry)
    return points[located] if len(points) else empty


def break_locations(breaks: pd.DataFrame, pipes: pd.DataFrame) -> np.ndarray:
    """Each break's own point, else the middle of its pipe; None when neither is known."""
    if isinstance(breaks, gpd.GeoDataFrame):
        geometry = breaks.geometry.to_numpy().copy()
        missing = ~has_shape(geometry)
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


def outcome_features(
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
    age = ((as_of - dates).dt.days / DAYS_PER_YEAR).to_numpy()
    last = np.full(n, np.inf)
    np.minimum.at(last, pos[ok], age[ok])
    return pd.DataFrame(
        {
            "inspections_total": np.bincount(pos[ok], minlength=n).astype(float),
            "inspection_leaks_found": np.bincount(pos[ok & found], minlength=n).astype(float),
            "years_since_last_inspection": np.where(np.isfinite(last), last, np.nan),
        }
    )
