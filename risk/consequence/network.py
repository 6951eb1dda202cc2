"""The utility's hydraulic model and its companions, read and matched to the GIS pipes.

- ``network.inp``: an EPANET model (any flow units; read with WNTR). Its link ids should be
  the GIS ``pipe_id``; model pipes whose id is not a GIS pipe are matched by geometry when
  the model has coordinates in the CRS of the pipes.
- ``customers.csv`` (optional): ``junction_id``, ``customers`` — customers served at each
  junction of the model.
- ``critical_sites.*`` (optional; ``.geojson``, ``.gpkg``, ``.parquet``, ``.shp``, or
  ``.csv`` with ``x``/``y``): points with ``kind`` (hospital, dialysis, school, industry, or
  any text) and an optional ``weight`` (1-5; by kind when absent, see
  :data:`~risk.consequence.settings.DEFAULT_SITE_WEIGHTS`), ``site_id`` and ``name``.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from risk.consequence.inpfile import EXPORT_AGAIN, inp_outline, roughness_words, why_unreadable
from risk.consequence.settings import DEFAULT_SITE_WEIGHTS, CriticalitySettings
from risk.contract import counted
from risk.errors import InputError
from risk.geometry import coordinates_crs, has_shape

log = logging.getLogger(__name__)

MODEL_FILE = "network.inp"
CUSTOMERS_FILE = "customers.csv"
SITES_STEM = "critical_sites"
_SITE_SUFFIXES = (".geojson", ".gpkg", ".parquet", ".shp", ".csv")
_EXAMPLES = 3


@dataclass
class HydraulicModel:
    """What the consequence computation needs from an EPANET model.

    Nodes are numbered 0 .. n-1 (junctions first, in the model's order, then reservoirs
    and tanks); ``links`` has one row per link with ``link_id``, ``kind`` (``pipe``,
    ``pump`` or ``valve``), ``node_a``, ``node_b``, ``open`` (not closed in the model),
    ``length_m``, ``diameter_mm`` and, when the model has coordinates, ``geometry``.
    """

    path: Path
    node_ids: list[str]
    n_junctions: int
    node_xy: np.ndarray  # (nodes, 2), NaN without coordinates
    sources: np.ndarray  # node numbers of reservoirs and tanks
    average_demand_m3_per_day: np.ndarray  # (junctions,)
    links: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    flow_units: str = "LPS"  # the Units of [OPTIONS]: diameters in mm, or inches (US units)
    headloss: str = "H-W"  # the Headloss formula of [OPTIONS]

    @property
    def junction_ids(self) -> list[str]:
        return self.node_ids[: self.n_junctions]


def read_model(path: str | Path) -> HydraulicModel:
    """Read an EPANET ``.inp`` file; an unreadable file is an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: no hydraulic model found. Put the utility's EPANET model in the utility "
            f"folder as '{MODEL_FILE}' (or pass --model FILE), or run with --proxy-only."
        )
    import wntr

    outline = inp_outline(path)
    if outline is not None and not outline.sections and not outline.content:
        raise InputError(
            f"{path.name}: cannot be read as an EPANET model: the file is empty"
            f"{' (only blank lines and comments)' if outline.lines else ''}. {EXPORT_AGAIN}"
        )
    try:
        with warnings.catch_warnings():
            # WNTR warns whenever the formula is set, reading D-W models included; it reads
            # the [OPTIONS] first, so the roughness is converted for the formula declared.
            warnings.filterwarnings("ignore", "Changing the headloss formula", UserWarning)
            wn = wntr.network.WaterNetworkModel(str(path))
    except Exception as exc:  # WNTR raises many kinds for a malformed file
        raise InputError(
            f"{path.name}: cannot be read as an EPANET model: {why_unreadable(exc, outline)}. "
            f"{EXPORT_AGAIN}"
        ) from None
    junctions = list(wn.junction_name_list)
    sources = list(wn.reservoir_name_list) + list(wn.tank_name_list)
    node_ids = junctions + sources
    if not sources:
        raise InputError(
            f"{path.name}: the model has no reservoir or tank, so no junction can be fed. "
            "Add the sources to the model, or run with --proxy-only."
        )
    index = {name: i for i, name in enumerate(node_ids)}
    xy = np.full((len(node_ids), 2), np.nan)
    for name, i in index.items():
        coordinates = wn.get_node(name).coordinates
        if coordinates is not None and tuple(coordinates) != (0, 0):
            xy[i] = coordinates
    rows = []
    closed = wntr.network.LinkStatus.Closed
    for name in wn.link_name_list:
        link = wn.get_link(name)
        kind = "pipe" if link.link_type == "Pipe" else link.link_type.lower()
        rows.append(
            {
                "link_id": name,
                "kind": kind,
                "node_a": index[link.start_node_name],
                "node_b": index[link.end_node_name],
                "open": link.initial_status != closed,
                "length_m": float(getattr(link, "length", np.nan)),
                "diameter_mm": float(getattr(link, "diameter", np.nan)) * 1000.0,
                "vertices": list(getattr(link, "vertices", []) or []),
            }
        )
    links = pd.DataFrame(rows)
    if links.empty or not (links["kind"] == "pipe").any():
        raise InputError(f"{path.name}: the model holds no pipe. Export the full network.")
    links["geometry"] = _link_lines(links, xy)
    links = links.drop(columns="vertices")
    model = HydraulicModel(
        path=path,
        node_ids=node_ids,
        n_junctions=len(junctions),
        node_xy=xy,
        sources=np.array([index[s] for s in sources], dtype=np.int64),
        average_demand_m3_per_day=_average_demand(wn, junctions),
        links=links,
        flow_units=str(getattr(wn.options.hydraulic, "inpfile_units", None) or "LPS").upper(),
        headloss=str(wn.options.hydraulic.headloss or "H-W").upper(),
    )
    if outline is not None and not outline.has_end:
        model.warnings.append(
            f"{path.name}: has no [END] line; it ends at line {outline.lines:,}"
            f"{f' in its {outline.last_section} section' if outline.last_section else ''}. "
            "If the file was cut short (a copy or an export that did not finish), pipes or "
            "coordinates are missing: export it again from the modelling software"
        )
    roughness = roughness_words(path.name, model.headloss, wn)
    if roughness:
        model.warnings.append(roughness)
    if wn.num_controls:
        model.warnings.append(
            f"{path.name}: the model's controls and rules are kept; a control that reopens "
            "a closed pipe would hide that closure's consequence"
        )
    return model


