"""Export an inspection plan: CSV, GeoJSON and a printable sheet per crew and day."""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.atomic import replace_atomically
from risk.csvsafe import write_csv
from risk.dispatch.plan import look_for, plan_advice
from risk.geometry import has_shape
from risk.i18n import DEFAULT_LANGUAGE, format_date, format_quantity, label, t
from risk.pipecard import reasons_in_words, with_reasons_in_words
from risk.store.models import LEAK_KINDS, RESULTS

#: Where a leak was, as the sheet asks it written (every kind but 'other': a note says it).
SHEET_LEAK_KINDS = LEAK_KINDS[:-1]

#: Printed on A4: the guidance once per sheet, three lines per pipe (about half the width
#: for the reasons in words, longer than the phrases stored in the scores), the table's head
#: repeated on each page, no row split across pages, no empty page at the end.
_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "Liberation Sans", Arial, "DejaVu Sans", "Segoe UI Symbol", sans-serif;
  font-size: 10pt; margin: 0; color: #111; }
@media screen { body { margin: 1.5cm; max-width: 19cm; } }
section { break-after: page; } section:last-child { break-after: auto; }
h1 { font-size: 14pt; margin: 0 0 .1em; } p.meta { margin: 0 0 .4em; color: #333; }
div.guide { border: 1px solid #999; padding: 3px 6px; margin: 0 0 .5em; font-size: 9pt; }
div.guide p { margin: 0; }
svg { border: 1px solid #ccc; margin-bottom: .4em; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border: 1px solid #999; padding: 2px 4px; vertical-align: top; font-size: 8.5pt;
  line-height: 1.2; overflow-wrap: anywhere; }
th { background: #eee; text-align: left; }
td.n, td.m { text-align: right; } td.box { font-size: 8pt; }
td.box span { white-space: nowrap; }
col.n { width: 4%; } col.pipe { width: 10%; } col.desc { width: 12%; } col.m { width: 5%; }
col.why { width: 49%; } col.box { width: 20%; }
"""


def export_plan(
    plan: pd.DataFrame, out_dir: str | Path, *, lang: str = DEFAULT_LANGUAGE
) -> dict[str, Path]:
    """Write ``plan.csv``, ``plan.geojson`` (with geometry) and ``sheets.html`` to ``out_dir``.

    The CSV and GeoJSON hold :func:`plan_records` (the reasons as scored and in words in
    ``lang``). Each file is written to a temporary name and renamed, so a reader never sees
    half a file. ``plan.csv`` goes through :func:`risk.csvsafe.write_csv` (text a spreadsheet
    would run as a formula is neutralised); the sheets escape every text they show and are in
    ``lang``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    table = plan_records(plan, lang=lang)
    written["csv"] = write_csv(table, out_dir / "plan.csv")
    if isinstance(plan, gpd.GeoDataFrame) and len(plan):
        geo = gpd.GeoDataFrame(table, geometry=plan.geometry.values, crs=plan.crs).to_crs(4326)
        written["geojson"] = replace_atomically(
            out_dir / "plan.geojson", lambda p: geo.to_file(p, driver="GeoJSON")
        )
    written["html"] = replace_atomically(
        out_dir / "sheets.html",
        lambda p: Path(p).write_text(render_sheets(plan, lang=lang), encoding="utf-8"),
    )
    return written


def plan_records(plan: pd.DataFrame, *, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """The plan as its files hold it (``plan.csv``, ``plan.geojson``, the Dispatch page's
    downloads): one row per inspection, without geometry, the day as ``YYYY-MM-DD``.

    ``look_for`` is the material's advice and what to check on every pipe, in ``lang``
    (:func:`risk.dispatch.plan_advice`). ``top_reasons`` stays as ``risk score`` wrote it
    (English phrases, the same text as in ``scores.parquet``, so filters and joins work
    whatever the reader's language); right after it, ``reasons`` gives the same reasons in words in ``lang``
    (:func:`risk.pipecard.with_reasons_in_words`), for the person who opens the attribute table.

    >>> plan = pd.DataFrame({"date": [pd.Timestamp("2026-11-23")], "pipe_id": ["P-1"],
    ...                      "top_reasons": ["cast iron, 95 years old; no recorded failure"]})
    >>> plan_records(plan, lang="fr").loc[0, ["date", "reasons"]].tolist()
    ['2026-11-23', 'fonte grise, 95 ans; aucune casse enregistrée']
    """
    table = pd.DataFrame(plan.drop(columns="geometry", errors="ignore"))
    table["date"] = pd.to_datetime(table["date"]).dt.date.astype(str)
    if "material" in table:
        table["look_for"] = [plan_advice(m, lang) for m in table["material"]]
    return with_reasons_in_words(table, lang)


def _reasons_text(value, lang: str) -> str:
    """A pipe's ``top_reasons`` in words in ``lang``, one line ("; " between reasons)."""
    return "; ".join(reasons_in_words(value, lang))


def _where_words(lang: str) -> str:
    """Where a leak was, as the sheet asks a crew to write it (``sheets.where.<kind>``: the
    words an outcome import reads back, :func:`risk.store.validation.read_code`)."""
    return ", ".join(t(f"sheets.where.{kind}", lang) for kind in SHEET_LEAK_KINDS)


def render_sheets(plan: pd.DataFrame, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A self-contained printable HTML page per crew and day, with a small map, in ``lang``.

    The guidance is printed once per sheet: what to check on every pipe, what to look for on
    each material of the day, how to record an outcome. Each row only says what is particular
    to its pipe (material, diameter, year, length, why it was chosen: its ``top_reasons`` in
    words, :func:`risk.pipecard.reasons_in_words`) and has the boxes to tick, so a crew-day
    of about 30 pipes prints on two A4 pages.
    """
    sections = []
    boxes = " ".join(f"☐ {_text(t(f'sheets.box.{code}', lang))}" for code in RESULTS)
    where = _text(t("sheets.where_flow", lang))
    for (crew, day), group in plan.groupby(["crew", "date"], sort=True):
        lengths = pd.to_numeric(group["length_m"], errors="coerce")
        km = format_quantity(lengths.sum() / 1000.0, "km", lang, decimals=2)
        materials = group["material"] if "material" in group else pd.Series(dtype=object)
        advice = [
            f"<b>{_text(label('material', m, lang))}</b>: {_text(look_for(m, lang))}"
            for m in sorted(set(materials.dropna()), key=lambda m: label("material", m, lang))
            if look_for(m, lang)
        ]
        head = (
            f"<h1>{_text(crew)} — {_text(format_date(pd.Timestamp(day).date(), lang))}</h1>"
            f"<p class='meta'>{_text(t('sheets.meta', lang, n=len(group), km=km))}</p>"
            f"<div class='guide'><p><b>{_text(t('sheets.every_pipe', lang))}:</b> "
            f"{_text(t('look_for.general', lang))}.</p>"
            + (
                f"<p><b>{_text(t('sheets.by_material', lang))}:</b> {'; '.join(advice)}.</p>"
                if advice
                else ""
            )
            + f"<p>{_text(t('sheets.record', lang, where=_where_words(lang)))}</p></div>"
        )
        drawn = _drawn(group)  # a day without any line (no geometry at all) needs no note
        svg = _svg_map(group) if drawn.any() else ""
        unmapped = f"<br><i>{_text(t('sheets.not_on_map', lang))}</i>" if drawn.any() else ""
        rows = []
        for r, length, on_map in zip(group.itertuples(index=False), lengths, drawn, strict=True):
            material = _text(label("material", getattr(r, "material", None), lang))
            diameter = "" if _missing(r.diameter_mm) else f", {float(r.diameter_mm):.0f} mm"
            year = "" if _missing(r.install_year) else f", {int(r.install_year)}"
            metres = "–" if _missing(length) else f"{float(length):.0f}"
            reasons = _reasons_text(getattr(r, "top_reasons", None), lang)
            rows.append(
                f"<tr><td class='n'>{_text(r.visit_order)}</td><td>{_text(r.pipe_id)}</td>"
                f"<td>{material}{diameter}{year}{'' if on_map else unmapped}</td>"
                f"<td class='m'>{metres}</td>"
                f"<td>{_text(reasons)}</td>"
                f"<td class='box'><span>{boxes}</span><br>{where}:</td></tr>"
            )
        columns = "".join(f"<col class='{c}'>" for c in ("n", "pipe", "desc", "m", "why", "box"))
        header = "".join(
            f"<th>{_text(h)}</th>"
            for h in (
                "#", t("sheets.col_pipe", lang), t("sheets.col_desc", lang), "m",
                t("sheets.col_why", lang), t("sheets.col_outcome", lang),
            )
        )  # fmt: skip
        table = (
            f"<table><colgroup>{columns}</colgroup><thead><tr>{header}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
        sections.append(f"<section>{head}{svg}{table}</section>")
    body = "".join(sections) or f"<p>{_text(t('sheets.none', lang))}</p>"
    return (
        f"<!doctype html><html lang='{_text(lang)}'><head><meta charset='utf-8'>"
        f"<title>{_text(t('sheets.title', lang))}</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>"
    )


def _text(value) -> str:
    """Any value as escaped HTML text (never markup)."""
    return html.escape(str(value))


def _drawn(group: pd.DataFrame) -> np.ndarray:
    """Which stops of a crew-day have a line to draw (none for a plan without geometry)."""
    if not isinstance(group, gpd.GeoDataFrame):
        return np.zeros(len(group), dtype=bool)
    return has_shape(group.geometry)


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def _svg_map(group: gpd.GeoDataFrame, width: int = 640, height: int = 260) -> str:
    """The day's pipes as lines with numbered stops, drawn without any basemap."""
    geoms = group.geometry.to_numpy()
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    # The whole width and height are used (stops 12 px inside the frame), at one scale.
    span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    scale = min((width - 24) / span_x, (height - 24) / span_y)

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
    bar_m = _nice_length(width / scale / 5)
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
