"""Steps across layers: one CRS for all, breaks following merged segments, and the warnings about breaks and soils."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.contract import (
    Findings,
)
from risk.geometry import has_shape, map_chunks, working_crs
from risk.plausibility import (
    check_length_scale,
    check_length_unit,
    id_format_hint,
    record_dates,
    warn_length_mismatch,
)
from risk.report import gap_words, record_gap_years, records_complete_from
from risk.validate import of_total


def follow_merged(records: pd.DataFrame, merged_ids: dict[str, str]) -> pd.DataFrame:
    """Records reported on a short segment merged into its neighbour follow it there."""
    if not merged_ids:
        return records
    records = records.copy()
    records["reported_pipe_id"] = records["reported_pipe_id"].replace(merged_ids)
    return records


def unify_crs(layers: dict, files: dict, findings: Findings) -> str | None:
    """Bring every geometry to one projected CRS (the pipes', else the first layer's).

    A geometry that cannot be expressed in that CRS (infinite coordinates) is an error
    naming the layer and its rows, never stored.
    """
    geo = [
        (name, t)
        for name, t in layers.items()
        if isinstance(t, gpd.GeoDataFrame) and t.crs is not None
    ]
    if not geo:
        return None
    name, first = next(((n, t) for n, t in geo if n == "pipes"), geo[0])
    target = working_crs(first.crs, first.geometry)
    for name, table in geo:
        if table.crs != target:
            layers[name] = table.to_crs(target)
            geoms = np.asarray(layers[name].geometry.values)
            located = has_shape(geoms)
            bad = np.zeros(len(geoms), dtype=bool)
            bad[located] = ~np.isfinite(shapely.bounds(geoms[located])).all(axis=1)
            if bad.any():
                findings.error(
                    name,
                    str(files.get(name, name)),
                    "crs_mismatch",
                    f"{int(bad.sum()):,} geometries cannot be converted from {table.crs} to "
                    f"{target.name}: their coordinates do not fit the declared CRS",
                    "Check the layer's CRS at the source (QGIS: Layer > Set CRS)",
                    rows=layers[name].loc[bad, "_row"].to_numpy(),
                )
    pipes = layers.get("pipes")
    if isinstance(pipes, gpd.GeoDataFrame):
        from_geometry = pipes.geometry.length.where(~shapely.is_missing(pipes.geometry.values))
        check_length_unit(pipes["length_m"], from_geometry, str(files["pipes"]), findings)
        check_length_scale(pipes["length_m"], from_geometry, str(files["pipes"]), findings)
        warn_length_mismatch(pipes, from_geometry, str(files["pipes"]), findings)
        pipes["length_m"] = pipes["length_m"].fillna(from_geometry)
    epsg = target.to_epsg()
    return f"EPSG:{epsg}" if epsg else target.to_wkt()


def warn_breaks(breaks, file, tolerance_m, findings: Findings, pipe_ids: pd.Series) -> None:
    dates = record_dates(breaks)
    per_year = dates.dt.year.dropna().astype(int).value_counts().sort_index()
    for year, gap in record_gap_years(dates, records_complete_from(per_year)).items():
        findings.warn(
            "breaks",
            file,
            "gap_year",
            f"{year}: {gap_words(gap)}: records lost in an export or a change of system?",
            f"The model leaves the outcomes of {year} out of its training. If {year} was "
            "truly calm, nothing to do; if records are missing, add them to the export",
        )
    warn_unlinked(breaks, "breaks", file, tolerance_m, findings, pipe_ids)
    warn_linked_otherwise(breaks, "breaks", file, tolerance_m, findings)
    linked = breaks["pipe_id"].notna()
    if not linked.any():
        # the ids on both sides, said here: this error alone is printed when it stops ingest
        given = (
            breaks["reported_pipe_id"].dropna().astype(str).unique()[:3]
            if "reported_pipe_id" in breaks
            else []
        )
        ids = (
            f" The breaks name pipes such as {', '.join(given)}; the inventory's ids read "
            f"{', '.join(pd.Series(pipe_ids).dropna().astype(str).unique()[:3])}."
            if len(given)
            else f" No break names a pipe_id, and none lies within {tolerance_m:g} m of a pipe."
        )
        findings.error(
            "breaks",
            file,
            "no_break_linked",
            f"none of the {len(breaks):,} breaks could be linked to a pipe of the inventory: "
            f"the model would learn from no failure.{ids}",
            "Check that the breaks' pipe_id column holds the inventory's ids (map it under "
            "[breaks.columns] in the mapping file), or give the breaks a location (x and y, "
            "or a geometry) so that they link to the nearest pipe",
            rows=breaks["_row"],  # all of them: "and 15 more" hid 478
        )


#: How a layer's records are named in the messages.
_RECORD_WORDS = {"breaks": "breaks", "welds": "weld/joint records"}


def warn_linked_otherwise(records, layer, file, tolerance_m, findings: Findings) -> None:
    """Name the records of ``layer`` linked to a pipe other than by the id as the inventory
    writes it: an id written otherwise (case, spaces, punctuation, leading zeros) that names
    exactly one pipe, or an id the inventory does not hold, linked by location."""
    what = _RECORD_WORDS.get(layer, "records")
    method = records["link_method"]
    alike = (method == "pipe_id_written_otherwise").to_numpy()
    if alike.any():
        first = records.loc[alike].iloc[0]
        findings.warn(
            layer,
            file,
            "pipe_id_written_otherwise",
            f"{int(alike.sum()):,} of {len(records):,} {what} give their pipe_id written "
            f"otherwise than the inventory (for example '{first['reported_pipe_id']}' for "
            f"{first['pipe_id']}: case, spaces, punctuation or leading zeros differ, as when a "
            "spreadsheet turns ids into numbers); each names exactly one pipe and is linked to it",
            "Nothing to do if these are the same pipes; to be sure, write the ids as the "
            "inventory does at the source",
            rows=records.loc[alike, "_row"],
        )
    by_place = ((method == "nearest") & records["reported_pipe_id"].notna()).to_numpy()
    if by_place.any():
        first = records.loc[by_place].iloc[0]
        distance = records.loc[by_place, "link_distance_m"]
        findings.warn(
            layer,
            file,
            "not_in_inventory_linked_by_location",
            f"{int(by_place.sum()):,} of {len(records):,} {what} give a pipe_id the inventory "
            f"does not hold (for example '{first['reported_pipe_id']}'); they are linked to the "
            f"nearest pipe of their location instead (within {tolerance_m:g} m; median "
            f"{distance.median():,.0f} m)",
            f"Check that the inventory and the {what} come from the same export: a pipe "
            "renumbered since keeps its history only under the same id",
            rows=records.loc[by_place, "_row"],
        )


def warn_unlinked(records, layer, file, tolerance_m, findings: Findings, pipe_ids) -> None:
    """One warning per reason a record of ``layer`` (breaks, welds) is not linked to a pipe,
    in words (:data:`risk.link.UNLINKED_REASONS`), with a hint when ids are written
    otherwise than the inventory's."""
    from risk.link import UNLINKED_REASONS

    unlinked = records["pipe_id"].isna()
    if not unlinked.any():
        return
    what = _RECORD_WORDS.get(layer, "records")
    for reason, count in records.loc[unlinked, "unlinked_reason"].value_counts().items():
        mask = unlinked & (records["unlinked_reason"] == reason)
        text = UNLINKED_REASONS.get(reason, reason)
        if reason in ("not_in_inventory", "not_in_inventory_no_geometry"):
            reported = records.loc[mask, "reported_pipe_id"]
            text += f" (for example {', '.join(reported.dropna().astype(str).unique()[:3])})"
            text += id_format_hint(reported, pipe_ids)
        if reason == "future_date":
            text += (
                " (for example "
                + ", ".join(
                    records.loc[mask, "date"].dt.strftime("%Y-%m-%d").drop_duplicates().head(3)
                )
                + ")"
            )
        if reason == "too_far":
            nearest = records.loc[mask, "link_distance_m"]
            span = f"{nearest.min():,.0f}" + (
                f"-{nearest.max():,.0f}" if nearest.max() > nearest.min() + 0.5 else ""
            )
            text += f" ({tolerance_m:g} m; nearest pipe at {span} m)"
        findings.warn(
            layer,
            file,
            f"unlinked_{reason}",
            f"{of_total(count, len(records), what)} not linked to a pipe because {text}",
            "They are kept in the workspace but are not part of any pipe's history",
            rows=records.loc[mask, "_row"],
        )


def warn_outside_soils(pipes, soils, file, findings: Findings) -> None:
    geoms = np.asarray(pipes.geometry.values)
    located = has_shape(geoms)
    in_soil = np.zeros(len(pipes), dtype=bool)
    tree = shapely.STRtree(np.asarray(soils.geometry.values))  # only read by the threads

    def hits(start: int, chunk: np.ndarray) -> tuple[np.ndarray]:
        return (tree.query(chunk, predicate="intersects")[0] + start,)

    (hit,) = map_chunks(hits, geoms)
    in_soil[hit] = True
    outside = located & ~in_soil
    if outside.any():
        findings.warn(
            "soils",
            file,
            "outside_soils",
            f"{of_total(int(outside.sum()), int(located.sum()), 'pipes')} outside every soil "
            f"polygon (for example {', '.join(pipes.loc[outside, 'pipe_id'].head(3))}); "
            "their soil features are unknown",
            "Extend the soil layer to cover the whole network",
            rows=pipes.loc[outside, "_row"],
        )