def in_working_crs(model: HydraulicModel, data) -> HydraulicModel:
    """``model`` with its coordinates in the working CRS of ``data``: converted from the CRS
    the utility's pipes layer declared when that is where they lie (a State Plane model in
    feet, pipes worked in metres; see :func:`risk.geometry.coordinates_crs`)."""
    source = coordinates_crs(data, model.node_xy)
    if source is None or data.crs is None or source == CRS(data.crs):
        return model
    transformer = Transformer.from_crs(source, CRS(data.crs), always_xy=True)

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    links = model.links.copy()
    lines = links["geometry"].to_numpy(dtype=object).copy()
    located = np.array([line is not None for line in lines])
    if located.any():
        lines[located] = shapely.transform(np.asarray(list(lines[located])), convert)
    links["geometry"] = lines
    log.info(
        "%s: coordinates converted from %s to the pipes' working CRS", model.path.name, source.name
    )
    return dataclasses.replace(model, node_xy=convert(model.node_xy), links=links)


def _link_lines(links: pd.DataFrame, xy: np.ndarray) -> np.ndarray:
    """Link geometry from node coordinates and vertices (None without coordinates)."""
    out = np.empty(len(links), dtype=object)
    for k, (a, b, vertices) in enumerate(
        zip(links["node_a"], links["node_b"], links["vertices"], strict=True)
    ):
        if np.isnan(xy[a]).any() or np.isnan(xy[b]).any():
            out[k] = None
            continue
        out[k] = shapely.linestrings([xy[a], *vertices, xy[b]])
    return out


def _average_demand(wn, junctions: list[str]) -> np.ndarray:
    """Average demand of each junction over one day, m³/day (base demands x patterns x the
    model's demand multiplier)."""
    import wntr

    duration = wn.options.time.duration
    wn.options.time.duration = 24 * 3600
    try:
        expected = wntr.metrics.expected_demand(wn)
    finally:
        wn.options.time.duration = duration
    expected = expected.reindex(columns=junctions).fillna(0.0)
    per_step = expected.iloc[:-1] if len(expected) > 1 else expected
    return per_step.mean(axis=0).to_numpy(dtype=float) * 86_400.0


# -- matching ----------------------------------------------------------------------------------


@dataclass
class Matching:
    """Model pipes matched to GIS pipes.

    ``pairs`` has ``pipe_id`` (GIS), ``link_id`` (model), ``match`` (``id`` or
    ``geometry``) and ``distance_m``; the rest lists what found no partner.
    """

    pairs: pd.DataFrame
    model_unmatched: list[str]
    gis_unmatched: list[str]

    def summary(self) -> dict:
        by = self.pairs["match"].value_counts()
        return {
            "matched_by_id": int(by.get("id", 0)),
            "matched_by_geometry": int(by.get("geometry", 0)),
            "model_pipes_unmatched": len(self.model_unmatched),
            "model_pipes_unmatched_examples": self.model_unmatched[:_EXAMPLES],
            "gis_pipes_without_model_pipe": len(self.gis_unmatched),
            "gis_pipes_without_model_pipe_examples": self.gis_unmatched[:_EXAMPLES],
        }


