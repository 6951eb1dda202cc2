"""The ``renamed`` variant of the sample utility: the same town, published in other words.

A real utility never uses the default sample's names. This variant writes the town as a
French utility might hand it over, so that nothing in the product can rely on the default
files: other file names and formats, French column names, codes that need the mapping
file ``data/mappings/sample-renamed.toml``, integer pipe numbers, a Météo-France-like
daily weather file, soil classes in another vocabulary (``A1``/``A2``/``A3`` for the clay
shrink-swell hazard), an accented soil column name, a soil code column holding one value
per polygon (an identifier that feature screening must leave out), and a break record
that starts only ten years before the end (:data:`RECORD_YEARS`).

The hazard is the default one, and the town (streets, pipes, soils, stations, weather,
welds) is the default town of the same seed; pipe abandonments fall in the shorter record,
so they, the few record quirks drawn after them and the failures differ. The truth is
written as for the default town, with this variant's pipe numbers.

| layer | file | columns (contract name) |
|---|---|---|
| pipes | ``canalisations.parquet`` | ``ID_TRONCON`` (pipe_id, integer), ``MATERIAU`` \
(material code), ``DN`` (diameter_mm), ``ANNEE_POSE`` (install_year), ``LONGUEUR`` \
(length_m), ``ETAGE_PRESSION`` (pressure_zone), ``CHEMISAGE`` (lined, ``O``/``N``), \
``ANNEE_ABANDON`` (removed_year) |
| breaks | ``interventions.csv`` (``;``, decimal comma, ``dd/mm/yyyy``) | \
``NUM_INTERVENTION``, ``DATE_INTERVENTION``, ``ID_TRONCON``, ``NATURE`` \
(``CASSE``/``FUITE``), ``DEBIT_M3H``, ``X``, ``Y`` (Lambert-93, no geometry) |
| soils | ``sols.geojson`` | ``code_sol``, ``classe_rga``, ``agressivité``, ``ph_eau``, \
``nature``, ``resistivite_ohm_cm`` |
| weather | ``meteo_quotidienne.csv`` (``;``) | ``NUM_POSTE``, ``NOM_USUEL``, ``ALTI``, \
``AAAAMMJJ``, ``RR``, ``TN``, ``TX`` |
| stations | ``postes_meteo.parquet`` | ``NUM_POSTE``, ``NOM_USUEL``, ``ALTI`` |
| welds | ``assemblages.csv`` | ``ID_ASSEMBLAGE``, ``ID_TRONCON``, ``TYPE`` \
(``SOUDURE``/``JOINT``), ``CLASSE``, ``ANNEE``, ``NB_JOINTS`` |
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.csvsafe import write_csv

if TYPE_CHECKING:
    from risk.sample.town import SampleTown

#: Years of published break record: the record starts ``RECORD_YEARS - 1`` years before
#: the last simulated year (2016 for a town ending in 2025).
RECORD_YEARS = 10
#: The mapping that loads this variant, relative to the repository root.
MAPPING = "data/mappings/sample-renamed.toml"
#: First pipe number; pipe ``P000001`` of the default town is ``ID_TRONCON`` 100001.
FIRST_PIPE_NUMBER = 100_001
#: First Météo-France-like station number (Loir-et-Cher is département 41, Blois 41018).
FIRST_STATION_NUMBER = 41_018_001

#: File of each layer.
FILES = {
    "pipes": "canalisations.parquet",
    "breaks": "interventions.csv",
    "soils": "sols.geojson",
    "weather": "meteo_quotidienne.csv",
    "stations": "postes_meteo.parquet",
    "welds": "assemblages.csv",
}
#: Published material (canonical) -> code of this variant; FTG, FTD, ACG, AMC, BET and INC
#: need the mapping, ACIER, PVC and PEHD are recognised without one.
MATERIAL_CODES = {
    "cast_iron": "FTG",
    "ductile_iron": "FTD",
    "steel": "ACIER",
    "galvanized_steel": "ACG",
    "asbestos_cement": "AMC",
    "concrete": "BET",
    "pvc": "PVC",
    "pe": "PEHD",
    "unknown": "INC",
}
PRESSURE_ZONES = {
    "BASSE": "BAS SERVICE",
    "MOYENNE": "MOYEN SERVICE",
    "HAUTE": "HAUT SERVICE",
    "SURPRESSEE": "SURPRESSION",
}
#: Clay shrink-swell hazard: default class -> this variant's class (A3 the highest).
CLAY_CLASSES = {"faible": "A1", "moyen": "A2", "fort": "A3"}
TEXTURES = {"argileux": "argile", "limoneux": "limon", "sableux": "sable"}
#: Weld grades A (sound) to D (defective) in words; joint types are upper-cased.
WELD_GRADES = {"A": "BON", "B": "MOYEN", "C": "MEDIOCRE", "D": "MAUVAIS"}
WELD_KINDS = {"weld": "SOUDURE", "joint": "JOINT"}
BREAK_KINDS = {"break": "CASSE", "leak": "FUITE"}
#: Soil columns: default name -> this variant's name (``soil_id`` becomes ``code_sol``, a
#: column that identifies polygons without ending in ``_id``).
SOIL_COLUMNS = {
    "soil_id": "code_sol",
    "alea_argile": "classe_rga",
    "corrosivity": "agressivité",
    "ph": "ph_eau",
    "texture": "nature",
    "resistivite_ohm_m": "resistivite_ohm_cm",
}


def record_start_year(end_year: int) -> int:
    """First year of this variant's break record.

    >>> record_start_year(2025)
    2016
    """
    return end_year - RECORD_YEARS + 1


def pipe_ids(n: int) -> np.ndarray:
    """Pipe numbers as text (``"100001"``, ...), the form ingestion gives them.

    >>> pipe_ids(2).tolist()
    ['100001', '100002']
    """
    return np.arange(FIRST_PIPE_NUMBER, FIRST_PIPE_NUMBER + n).astype(np.str_)


def write_published(town: SampleTown, out_dir: Path, *, crs: str) -> None:
    """Write this variant's input files (the truth is written by the caller)."""
    _pipes(town, crs).to_parquet(out_dir / FILES["pipes"], index=False)
    write_csv(_breaks(town), out_dir / FILES["breaks"], sep=";", decimal=",", lineterminator="\n")
    _soils(town, crs).to_file(
        out_dir / FILES["soils"], driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 2}
    )
    stations = town.stations
    numbers = FIRST_STATION_NUMBER + np.arange(len(stations), dtype=np.int64)
    names = [f"BLOIS {i:02d}" for i in range(1, len(stations) + 1)]
    postes = gpd.GeoDataFrame(
        {"NUM_POSTE": numbers, "NOM_USUEL": names, "ALTI": stations["elevation_m"].to_numpy()},
        geometry=shapely.points(stations[["x", "y"]].to_numpy()),
        crs=crs,
    )
    postes.to_parquet(out_dir / FILES["stations"], index=False)
    weather = _weather(town, numbers, names)
    write_csv(weather, out_dir / FILES["weather"], sep=";", lineterminator="\n")
    write_csv(_welds(town), out_dir / FILES["welds"], lineterminator="\n")


