"""Write a generated town as a utility folder in the data contract, with its truth apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from risk.csvsafe import write_csv
from risk.sample import epanet, hazard, renamed

if TYPE_CHECKING:
    from risk.sample.town import SampleTown

CRS = "EPSG:2154"
#: Published pipe columns (the rest of the generator's table is truth).
PIPE_COLUMNS = [
    "pipe_id",
    "material",
    "diameter_mm",
    "install_year",
    "length_m",
    "pressure_zone",
    "lined",
    "removed_year",
]
#: Truth columns per pipe written to ``truth/pipe_covariates.parquet``.
TRUTH_PIPE_COLUMNS = [
    "pipe_id",
    "true_material",
    "true_diameter_mm",
    "is_trunk",
    "district",
    "district_year",
    "elevation_m",
    "pressure_m",
]


def write_utility(town: SampleTown, out_dir: Path, *, generator_version: str) -> Path:
    """Write every file of the town into ``out_dir`` (see :func:`generate_utility`)."""
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    if town.options.get("variant") == "renamed":
        renamed.write_published(town, out_dir, crs=CRS)
        readme = renamed.readme(town, generator_version)
    else:
        _write_published(town, out_dir)
        epanet.write_model(town, out_dir, crs=CRS)  # network.inp, customers, critical sites
        readme = _readme(town, generator_version)

    _write_expected(town, truth_dir / "expected_failures.parquet")
    write_csv(town.leaks, truth_dir / "hidden_leaks.csv", lineterminator="\n")
    _write_covariates(town, truth_dir / "pipe_covariates.parquet")
    write_csv(town.indices.round(4), truth_dir / "weather_indices.csv", lineterminator="\n")
    params = {
        "generator_version": generator_version,
        "crs": CRS,
        "options": town.options,
        "hazard": town.params.to_dict(),
    }
    (truth_dir / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    (truth_dir / "README.md").write_text(_truth_readme(town))
    (out_dir / "README.md").write_text(readme)
    return out_dir


def _write_published(town: SampleTown, out_dir: Path) -> None:
    """The input files of the default variant, in the data contract's own names."""
    pipes = gpd.GeoDataFrame(town.pipes[PIPE_COLUMNS], geometry=town.lines, crs=CRS)
    pipes.to_parquet(out_dir / "pipes.parquet", index=False)
    breaks = gpd.GeoDataFrame(town.breaks, geometry=town.break_points, crs=CRS)
    breaks.to_parquet(out_dir / "breaks.parquet", index=False)
    soils = gpd.GeoDataFrame(town.soils.table, geometry=town.soils.polygons, crs=CRS)
    soils.to_parquet(out_dir / "soils.parquet", index=False)
    st = town.stations
    stations = gpd.GeoDataFrame(
        st[["station_id", "name", "elevation_m"]],
        geometry=shapely.points(st[["x", "y"]].to_numpy()),
        crs=CRS,
    )
    stations.to_parquet(out_dir / "stations.parquet", index=False)
    weather = town.weather.copy()
    weather["date"] = weather["date"].dt.strftime("%Y-%m-%d")
    for column in ("tmin_c", "tmax_c", "precip_mm"):
        weather[column] = weather[column] + 0.0  # no "-0.0" in the file
    write_csv(weather, out_dir / "weather.csv", lineterminator="\n")
    write_csv(town.welds, out_dir / "welds.csv", lineterminator="\n")


def _write_expected(town: SampleTown, path: Path) -> None:
    """One row per pipe and simulated year, pipe-major, with pipe_id dictionary-encoded."""
    sim = town.simulation
    n_pipes, n_years = sim.expected.shape
    pipe_index = np.repeat(np.arange(n_pipes, dtype=np.int32), n_years)
    table = pa.table(
        {
            "pipe_id": pa.DictionaryArray.from_arrays(
                pa.array(pipe_index), pa.array(town.pipes["pipe_id"].to_numpy())
            ),
            "year": pa.array(np.tile(sim.years.astype(np.int16), n_pipes)),
            "in_service": pa.array(sim.in_service.ravel()),
            "expected_failures": pa.array(sim.expected.ravel()),
            "expected_failures_without_history": pa.array(sim.expected_without_history.ravel()),
            "expected_failures_usual_weather": pa.array(sim.expected_usual_weather.ravel()),
            "failures": pa.array(sim.failures.ravel()),
        }
    )
    pq.write_table(table, path, compression="zstd")


def _write_covariates(town: SampleTown, path: Path) -> None:
    cov = town.covariates
    table = town.pipes[TRUTH_PIPE_COLUMNS].copy()
    soil = town.soils.table.iloc[town.soils.pipe_soil]
    table["soil_id"] = soil["soil_id"].to_numpy()
    table["alea_argile"] = cov.alea_argile
    table["corrosivity"] = cov.corrosivity
    table["station_id"] = town.stations["station_id"].to_numpy()[cov.station]
    table["bad_weld_share"] = cov.bad_weld_share.round(4)
    table["lead_joints"] = cov.lead_joints
    table["static_multiplier"] = hazard.static_multiplier(cov, town.params).round(6)
    table.to_parquet(path, index=False)


