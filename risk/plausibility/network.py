"""Checks of the pipe network across rows: pipes drawn twice, segments shorter than
:data:`MIN_SEGMENT_LENGTH_M` (kept, dropped or merged into their neighbour)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.contract import Findings
from risk.geometry import has_shape
from risk.validate import counted

#: Segments shorter than this (metres) are reported; the mapping's ``[pipes] min_length_m``
#: changes it and ``short_segments = "drop"`` or ``"merge"`` acts on them.
MIN_SEGMENT_LENGTH_M = 1.0


def warn_duplicate_geometries(pipes: pd.DataFrame, file: str, findings: Findings) -> None:
    """Report pipes drawn twice: the same line (either way round) under two pipe_ids. Both
    are kept; their length counts twice and a break located there links to one of them."""
    if not isinstance(pipes, gpd.GeoDataFrame) or len(pipes) < 2:
        return
    geoms = np.asarray(pipes.geometry.values)
    located = has_shape(geoms)
    keys = pd.Series(pd.NA, index=pipes.index, dtype=object)
    keys[located] = shapely.to_wkb(shapely.normalize(geoms[located]), hex=True)
    twice = (keys.duplicated(keep=False) & located).to_numpy()
    if not twice.any():
        return
    first = keys[twice].iloc[0]
    pair = pipes.loc[(keys == first).to_numpy() & twice, "pipe_id"].head(2)
    findings.warn(
        "pipes",
        file,
        "duplicate_geometry",
        f"{counted(int(twice.sum()), 'pipe has', 'pipes have')} exactly the same line as "
        "another pipe (for example "
        f"{' and '.join(pair)}): drawn twice? Both are kept, so that length counts twice and "
        "a break located there links to one of them",
        "Remove the duplicate features at the source, or keep both if they are truly two mains",
        rows=pipes.loc[twice, "_row"],
    )


#: A pipe segment longer than this, and than :data:`LONG_PIPE_MEDIANS` times the median
#: segment, is named: a spreadsheet's total row, or a whole street drawn as one line.
LONG_PIPE_M = 5_000.0
LONG_PIPE_MEDIANS = 50.0


def warn_long_pipes(pipes: pd.DataFrame, file: str, findings: Findings) -> None:
    """Name pipes far longer than any segment of the network (kept as they are)."""
    length = pd.to_numeric(pipes["length_m"], errors="coerce")
    median = length.median()
    if not median > 0:
        return
    long = ((length > LONG_PIPE_M) & (length > LONG_PIPE_MEDIANS * median)).to_numpy()
    if not long.any():
        return
    row = pipes.loc[long].iloc[0]
    n = int(long.sum())
    findings.warn(
        "pipes",
        file,
        "very_long_pipe",
        f"{n:,} {'pipe is' if n == 1 else 'pipes are'} longer than {LONG_PIPE_M:,.0f} m and "
        f"{LONG_PIPE_MEDIANS:g} times the median segment ({median:,.0f} m); for example "
        f"{row['pipe_id']}: {row['length_m']:,.0f} m. A total row of a spreadsheet, or a whole "
        "main drawn as one line? Kept as given",
        "Remove a total row from the export; a long main is scored as one pipe, ranked by its "
        "failures per km",
        rows=pipes.loc[long, "_row"],
    )


#: The first year water mains of a material were laid (about; Europe and North America):
#: a pipe of that material laid before it has its material or its year wrong.
MATERIAL_FIRST_YEAR = {
    "pvc": (1950, "PVC"),
    "pe": (1955, "PE"),
    "ductile_iron": (1950, "ductile iron"),
    "asbestos_cement": (1910, "asbestos cement"),
}


def warn_material_era(pipes: pd.DataFrame, file: str, findings: Findings) -> None:
    """Name the pipes of a material laid before that material was made for water mains
    (:data:`MATERIAL_FIRST_YEAR`): PVC in 1879 means a wrong material or a wrong year. They
    are kept as given; the model reads both."""
    if "material" not in pipes or "install_year" not in pipes:
        return
    material = pipes["material"].astype("string")
    year = pd.to_numeric(pipes["install_year"], errors="coerce")
    first = material.map({k: v[0] for k, v in MATERIAL_FIRST_YEAR.items()}).astype("Float64")
    early = (year < first).fillna(False).to_numpy(dtype=bool)
    if not early.any():
        return
    counts = material[early].value_counts()
    parts = [
        f"{n:,} {MATERIAL_FIRST_YEAR[m][1]} before {MATERIAL_FIRST_YEAR[m][0]}"
        for m, n in counts.items()
    ]
    row = pipes.loc[early].iloc[0]
    words = MATERIAL_FIRST_YEAR[str(row["material"])][1]
    n = int(early.sum())
    findings.warn(
        "pipes",
        file,
        "material_before_its_time",
        f"{n:,} {'pipe is' if n == 1 else 'pipes are'} of a material laid before water mains "
        "were made of it "
        f"({', '.join(parts)}; for example {row['pipe_id']}: {words} laid in "
        f"{int(row['install_year'])}): the material or the install year is wrong. They are "
        "kept as given",
        "Check those pipes' material and install year at the source (a pipe relined or "
        "replaced may keep the old main's year, or the new material's code)",
        rows=pipes.loc[early, "_row"],
    )


def check_short_segments(
    pipes: pd.DataFrame, file: str, findings: Findings, *, min_length_m: float, action: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Report pipes shorter than ``min_length_m``; keep, drop or merge them per ``action``.

    Returns the pipes and the ids merged away (``{short pipe_id: neighbour pipe_id}``), so
    that breaks and welds reported on a merged segment follow it to its neighbour.
    """
    length = pipes["length_m"].astype(float)
    short = (length < min_length_m).fillna(False).to_numpy()
    if not short.any():
        return pipes, {}
    zero = int((length[short] <= 0).sum())
    examples = ", ".join(
        f"{pid} ({value:.2g} m)"
        for pid, value in zip(
            pipes.loc[short, "pipe_id"].head(5), length[short].head(5), strict=False
        )
    )
    what = (
        f"{int(short.sum()):,} pipe segments are shorter than {min_length_m:g} m"
        + (f" ({zero:,} of zero length)" if zero else "")
        + f", for example {examples}"
    )
    rows = pipes.loc[short, "_row"].to_numpy()
    if action == "drop":
        findings.warn(
            "pipes",
            file,
            "short_segments",
            what + '; they were left out (short_segments = "drop" in the mapping)',
            rows=rows,
        )
        return pipes.loc[~short], {}
    if action == "merge":
        if not isinstance(pipes, gpd.GeoDataFrame):
            findings.warn(
                "pipes",
                file,
                "short_segments",
                what + "; they are kept: merging needs geometry, which this inventory lacks",
                'Use short_segments = "drop", or fix them at the source',
                rows=rows,
            )
            return pipes, {}
        merged, aliases = _merge_short(pipes, short)
        kept = int(short.sum()) - len(aliases)
        findings.warn(
            "pipes",
            file,
            "short_segments",
            what + f"; {len(aliases):,} were merged into the "
            "neighbour they touch (same material and install year first, else the longest)"
            + (f", {kept:,} with no longer neighbour are kept" if kept else ""),
            rows=rows,
        )
        return merged, aliases
    findings.warn(
        "pipes",
        file,
        "short_segments",
        what + "; they are kept, and ranked by their expected failures over at least "
        f"{MIN_SEGMENT_LENGTH_M:g} m so that they never come first for being short",
        'Fix them at the source, or set short_segments = "merge" (or "drop") under [pipes] '
        "in the mapping file",
        rows=rows,
    )
    return pipes, {}


