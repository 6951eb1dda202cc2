"""Each layer read into its canonical table: pipes, breaks, soils, weather, stations, welds."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from risk import clock
from risk.contract import (
    BREAK_COLUMNS,
    EARLIEST_PLAUSIBLE_INSTALL_YEAR,
    PIPE_COLUMNS,
    PLAUSIBLE_DIAMETER_MM,
    STATION_COLUMNS,
    WELD_COLUMNS,
    Findings,
    Problem,
    shorten,
)
from risk.features import weather_measure_columns
from risk.geometry import check_geometry, points_from_xy
from risk.mapping import LayerMapping
from risk.plausibility import (
    check_length_unit,
    diameter_unit_problem,
    warn_inch_diameters,
)
from risk.textrules import IDENTIFIER_HINT, identifier_problems
from risk.validate import (
    canonical_materials,
    check_year_range,
    counted,
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

#: pipe_id values that are a spreadsheet's total or subtotal row, in English and French.
TOTAL_ROW_IDS = r"(grand[ _-]?)?(sub[ _-]?|sous[ _-]?)?(total|totals|totaux|sum|somme)\s*:?"


#: Units a column's name may say, other than metres, and the factor to metres.
_NAMED_UNITS = {
    "feet": r"ft|feet|foot|pieds?",
    "kilometres": r"km|kilometres?|kilometers?",
    "miles": r"mi|miles?",
}
_FACTORS = {"feet": " (feet × 0.3048)", "kilometres": " (km × 1000)", "miles": " (miles × 1609.3)"}


def length_unit_in_name(column: str | None) -> str | None:
    """The unit other than metres a length column's name says (``Length_ft``, ``LEN (km)``),
    or None.

    >>> length_unit_in_name("Length_ft"), length_unit_in_name("Shape__Length")
    ('feet', None)
    """
    if not column:
        return None
    for unit, pattern in _NAMED_UNITS.items():
        if re.search(rf"(?i)(^|[^a-z])({pattern})([^a-z]|$)", str(column)):
            return unit
    return None


def read_pipes(table, file, lm: LayerMapping, findings: Findings, repair: bool):
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
    # a spreadsheet's total row is no pipe: kept, it added the network's length once more
    totals = out["pipe_id"].str.strip().str.fullmatch(TOTAL_ROW_IDS, case=False).fillna(False)
    if totals.any():
        findings.error(
            "pipes",
            file,
            "total_row",
            f"{counted(int(totals.sum()), 'row is', 'rows are')} a spreadsheet's total, not a "
            f"pipe (pipe_id {shorten(out.loc[totals, 'pipe_id'].iloc[0])!r}): it would count "
            "as one more pipe, as long as the network",
            "Delete the total row (or rows) from the export, then load the folder again",
            rows=out.loc[totals.to_numpy(), "_row"],
        )
    missing = out["pipe_id"].isna()
    if missing.any():
        findings.error(
            "pipes",
            file,
            "missing_values",
            f"{counted(int(missing.sum()), 'pipe has', 'pipes have')} no pipe_id",
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
    else:  # 'P000101' and 'p000101': two pipes here, one for a break's loosely written id
        upper = out["pipe_id"].astype("string").str.upper()
        alike = upper.duplicated(keep=False) & ~missing
        if alike.any():
            pair = out.loc[upper == upper[alike].iloc[0], "pipe_id"].head(2).tolist()
            findings.warn(
                "pipes",
                file,
                "ids_differ_by_case",
                f"{counted(int(alike.sum()), 'pipe has', 'pipes have')} a pipe_id that differs from "
                "another's only by "
                f"upper and lower case (for example {' and '.join(pair)}): two pipes, or one "
                "exported twice? Both are kept",
                "Give them ids that differ by more than case, or remove the copy at the source",
                rows=out.loc[alike, "_row"],
            )
    out["material"] = canonical_materials(table, "pipes", file, lm, findings)
    diameter = parse_numbers(
        table, "diameter_mm", "pipes", file, findings, unit=" (mm)", symbols=("mm",)
    )
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
    inches = warn_inch_diameters(out, diameter, file, findings, low_mm=low)
    odd = diameter.notna() & ((diameter < low) | (diameter > high))
    named = odd & ~inches  # inch sizes are named above
    if named.any():
        findings.warn(
            "pipes",
            file,
            "implausible_value",
            f"{counted(int(named.sum()), 'diameter is', 'diameters are')} outside "
            f"{low:g}-{high:g} mm (for example "
            f"{', '.join(f'{v:g}' for v in diameter[named].head(3))}); they are treated as "
            "missing",
            "Check the unit (the contract wants millimetres)",
            rows=out.loc[named, "_row"],
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
                f"{counted(int(gap.sum()), 'pipe has', 'pipes have')} no {column}",
                "The model treats them as unknown; fill them at the source if you can",
                rows=out.loc[gap, "_row"],
            )
    named = length_unit_in_name(lm.columns.get("length_m"))
    if named and "length_m" in table:
        # the mapping's own column name says the unit: feet cannot be told from metres by
        # the values without lines, and loaded as metres a network is 3.28 times as long
        findings.error(
            "pipes",
            file,
            "wrong_unit",
            f"length_m is mapped to the column '{lm.columns['length_m']}', whose name says "
            f"{named}; length_m is in metres",
            f"Convert the column to metres at the source{_FACTORS.get(named, '')}, or leave "
            "length_m out of [pipes.columns] when the pipes are drawn (their lines are measured)",
        )
    if "length_m" in table and not named:
        out["length_m"] = parse_numbers(
            table, "length_m", "pipes", file, findings, unit=" (m)", symbols=("m",)
        )
        negative = (out["length_m"] < 0).to_numpy()
        if negative.any():
            first = out.loc[negative].iloc[0]
            findings.warn(
                "pipes",
                file,
                "negative_length",
                f"{counted(int(negative.sum()), 'pipe has', 'pipes have')} a negative length_m "
                "(for example "
                f"{first['pipe_id']}: {first['length_m']:,.2f} m); they are treated as missing"
                + (
                    ", and measured on the drawn line"
                    if isinstance(table, gpd.GeoDataFrame)
                    else ""
                ),
                "Correct them at the source",
                rows=out.loc[negative, "_row"],
            )
            out.loc[negative, "length_m"] = np.nan
        if not isinstance(table, gpd.GeoDataFrame):  # with geometry: against it (unify_crs)
            check_length_unit(out["length_m"], None, file, findings)
            gap = out["length_m"].isna() & ~negative  # negative ones are said above
            if gap.any():  # no line to measure them on either: said (they were ranked unsaid)
                findings.warn(
                    "pipes",
                    file,
                    "missing_values",
                    f"{counted(int(gap.sum()), 'pipe has', 'pipes have')} no length_m and no "
                    "drawn line to measure: the model counts each as 1 m long, so their "
                    "failures per km and their rank are not to be trusted",
                    "Fill length_m at the source, or give the pipes their geometry",
                    rows=out.loc[gap, "_row"],
                )
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
        removed = parse_years(table, "removed_year", "pipes", file, lm, findings)
        # 0, 9999 and the like stand for "still in service" in many exports: read as such
        # and said (read as year 0, they took pipes in service out of the scores unsaid)
        placeholder = removed.notna() & (
            (removed < EARLIEST_PLAUSIBLE_INSTALL_YEAR) | (removed > clock.today().year)
        )
        if placeholder.any():
            findings.warn(
                "pipes",
                file,
                "removed_year_placeholder",
                f"{counted(int(placeholder.sum()), 'value', 'values')} of 'removed_year' "
                f"{'is' if int(placeholder.sum()) == 1 else 'are'} before "
                f"{EARLIEST_PLAUSIBLE_INSTALL_YEAR} or in the future (for example "
                f"{', '.join(str(int(v)) for v in removed[placeholder].unique()[:3])}): read "
                "as pipes still in service",
                "Leave removed_year blank for pipes in service, or correct the year at the source",
                rows=out.loc[placeholder.to_numpy(), "_row"],
            )
        out["removed_year"] = removed.mask(placeholder)
    else:
        out["removed_year"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    order = (out["removed_year"] < out["install_year"]).fillna(False).astype(bool)
    if order.any():
        findings.warn(
            "pipes",
            file,
            "implausible_value",
            f"{counted(int(order.sum()), 'pipe was', 'pipes were')} removed before "
            f"{'it was' if order.sum() == 1 else 'they were'} installed",
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


def _has_pipe_reference(table, layer: str, file: str, findings: Findings) -> bool:
    """Breaks and welds are linked to their pipe by a ``pipe_id`` or by their location
    (geometry, or x and y columns); a layer with neither is refused."""
    has_location = isinstance(table, gpd.GeoDataFrame) or ("x" in table and "y" in table)
    if "pipe_id" in table or has_location:
        return True
    fix = f'Map your pipe reference column: [{layer}.columns] pipe_id = "YOUR_COLUMN"'
    pair = _coordinate_columns(table)
    if pair is not None:  # lon/lat, easting/northing, X/Y: the mapping lines to write
        x, y = pair
        values = pd.to_numeric(table[x], errors="coerce"), pd.to_numeric(table[y], errors="coerce")
        degrees = bool(values[0].abs().le(180).all() and values[1].abs().le(90).all())
        crs = "EPSG:4326" if degrees else "EPSG:xxxx"
        fix = (
            f"The file has the coordinate columns '{x}' and '{y}': map them under "
            f'[{layer}.columns] x = "{x}" and y = "{y}", and give their CRS under [{layer}]: '
            f'crs = "{crs}"'
            + (" (they read as longitude and latitude in degrees)" if degrees else
               " (your projection's code)")
            + f". Or map your pipe reference column: [{layer}.columns] pipe_id = \"YOUR_COLUMN\""
        )  # fmt: skip
    findings.error(
        layer,
        file,
        "missing_columns",
        f"{layer} need a pipe_id column or a location (geometry, or x and y columns)",
        fix,
    )
    return False


#: Column names of point coordinates as exports write them (compared in lower case).
_COORDINATE_NAMES = (
    ("lon", "lat"), ("lng", "lat"), ("long", "lat"), ("longitude", "latitude"),
    ("x", "y"), ("coord_x", "coord_y"), ("x_coord", "y_coord"), ("easting", "northing"),
    ("xcoord", "ycoord"), ("point_x", "point_y"),
)  # fmt: skip


def _coordinate_columns(table) -> tuple[str, str] | None:
    """The columns of ``table`` that hold point coordinates under another name than x and
    y (``lon``/``lat``, ``X``/``Y``, ``easting``/``northing``, ...), or None."""
    by_lower = {str(c).lower(): str(c) for c in table.columns}
    for x, y in _COORDINATE_NAMES:
        if x in by_lower and y in by_lower:
            return by_lower[x], by_lower[y]
    return None


def _with_location(out: pd.DataFrame, table, layer, file, lm, findings, repair):
    """``out`` with the point locations of ``table`` (its geometry or x/y columns) when it
    has any, else ``out`` as it is."""
    geo = table.drop(columns=[c for c in table.columns if c not in ("x", "y", "geometry", "_row")])
    if isinstance(table, gpd.GeoDataFrame):
        geo = gpd.GeoDataFrame(geo, geometry="geometry", crs=table.crs)
    located = _located(geo, layer, file, lm, findings, repair)
    if located is None:
        return out
    return gpd.GeoDataFrame(out, geometry=located.geometry.values, crs=located.crs)


def _breaks(table, file, lm, findings, repair):
    table = select_rows(table, "breaks", file, lm, findings)
    table = rename_columns(table, BREAK_COLUMNS, "breaks", file, lm, findings)
    if not require_columns(table, ["date"], "breaks", file, findings):
        _note_missing_crs(table, "breaks", file, lm, findings)
        return None
    if not _has_pipe_reference(table, "breaks", file, findings):
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
        parse_numbers(
            table, "flow_m3_per_h", "breaks", file, findings, unit=" (m3/h)", symbols=("m3/h",)
        )
        if "flow_m3_per_h" in table
        else np.nan
    )
    return _with_location(out, table, "breaks", file, lm, findings, repair)


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
            f"{counted(int(dup.sum()), 'row repeats', 'rows repeat')} the same "
            f"{' and '.join(keys)}",
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
    if not _has_pipe_reference(table, "welds", file, findings):
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
    return _with_location(out, table, "welds", file, lm, findings, repair)


LAYER_READERS = {
    "breaks": _breaks,
    "soils": _soils,
    "weather": _weather,
    "stations": _stations,
    "welds": _welds,
}
