"""The risk map's table: one row per pipe with its scores, the filters, the selected pipe and its card."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from risk.maplayers.bands import PIPE_LAYER_PREFIX, risk_bands


def selected_pipe_id(event) -> str | None:
    """The pipe id picked on the map, from a ``st.pydeck_chart`` selection event (or None)."""
    if not event:
        return None
    selection = event.get("selection") if isinstance(event, dict) else event.selection
    if not selection:
        return None
    objects = selection.get("objects") or {}
    for layer_id, picked in objects.items():
        if str(layer_id).startswith(PIPE_LAYER_PREFIX) and picked:
            return str(picked[0].get("id"))
    return None


def map_table(pipes: pd.DataFrame, scores: pd.DataFrame | None, *, year: int) -> pd.DataFrame:
    """One row per pipe, in the pipes' order: attributes, ``age_years``, score and ``band``.

    Columns: ``pipe_id``, ``material``, ``pressure_zone``, ``diameter_mm``, ``install_year``,
    ``age_years``, ``length_m``, ``probability``, ``expected_failures``, ``rank`` and
    ``band`` (see :func:`risk_bands`; ``unscored`` without scores).
    """
    columns = ["pipe_id", "material", "pressure_zone", "diameter_mm", "install_year", "length_m"]
    table = pd.DataFrame({c: pipes[c] for c in columns if c in pipes}).reset_index(drop=True)
    table["pipe_id"] = table["pipe_id"].astype(str)
    if "pressure_zone" not in table:
        table["pressure_zone"] = pd.NA
    install = pd.to_numeric(table.get("install_year"), errors="coerce")
    table["age_years"] = (year - install).astype("Float64")
    score_columns = ["probability", "expected_failures", "rank", "top_reasons"]
    unit_columns = ["unit_id", "unit_order", "unit_rank", "unit_length_m"]
    if scores is not None and len(scores):
        kept = [c for c in score_columns + unit_columns if c in scores]
        by_pipe = scores.assign(pipe_id=scores["pipe_id"].astype(str)).drop_duplicates("pipe_id")
        table = table.merge(by_pipe[["pipe_id", *kept]], on="pipe_id", how="left")
    for column in score_columns:
        if column not in table:
            table[column] = pd.NA if column == "top_reasons" else np.nan
    table["band"] = risk_bands(table["rank"], len(table))
    return table


def filter_mask(
    table: pd.DataFrame,
    *,
    materials=None,
    zones=None,
    bands=None,
    age_years: tuple[float, float] | None = None,
) -> np.ndarray:
    """Rows of :func:`map_table` kept by the filters (None or empty: no filter).

    A pipe of unknown age is kept unless an age range narrower than the data is chosen.
    """
    keep = np.ones(len(table), dtype=bool)
    if materials:
        keep &= table["material"].isin(list(materials)).to_numpy()
    if zones:
        keep &= table["pressure_zone"].astype("string").isin(list(zones)).fillna(False).to_numpy()
    if bands:
        keep &= table["band"].isin(list(bands)).to_numpy()
    if age_years is not None:
        age = table["age_years"].astype(float).to_numpy()
        lo, hi = age_years
        full = np.nanmin(age) >= lo and np.nanmax(age) <= hi if np.isfinite(age).any() else True
        inside = (age >= lo) & (age <= hi)
        keep &= inside | (np.isnan(age) & full)
    return keep


def pipe_card(table: pd.DataFrame, breaks: pd.DataFrame, pipe_id: str) -> dict | None:
    """What the map shows for one pipe: attributes, score, reasons and failure history."""
    rows = table[table["pipe_id"] == str(pipe_id)]
    if not len(rows):
        return None
    row = rows.iloc[0]
    history = breaks[breaks["pipe_id"].astype("string") == str(pipe_id)] if len(breaks) else breaks
    keep = [c for c in ("date", "break_id", "kind", "flow_m3_per_h") if c in history]
    history = pd.DataFrame(history[keep]).sort_values("date", ascending=False)
    return {
        "pipe_id": str(pipe_id),
        "attributes": {
            c: row[c]
            for c in (
                "material",
                "diameter_mm",
                "install_year",
                "age_years",
                "length_m",
                "pressure_zone",
            )
        },
        "probability": row["probability"],
        "expected_failures": row["expected_failures"],
        "rank": row["rank"],
        "band": row["band"],
        "top_reasons": reasons_list(row["top_reasons"]),
        "failures": history.reset_index(drop=True),
    }


def reasons_list(value) -> list[str]:
    """``top_reasons`` as a list of phrases (stored as a list, a JSON list or ``;``-joined)."""
    if value is None or (not isinstance(value, list | tuple | np.ndarray) and pd.isna(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [part.strip() for part in text.replace("|", ";").split(";") if part.strip()]
