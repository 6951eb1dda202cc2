"""Pipe attributes of the sample town: installation year, material, diameter, zone.

Installation years follow the development year of each district, with later
renewals of whole streets and of single segments (older pipes are renewed more
often). Materials follow French practice by era: grey cast iron until the 1960s,
asbestos cement from 1950 to the mid-1980s, steel (welded) mostly for trunk mains
from the 1930s to the 1970s, ductile iron from the 1960s, PVC from the late
1960s and PE from the mid-1980s. Distribution mains are DN 60-200 (PVC and PE as
outer diameters 63-200 mm); trunk mains along main streets are DN 200-600.
Pressure zones are elevation bands, each fed from a reservoir above its highest
pipe, so the static pressure varies within and between zones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.sample.fields import interpolate_weights, sample_categories, smooth_field
from risk.sample.network import StreetNetwork

_KNOT_YEARS = np.array([1850, 1930, 1950, 1960, 1970, 1980, 1990, 2000, 2010, 2030])
#: Material shares of distribution mains by installation year (interpolated).
DISTRIBUTION_MATERIALS = {
    "cast_iron": [0.90, 0.84, 0.66, 0.42, 0.10, 0.02, 0.00, 0.00, 0.00, 0.00],
    "galvanized_steel": [0.05, 0.05, 0.03, 0.02, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
    "steel": [0.05, 0.08, 0.08, 0.07, 0.05, 0.03, 0.02, 0.01, 0.01, 0.01],
    "asbestos_cement": [0.00, 0.02, 0.20, 0.34, 0.33, 0.28, 0.04, 0.00, 0.00, 0.00],
    "ductile_iron": [0.00, 0.00, 0.01, 0.05, 0.20, 0.30, 0.40, 0.45, 0.45, 0.45],
    "pvc": [0.00, 0.00, 0.00, 0.05, 0.30, 0.35, 0.36, 0.26, 0.16, 0.12],
    "pe": [0.00, 0.00, 0.00, 0.00, 0.00, 0.02, 0.16, 0.28, 0.38, 0.42],
}
#: Material shares of trunk mains by installation year (interpolated).
TRUNK_MATERIALS = {
    "cast_iron": [0.90, 0.70, 0.45, 0.25, 0.05, 0.00, 0.00, 0.00, 0.00, 0.00],
    "steel": [0.10, 0.30, 0.35, 0.35, 0.30, 0.20, 0.10, 0.08, 0.05, 0.05],
    "concrete": [0.00, 0.00, 0.12, 0.15, 0.12, 0.05, 0.00, 0.00, 0.00, 0.00],
    "asbestos_cement": [0.00, 0.00, 0.08, 0.15, 0.13, 0.05, 0.00, 0.00, 0.00, 0.00],
    "ductile_iron": [0.00, 0.00, 0.00, 0.10, 0.40, 0.70, 0.90, 0.92, 0.95, 0.95],
}
_DN_METAL = np.array([60, 80, 100, 125, 150, 200])
_DN_METAL_OLD = np.array([0.22, 0.30, 0.26, 0.08, 0.10, 0.04])
_DN_METAL_NEW = np.array([0.02, 0.08, 0.34, 0.18, 0.28, 0.10])
_DN_PLASTIC = np.array([63, 75, 90, 110, 125, 160, 200])
_DN_PLASTIC_W = np.array([0.10, 0.13, 0.20, 0.27, 0.11, 0.13, 0.06])
_DN_GALVANIZED = np.array([40, 50, 60])
_DN_TRUNK = np.array([250, 300, 350, 400, 500, 600])
_DN_TRUNK_W = np.array([0.25, 0.25, 0.15, 0.15, 0.12, 0.08])

#: Pressure zones from the lowest to the highest, with the elevation quantile at
#: their top and the reservoir head above their highest pipe, in metres.
PRESSURE_ZONES = {
    "BASSE": (0.25, 40.0),
    "MOYENNE": (0.65, 40.0),
    "HAUTE": (0.92, 35.0),
    "SURPRESSEE": (1.00, 50.0),
}
#: Share of pipes recorded with material "unknown" (the truth keeps the real one).
UNKNOWN_MATERIAL_SHARE = 0.005
#: Share of pipes recorded without a diameter.
MISSING_DIAMETER_SHARE = 0.003
#: Share of old cast iron and steel pipes relined (cement mortar) before the simulation.
RELINED_SHARE = 0.10
#: Share of pipes abandoned (removed_year set) during the break record.
REMOVED_SHARE = 0.01


def assign_attributes(
    net: StreetNetwork,
    rng: np.random.Generator,
    *,
    record_start_year: int,
    end_year: int,
) -> pd.DataFrame:
    """Attributes of every segment, including hidden truth columns.

    Parameters
    ----------
    net : StreetNetwork
    rng : numpy.random.Generator
    record_start_year : int
        First year of the break record; pipes are abandoned only after it.
    end_year : int
        Last simulated year; nothing is installed after ``end_year - 1``.

    Returns
    -------
    DataFrame
        One row per segment, in network order. Public columns: ``material``,
        ``diameter_mm``, ``install_year``, ``pressure_zone``, ``lined``,
        ``removed_year``. Truth columns: ``true_material``, ``true_diameter_mm``,
        ``is_trunk``, ``district``, ``district_year``, ``elevation_m``, ``pressure_m``.
    """
    n = len(net.is_main)
    street = net.street
    n_streets = int(street.max()) + 1
    is_trunk = net.is_main
    install_year = _install_years(net, rng, end_year)
    renewed_alone = install_year != _per_street(install_year, street, n_streets)[street]

    # Material and diameter are drawn per street, so a street is laid in one go;
    # segments renewed on their own get their own draws.
    u_mat = rng.random(n_streets)[street]
    u_mat[renewed_alone] = rng.random(int(renewed_alone.sum()))
    dist_w = interpolate_weights(install_year, _KNOT_YEARS, DISTRIBUTION_MATERIALS)
    trunk_w = interpolate_weights(install_year, _KNOT_YEARS, TRUNK_MATERIALS)
    dist_names = np.array(list(DISTRIBUTION_MATERIALS))
    trunk_names = np.array(list(TRUNK_MATERIALS))
    material = np.where(
        is_trunk,
        trunk_names[sample_categories(trunk_w, u_mat)],
        dist_names[sample_categories(dist_w, u_mat)],
    )
    diameter = _diameters(net, material, install_year, is_trunk, rng, n_streets)

    x, y = net.midpoints_m.T
    elevation_m = (
        110.0
        + 30.0 * smooth_field(x, y, rng, wavelength_m=(3_000, 15_000))
        + 6.0 * smooth_field(x, y, rng, wavelength_m=(600, 2_000))
    )
    zone, pressure_m = _pressure_zones(elevation_m)

    metal_old = np.isin(material, ["cast_iron", "steel"]) & (install_year < 1975)
    lined = metal_old & (rng.random(n) < RELINED_SHARE)
    removed = rng.random(n) < REMOVED_SHARE
    removed_year = rng.integers(record_start_year, end_year + 1, n)
    removed &= removed_year > install_year + 1
    reported_material = material.copy()
    reported_material[rng.random(n) < UNKNOWN_MATERIAL_SHARE] = "unknown"
    reported_diameter = diameter.astype(float)
    reported_diameter[rng.random(n) < MISSING_DIAMETER_SHARE] = np.nan

    return pd.DataFrame(
        {
            "material": reported_material,
            "diameter_mm": reported_diameter,
            "install_year": install_year.astype(np.int64),
            "pressure_zone": zone,
            "lined": lined,
            "removed_year": pd.arrays.IntegerArray(removed_year.astype(np.int64), mask=~removed),
            "true_material": material,
            "true_diameter_mm": diameter.astype(float),
            "is_trunk": is_trunk,
            "district": net.district,
            "district_year": net.district_year.round().astype(np.int64),
            "elevation_m": elevation_m.round(1),
            "pressure_m": pressure_m.round(1),
        }
    )


def _per_street(values: np.ndarray, street: np.ndarray, n_streets: int) -> np.ndarray:
    """Value at the first segment of each street, shape (n_streets,)."""
    first = np.zeros(n_streets, dtype=np.int64)
    idx = np.arange(len(street))[::-1]
    first[street[idx]] = idx  # later writes win: the smallest index of each street
    return values[first]


def _install_years(net: StreetNetwork, rng: np.random.Generator, end_year: int) -> np.ndarray:
    """Installation year: district development, then street and segment renewals."""
    n_streets = int(net.street.max()) + 1
    street_year = _per_street(net.district_year, net.street, n_streets)
    street_main = _per_street(net.is_main, net.street, n_streets)
    delay = rng.exponential(np.where(street_main, 3.0, 8.0))
    year = np.minimum(street_year + delay, end_year - 1.0)
    # Whole streets renewed: the older, the likelier.
    p_street = 0.55 * np.clip((end_year - year - 25.0) / 90.0, 0.0, 1.0)
    renew = rng.random(n_streets) < p_street
    low = np.maximum(year + 25.0, 1950.0)
    renewal = low + rng.random(n_streets) * np.maximum(end_year - 1.0 - low, 0.0)
    year = np.where(renew & (low < end_year - 1.0), renewal, year)[net.street]
    # Single segments renewed after repairs.
    p_segment = 0.15 * np.clip((end_year - year - 20.0) / 80.0, 0.0, 1.0)
    alone = rng.random(len(year)) < p_segment
    low = np.maximum(year + 20.0, 1960.0)
    renewal = low + rng.random(len(year)) * np.maximum(end_year - 1.0 - low, 0.0)
    year = np.where(alone & (low < end_year - 1.0), renewal, year)
    return np.floor(year).astype(np.int64)


def _diameters(net, material, install_year, is_trunk, rng, n_streets) -> np.ndarray:
    """Nominal diameter (DN, or outer diameter for plastics) in millimetres."""
    n = len(material)
    u = rng.random(n_streets)[net.street]
    share_new = np.clip((install_year - 1900.0) / 90.0, 0.0, 1.0)[:, None]
    metal_w = (1.0 - share_new) * _DN_METAL_OLD + share_new * _DN_METAL_NEW
    diameter = _DN_METAL[sample_categories(metal_w, u)]
    plastic = np.isin(material, ["pvc", "pe"])
    plastic_w = np.broadcast_to(_DN_PLASTIC_W, (n, len(_DN_PLASTIC_W)))
    diameter = np.where(plastic, _DN_PLASTIC[sample_categories(plastic_w, u)], diameter)
    galvanized = material == "galvanized_steel"
    diameter = np.where(galvanized, _DN_GALVANIZED[np.minimum((u * 3).astype(int), 2)], diameter)
    # Trunk mains: one DN per main street, smaller in the outskirts.
    n_lines = int(net.main_line.max()) + 2
    line_w = np.broadcast_to(_DN_TRUNK_W, (n_lines, len(_DN_TRUNK_W)))
    line_dn = _DN_TRUNK[sample_categories(line_w, rng.random(n_lines))]
    trunk_dn = line_dn[np.maximum(net.main_line, 0)]
    rel = np.hypot(*(net.midpoints_m - net.centre_xy_m).T) / net.radius_m
    trunk_dn = np.where(rel > 0.7, np.minimum(trunk_dn, np.where(u < 0.5, 200, 250)), trunk_dn)
    return np.where(is_trunk, trunk_dn, diameter)


def _pressure_zones(elevation_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pressure zone (elevation band) and static pressure in metres of water."""
    names = np.array(list(PRESSURE_ZONES))
    tops = np.quantile(elevation_m, [q for q, _ in PRESSURE_ZONES.values()])
    zone_index = np.minimum(np.searchsorted(tops, elevation_m), len(names) - 1)
    heads = tops + np.array([head for _, head in PRESSURE_ZONES.values()])
    # Pressure-reducing valves keep the deepest pipes below 100 m.
    pressure_m = np.minimum(heads[zone_index] - elevation_m, 100.0)
    return names[zone_index], pressure_m