def match_pipes(
    model: HydraulicModel, pipes: pd.DataFrame, settings: CriticalitySettings
) -> Matching:
    """Match the model's pipes to the GIS pipes: by id, then by geometry.

    A model pipe without a GIS pipe of the same id takes the nearest unmatched GIS pipe
    whose line passes within ``match_tolerance_m`` of the model pipe's middle and both ends
    (model coordinates in the CRS of the pipes). Each GIS pipe takes at most one model pipe,
    the closest. No match at all is an :class:`InputError` naming the file and the fix.
    """
    model_pipes = model.links[model.links["kind"] == "pipe"]
    gis_ids = pipes["pipe_id"].astype(str)
    by_id = model_pipes[model_pipes["link_id"].isin(set(gis_ids))]
    pairs = pd.DataFrame(
        {"pipe_id": by_id["link_id"], "link_id": by_id["link_id"], "match": "id", "distance_m": 0.0}
    )
    rest = model_pipes[~model_pipes["link_id"].isin(set(pairs["link_id"]))]
    free = pipes[~gis_ids.isin(set(pairs["pipe_id"]))]
    if len(rest) and len(free) and "geometry" in pipes and rest["geometry"].notna().any():
        pairs = pd.concat([pairs, _match_geometry(rest, free, settings)], ignore_index=True)
    if pairs.empty:
        raise InputError(
            f"{model.path.name}: none of its {len(model_pipes):,} pipes matches a pipe of the "
            f"inventory, by id (model ids such as "
            f"{_examples(model_pipes['link_id'])}; inventory ids such as {_examples(gis_ids)}) "
            f"or by geometry within {settings.match_tolerance_m:g} m. Export the model with "
            "the GIS pipe ids as link ids, or give the model coordinates in the CRS of the "
            "pipes, or run with --proxy-only."
        )
    matched_links = set(pairs["link_id"])
    matched_pipes = set(pairs["pipe_id"])
    return Matching(
        pairs=pairs.reset_index(drop=True),
        model_unmatched=[x for x in model_pipes["link_id"] if x not in matched_links],
        gis_unmatched=[x for x in gis_ids if x not in matched_pipes],
    )


def _match_geometry(rest: pd.DataFrame, free: pd.DataFrame, settings) -> pd.DataFrame:
    tolerance = settings.match_tolerance_m
    rest = rest[rest["geometry"].notna()]
    lines = np.asarray(free.geometry.values)
    model_lines = np.asarray(list(rest["geometry"]), dtype=object)
    middle = shapely.line_interpolate_point(model_lines, 0.5, normalized=True)
    tree = shapely.STRtree(lines)
    (i_model, i_gis), distance = tree.query_nearest(
        middle, max_distance=tolerance, return_distance=True
    )
    if len(i_model) == 0:
        return pd.DataFrame(columns=["pipe_id", "link_id", "match", "distance_m"])
    ends_ok = np.maximum(
        shapely.distance(shapely.get_point(model_lines[i_model], 0), lines[i_gis]),
        shapely.distance(shapely.get_point(model_lines[i_model], -1), lines[i_gis]),
    )
    found = pd.DataFrame(
        {
            "pipe_id": free["pipe_id"].astype(str).to_numpy()[i_gis],
            "link_id": rest["link_id"].to_numpy()[i_model],
            "match": "geometry",
            "distance_m": np.maximum(distance, ends_ok),
        }
    )
    found = found[found["distance_m"] <= tolerance]
    found = found.sort_values(["distance_m", "link_id"], kind="stable")
    found = found.drop_duplicates("link_id").drop_duplicates("pipe_id")
    return found


def _examples(values) -> str:
    values = [str(v) for v in list(values)[:_EXAMPLES]]
    return ", ".join(f"'{v}'" for v in values) if values else "none"


# -- companions --------------------------------------------------------------------------------


