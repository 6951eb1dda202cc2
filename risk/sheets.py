"""Export an inspection plan: CSV, GeoJSON and a printable sheet per crew and day."""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.csvsafe import write_csv

_CSS = """
body { font-family: Liberation Sans, Arial, sans-serif; font-size: 11pt; margin: 1.5cm; }
section { page-break-after: always; }
h1 { font-size: 15pt; margin: 0 0 .2em; } p.meta { margin: 0 0 .6em; color: #333; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999;
padding: 3px 5px; vertical-align: top; font-size: 9.5pt; } th { background: #eee; }
td.box { white-space: nowrap; } svg { border: 1px solid #ccc; margin-bottom: .6em; }
"""


def export_plan(plan: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    """Write ``plan.csv``, ``plan.geojson`` (with geometry) and ``sheets.html`` to ``out_dir``.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    ``plan.csv`` goes through :func:`risk.csvsafe.write_csv` (text a spreadsheet would run as a
    formula is neutralised); the sheets escape every text they show.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    table = pd.DataFrame(plan.drop(columns="geometry", errors="ignore"))
    table["date"] = pd.to_datetime(table["date"]).dt.date.astype(str)
    written["csv"] = write_csv(table, out_dir / "plan.csv")
    if isinstance(plan, gpd.GeoDataFrame) and len(plan):
        geo = gpd.GeoDataFrame(table, geometry=plan.geometry.values, crs=plan.crs).to_crs(4326)
        written["geojson"] = _atomic(
            out_dir / "plan.geojson", lambda p: geo.to_file(p, driver="GeoJSON")
        )
    written["html"] = _atomic(
        out_dir / "sheets.html", lambda p: Path(p).write_text(render_sheets(plan), encoding="utf-8")
    )
    return written


def _atomic(path: Path, write) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def render_sheets(plan: pd.DataFrame) -> str:
    """A self-contained printable HTML page per crew and day, with a small map."""
    sections = []
    for (crew, day), group in plan.groupby(["crew", "date"], sort=True):
        km = group["length_m"].sum() / 1000.0
        head = (
            f"<h1>{html.escape(str(crew))} — {html.escape(str(pd.Timestamp(day).date()))}</h1>"
            f"<p class='meta'>{len(group)} pipes, {km:.2f} km. Record each outcome: "
            "leak found (kind, estimated flow m³/h) / nothing found / could not access.</p>"
        )
        svg = _svg_map(group) if isinstance(group, gpd.GeoDataFrame) else ""
        rows = []
        for r in group.itertuples(index=False):
            reasons = html.escape(str(getattr(r, "top_reasons", "") or ""))
            year = "" if pd.isna(r.install_year) else int(r.install_year)
            diameter = "" if pd.isna(r.diameter_mm) else f"{r.diameter_mm:.0f}"
            rows.append(
                f"<tr><td>{html.escape(str(r.visit_order))}</td>"
                f"<td>{html.escape(str(r.pipe_id))}</td>"
                f"<td>{html.escape(str(r.material))}, {diameter} mm, {year}</td>"
                f"<td>{r.length_m:.0f}</td><td>{reasons}</td>"
                f"<td>{html.escape(str(r.look_for))}</td>"
                "<td class='box'>☐ leak ☐ none ☐ no access</td></tr>"
            )
        table = (
            "<table><tr><th>#</th><th>pipe</th><th>material, Ø, year</th><th>m</th>"
            "<th>why</th><th>look for</th><th>outcome</th></tr>" + "".join(rows) + "</table>"
        )
        sections.append(f"<section>{head}{svg}{table}</section>")
    body = "".join(sections) or "<p>No inspections planned.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Inspection sheets</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>"
    )


def _svg_map(group: gpd.GeoDataFrame, width: int = 640, height: int = 320) -> str:
    """The day's pipes as lines with numbered stops, drawn without any basemap."""
    geoms = group.geometry.to_numpy()
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    span = max(maxx - minx, maxy - miny, 1.0) * 1.1
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    scale = min(width, height) / span

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [width / 2 + (xy[:, 0] - cx) * scale, height / 2 - (xy[:, 1] - cy) * scale]
        )

    parts = []
    for geom, order in zip(geoms, group["visit_order"], strict=True):
        if geom is None or geom.is_empty:
            continue
        for line in getattr(geom, "geoms", [geom]):
            pts = project(shapely.get_coordinates(line))
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            parts.append(
                f"<polyline points='{path}' fill='none' stroke='#c0392b' stroke-width='3'/>"
            )
        mid = project(
            shapely.get_coordinates(shapely.line_interpolate_point(geom, 0.5, normalized=True))
        )[0]
        parts.append(
            f"<circle cx='{mid[0]:.1f}' cy='{mid[1]:.1f}' r='8' fill='white' stroke='#333'/>"
            f"<text x='{mid[0]:.1f}' y='{mid[1] + 3.5:.1f}' font-size='9' text-anchor='middle'>"
            f"{html.escape(str(order))}</text>"
        )
    bar_m = _nice_length(span / 4)
    bar_px = bar_m * scale
    parts.append(
        f"<line x1='10' y1='{height - 12}' x2='{10 + bar_px:.1f}' y2='{height - 12}' "
        f"stroke='black' stroke-width='2'/><text x='10' y='{height - 16}' font-size='9'>"
        f"{bar_m:,.0f} m</text>"
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}'>{''.join(parts)}</svg>"
    )


def _nice_length(metres: float) -> float:
    power = 10 ** np.floor(np.log10(max(metres, 1.0)))
    for step in (5, 2, 1):
        if step * power <= metres:
            return float(step * power)
    return float(power)
