"""Link breaks and welds to pipes: by ``pipe_id``, else to the nearest pipe within a tolerance.

Nothing is dropped: a record that cannot be linked keeps ``pipe_id`` missing and
says why in ``unlinked_reason``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.features.common import positions
from risk.geometry import has_shape
from risk.plausibility.columns import written_alike

#: Why a record is not linked to a pipe of the inventory.
UNLINKED_REASONS = {
    "not_in_inventory": "its pipe_id is not in the pipe inventory and it has no location",
    "not_in_inventory_no_geometry": (
        "its pipe_id is not in the inventory, and pipes have no geometry to link it by location"
    ),
    "excluded_pipe": "its pipe was left out by the mapping's exclude rule",
    "too_far": "no pipe within the link tolerance of its location",
    "no_location": "it has neither a pipe_id nor a location",
    "no_pipe_geometry": "it has no pipe_id, and pipes have no geometry to link it by location",
    "before_install": (
        "it is dated before its pipe was installed: it belonged to a pipe since replaced "
        "(the inventory is a survivor snapshot)"
    ),
    "after_removal": "it is dated after its pipe was removed",
    "no_date": "it has no date",
    "implausible_date": (
        "its date is before 1900 or a placeholder for an empty date (1899-12-30, 1899-12-31, "
        "1900-01-01 in spreadsheets, 1970-01-01 in databases)"
    ),
    "future_date": "it is dated after today (a mistyped year?)",
}


def link_to_pipes(
    records: pd.DataFrame,
    pipes: pd.DataFrame,
    *,
    tolerance_m: float,
    excluded_ids: set[str] | frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Return ``pipe_id``, ``link_method``, ``link_distance_m``, ``unlinked_reason`` per record.

    A record's ``reported_pipe_id`` links it when the inventory holds it, or holds exactly
    one id written alike (``link_method`` "pipe_id_written_otherwise": case, spaces,
    punctuation or leading zeros differ, as when a spreadsheet turns ids into numbers) and
    at least half of the ids the inventory lacks are so written (a way of writing them, not
    a chance look-alike of a pipe since removed); else its location links it to the
    nearest pipe within ``tolerance_m``.

    ``link_distance_m`` is the distance from a located record to the pipe it is linked to
    (by its ``pipe_id`` or as the nearest), or to the nearest pipe when none is close enough.

    Parameters
    ----------
    records : DataFrame or GeoDataFrame
        With ``reported_pipe_id`` (may be missing) and, optionally, point geometry
        in the same projected CRS as ``pipes``.
    pipes : DataFrame or GeoDataFrame
        Canonical pipes, with geometry when available.
    tolerance_m : float
        Largest distance in metres from a record's location to the pipe it links to.
    excluded_ids : set of str
        Pipe ids removed by the mapping; their records stay unlinked.
    """
    index = records.index
    reported = records["reported_pipe_id"]
    known = pd.Series(
        (positions(pipes["pipe_id"], reported) >= 0) & reported.notna().to_numpy(), index=index
    )
    excluded = reported.isin(list(excluded_ids)).fillna(False).astype(bool)
    # an id the inventory writes otherwise ('p 0001' for 'P-0001', '502' for '000502')
    alike = pd.Series(pd.NA, index=index, dtype="string")
    maybe = (~known & reported.notna() & ~excluded).to_numpy()
    if maybe.any():
        alike[maybe] = written_alike(reported[maybe], pipes["pipe_id"]).to_numpy()
    if 2 * alike.notna().sum() < maybe.sum():
        # a few look-alikes among many ids the inventory lacks (pipes since removed): chance,
        # not a way of writing the ids; they stay unlinked (the report names them)
        alike[:] = pd.NA
    loose = alike.notna()
    method = np.where(known, "pipe_id", np.where(loose, "pipe_id_written_otherwise", "unlinked"))
    out = pd.DataFrame(
        {
            "pipe_id": reported.where(known).astype("string").fillna(alike),
            "link_method": pd.Series(method, index=index),
            "link_distance_m": np.nan,
            "unlinked_reason": pd.Series(pd.NA, index=index, dtype="string"),
        },
        index=index,
    )
    known = known | loose
    record_has_point = isinstance(records, gpd.GeoDataFrame)
    if record_has_point:
        has_point = has_shape(records.geometry)
    else:
        has_point = pd.Series(False, index=index)
    pipes_have_geometry = isinstance(pipes, gpd.GeoDataFrame)

    if record_has_point and isinstance(pipes, gpd.GeoDataFrame):
        # a record linked by its pipe_id and located too: how far from that pipe it lies
        by_id = (known & has_point).to_numpy()
        if by_id.any():
            pos = positions(pipes["pipe_id"], out["pipe_id"][by_id])
            lines = np.asarray(pipes.geometry.values)[pos]
            points = np.asarray(records.geometry.values)[by_id]
            out.loc[by_id, "link_distance_m"] = shapely.distance(points, lines)
    todo = ~known & ~excluded
    out.loc[excluded, "unlinked_reason"] = "excluded_pipe"
    by_location = todo & has_point
    if pipes_have_geometry and by_location.any():
        nearest = _nearest(records.loc[by_location], pipes)
        close = nearest["distance_m"] <= tolerance_m
        hit = nearest.index[close]
        out.loc[hit, "pipe_id"] = nearest.loc[hit, "pipe_id"].astype("string")
        out.loc[hit, "link_method"] = "nearest"
        out.loc[nearest.index, "link_distance_m"] = nearest["distance_m"]
        out.loc[nearest.index[~close], "unlinked_reason"] = "too_far"
    elif by_location.any():
        reason = np.where(
            reported[by_location].notna(), "not_in_inventory_no_geometry", "no_pipe_geometry"
        )
        out.loc[by_location, "unlinked_reason"] = reason
    no_point = todo & ~has_point
    out.loc[no_point & reported.notna(), "unlinked_reason"] = "not_in_inventory"
    out.loc[no_point & reported.isna(), "unlinked_reason"] = "no_location"
    return out