def _pipes(town: SampleTown, crs: str) -> gpd.GeoDataFrame:
    p = town.pipes
    table = pd.DataFrame(
        {
            "ID_TRONCON": p["pipe_id"].astype(np.int64).to_numpy(),
            "MATERIAU": p["material"].map(MATERIAL_CODES).to_numpy(),
            "DN": p["diameter_mm"].to_numpy(),
            "ANNEE_POSE": p["install_year"].to_numpy(),
            "LONGUEUR": p["length_m"].to_numpy(),
            "ETAGE_PRESSION": p["pressure_zone"].map(PRESSURE_ZONES).to_numpy(),
            "CHEMISAGE": np.where(p["lined"].to_numpy(), "O", "N"),
            "ANNEE_ABANDON": p["removed_year"].array,
        }
    )
    return gpd.GeoDataFrame(table, geometry=town.lines, crs=crs)


def _breaks(town: SampleTown) -> pd.DataFrame:
    b = town.breaks
    xy = shapely.get_coordinates(town.break_points)
    return pd.DataFrame(
        {
            "NUM_INTERVENTION": np.strings.add("INT-", b["break_id"].str[1:].to_numpy(np.str_)),
            "DATE_INTERVENTION": b["date"].dt.strftime("%d/%m/%Y").to_numpy(),
            "ID_TRONCON": pd.to_numeric(b["pipe_id"]).astype("Int64").array,
            "NATURE": b["kind"].map(BREAK_KINDS).to_numpy(),
            "DEBIT_M3H": b["flow_m3_per_h"].to_numpy(),
            "X": xy[:, 0],
            "Y": xy[:, 1],
        }
    )