def _merge_short(pipes: gpd.GeoDataFrame, short: np.ndarray):
    geoms = np.asarray(pipes.geometry.values)
    long_pos = np.flatnonzero(~short & ~shapely.is_missing(geoms))
    tree = shapely.STRtree(geoms[long_pos])
    geoms = geoms.copy()
    lengths = pipes["length_m"].to_numpy(dtype=float).copy()
    material = pipes["material"].astype(str).to_numpy()
    year = pipes["install_year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    aliases: dict[str, str] = {}
    drop = np.zeros(len(pipes), dtype=bool)
    for pos in np.flatnonzero(short):
        geom = geoms[pos]
        if geom is None or shapely.is_empty(geom):
            continue
        near = long_pos[tree.query(shapely.buffer(geom, 0.01), predicate="intersects")]
        if not len(near):
            continue
        same = (material[near] == material[pos]) & (year[near] == year[pos])
        order = np.lexsort((near, -lengths[near], ~same))
        target = near[order[0]]
        union = shapely.line_merge(shapely.union(geoms[target], geom))
        geoms[target] = union
        lengths[target] += max(lengths[pos], 0.0) if np.isfinite(lengths[pos]) else 0.0
        aliases[str(pipes["pipe_id"].iloc[pos])] = str(pipes["pipe_id"].iloc[target])
        drop[pos] = True
    out = pipes.copy()
    out["length_m"] = lengths
    out = out.set_geometry(gpd.GeoSeries(geoms, index=pipes.index, crs=pipes.crs))
    return out.loc[~drop], aliases
