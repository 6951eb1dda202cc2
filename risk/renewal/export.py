"""The plan's files: ``renewal_plan.csv`` (one row per renewed pipe),
``renewal_plan.geojson`` (the same rows with the pipes' lines, in WGS 84, for the GIS) and
``renewal_summary.json`` (assumptions, every scenario's totals and years).

:func:`write_renewal` writes the three whole or not at all: every file is written under a
temporary name and flushed, and only when all three are complete are they renamed over the
previous ones. The page's download buttons use the same texts (:func:`plan_csv_text`,
:func:`plan_geojson_text`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from risk.atomic import atomic_text_file
from risk.csvsafe import to_csv_text
from risk.renewal.plan import RenewalPlan, Scenario

#: File names written by :func:`write_renewal`.
FILES = {
    "csv": "renewal_plan.csv",
    "geojson": "renewal_plan.geojson",
    "summary": "renewal_summary.json",
}


def plan_table(scenario: Scenario) -> pd.DataFrame:
    """The renewed pipes of a scenario, rounded for people and GIS (cents, 4 decimals of
    failures, centimetres)."""
    table = scenario.renewed.copy()
    table["cost_eur"] = table["cost_eur"].round(2)
    table["length_m"] = table["length_m"].round(2)
    for column in ("expected_failures_avoided", "risk_reduction", "cof_score"):
        table[column] = table[column].round(4)
    return table


def plan_csv_text(plan: RenewalPlan, key: str | None = None) -> str:
    """``renewal_plan.csv`` of the plan (or of scenario ``key``), as text."""
    scenario = plan.scenario(key) if key else plan.main
    return to_csv_text(plan_table(scenario), lineterminator="\n")


def plan_geojson_text(plan: RenewalPlan, key: str | None = None) -> str:
    """``renewal_plan.geojson``: a FeatureCollection, one feature per renewed pipe with the
    CSV's columns as properties; lines in WGS 84 (null geometry without one)."""
    scenario = plan.scenario(key) if key else plan.main
    table = plan_table(scenario)
    geometry = plan.inputs.geometry
    shapes = [None] * len(table)
    if geometry is not None and len(table):
        by_id = pd.Series(geometry.to_numpy(), index=plan.inputs.pipes["pipe_id"].to_numpy())
        import geopandas as gpd
        from shapely.geometry import mapping

        lines = gpd.GeoSeries(by_id.reindex(table["pipe_id"]).to_numpy(), crs=geometry.crs)
        if lines.crs is not None:
            lines = lines.to_crs(4326)
        shapes = [mapping(g) if g is not None and not g.is_empty else None for g in lines]
    features = [
        {"type": "Feature", "properties": _plain_row(row), "geometry": shape}
        for row, shape in zip(table.to_dict("records"), shapes, strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def summary_document(plan: RenewalPlan) -> dict:
    """``renewal_summary.json``: the assumptions and every scenario's totals and years."""
    basis = {k: v for k, v in plan.basis.items() if k != "costs"}
    return {
        "basis": _plain(basis),
        "costs": _plain(plan.basis.get("costs", {})),
        "scenarios": [
            {
                "scenario": s.key,
                "rule": s.rule,
                "factor": s.factor,
                "budget_eur_per_year": s.budget_eur_per_year,
                "totals": _plain(s.totals),
                "years": [_plain_row(r) for r in s.yearly.to_dict("records")],
            }
            for s in plan.scenarios
        ],
    }


def write_renewal(plan: RenewalPlan, out_dir: str | Path) -> dict[str, Path]:
    """Write the three files to ``out_dir`` (created if needed), whole or not at all."""
    out_dir = Path(out_dir)
    texts = {
        "csv": plan_csv_text(plan),
        "geojson": plan_geojson_text(plan),
        "summary": json.dumps(summary_document(plan), indent=2, ensure_ascii=False),
    }
    paths = {name: out_dir / FILES[name] for name in FILES}
    # Nested: each file replaces its predecessor only when every block ended without error.
    with (
        atomic_text_file(paths["csv"], newline="") as csv_file,
        atomic_text_file(paths["geojson"]) as geojson_file,
        atomic_text_file(paths["summary"]) as summary_file,
    ):
        csv_file.write(texts["csv"])
        geojson_file.write(texts["geojson"])
        summary_file.write(texts["summary"])
    return paths


def _plain_row(row: dict) -> dict:
    return {str(k): _plain(v) for k, v in row.items()}


def _plain(value):
    """JSON-ready: numpy scalars to Python, NaN and NA to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    return value