def _soils(town: SampleTown, crs: str) -> gpd.GeoDataFrame:
    s = town.soils.table
    table = s.rename(columns=SOIL_COLUMNS).assign(
        classe_rga=s["alea_argile"].map(CLAY_CLASSES),
        nature=s["texture"].map(TEXTURES),
        resistivite_ohm_cm=(s["resistivite_ohm_m"] * 100.0).round(0).astype(np.int64),
    )
    return gpd.GeoDataFrame(table, geometry=town.soils.polygons, crs=crs)


def _weather(town: SampleTown, numbers: np.ndarray, names: list[str]) -> pd.DataFrame:
    w = town.weather
    station = pd.Index(town.stations["station_id"]).get_indexer(w["station_id"])
    return pd.DataFrame(
        {
            "NUM_POSTE": numbers[station],
            "NOM_USUEL": np.asarray(names)[station],
            "ALTI": town.stations["elevation_m"].to_numpy()[station],
            "AAAAMMJJ": w["date"].dt.strftime("%Y%m%d").astype(np.int64).to_numpy(),
            "RR": w["precip_mm"].to_numpy() + 0.0,  # no "-0.0" in the file
            "TN": w["tmin_c"].to_numpy() + 0.0,
            "TX": w["tmax_c"].to_numpy() + 0.0,
        }
    )


def _welds(town: SampleTown) -> pd.DataFrame:
    w = town.welds
    grade = w["grade"].map(WELD_GRADES).fillna(w["grade"].str.upper())
    return pd.DataFrame(
        {
            "ID_ASSEMBLAGE": w["weld_id"].to_numpy(),
            "ID_TRONCON": w["pipe_id"].astype(np.int64).to_numpy(),
            "TYPE": w["kind"].map(WELD_KINDS).to_numpy(),
            "CLASSE": grade.to_numpy(),
            "ANNEE": w["year"].to_numpy(),
            "NB_JOINTS": w["n_joints"].array,
        }
    )


def readme(town: SampleTown, generator_version: str) -> str:
    """The folder's README: what the files hold and how to load them."""
    from risk.sample.writer import town_facts  # the writer imports this module

    o = town.options
    return f"""# Sample utility (synthetic), variant "renamed"

This folder is **synthetic**: a made-up town generated by `risk.sample.generate_utility`
(generator version {generator_version}, seed {o["seed"]}, {o["n_segments"]:,} segments,
variant `renamed`). No real utility's data is in it. Regenerate it with
`risk generate OUT_DIR --segments {o["n_segments"]} --seed {o["seed"]} --variant renamed`.

It is the default sample town published under other names, as a French utility might hand
it over: its files need a mapping. Load it with

    risk ingest OUT_DIR --mapping {MAPPING}

{town_facts(town)}

| file | content |
|---|---|
| `{FILES["pipes"]}` | GeoParquet lines: ID_TRONCON (pipe number), MATERIAU \
({", ".join(sorted(set(MATERIAL_CODES.values())))}), DN (mm), ANNEE_POSE, LONGUEUR (m), \
ETAGE_PRESSION, CHEMISAGE (O/N: relined), ANNEE_ABANDON |
| `{FILES["breaks"]}` | `;`-separated, decimal comma: NUM_INTERVENTION, DATE_INTERVENTION \
(dd/mm/yyyy), ID_TRONCON (empty for a few), NATURE (CASSE or FUITE), DEBIT_M3H (leaks), \
X, Y (Lambert-93) |
| `{FILES["soils"]}` | GeoJSON polygons: code_sol (one per polygon), classe_rga (clay \
shrink-swell hazard A1 low, A2 medium, A3 high), agressivité (soil corrosivity 0-10), \
ph_eau, nature (argile, limon, sable), resistivite_ohm_cm |
| `{FILES["weather"]}` | `;`-separated daily weather: NUM_POSTE, NOM_USUEL, ALTI, AAAAMMJJ, \
RR (mm), TN, TX (°C) |
| `{FILES["stations"]}` | GeoParquet points: NUM_POSTE, NOM_USUEL, ALTI (m) |
| `{FILES["welds"]}` | ID_ASSEMBLAGE, ID_TRONCON, TYPE (SOUDURE or JOINT), CLASSE (welds: \
BON, MOYEN, MEDIOCRE, MAUVAIS; joints: PLOMB, AUTOMATIQUE, EXPRESS, VERROUILLE), ANNEE, \
NB_JOINTS |
| `truth/` | the known failure process and hidden leaks: **not** input data, never \
ingested; see `truth/README.md` (it uses the generator's own names: alea_argile faible, \
moyen, fort for A1, A2, A3; corrosivity for agressivité; pipe_id for ID_TRONCON) |
"""
