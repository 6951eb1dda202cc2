"""read_utility: a utility folder read, checked and linked into canonical tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from risk.contract import (
    DEFAULT_LINK_TOLERANCE_M,
    LAYERS,
    SUPPORTED_EXTENSIONS,
    DataContractError,
    Findings,
    Problem,
)
from risk.errors import InputError
from risk.geometry import crs_text
from risk.ingest.checks import (
    follow_merged,
    unify_crs,
    warn_breaks,
    warn_linked_otherwise,
    warn_outside_soils,
    warn_unlinked,
)
from risk.ingest.layers import LAYER_READERS, read_pipes
from risk.io import find_layer_file, read_layer
from risk.link import link_to_pipes, unlink_by_date, unlink_implausible_dates
from risk.mapping import Mapping, read_mapping
from risk.plausibility import (
    MIN_SEGMENT_LENGTH_M,
    check_crs_fit,
    check_layers_meet,
    check_short_segments,
    check_weather,
    drop_duplicate_breaks,
    future_break_dates,
    implausible_break_dates,
    warn_breaks_recorded_twice,
    warn_duplicate_geometries,
    warn_far_from_named_pipe,
    warn_located_off_the_pipes,
    warn_long_pipes,
    warn_material_era,
    warn_weather_coverage,
)
from risk.report import build_report
from risk.utility import UtilityData
from risk.workspace import fingerprint

#: The optional layers, and what their absence means for the model (said at ingestion).
OPTIONAL_LAYERS = {
    "breaks": "without a break record the model has no failure to learn from, and every pipe "
    "scores about alike",
    "soils": "the soil is left out of the model and of the reasons",
    "weather": "the weather is left out: a harsh year cannot be told from a mild one, and "
    "forecasts carry no weather range",
    "welds": "welds and joints are left out of the model and of the reasons",
}


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

    if "pipes" in files:
        for layer, without in OPTIONAL_LAYERS.items():
            if layer not in files:  # said, not silent: the forecast differs without it
                findings.warn(
                    layer,
                    str(folder),
                    "layer_not_given",
                    f"no {layer} file in the folder: {without}",
                    f"Add {layer}.csv (or .gpkg, .geojson, .parquet) if the utility has it, or "
                    f"name its file under [{layer}] file = ... in a mapping file",
                )

    layers: dict[str, pd.DataFrame | None] = {}
    excluded_ids: set[str] = set()
    for layer, table in raw.items():
        lm = mapping.layer(layer)
        file = str(files[layer])
        step(f"check {layer}")
        if layer == "pipes":
            layers[layer], excluded_ids = read_pipes(table, file, lm, findings, repair_geometry)
        else:
            layers[layer] = LAYER_READERS[layer](table, file, lm, findings, repair_geometry)

    check_crs_fit(layers, files, findings)
    declared = getattr(layers.get("pipes"), "crs", None)  # before unify_crs reprojects
    crs = unify_crs(layers, files, findings)
    check_layers_meet(layers, files, findings)  # each fits its CRS, but not the same place
    if layers.get("pipes") is not None:
        warn_duplicate_geometries(layers["pipes"], str(files["pipes"]), findings)
        warn_material_era(layers["pipes"], str(files["pipes"]), findings)
        warn_long_pipes(layers["pipes"], str(files["pipes"]), findings)
    weather = layers.get("weather")
    frequency = None
    if weather is not None:
        stations = layers.get("stations")
        weather = check_weather(
            weather,
            str(files["weather"]),
            findings,
            missing_values=mapping.layer("weather").missing_values,
            temperature_unit=mapping.layer("weather").temperature_unit,
            station_ids=None if stations is None else stations["station_id"],
        )
        frequency = _weather_frequency(weather)
        if layers.get("breaks") is not None:
            warn_weather_coverage(
                weather, layers["breaks"]["date"], str(files["weather"]), findings
            )

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
    if breaks is None or len(breaks) == 0:  # no file, or a header alone: no break, linked
        breaks = _empty_breaks()
    if len(breaks):
        step("link breaks")
        # dated by a year or month alone: breaks of one pipe share "a day" by that alone
        to_the_day = not any(
            w.code == "partial_dates" and w.layer == "breaks" for w in findings.warnings
        )
        breaks = drop_duplicate_breaks(
            breaks,
            str(files["breaks"]),
            findings,
            keep=mapping.layer("breaks").duplicates == "keep",
            to_the_day=to_the_day,
        )
        warn_breaks_recorded_twice(breaks, str(files["breaks"]), findings, to_the_day=to_the_day)
        breaks = follow_merged(breaks, merged_ids)
        links = link_to_pipes(
            breaks, pipes, tolerance_m=link_tolerance_m, excluded_ids=excluded_ids
        )
        links = unlink_by_date(links, breaks["date"], pipes)
        links = unlink_implausible_dates(links, implausible_break_dates(breaks["date"]))
        links = unlink_implausible_dates(links, future_break_dates(breaks["date"]), "future_date")
        breaks = breaks.drop(columns=["pipe_id"], errors="ignore").join(links)
        warn_breaks(breaks, str(files["breaks"]), link_tolerance_m, findings, pipes["pipe_id"])
        warn_far_from_named_pipe(breaks, str(files["breaks"]), findings)
        warn_located_off_the_pipes(
            breaks, pipes, link_tolerance_m, "breaks", str(files["breaks"]), findings
        )
    welds = layers.get("welds")
    if welds is not None and len(welds):
        welds = follow_merged(welds, merged_ids)
        links = link_to_pipes(welds, pipes, tolerance_m=link_tolerance_m, excluded_ids=excluded_ids)
        links = welds.join(links)
        warn_located_off_the_pipes(
            links, pipes, link_tolerance_m, "welds", str(files["welds"]), findings
        )
        warn_unlinked(
            links, "welds", str(files["welds"]), link_tolerance_m, findings, pipes["pipe_id"]
        )
        warn_linked_otherwise(links, "welds", str(files["welds"]), link_tolerance_m, findings)
        welds = links.drop(columns="link_distance_m")
    soils = layers.get("soils")
    if soils is not None and isinstance(pipes, gpd.GeoDataFrame):
        step("overlay soils")
        warn_outside_soils(pipes, soils, str(files["soils"]), findings)

    findings.raise_if_errors()  # refusals of the steps above, if any
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
    if declared is not None and crs is not None and CRS(declared) != CRS(crs):
        # the CRS the utility's own files use (network.inp, valves, sites without a CRS)
        data.meta["pipes_source_crs"] = crs_text(declared)
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
