"""Ingestion: read a utility folder, check it against the data contract, link records.

>>> data = read_utility("my-utility", mapping="my-utility/mapping.toml")  # doctest: +SKIP
>>> data.pipes.head()  # doctest: +SKIP

Every problem is collected before anything is raised, so one run lists all that
must be fixed. Fatal problems raise :class:`risk.contract.DataContractError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk import clock
from risk.contract import (
    BREAK_COLUMNS,
    DEFAULT_LINK_TOLERANCE_M,
    EARLIEST_PLAUSIBLE_INSTALL_YEAR,
    LAYERS,
    PIPE_COLUMNS,
    PLAUSIBLE_DIAMETER_MM,
    STATION_COLUMNS,
    SUPPORTED_EXTENSIONS,
    WELD_COLUMNS,
    DataContractError,
    Findings,
    Problem,
    shorten,
)
from risk.errors import InputError
from risk.features import weather_measure_columns
from risk.geometry import check_geometry, map_chunks, points_from_xy, working_crs
from risk.io import find_layer_file, read_layer
from risk.link import link_to_pipes, unlink_by_date, unlink_implausible_dates
from risk.mapping import LayerMapping, Mapping, read_mapping
from risk.plausibility import (
    MIN_SEGMENT_LENGTH_M,
    check_crs_fit,
    check_short_segments,
    check_weather,
    diameter_unit_problem,
    drop_duplicate_breaks,
    id_format_hint,
    implausible_break_dates,
)
from risk.report import build_report, gap_words, record_gap_years, records_complete_from
from risk.textrules import IDENTIFIER_HINT, identifier_problems
from risk.utility import UtilityData
from risk.validate import (
    canonical_materials,
    check_year_range,
    parse_bools,
    parse_dates,
    parse_ids,
    parse_numbers,
    parse_text,
    parse_years,
    rename_columns,
    require_columns,
    select_rows,
)
from risk.workspace import fingerprint

log = logging.getLogger(__name__)


def read_utility(
    folder: str | Path,
    *,
    mapping: str | Path | Mapping | None = None,
    link_tolerance_m: float = DEFAULT_LINK_TOLERANCE_M,
    repair_geometry: bool = False,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> UtilityData:
    """Read and validate a utility folder into canonical tables.

    Parameters
    ----------
    folder : path
        The utility's folder (see ``docs/data-contract.md``).
    mapping : path or Mapping, optional
        Mapping file; ``mapping.toml`` inside the folder is used when present.
    link_tolerance_m : float
        Largest distance in metres between a break (or weld) location and the pipe
        it is linked to when it has no usable ``pipe_id``.
    repair_geometry : bool
        Repair invalid geometries and drop empty ones instead of failing.
    strict : bool
        Treat every warning as fatal.
    progress : callable, optional
        Called with the name of each step as it starts (the CLI draws a progress bar).

    Returns
    -------
    UtilityData
        With the data-quality report in ``meta["report"]``.

    Raises
    ------
    DataContractError
        Listing every fatal problem (file, rows, what was expected, how to fix).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataContractError(
            [
                Problem(
                    "error",
                    "folder",
                    str(folder),
                    "missing_folder",
                    "not a folder",
                    "Give the folder that holds pipes.* (and breaks.*, soils.*, ...)",
                )
            ]
        )
    if mapping is None and (folder / "mapping.toml").is_file():
        mapping = folder / "mapping.toml"
    if not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    if link_tolerance_m <= 0:
        raise InputError(
            f"link_tolerance_m (--link-tolerance-m) must be > 0 metres. Got {link_tolerance_m} "
            "instead."
        )

    step = progress or (lambda name: None)
    findings = Findings()
    files: dict[str, Path] = {}
    raw: dict[str, pd.DataFrame] = {}
    for layer in LAYERS:
        lm = mapping.layer(layer)
        path = find_layer_file(folder, layer, lm, findings)
        if path is None:
            continue
        files[layer] = path
        step(f"read {layer}")
        table = read_layer(path, layer, lm, findings)
        if table is None:
            continue
        if len(table) == 0:
            severity = findings.error if layer == "pipes" else findings.warn
            fix = "Export it again with its rows: the file holds only the column names"
            severity(layer, str(path), "no_rows", "the file has a header but no rows", fix)
            if layer == "pipes":
                continue
        table = table.reset_index(drop=True)
        table["_row"] = np.arange(1, len(table) + 1)
        raw[layer] = table
    if "pipes" not in files:
        findings.error(
            "pipes",
            str(folder),
            "missing_file",
            "no pipe inventory found (looked for pipes" + "/".join(SUPPORTED_EXTENSIONS) + ")",
            "Add pipes.gpkg, pipes.csv, ... or name your file under [pipes] file = ... "
            "in a mapping file",
        )

    layers: dict[str, pd.DataFrame | None] = {}
    excluded_ids: set[str] = set()
    for layer, table in raw.items():
        lm = mapping.layer(layer)
        file = str(files[layer])
        step(f"check {layer}")
        if layer == "pipes":
            layers[layer], excluded_ids = _pipes(table, file, lm, findings, repair_geometry)
        else:
            layers[layer] = _READERS[layer](table, file, lm, findings, repair_geometry)

    check_crs_fit(layers, files, findings)
    crs = _unify_crs(layers, files, findings)
    findings.raise_if_errors()
    pipes_lm = mapping.layer("pipes")
    pipes, merged_ids = check_short_segments(
        layers["pipes"],
        str(files["pipes"]),
        findings,
        min_length_m=pipes_lm.min_length_m or MIN_SEGMENT_LENGTH_M,
        action=pipes_lm.short_segments,
    )

    breaks = layers.get("breaks")
    if breaks is None:
        breaks = _empty_breaks()
    if len(breaks):
        step("link breaks")
        breaks = drop_duplicate_breaks(
            breaks,
            str(files["breaks"]),
            findings,
            keep=mapping.layer("breaks").duplicates == "keep",
        )
        breaks = _follow_merged(breaks, merged_ids)
        links = link_to_pipes(
            breaks, pipes, tolerance_m=link_tolerance_m, excluded_ids=excluded_ids
        )
        links = unlink_by_date(links, breaks["date"], pipes)
        links = unlink_implausible_dates(links, implausible_break_dates(breaks["date"]))
        breaks = breaks.drop(columns=["pipe_id"], errors="ignore").join(links)
        _warn_breaks(breaks, str(files["breaks"]), link_tolerance_m, findings, pipes["pipe_id"])
    welds = layers.get("welds")
    if welds is not None and len(welds):
        welds = _follow_merged(welds, merged_ids)
        links = link_to_pipes(welds, pipes, tolerance_m=link_tolerance_m, excluded_ids=excluded_ids)
        welds = welds.join(links.drop(columns="link_distance_m"))
        unlinked = welds["pipe_id"].isna()
        if unlinked.any():
            findings.warn(
                "welds",
                str(files["welds"]),
                "unlinked",
                f"{int(unlinked.sum()):,} of {len(welds):,} weld/joint records are not linked to "
                f"a pipe: {welds.loc[unlinked, 'unlinked_reason'].value_counts().to_dict()}",
                rows=welds.loc[unlinked, "_row"].to_numpy(),
            )
    soils = layers.get("soils")
    if soils is not None and isinstance(pipes, gpd.GeoDataFrame):
        step("overlay soils")
        _warn_outside_soils(pipes, soils, str(files["soils"]), findings)

    weather = layers.get("weather")
    frequency = None
    if weather is not None:
        stations = layers.get("stations")
        weather = check_weather(
            weather,
            str(files["weather"]),
            findings,
            missing_values=mapping.layer("weather").missing_values,
            station_ids=None if stations is None else stations["station_id"],
        )
        frequency = _weather_frequency(weather)

    if strict and findings.warnings:
        raise DataContractError(
            [
                Problem(**{**p.to_dict(), "severity": "error", "rows": tuple(p.rows)})
                for p in findings.warnings
            ]
        )

    data = UtilityData(
        pipes=pipes,
        breaks=breaks,
        soils=soils,
        weather=weather,
        stations=layers.get("stations"),
        welds=welds,
        crs=crs,
        weather_frequency=frequency,
    )
    data.meta["report"] = build_report(
        data,
        folder=folder,
        files=files,
        mapping=mapping,
        problems=findings.problems,
        ignored_columns=findings.ignored_columns,
        link_tolerance_m=link_tolerance_m,
    )
    data.meta["records_complete_from"] = data.meta["report"]["breaks"].get("records_complete_from")
    data.meta["records_gap_years"] = sorted(
        int(y) for y in data.meta["report"]["breaks"].get("gap_years", {})
    )
    inputs = list(files.values()) + ([Path(mapping.source)] if mapping.source else [])
    data.meta["fingerprint"] = fingerprint(inputs)
    data.meta["source"] = str(folder)
    _drop_row_numbers(data)
    return data