def town_facts(town: SampleTown) -> str:
    """The README's lines on the town's CRS, pipes and break record (both variants)."""
    o = town.options
    pipes, breaks = town.pipes, town.breaks
    km = pipes["length_m"].sum() / 1000.0
    return f"""- CRS: {CRS} (Lambert-93), near Blois (Loir-et-Cher, France).
- {len(pipes):,} pipes, {km:,.0f} km of mains, installed {pipes["install_year"].min()}-\
{pipes["install_year"].max()}.
- {len(breaks):,} failure records from {o["record_start_year"]} to {o["end_year"]}
  (the failure process runs from {o["start_year"]}; earlier failures are not recorded)."""


def _readme(town: SampleTown, generator_version: str) -> str:
    o = town.options
    return f"""# Sample utility (synthetic)

This folder is **synthetic**: a made-up town generated by `risk.sample.generate_utility`
(generator version {generator_version}, seed {o["seed"]}, {o["n_segments"]:,} segments).
No real utility's data is in it. Regenerate it with
`risk generate OUT_DIR --segments {o["n_segments"]} --seed {o["seed"]}`.

{town_facts(town)}

| file | content |
|---|---|
| `pipes.parquet` | GeoParquet lines: {", ".join(PIPE_COLUMNS)} |
| `breaks.parquet` | GeoParquet points: break_id, date, pipe_id (missing for a few), kind, \
flow_m3_per_h |
| `soils.parquet` | GeoParquet polygons: {", ".join(town.soils.table.columns)} |
| `weather.csv` | daily date, station_id, tmin_c, tmax_c, precip_mm |
| `stations.parquet` | GeoParquet points: station_id, name, elevation_m |
| `welds.csv` | weld_id, pipe_id, kind (weld or joint), grade, year, n_joints |
| `truth/` | the known failure process and hidden leaks: **not** input data, never \
ingested; see `truth/README.md` |
"""


def _truth_readme(town: SampleTown) -> str:
    p = town.params
    rows = "\n".join(
        f"| {m} | {p.base_rate_per_km_year[m]:.2f} | {p.ageing_exponent[m]:.1f} |"
        for m in p.base_rate_per_km_year
    )
    clay = ", ".join(f"{k}: {v}" for k, v in p.clay_drought.items())
    formula = hazard.__doc__.split("\n\n", 1)[1]
    return f"""# Truth of the sample utility

Everything here is the answer key: the product's ingestion never reads this folder.
Use it to measure model quality (expected failures) and to score field inspections
(hidden leaks).

## Files

| file | content |
|---|---|
| `expected_failures.parquet` | pipe_id, year, in_service, expected_failures (the hazard \
lambda_i(t) below, including the self-exciting term given the realised history), \
expected_failures_without_history (alpha = 0), expected_failures_usual_weather (the same \
had the year the usual weather of its station: the weather factors averaged over the 15 \
years before; what a forecast made on 1 January should match), failures (realised count, \
also before the record starts): one row per pipe and simulated year |
| `hidden_leaks.csv` | leak_id, pipe_id, start_date, flow_m3_per_h, x, y (Lambert-93): \
unreported leaks running on 31 December {town.options["end_year"]} |
| `pipe_covariates.parquet` | per pipe: true material and diameter (the published ones \
have a few "unknown" materials and missing diameters), trunk main or not, district and \
its development year, elevation_m, static pressure_m, soil_id, alea_argile, corrosivity, \
nearest station_id, bad_weld_share, lead_joints, static_multiplier (time-invariant \
factors of the hazard, per km per year at age 50) |
| `weather_indices.csv` | station_id, year, frost_index, drought_index used by the hazard |
| `params.json` | generator version, options (seed, segments, years) and every hazard parameter |

## The failure process

{formula}
## Parameters

| material | base_rate_per_km_year | ageing_exponent |
|---|---|---|
{rows}

- diameter_exponent = {p.diameter_exponent} (reference {p.reference_diameter_mm:.0f} mm)
- pressure_per_m = {p.pressure_per_m} (reference {p.reference_pressure_m:.0f} m)
- corrosivity_per_unit = {p.corrosivity_per_unit} (reference {p.reference_corrosivity:.0f}; \
metal pipes)
- clay_drought = {{{clay}}} (asbestos cement and cast iron)
- frost_per_index = {p.frost_per_index} (metal pipes)
- bad_weld_factor = {p.bad_weld_factor} (steel; bad-weld share = (0.4 x grade C welds + \
grade D welds) / welds)
- lead_joint_factor = {p.lead_joint_factor} (cast iron with lead-caulked joints)
- lined_factor = {p.lined_factor} (relined metal pipes)
- alpha = {p.alpha}, max_prior_failures = {p.max_prior_failures}
- leak_share = {p.leak_share} of records are reported leaks; \
missing_pipe_id_share = {p.missing_pipe_id_share} have no pipe_id
- hidden_leaks_per_failure = {p.hidden_leaks_per_failure}, \
mean_hidden_years = {p.mean_hidden_years}

Failure dates: a share (F - 1) / (F C) of a pipe's failures in a year falls in
December-February and (C - 1) / C in July-October, where F and C are its frost and
clay factors that year; the rest is uniform over the year.
"""