def _nearest(points: gpd.GeoDataFrame, pipes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Nearest pipe and distance in metres for each point (ties broken by pipe_id)."""
    left = gpd.GeoDataFrame({"_key": points.index}, geometry=points.geometry.values, crs=points.crs)
    right = pipes[["pipe_id", "geometry"]]
    right = right[has_shape(right.geometry)]
    joined = gpd.sjoin_nearest(left, right, how="left", distance_col="distance_m")
    joined = joined.sort_values(["_key", "distance_m", "pipe_id"]).drop_duplicates("_key")
    return joined.set_index("_key")[["pipe_id", "distance_m"]].reindex(points.index)


def unlink_by_date(links: pd.DataFrame, dates: pd.Series, pipes: pd.DataFrame) -> pd.DataFrame:
    """Unlink breaks dated before their pipe's install year or after its removal."""
    links = links.copy()
    pos = positions(pipes["pipe_id"], links["pipe_id"])  # -1 when not linked
    install_years = pipes["install_year"].astype("Float64").array
    removed_years = pipes["removed_year"].astype("Float64").array
    install = pd.Series(install_years.take(pos, allow_fill=True), index=links.index)
    removed = pd.Series(removed_years.take(pos, allow_fill=True), index=links.index)
    linked = links["pipe_id"].notna()
    year = dates.dt.year.astype("Float64")
    before = (linked & (year < install)).fillna(False).astype(bool)
    after = (linked & (year > removed)).fillna(False).astype(bool)
    no_date = dates.isna()
    for mask, reason in (
        (before, "before_install"),
        (after, "after_removal"),
        (no_date, "no_date"),
    ):
        mask = mask & links["pipe_id"].notna()
        links.loc[mask, "unlinked_reason"] = reason
        links.loc[mask, "pipe_id"] = pd.NA
        links.loc[mask, "link_method"] = "unlinked"
    no_date_unlinked = no_date & links["unlinked_reason"].isna()
    links.loc[no_date_unlinked, "unlinked_reason"] = "no_date"
    return links


def unlink_implausible_dates(
    links: pd.DataFrame, implausible: pd.Series, reason: str = "implausible_date"
) -> pd.DataFrame:
    """Unlink records whose date is implausible (see :mod:`risk.plausibility`), for
    ``reason`` (a key of :data:`UNLINKED_REASONS`); kept."""
    links = links.copy()
    mask = implausible.reindex(links.index, fill_value=False).astype(bool)
    links.loc[mask, "unlinked_reason"] = reason
    links.loc[mask, "pipe_id"] = pd.NA
    links.loc[mask, "link_method"] = "unlinked"
    return links