# --- layers -----------------------------------------------------------------------------


def _pipes(table, file, lm: LayerMapping, findings: Findings, repair: bool):
    table = select_rows(table, "pipes", file, lm, findings)
    table = rename_columns(table, PIPE_COLUMNS, "pipes", file, lm, findings)
    has_geometry = isinstance(table, gpd.GeoDataFrame)
    required = [c for c, (_, req) in PIPE_COLUMNS.items() if req]
    if not has_geometry:
        required.append("length_m")
    if not require_columns(table, required, "pipes", file, findings):
        _note_missing_crs(table, "pipes", file, lm, findings)
        if not has_geometry and "length_m" not in table:
            findings.problems[-1] = Problem(
                **{
                    **findings.problems[-1].to_dict(),
                    "fix": findings.problems[-1].fix
                    + ". length_m is required because the pipes have no geometry",
                    "rows": (),
                }
            )
        return None, set()
    out = pd.DataFrame({"_row": table["_row"].to_numpy()}, index=table.index)
    out["pipe_id"] = parse_ids(table, "pipe_id")
    unusable = identifier_problems(out["pipe_id"])
    if unusable.notna().any():
        first = unusable.notna().to_numpy().argmax()
        findings.error(
            "pipes",
            file,
            "bad_id",
            f"{int(unusable.notna().sum()):,} pipe_id values cannot be used as identifiers "
            f"(for example {shorten(out['pipe_id'].iloc[first])!r}, which "
            f"{unusable.iloc[first]}): field records, lists and exports name pipes by them",
            f"Use {IDENTIFIER_HINT} at the source",
            rows=out.loc[unusable.notna(), "_row"],
        )
    missing = out["pipe_id"].isna()
    if missing.any():
        findings.error(
            "pipes",
            file,
            "missing_values",
            f"{int(missing.sum()):,} pipes have no pipe_id",
            "Every pipe needs a unique identifier",
            rows=out.loc[missing, "_row"],
        )
    dup = out["pipe_id"].duplicated(keep=False) & ~missing
    if dup.any():
        first = out.loc[dup, "pipe_id"].iloc[0]
        first_rows = out.loc[out["pipe_id"] == first, "_row"].tolist()
        findings.error(
            "pipes",
            file,
            "duplicate_id",
            f"{out.loc[dup, 'pipe_id'].nunique():,} pipe_id values appear more than once "
            f"({int(dup.sum()):,} rows; for example '{first}' on rows {first_rows})",
            "pipe_id must be unique: fix the duplicates at the source",
            rows=out.loc[dup, "_row"],
        )
    out["material"] = canonical_materials(table, "pipes", file, lm, findings)
    diameter = parse_numbers(table, "diameter_mm", "pipes", file, findings, unit=" (mm)")
    unit_problem = diameter_unit_problem(diameter)
    if unit_problem:
        findings.error(
            "pipes",
            file,
            "wrong_unit",
            f"diameter_mm must be in millimetres, but {unit_problem} (water mains are "
            "typically 50-600 mm)",
            "Convert the column to millimetres at the source (inches x 25.4, metres x 1000), "
            "or map the column that holds millimetres",
        )
    low, high = PLAUSIBLE_DIAMETER_MM
    odd = diameter.notna() & ((diameter < low) | (diameter > high))
    if odd.any():
        findings.warn(
            "pipes",
            file,
            "implausible_value",
            f"{int(odd.sum()):,} diameters are outside {low:g}-{high:g} mm (for example "
            f"{diameter[odd].head(3).tolist()}); they are treated as missing",
            "Check the unit (the contract wants millimetres)",
            rows=out.loc[odd, "_row"],
        )
    out["diameter_mm"] = diameter.mask(odd)
    years = parse_years(table, "install_year", "pipes", file, lm, findings)
    out["install_year"] = check_year_range(
        years,
        out,
        "install_year",
        "pipes",
        file,
        findings,
        earliest=EARLIEST_PLAUSIBLE_INSTALL_YEAR,
    )
    for column in ("diameter_mm", "install_year"):
        gap = out[column].isna()
        if gap.any():
            findings.warn(
                "pipes",
                file,
                "missing_values",
                f"{int(gap.sum()):,} pipes have no {column}",
                "The model treats them as unknown; fill them at the source if you can",
                rows=out.loc[gap, "_row"],
            )
    if "length_m" in table:
        out["length_m"] = parse_numbers(table, "length_m", "pipes", file, findings, unit=" (m)")
    else:
        out["length_m"] = np.nan
    if "pressure_zone" in table:
        out["pressure_zone"] = parse_text(table, "pressure_zone", lm)
    else:
        out["pressure_zone"] = pd.Series(pd.NA, index=out.index, dtype="string")
    if "road_segment_id" in table:  # optional: only kept when given
        out["road_segment_id"] = parse_text(table, "road_segment_id", lm)
    if "lined" in table:
        out["lined"] = parse_bools(table, "lined", "pipes", file, lm, findings)
    else:
        out["lined"] = pd.Series(pd.NA, index=out.index, dtype="boolean")
    if "removed_year" in table:
        out["removed_year"] = parse_years(table, "removed_year", "pipes", file, lm, findings)
    else:
        out["removed_year"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    order = (out["removed_year"] < out["install_year"]).fillna(False).astype(bool)
    if order.any():
        findings.warn(
            "pipes",
            file,
            "implausible_value",
            f"{int(order.sum()):,} pipes were removed before they were installed",
            rows=out.loc[order, "_row"],
        )

    out, excluded = _exclude(out, "pipes", file, lm, findings)
    if has_geometry:
        geo = gpd.GeoDataFrame(out, geometry=table.geometry.loc[out.index], crs=table.crs)
        geo = check_geometry(geo, "pipes", file, lm, findings, kinds=("LineString",), repair=repair)
        if geo is None:
            return None, excluded
        out = geo
    return out, excluded


def _note_missing_crs(table, layer: str, file: str, lm: LayerMapping, findings: Findings) -> None:
    """When a layer is refused early (columns), still say that its CRS is missing too, so that
    one run lists everything to fix."""
    if isinstance(table, gpd.GeoDataFrame) and table.crs is None and not lm.crs:
        findings.error(
            layer,
            file,
            "missing_crs",
            "the layer has geometry but no coordinate reference system (CRS): for a shapefile, "
            "the .prj file is missing",
            "Export the layer again with its .prj, or give the CRS under "
            f'[{layer}] in the mapping file, e.g. crs = "EPSG:2154"',
        )


def _exclude(out: pd.DataFrame, layer: str, file: str, lm: LayerMapping, findings: Findings):
    excluded: set[str] = set()
    for column, values in lm.exclude.items():
        if column not in out:
            findings.error(
                layer,
                file,
                "mapping",
                f"the mapping's exclude rule names '{column}', which is not a contract column",
                f"exclude rules use contract names ({', '.join(c for c in out if c != '_row')})",
            )
            continue
        hit = out[column].astype("string").isin([str(v) for v in values]).fillna(False)
        hit = hit.astype(bool)
        if hit.any():
            findings.warn(
                layer,
                file,
                "excluded",
                f"{int(hit.sum()):,} rows left out by the mapping rule exclude {column} in "
                f"{values}",
                rows=out.loc[hit, "_row"],
            )
            if "pipe_id" in out:
                excluded |= set(out.loc[hit, "pipe_id"].dropna())
            out = out[~hit]
    return out, excluded


def _located(table, layer, file, lm, findings, repair, *, kinds=("Point",)):
    """Geometry of a point layer from its geometry or from x/y columns, or None."""
    if isinstance(table, gpd.GeoDataFrame):
        return check_geometry(table, layer, file, lm, findings, kinds=kinds, repair=repair)
    if "x" in table and "y" in table:
        return points_from_xy(table, layer, file, lm, findings)
    return None


def _breaks(table, file, lm, findings, repair):
    table = select_rows(table, "breaks", file, lm, findings)
    table = rename_columns(table, BREAK_COLUMNS, "breaks", file, lm, findings)
    if not require_columns(table, ["date"], "breaks", file, findings):
        _note_missing_crs(table, "breaks", file, lm, findings)
        return None
    has_location = isinstance(table, gpd.GeoDataFrame) or ("x" in table and "y" in table)
    if "pipe_id" not in table and not has_location:
        findings.error(
            "breaks",
            file,
            "missing_columns",
            "breaks need a pipe_id column or a location (geometry, or x and y columns)",
            'Map your pipe reference column: [breaks.columns] pipe_id = "YOUR_COLUMN"',
        )
        return None
    out = pd.DataFrame({"_row": table["_row"].to_numpy()}, index=table.index)
    if "break_id" in table:
        out["break_id"] = parse_ids(table, "break_id")
    else:
        out["break_id"] = pd.Series([f"B{i:07d}" for i in table["_row"]], index=table.index)
    out["break_id"] = out["break_id"].astype("string")
    out["date"] = parse_dates(table, "date", "breaks", file, lm, findings)
    out["reported_pipe_id"] = (
        parse_ids(table, "pipe_id")
        if "pipe_id" in table
        else pd.Series(pd.NA, index=table.index, dtype="string")
    )
    out["kind"] = (
        parse_text(table, "kind", lm).str.lower()
        if "kind" in table
        else pd.Series("break", index=table.index, dtype="string")
    )
    out["flow_m3_per_h"] = (
        parse_numbers(table, "flow_m3_per_h", "breaks", file, findings, unit=" (m3/h)")
        if "flow_m3_per_h" in table
        else np.nan
    )
    future = out["date"] > pd.Timestamp(clock.today())
    if future.any():
        findings.warn(
            "breaks",
            file,
            "future_date",
            f"{int(future.sum()):,} breaks are dated in the future (for example "
            f"{out.loc[future, 'date'].dt.date.head(3).tolist()})",
            "Correct the dates at the source",
            rows=out.loc[future, "_row"],
        )
    geo = table.drop(columns=[c for c in table.columns if c not in ("x", "y", "geometry", "_row")])
    if isinstance(table, gpd.GeoDataFrame):
        geo = gpd.GeoDataFrame(geo, geometry="geometry", crs=table.crs)
    located = _located(geo, "breaks", file, lm, findings, repair)
    if located is not None:
        out = gpd.GeoDataFrame(out, geometry=located.geometry.values, crs=located.crs)
    return out


def _soils(table, file, lm, findings, repair):
    table = select_rows(table, "soils", file, lm, findings)
    if not isinstance(table, gpd.GeoDataFrame):
        findings.error(
            "soils",
            file,
            "missing_geometry",
            "soils must be polygons with geometry (this file has none)",
            "Export the soil layer as GeoPackage, GeoJSON, Shapefile or GeoParquet",
        )
        return None
    return check_geometry(table, "soils", file, lm, findings, kinds=("Polygon",), repair=repair)


def _weather(table, file, lm, findings, repair):
    table = select_rows(table, "weather", file, lm, findings)
    table = rename_columns(
        table, {"date": ("date", True), "station_id": ("id", False)}, "weather", file, lm, findings
    )
    if not require_columns(table, ["date"], "weather", file, findings):
        return None
    out = pd.DataFrame({"_row": table["_row"].to_numpy()}, index=table.index)
    out["date"] = parse_dates(table, "date", "weather", file, lm, findings)
    if "station_id" in table:
        out["station_id"] = parse_ids(table, "station_id")
    dropped = []
    for column in table.columns:
        if column in ("date", "station_id", "_row", "geometry"):
            continue
        values = table[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[column] = values.astype("float64")
            continue
        text = values.astype("string").str.strip()
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        filled = text.notna() & (text != "")
        if filled.sum() and numbers[filled].notna().mean() >= 0.5:
            out[column] = parse_numbers(table, column, "weather", file, findings)
        else:
            dropped.append(column)
    if dropped:
        findings.warn(
            "weather",
            file,
            "dropped_columns",
            f"non-numeric columns ignored: {dropped}",
            "Weather columns must be numbers; list columns to ignore under [weather] drop",
        )
    # every numeric weather column becomes a feature: only the others are reported unread
    used = {str(c) for c in weather_measure_columns(out.drop(columns="_row"))}
    findings.ignored_columns["weather"] = [
        c for c in findings.ignored_columns.get("weather", []) if c not in used
    ]
    keys = ["station_id", "date"] if "station_id" in out else ["date"]
    dup = out.duplicated(keys, keep=False) & out["date"].notna()
    if dup.any():
        findings.error(
            "weather",
            file,
            "duplicate_id",
            f"{int(dup.sum()):,} rows repeat the same {' and '.join(keys)}",
            "Keep one row per date (per station)",
            rows=out.loc[dup, "_row"],
        )
    return out


def _stations(table, file, lm, findings, repair):
    table = select_rows(table, "stations", file, lm, findings)
    table = rename_columns(table, STATION_COLUMNS, "stations", file, lm, findings)
    if not require_columns(table, ["station_id"], "stations", file, findings):
        return None
    located = _located(table, "stations", file, lm, findings, repair)
    if located is None:
        findings.error(
            "stations",
            file,
            "missing_geometry",
            "stations need point geometry or x/y columns",
            "Export them as points with a CRS",
        )
        return None
    return gpd.GeoDataFrame(
        {"station_id": parse_ids(table, "station_id").to_numpy(), "_row": table["_row"].to_numpy()},
        geometry=located.geometry.values,
        crs=located.crs,
    )


def _welds(table, file, lm, findings, repair):
    table = select_rows(table, "welds", file, lm, findings)
    table = rename_columns(table, WELD_COLUMNS, "welds", file, lm, findings)
    has_location = isinstance(table, gpd.GeoDataFrame) or ("x" in table and "y" in table)
    if "pipe_id" not in table and not has_location:
        findings.error(
            "welds",
            file,
            "missing_columns",
            "welds need a pipe_id column or a location (geometry, or x and y columns)",
            'Map your pipe reference column: [welds.columns] pipe_id = "YOUR_COLUMN"',
        )
        return None
    out = pd.DataFrame({"_row": table["_row"].to_numpy()}, index=table.index)
    out["weld_id"] = (
        parse_ids(table, "weld_id")
        if "weld_id" in table
        else pd.Series([f"W{i:08d}" for i in table["_row"]], index=table.index, dtype="string")
    )
    out["reported_pipe_id"] = (
        parse_ids(table, "pipe_id")
        if "pipe_id" in table
        else pd.Series(pd.NA, index=table.index, dtype="string")
    )
    for column in ("kind", "grade", "condition"):
        out[column] = (
            parse_text(table, column, lm)
            if column in table
            else pd.Series(pd.NA, index=table.index, dtype="string")
        )
    out["year"] = (
        parse_years(table, "year", "welds", file, lm, findings)
        if "year" in table
        else pd.Series(pd.NA, index=table.index, dtype="Int64")
    )
    geo = table[[c for c in table.columns if c in ("x", "y", "geometry", "_row")]]
    if isinstance(table, gpd.GeoDataFrame):
        geo = gpd.GeoDataFrame(geo, geometry="geometry", crs=table.crs)
    located = _located(geo, "welds", file, lm, findings, repair)
    if located is not None:
        out = gpd.GeoDataFrame(out, geometry=located.geometry.values, crs=located.crs)
    return out


_READERS = {
    "breaks": _breaks,
    "soils": _soils,
    "weather": _weather,
    "stations": _stations,
    "welds": _welds,
}


# --- cross-layer steps --------------------------------------------------------------------


def _follow_merged(records: pd.DataFrame, merged_ids: dict[str, str]) -> pd.DataFrame:
    """Records reported on a short segment merged into its neighbour follow it there."""
    if not merged_ids:
        return records
    records = records.copy()
    records["reported_pipe_id"] = records["reported_pipe_id"].replace(merged_ids)
    return records


def _unify_crs(layers: dict, files: dict, findings: Findings) -> str | None:
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
            located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
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
        pipes["length_m"] = pipes["length_m"].fillna(from_geometry)
    epsg = target.to_epsg()
    return f"EPSG:{epsg}" if epsg else target.to_wkt()


def _warn_breaks(breaks, file, tolerance_m, findings: Findings, pipe_ids: pd.Series) -> None:
    from risk.link import UNLINKED_REASONS

    per_year = breaks["date"].dt.year.dropna().astype(int).value_counts().sort_index()
    for year, gap in record_gap_years(breaks["date"], records_complete_from(per_year)).items():
        findings.warn(
            "breaks",
            file,
            "gap_year",
            f"{year}: {gap_words(gap)}: records lost in an export or a change of system?",
            f"The model leaves the outcomes of {year} out of its training. If {year} was "
            "truly calm, nothing to do; if records are missing, add them to the export",
        )
    unlinked = breaks["pipe_id"].isna()
    if not unlinked.any():
        return
    for reason, count in breaks.loc[unlinked, "unlinked_reason"].value_counts().items():
        mask = unlinked & (breaks["unlinked_reason"] == reason)
        text = UNLINKED_REASONS.get(reason, reason)
        if reason in ("not_in_inventory", "not_in_inventory_no_geometry"):
            text += id_format_hint(breaks.loc[mask, "reported_pipe_id"], pipe_ids)
        if reason == "too_far":
            nearest = breaks.loc[mask, "link_distance_m"]
            span = f"{nearest.min():,.0f}" + (
                f"-{nearest.max():,.0f}" if nearest.max() > nearest.min() + 0.5 else ""
            )
            text += f" ({tolerance_m:g} m; nearest pipe at {span} m)"
        findings.warn(
            "breaks",
            file,
            f"unlinked_{reason}",
            f"{count:,} of {len(breaks):,} breaks are not linked to a pipe because {text}",
            "They are kept in the workspace but are not part of any pipe's history",
            rows=breaks.loc[mask, "_row"],
        )


def _warn_outside_soils(pipes, soils, file, findings: Findings) -> None:
    geoms = np.asarray(pipes.geometry.values)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
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
            f"{int(outside.sum()):,} of {int(located.sum()):,} pipes are outside every soil "
            f"polygon (for example pipe_id {pipes.loc[outside, 'pipe_id'].head(3).tolist()}); "
            "their soil features are unknown",
            "Extend the soil layer to cover the whole network",
            rows=pipes.loc[outside, "_row"],
        )


def _weather_frequency(weather: pd.DataFrame) -> str:
    dates = pd.Series(pd.unique(weather["date"].dropna())).sort_values()
    if len(dates) < 2:
        return "monthly"
    step_days = dates.diff().dt.days.median()
    return "daily" if step_days <= 1.5 else "monthly"


def _empty_breaks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_row": pd.Series(dtype="int64"),
            "break_id": pd.Series(dtype="string"),
            "date": pd.Series(dtype="datetime64[ns]"),
            "reported_pipe_id": pd.Series(dtype="string"),
            "kind": pd.Series(dtype="string"),
            "flow_m3_per_h": pd.Series(dtype="float64"),
            "pipe_id": pd.Series(dtype="string"),
            "link_method": pd.Series(dtype="string"),
            "link_distance_m": pd.Series(dtype="float64"),
            "unlinked_reason": pd.Series(dtype="string"),
        }
    )


def _drop_row_numbers(data: UtilityData) -> None:
    for name in ("pipes", "breaks", "soils", "weather", "stations", "welds"):
        table = getattr(data, name)
        if table is not None and "_row" in table:
            table = table.drop(columns="_row").reset_index(drop=True)
            setattr(data, name, table)
