"""Generate the built-in sample utility: a synthetic town with a known failure process."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from risk.atomic import DIR_MODE
from risk.errors import InputError
from risk.sample import renamed
from risk.sample.attributes import assign_attributes
from risk.sample.context import (
    Soils,
    make_soils,
    make_stations,
    make_weather,
    make_welds,
    weather_indices,
)
from risk.sample.hazard import HazardParams, PipeCovariates, Simulation, simulate_failures
from risk.sample.ids import make_ids
from risk.sample.network import build_network
from risk.sample.records import break_records, hidden_leaks
from risk.sample.writer import write_utility

#: Bumped whenever the same seed would give different data.
GENERATOR_VERSION = "1.0"
#: How the town can be published: ``default`` (the data contract's own names) or
#: ``renamed`` (other files, names and codes, loaded with a mapping; see
#: :mod:`risk.sample.renamed`).
VARIANTS = ("default", "renamed")


@dataclass
class SampleTown:
    """Every table of a generated town, in memory (see :func:`build_town`)."""

    options: dict
    params: HazardParams
    pipes: pd.DataFrame  # public and truth columns, with pipe_id
    lines: np.ndarray  # shapely LineStrings, Lambert-93
    soils: Soils
    stations: pd.DataFrame
    weather: pd.DataFrame
    indices: pd.DataFrame
    welds: pd.DataFrame
    covariates: PipeCovariates
    simulation: Simulation
    breaks: pd.DataFrame
    break_points: np.ndarray
    leaks: pd.DataFrame


def generate_utility(
    out_dir: str | Path,
    *,
    n_segments: int = 20_000,
    seed: int = 0,
    start_year: int = 1990,
    record_start_year: int | None = None,
    end_year: int = 2025,
    params: HazardParams | None = None,
    variant: str = "default",
) -> Path:
    """Write a synthetic utility folder in the data contract, with its truth apart.

    The town is a connected street network in Lambert-93 (EPSG:2154) near Blois,
    with an old centre, old village cores and newer outskirts; pipes carry
    materials and diameters by era and role; failures follow a documented
    self-exciting hazard (see :mod:`risk.sample.hazard`) from ``start_year`` to
    ``end_year``, recorded from ``record_start_year`` on. The same arguments
    always give byte-identical files.

    Parameters
    ----------
    out_dir : path
        Folder to write: new, empty, or an earlier output of the generator, which is
        replaced whole (written to a temporary folder first, then renamed).
    n_segments : int, default 20_000
        Number of pipe segments (10-300 m each); 20,000 is a town of about
        2,300 km of mains.
    seed : int, default 0
        Seed of every random draw.
    start_year : int, default 1990
        First simulated year (failures before the record still count as prior
        failures in the self-exciting term).
    record_start_year : int, optional
        First year of the published break record; 2000 when omitted (the ``renamed``
        variant: ``end_year - 9``, a ten-year record).
    end_year : int, default 2025
        Last simulated year (inclusive); hidden leaks run on 31 December of it.
    params : HazardParams, optional
        Failure-process parameters; the documented defaults when omitted.
    variant : {"default", "renamed"}
        ``renamed`` publishes the same town under other file names, column names and
        codes (French, integer pipe numbers, soil classes ``A1``-``A3``, ...), to be
        loaded with ``data/mappings/sample-renamed.toml``; see :mod:`risk.sample.renamed`.

    Returns
    -------
    Path
        ``out_dir``, holding ``pipes.parquet``, ``breaks.parquet``,
        ``soils.parquet``, ``weather.csv``, ``stations.parquet``, ``welds.csv``,
        the hydraulic model ``network.inp`` with ``customers.csv`` and
        ``critical_sites.geojson`` (see :mod:`risk.sample.epanet`), ``README.md`` and
        ``truth/`` (``expected_failures.parquet``,
        ``hidden_leaks.csv``, ``pipe_covariates.parquet``, ``weather_indices.csv``,
        ``params.json``, ``README.md``), which ingestion never reads. The ``renamed``
        variant holds other input files (listed in its ``README.md``) and the same truth.
    """
    town = build_town(
        n_segments=n_segments,
        seed=seed,
        start_year=start_year,
        record_start_year=record_start_year,
        end_year=end_year,
        params=params,
        variant=variant,
    )
    out_dir = Path(out_dir)
    if (
        out_dir.exists()
        and any(out_dir.iterdir())
        and not (out_dir / "truth" / "params.json").is_file()
    ):
        raise InputError(
            f"{out_dir} already holds files that the generator did not write. "
            "Give a new or empty folder."
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    tmp.chmod(DIR_MODE)  # mkdtemp makes it private (0700)
    try:
        write_utility(town, tmp, generator_version=GENERATOR_VERSION)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def build_town(
    *,
    n_segments: int,
    seed: int,
    start_year: int,
    record_start_year: int | None,
    end_year: int,
    params: HazardParams | None,
    variant: str,
) -> SampleTown:
    """Build every table of the sample town in memory: the options of
    :func:`generate_utility`, all given (their defaults and meaning are documented there)."""
    if record_start_year is None:
        record_start_year = renamed.record_start_year(end_year) if variant == "renamed" else 2000
    _check_options(n_segments, seed, start_year, record_start_year, end_year, variant)
    params = params or HazardParams()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    rng_net, rng_attr, rng_soil, rng_weather, rng_weld, rng_hazard, rng_rec, rng_perm = streams

    net = build_network(n_segments, rng_net, end_year=end_year)
    net = net.take(rng_perm.permutation(n_segments))  # pipe ids carry no spatial order
    pipes = assign_attributes(net, rng_attr, record_start_year=record_start_year, end_year=end_year)
    pipe_ids = renamed.pipe_ids(n_segments) if variant == "renamed" else make_ids("P", n_segments)
    pipes.insert(0, "pipe_id", pipe_ids)
    lines = shapely.linestrings(net.coords_m.round(2))
    length_m = shapely.length(lines)
    pipes.insert(4, "length_m", length_m.round(2))

    mid = net.midpoints_m
    soils = make_soils(mid, rng_soil)
    stations = make_stations(mid, pipes["elevation_m"].to_numpy(), rng_weather)
    weather = make_weather(stations, start_year - 1, end_year, rng_weather)
    years = np.arange(start_year, end_year + 1)
    indices = weather_indices(weather, years)
    station = cKDTree(stations[["x", "y"]].to_numpy()).query(mid)[1]
    welds, bad_weld_share, lead_joints = make_welds(pipes, length_m, pipe_ids, rng_weld)

    soil = soils.table.iloc[soils.pipe_soil]
    cov = PipeCovariates(
        material=pipes["true_material"].to_numpy(dtype=str),
        diameter_mm=pipes["true_diameter_mm"].to_numpy(),
        length_m=length_m,
        install_year=pipes["install_year"].to_numpy(),
        removed_year=pipes["removed_year"].to_numpy(dtype=float, na_value=np.nan),
        pressure_m=pipes["pressure_m"].to_numpy(),
        corrosivity=soil["corrosivity"].to_numpy(),
        alea_argile=soil["alea_argile"].to_numpy(dtype=str),
        station=station,
        bad_weld_share=bad_weld_share,
        lined=pipes["lined"].to_numpy(),
        lead_joints=lead_joints,
    )
    sim = simulate_failures(cov, indices, years, params, rng_hazard)
    breaks, points = break_records(
        sim, cov, lines, pipe_ids, indices, record_start_year, params, rng_rec
    )
    leaks = hidden_leaks(sim, cov, lines, pipe_ids, params, rng_rec)
    options = {
        "n_segments": n_segments,
        "seed": seed,
        "start_year": start_year,
        "record_start_year": record_start_year,
        "end_year": end_year,
    }
    if variant != "default":
        options["variant"] = variant
    return SampleTown(
        options=options,
        params=params,
        pipes=pipes,
        lines=lines,
        soils=soils,
        stations=stations,
        weather=weather,
        indices=indices,
        welds=welds,
        covariates=cov,
        simulation=sim,
        breaks=breaks,
        break_points=points,
        leaks=leaks,
    )


def _check_options(n_segments, seed, start_year, record_start_year, end_year, variant) -> None:
    problems = []
    if variant not in VARIANTS:
        problems.append(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
    if not isinstance(n_segments, int | np.integer) or n_segments < 10:
        problems.append(f"n_segments must be an integer of at least 10; got {n_segments!r}")
    if not isinstance(seed, int | np.integer) or seed < 0:
        problems.append(f"seed must be a non-negative integer; got {seed!r}")
    if not start_year <= record_start_year <= end_year:
        problems.append(
            "years must satisfy start_year <= record_start_year <= end_year; got "
            f"{start_year}, {record_start_year}, {end_year}"
        )
    if start_year < 1900:
        problems.append(f"start_year must be 1900 or later; got {start_year}")
    if problems:
        raise InputError("; ".join(problems) + ".")