def read_customers(folder: Path, model: HydraulicModel) -> np.ndarray | None:
    """Customers per junction from ``customers.csv`` (None when the file is absent)."""
    path = Path(folder) / CUSTOMERS_FILE
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype={"junction_id": str})
    missing = {"junction_id", "customers"} - set(table.columns)
    if missing:
        raise InputError(
            f"{path.name}: missing column(s) {', '.join(sorted(missing))}; expected "
            "junction_id,customers (one row per junction of the model)."
        )
    counts = pd.to_numeric(table["customers"], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = table.loc[counts.isna() | (counts < 0), "junction_id"].head(_EXAMPLES).tolist()
        raise InputError(
            f"{path.name}: 'customers' must be whole numbers >= 0 (junctions {bad}). "
            "Fix those rows or remove them."
        )
    index = {j: i for i, j in enumerate(model.junction_ids)}
    position = table["junction_id"].map(index)
    unknown = int(position.isna().sum())
    if unknown:
        model.warnings.append(
            f"{path.name}: {counted(unknown, 'row', 'rows')} name no junction of the model (first: "
            f"{table.loc[position.isna(), 'junction_id'].iloc[0]!r}); they are ignored"
        )
    out = np.zeros(model.n_junctions)
    np.add.at(out, position.dropna().astype(int).to_numpy(), counts[position.notna()].to_numpy())
    return out


def find_file(folder: Path, stem: str, suffixes) -> Path | None:
    """``folder/<stem><suffix>`` for the first of ``suffixes`` that is a file, or None."""
    for suffix in suffixes:
        path = Path(folder) / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


def find_sites_file(folder: Path) -> Path | None:
    """``critical_sites.geojson`` (or another suffix) in the utility folder, or None."""
    return find_file(folder, SITES_STEM, _SITE_SUFFIXES)


def read_sites(path: Path, crs, data=None) -> gpd.GeoDataFrame:
    """Critical sites as points in ``crs`` with ``site_id``, ``kind``, ``name``, ``weight``.

    Points given without a CRS (x/y of a CSV, a file without one) are in the CRS of the
    pipes: with ``data``, the one they lie in (:func:`risk.geometry.coordinates_crs`)."""
    try:
        if path.suffix == ".csv":
            table = pd.read_csv(path)
            if not {"x", "y"} <= set(table.columns):
                raise InputError(
                    f"{path.name}: a CSV of critical sites needs x and y columns (in the CRS "
                    "of the pipes), or give the sites as GeoJSON or GeoPackage points."
                )
            sites = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x"], table["y"]))
            sites = sites.set_crs(given_crs(sites, crs, data))
        elif path.suffix == ".parquet":
            sites = gpd.read_parquet(path)
        else:
            sites = gpd.read_file(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{path.name}: cannot be read as a layer of points ({exc}). Save it as GeoJSON "
            "or GeoPackage points with a 'kind' column."
        ) from None
    if "kind" not in sites.columns:
        raise InputError(
            f"{path.name}: no 'kind' column; give each site a kind (hospital, dialysis, "
            "school, industry, ...) and optionally a 'weight' from 1 to 5."
        )
    if sites.crs is None:
        log.warning("%s has no CRS; taken to be the CRS of the pipes", path.name)
        sites = sites.set_crs(given_crs(sites, crs, data))
    elif crs is not None and sites.crs != crs:
        sites = sites.to_crs(crs)
    sites = sites[has_shape(sites.geometry)]
    points = shapely.centroid(np.asarray(sites.geometry.values))
    kind = sites["kind"].astype(str).str.strip().str.lower()
    weight = (
        pd.to_numeric(sites["weight"], errors="coerce")
        if "weight" in sites.columns
        else pd.Series(np.nan, index=sites.index)
    )
    weight = weight.fillna(kind.map(DEFAULT_SITE_WEIGHTS)).fillna(1.0)
    site_id = (
        sites["site_id"].astype(str)
        if "site_id" in sites.columns
        else pd.Series([f"site {i + 1}" for i in range(len(sites))], index=sites.index)
    )
    name = sites["name"].astype(str) if "name" in sites.columns else site_id
    return gpd.GeoDataFrame(
        {"site_id": site_id.to_numpy(), "kind": kind.to_numpy(), "name": name.to_numpy(),
         "weight": weight.to_numpy(dtype=float)},
        geometry=points,
        crs=crs,
    )  # fmt: skip


def nearest_nodes(points, node_xy: np.ndarray, max_distance_m: float) -> np.ndarray:
    """Index of the nearest node of each point within ``max_distance_m`` (-1 beyond)."""
    xy = shapely.get_coordinates(np.asarray(points))
    usable = ~np.isnan(node_xy).any(axis=1)
    if len(xy) == 0 or not usable.any():
        return np.full(len(xy), -1, dtype=np.int64)
    candidates = np.flatnonzero(usable)
    distance, k = cKDTree(node_xy[candidates]).query(xy)
    return np.where(distance <= max_distance_m, candidates[k], -1).astype(np.int64)


def given_crs(points: gpd.GeoDataFrame, crs, data):
    """The CRS of points given without one (see :func:`read_sites`)."""
    if data is None:
        return crs
    xy = shapely.get_coordinates(np.asarray(points.geometry.values))
    return coordinates_crs(data, xy) or crs
