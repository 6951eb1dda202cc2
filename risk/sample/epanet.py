"""The sample town's hydraulic model: ``network.inp``, ``customers.csv``, critical sites.

The model is the town's own network, as a utility's modeller would hand it over:

- **pipes**: one EPANET pipe per published pipe, same ``pipe_id``, length and geometry
  (middle vertex in ``[VERTICES]``); diameter from the true DN (plastics: outer diameter
  x 0.88 as inside diameter); Hazen-Williams C by material, lower for old unlined cast iron
  and steel. Pipes abandoned in the record (``removed_year``) are in the model, ``Closed``.
- **junctions** at the segment ends (``J000001``, ... in coordinate order), elevation the
  mean ``elevation_m`` of the pipes that meet there (the generator's elevation field).
- **demand from customers**: each distribution main (not trunk mains) serves
  ``CUSTOMERS_PER_100M`` customers per 100 m, more in old districts, split between its two
  ends; each customer uses ``DEMAND_M3_PER_DAY_PER_CUSTOMER`` on average, following the
  24-hour pattern ``DAILY``. Junctions left without a path to a source by abandoned pipes
  have no demand. The counts are written to ``customers.csv`` (``junction_id``,
  ``customers``).
- **sources**: a reservoir ``R1`` (treatment works) feeding the highest trunk junction
  through a pipe ``SRC-R1`` and a pressure-reducing valve ``V-R1`` that holds the hydraulic
  grade ``SERVICE_HEAD_M`` above the highest junction; a water tower ``T1`` on the trunk
  junction farthest from it, through ``SRC-T1`` and a throttle valve ``V-T1``. ``SRC-*``
  are model-only pipes, so a matching report always has something to say.
- **one pressure regime**: the published ``pressure_zone`` bands are not modelled (they
  would need closed boundary valves and a feed per zone); pressures therefore span the
  town's relief (25-130 m on the default town).
- **options**: SI units (LPS), Hazen-Williams, EPANET 2.2 pressure-driven demand (minimum
  0 m, required 20 m), 24 h at 1 h steps.

**Critical sites** (``critical_sites.geojson``, points in Lambert-93): hospitals, dialysis
centres, schools and industries near random distribution mains, with a ``weight``
(``SITE_WEIGHTS``). They are drawn from their own random stream, so that adding them left
every other file of the sample unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from risk.csvsafe import write_csv
from risk.sample.ids import make_ids

if TYPE_CHECKING:
    from risk.sample.town import SampleTown

#: Average water use of one customer (household or small business), m3/day.
DEMAND_M3_PER_DAY_PER_CUSTOMER = 0.4
#: Customers per 100 m of distribution main: (newest districts, oldest districts).
CUSTOMERS_PER_100M = (3.0, 10.0)
#: Average water use of an industrial site, added at its nearest junction, m3/day.
INDUSTRY_M3_PER_DAY = 150.0
#: Hydraulic grade held by the inlet valve above the highest junction, metres.
SERVICE_HEAD_M = 22.0
#: Hourly demand multipliers (mean 1): night minimum, morning and evening peaks.
DAILY = (
    0.45, 0.40, 0.38, 0.38, 0.45, 0.70, 1.15, 1.55, 1.50, 1.30, 1.15, 1.10,
    1.15, 1.10, 1.00, 0.95, 1.00, 1.15, 1.40, 1.55, 1.45, 1.20, 0.85, 0.60,
)  # fmt: skip
#: Hazen-Williams C of a new pipe, by material.
HAZEN_WILLIAMS_C = {
    "cast_iron": 100.0,
    "galvanized_steel": 100.0,
    "steel": 110.0,
    "asbestos_cement": 130.0,
    "concrete": 120.0,
    "ductile_iron": 130.0,
    "pvc": 145.0,
    "pe": 145.0,
}
#: Weight of each kind of critical site (consequence of cutting it off, 1-5).
SITE_WEIGHTS = {"hospital": 5.0, "dialysis": 4.0, "school": 2.0, "industry": 2.0}
#: Files written next to the published layers.
FILES = ("network.inp", "customers.csv", "critical_sites.geojson", "valves.geojson")
#: Share of the crossings (junctions of 3 pipes or more) fitted with isolation valves.
VALVED_CROSSINGS = 0.8
#: Distance of a valve from its junction along the pipe, metres (a quarter of shorter pipes).
VALVE_OFFSET_M = 1.5
#: Valve points of the GIS that lie on no main of the model (service and hydrant valves),
#: one per this many segments.
STRAY_VALVE_EVERY = 500


def write_model(town: SampleTown, out_dir: Path, *, crs: str) -> None:
    """Write ``network.inp``, ``customers.csv`` and ``critical_sites.geojson``."""
    model = build_model(town)
    (out_dir / "network.inp").write_text(model["inp"], encoding="utf-8")
    write_csv(model["customers"], out_dir / "customers.csv", lineterminator="\n")
    sites = gpd.GeoDataFrame(model["sites"], geometry=model["site_points"], crs=crs)
    sites.to_file(out_dir / "critical_sites.geojson", driver="GeoJSON", COORDINATE_PRECISION=2)
    valves = gpd.GeoDataFrame(model["valves"], geometry=model["valve_points"], crs=crs)
    valves.to_file(out_dir / "valves.geojson", driver="GeoJSON", COORDINATE_PRECISION=2)


def build_model(town: SampleTown) -> dict:
    """The model as text and tables: ``inp`` (str), ``customers`` (DataFrame),
    ``sites`` (DataFrame) and ``site_points`` (shapely points)."""
    pipes = town.pipes
    n = len(pipes)
    vertices = _vertices(town.lines)
    start, end = vertices[:, 0], vertices[:, -1]
    xy, node = np.unique(np.concatenate([start, end]), axis=0, return_inverse=True)
    node = node.ravel()
    node_a, node_b = node[:n], node[n:]
    n_nodes = len(xy)
    junction_ids = make_ids("J", n_nodes)

    elevation = pipes["elevation_m"].to_numpy(dtype=float)
    touches = np.bincount(node, minlength=n_nodes)
    node_elevation = np.bincount(node, np.tile(elevation, 2), minlength=n_nodes) / touches

    in_service = pipes["removed_year"].isna().to_numpy()
    trunk = pipes["is_trunk"].to_numpy(dtype=bool)
    customers = _pipe_customers(pipes, in_service & ~trunk)
    half = customers // 2
    node_customers = np.bincount(node_a, half, minlength=n_nodes) + np.bincount(
        node_b, customers - half, minlength=n_nodes
    )
    node_customers = node_customers.astype(np.int64)

    trunk_nodes = np.unique(
        np.concatenate([node_a[trunk & in_service], node_b[trunk & in_service]])
    )
    if len(trunk_nodes) == 0:
        trunk_nodes = np.arange(n_nodes)
    r_node = int(trunk_nodes[np.argmin(node_elevation[trunk_nodes])])
    t_node = int(trunk_nodes[np.argmax(np.hypot(*(xy[trunk_nodes] - xy[r_node]).T))])

    # Junctions cut off from both sources by abandoned pipes serve nobody.
    graph = sparse.coo_matrix(
        (np.ones(int(in_service.sum())), (node_a[in_service], node_b[in_service])),
        shape=(n_nodes, n_nodes),
    )
    _, component = connected_components(graph, directed=False)
    fed = np.isin(component, component[[r_node, t_node]])
    node_customers[~fed] = 0

    sites, points = _critical_sites(town, in_service & ~trunk)
    site_node = cKDTree(xy).query(shapely.get_coordinates(points))[1]
    industry_m3_per_day = (
        np.bincount(site_node[sites["kind"].to_numpy() == "industry"], minlength=n_nodes)
        * INDUSTRY_M3_PER_DAY
    )
    industry_m3_per_day[~fed] = 0.0

    grade_m = float(node_elevation.max()) + SERVICE_HEAD_M
    inp = _inp_text(
        town,
        xy=xy,
        junction_ids=junction_ids,
        node_a=node_a,
        node_b=node_b,
        node_elevation=node_elevation,
        node_customers=node_customers,
        industry_m3_per_day=industry_m3_per_day,
        in_service=in_service,
        sources=(r_node, t_node),
        grade_m=grade_m,
    )
    table = pd.DataFrame({"junction_id": junction_ids, "customers": node_customers})
    valves, valve_points = _isolation_valves(
        town, node_a, node_b, in_service, sources=(xy[r_node], xy[t_node])
    )
    return {
        "inp": inp,
        "customers": table,
        "sites": sites,
        "site_points": points,
        "valves": valves,
        "valve_points": valve_points,
    }


def _vertices(lines: np.ndarray) -> np.ndarray:
    """Start, middle and end vertex of each segment, shape (n, 3, 2) (the generator draws
    every segment with three vertices)."""
    return shapely.get_coordinates(lines).reshape(len(lines), 3, 2)


def _pipe_customers(pipes: pd.DataFrame, serves: np.ndarray) -> np.ndarray:
    """Customers along each main: denser in old districts; none on trunk or abandoned mains."""
    low, high = CUSTOMERS_PER_100M
    age_share = np.clip((2010.0 - pipes["district_year"].to_numpy(dtype=float)) / 120.0, 0, 1)
    per_100m = low + (high - low) * age_share
    count = np.rint(pipes["length_m"].to_numpy(dtype=float) / 100.0 * per_100m)
    return np.where(serves, count, 0).astype(np.int64)


def _roughness(pipes: pd.DataFrame, end_year: int) -> np.ndarray:
    """Hazen-Williams C: by material, minus 0.3 per year of age for unlined old metal."""
    material = pipes["true_material"].to_numpy(dtype=str)
    c = pd.Series(material).map(HAZEN_WILLIAMS_C).fillna(120.0).to_numpy(dtype=float)
    age = end_year - pipes["install_year"].to_numpy(dtype=float)
    ageing = np.isin(material, ["cast_iron", "steel", "galvanized_steel"]) & ~pipes[
        "lined"
    ].to_numpy(dtype=bool)
    return np.where(ageing, np.maximum(c - 0.3 * age, 60.0), c)


def _inside_diameter(pipes: pd.DataFrame) -> np.ndarray:
    """Inside diameter in mm: DN for metal and cement, outer diameter x 0.88 for plastics."""
    dn = pipes["true_diameter_mm"].to_numpy(dtype=float)
    plastic = np.isin(pipes["true_material"].to_numpy(dtype=str), ["pvc", "pe"])
    return np.where(plastic, dn * 0.88, dn)


def _inp_text(
    town, *, xy, junction_ids, node_a, node_b, node_elevation, node_customers,
    industry_m3_per_day, in_service, sources, grade_m,
) -> str:  # fmt: skip
    pipes = town.pipes
    r_node, t_node = sources
    demand_lps = (node_customers * DEMAND_M3_PER_DAY_PER_CUSTOMER + industry_m3_per_day) / 86.4
    lines = [
        "[TITLE]",
        "Sample utility (synthetic): hydraulic model of the generated town",
        f"seed {town.options['seed']}, {len(pipes)} pipes; see docs/sample-utility.md",
        "",
        "[JUNCTIONS]",
        ";ID              Elev(m)    Demand(LPS)  Pattern",
    ]
    lines += [
        f"{j}  {e:.2f}  {d:.6f}  DAILY"
        for j, e, d in zip(junction_ids, node_elevation, demand_lps, strict=True)
    ]
    n_r = ("N-R1", xy[r_node] + 60.0, node_elevation[r_node])
    n_t = ("N-T1", xy[t_node] + 40.0, node_elevation[t_node])
    lines += [f"{n_r[0]}  {n_r[2]:.2f}  0  DAILY", f"{n_t[0]}  {n_t[2]:.2f}  0  DAILY", ""]
    lines += ["[RESERVOIRS]", ";ID  Head(m)", f"R1  {grade_m + 15.0:.2f}", ""]
    tank_bottom = grade_m - 5.0
    lines += [
        "[TANKS]",
        ";ID  Elevation  InitLevel  MinLevel  MaxLevel  Diameter  MinVol",
        f"T1  {tank_bottom:.2f}  4  0  8  20  0",
        "",
        "[PIPES]",
        ";ID  Node1  Node2  Length(m)  Diameter(mm)  Roughness  MinorLoss  Status",
    ]
    pipe_ids = pipes["pipe_id"].tolist()
    length = pipes["length_m"].to_numpy(dtype=float)
    diameter = _inside_diameter(pipes)
    roughness = _roughness(pipes, town.options["end_year"])
    status = np.where(in_service, "Open", "Closed")
    lines += [
        f"{p}  {junction_ids[a]}  {junction_ids[b]}  {ln:.2f}  {d:.1f}  {c:.0f}  0  {s}"
        for p, a, b, ln, d, c, s in zip(
            pipe_ids, node_a, node_b, length, diameter, roughness, status, strict=True
        )
    ]
    lines += [
        "SRC-R1  R1  N-R1  150  600  120  0  Open",
        "SRC-T1  T1  N-T1  100  300  120  0  Open",
        "",
        "[VALVES]",
        ";ID  Node1  Node2  Diameter(mm)  Type  Setting  MinorLoss",
        f"V-R1  N-R1  {junction_ids[r_node]}  500  PRV  {grade_m - node_elevation[r_node]:.2f}  0",
        f"V-T1  N-T1  {junction_ids[t_node]}  300  TCV  0  0",
        "",
        "[PATTERNS]",
        ";ID  Multipliers (hourly, mean 1)",
        "DAILY  " + "  ".join(f"{m:.2f}" for m in DAILY[:12]),
        "DAILY  " + "  ".join(f"{m:.2f}" for m in DAILY[12:]),
        "",
        "[OPTIONS]",
        "Units  LPS",
        "Headloss  H-W",
        "Pattern  DAILY",
        "Demand Multiplier  1.0",
        "Demand Model  PDA",
        "Minimum Pressure  0",
        "Required Pressure  20",
        "Pressure Exponent  0.5",
        "Trials  100",
        "Accuracy  0.001",
        "Unbalanced  Continue 10",
        "",
        "[TIMES]",
        "Duration  24:00",
        "Hydraulic Timestep  1:00",
        "Pattern Timestep  1:00",
        "Report Timestep  1:00",
        "Start ClockTime  0:00",
        "",
        "[REPORT]",
        "Status  No",
        "Summary  No",
        "",
        "[COORDINATES]",
        ";Node  X(m)  Y(m)  (Lambert-93, EPSG:2154)",
    ]
    lines += [f"{j}  {x:.2f}  {y:.2f}" for j, (x, y) in zip(junction_ids, xy, strict=True)]
    lines += [
        f"{n_r[0]}  {n_r[1][0]:.2f}  {n_r[1][1]:.2f}",
        f"{n_t[0]}  {n_t[1][0]:.2f}  {n_t[1][1]:.2f}",
        f"R1  {xy[r_node][0] + 120.0:.2f}  {xy[r_node][1] + 120.0:.2f}",
        f"T1  {xy[t_node][0] + 80.0:.2f}  {xy[t_node][1] + 80.0:.2f}",
        "",
        "[VERTICES]",
        ";Link  X(m)  Y(m)",
    ]
    inner = _vertices(town.lines)[:, 1]
    lines += [f"{p}  {x:.2f}  {y:.2f}" for p, (x, y) in zip(pipe_ids, inner.tolist(), strict=True)]
    lines += ["", "[END]", ""]
    return "\n".join(lines)


def _isolation_valves(town, node_a, node_b, in_service, *, sources):
    """Isolation valve points as a GIS holds them (``valves.geojson``).

    The usual layout: at a share ``VALVED_CROSSINGS`` of the crossings (junctions where 3
    or more mains in service meet), a valve on every main but one (the "N-1" rule), drawn
    ``VALVE_OFFSET_M`` from the junction along the main; none at bends (2 mains) or dead
    ends. One valve at each source's outlet (``SRC-R1``, ``SRC-T1``, beside the model's
    ``N-R1`` and ``N-T1``), and a few points on no main of the model (service and hydrant
    valves), which ``risk criticality`` reports as not placed. Drawn from their own random
    stream: the other files of the sample do not change.
    """
    rng = np.random.default_rng(np.random.SeedSequence([town.options["seed"], 19]))
    n = len(node_a)
    ends = np.concatenate([node_a[in_service], node_b[in_service]])
    pipe = np.concatenate([np.flatnonzero(in_service)] * 2)
    k = int(in_service.sum())
    at_start = np.concatenate([np.ones(k, bool), np.zeros(k, bool)])
    order = np.lexsort((pipe, ends))
    ends, pipe, at_start = ends[order], pipe[order], at_start[order]
    starts = np.flatnonzero(np.r_[True, ends[1:] != ends[:-1]])
    stops = np.r_[starts[1:], len(ends)]
    chosen_pipe, chosen_start = [], []
    for lo, hi in zip(starts, stops, strict=True):
        if hi - lo < 3 or rng.random() >= VALVED_CROSSINGS:
            continue
        skip = lo + int(rng.integers(hi - lo))
        for i in range(lo, hi):
            if i != skip:
                chosen_pipe.append(pipe[i])
                chosen_start.append(at_start[i])
    lines = town.lines[np.array(chosen_pipe, dtype=np.int64)]
    length = shapely.length(lines)
    offset = np.minimum(VALVE_OFFSET_M, length / 4.0)
    along = np.where(chosen_start, offset, length - offset)
    xy = [shapely.get_coordinates(shapely.line_interpolate_point(lines, along))]
    for source_xy, shift in zip(sources, (60.0, 40.0), strict=True):
        # The source main runs from the source (node + 2 x shift) to N-* (node + shift).
        step = VALVE_OFFSET_M / np.sqrt(2.0)
        xy.append(np.asarray(source_xy, dtype=float)[None, :] + shift + step)
    n_stray = max(1, n // STRAY_VALVE_EVERY)
    middle = shapely.line_interpolate_point(
        town.lines[rng.choice(n, n_stray, replace=False)], 0.5, normalized=True
    )
    angle = rng.uniform(0.0, 2.0 * np.pi, n_stray)
    xy.append(
        shapely.get_coordinates(middle) + 25.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    )
    xy = np.concatenate(xy).round(2)
    table = pd.DataFrame({"valve_id": make_ids("VA", len(xy)), "kind": "isolation"})
    return table, shapely.points(xy)


def _critical_sites(town: SampleTown, eligible: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Hospitals, dialysis centres, schools and industries beside distribution mains."""
    rng = np.random.default_rng(np.random.SeedSequence([town.options["seed"], 17]))
    n_segments = len(town.pipes)
    n_sites = int(np.clip(n_segments // 250, 4, 60))
    kinds = np.array(["hospital", "dialysis"] + ["school", "school", "industry"] * n_sites)
    kinds = kinds[:n_sites]
    pool = np.flatnonzero(eligible)
    if len(pool) == 0:
        pool = np.arange(n_segments)
    chosen = rng.choice(pool, size=min(n_sites, len(pool)), replace=False)
    kinds = kinds[: len(chosen)]
    along = shapely.line_interpolate_point(
        town.lines[chosen], rng.uniform(0.3, 0.7, len(chosen)), normalized=True
    )
    angle = rng.uniform(0.0, 2.0 * np.pi, len(chosen))
    offset_m = rng.uniform(15.0, 40.0, len(chosen))
    xy = shapely.get_coordinates(along) + offset_m[:, None] * np.column_stack(
        [np.cos(angle), np.sin(angle)]
    )
    points = shapely.points(xy.round(2))
    number = pd.Series(kinds).groupby(kinds).cumcount().to_numpy() + 1
    table = pd.DataFrame(
        {
            "site_id": make_ids("CS", len(chosen), min_width=3),
            "kind": kinds,
            "name": [f"{k.capitalize()} {i}" for k, i in zip(kinds, number, strict=True)],
            "weight": [SITE_WEIGHTS[k] for k in kinds],
        }
    )
    return table, points
