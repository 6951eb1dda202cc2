"""What a renewal plan starts from: each pipe's cost, projected failures and weight.

:func:`renewal_inputs` reads a workspace (scores, network, consequence, the model that made
the scores, ``[costs]``); :func:`build_inputs` does the same from tables, for tests and
notebooks. Both return :class:`RenewalInputs`, one row per pipe in the scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from risk.costs import CostSettings, cost_settings
from risk.errors import InputError
from risk.renewal import projection
from risk.workspace import Workspace, load_workspace

#: Longest plan, in years (the ageing projection is not meant for longer).
MAX_YEARS = 50


@dataclass
class RenewalInputs:
    """One row per candidate pipe (``pipes``) and its yearly expected failures.

    ``pipes`` holds ``pipe_id``, ``unit_id``, ``material``, ``diameter_mm``,
    ``install_year``, ``length_m``, ``cost_eur``, ``cof_score`` (NaN without consequence)
    and ``weight`` (1 + cof_score, 1 without). ``rate`` is ``(pipes, years)``: expected
    failures per plan year if nothing is done; ``new_rate`` the same pipe's once renewed
    (per year). ``basis`` records every assumption (dates, ageing, new-pipe rates, costs).
    """

    pipes: pd.DataFrame
    rate: np.ndarray
    new_rate: np.ndarray
    years: int
    first_year: int
    costs: CostSettings
    basis: dict = field(default_factory=dict)
    geometry: object = None  # a GeoSeries aligned with ``pipes`` (None without geometry)

    @property
    def avoided(self) -> np.ndarray:
        """``(pipes, years)``: failures a renewal avoids each year it is in place (never
        negative: a pipe better than a new one is not made worse by the plan's arithmetic)."""
        return np.maximum(self.rate - self.new_rate[:, None], 0.0)


#: More than the yearly renewal spending of any water utility (the largest spend some
#: billions of euros a year).
MAX_BUDGET_EUR_PER_YEAR = 1e11


class StaleScoresError(InputError):
    """Scored pipes the network no longer has: the scores are older than the last load
    (``count`` of them, the ``first`` few ids). The Renewal page says it in the reader's
    language; a plan would renew pipes that are gone."""

    def __init__(self, count: int, first: list[str]):
        self.count, self.first = count, first
        super().__init__(
            f"scores.parquet: {count:,} scored pipes are not in the network (first: "
            f"{', '.join(first)}); the scores are older than the last 'risk ingest'. Run "
            "'risk score WORKSPACE --as-of DATE' again"
        )


def check_plan_request(budget_eur_per_year: float, years: int) -> None:
    """Refuse a budget that is not a positive number of euros or a plan of no years."""
    budget = float(budget_eur_per_year)
    if not (np.isfinite(budget) and budget > 0):
        raise InputError(
            f"the budget must be a number of euros per year > 0, got {budget_eur_per_year}; "
            "e.g. --budget-eur-per-year 2000000"
        )
    if budget > MAX_BUDGET_EUR_PER_YEAR:
        shown = f"{budget:,.0f}" if budget < 1e15 else f"{budget:.3g}"
        raise InputError(
            f"the budget of {shown} euros per year is more than any water utility spends (at "
            f"most {MAX_BUDGET_EUR_PER_YEAR:,.0f} here): a budget in cents, or a digit too "
            "many? e.g. --budget-eur-per-year 2000000"
        )
    if int(years) != years or not 1 <= years <= MAX_YEARS:
        raise InputError(f"the plan must last 1 to {MAX_YEARS} years, got {years}; e.g. --years 10")


def build_inputs(
    scores: pd.DataFrame,
    pipes: pd.DataFrame,
    *,
    years: int,
    as_of,
    horizon_years: int = 1,
    breaks: pd.DataFrame | None = None,
    records_start_year: int | None = None,
    consequence: pd.DataFrame | None = None,
    costs: CostSettings | None = None,
    ageing_exponent: float | None = None,
) -> RenewalInputs:
    """:class:`RenewalInputs` from the scores and the network's pipes (see
    :mod:`risk.renewal.projection` for the projection). ``ageing_exponent`` fixes ``b``
    instead of estimating it from ``breaks``."""
    costs = costs or CostSettings()
    as_of = pd.Timestamp(as_of)
    missing = {"pipe_id", "expected_failures"} - set(scores.columns)
    if missing:
        raise InputError(
            f"scores.parquet lacks {', '.join(sorted(missing))}: it was not written by "
            "'risk score'; run 'risk score WORKSPACE --as-of DATE' again"
        )
    table = pd.DataFrame(scores).drop(columns=["geometry"], errors="ignore").copy()
    table["pipe_id"] = table["pipe_id"].astype(str)
    table = table.drop_duplicates("pipe_id")
    attributes = pd.DataFrame(pipes).copy()
    attributes["pipe_id"] = attributes["pipe_id"].astype(str)
    attributes = attributes.drop_duplicates("pipe_id").set_index("pipe_id")
    unknown = ~table["pipe_id"].isin(attributes.index)
    if unknown.any():
        raise StaleScoresError(int(unknown.sum()), list(table.loc[unknown, "pipe_id"].head(3)))
    row = attributes.reindex(table["pipe_id"])
    length = _numbers(row, "length_m")
    if "length_m" in table:
        length = np.where(np.isfinite(length), length, table["length_m"].to_numpy(float))
    install = _numbers(row, "install_year")
    age = as_of.year - install
    diameter = _numbers(row, "diameter_mm")
    material = (
        row["material"].astype("string").fillna("unknown").to_numpy(str)
        if "material" in row
        else np.full(len(row), "unknown")
    )
    expected = pd.to_numeric(table["expected_failures"], errors="coerce").fillna(0.0)
    if ageing_exponent is None:
        start = records_start_year
        if start is None and breaks is not None and len(breaks):
            start = int(pd.to_datetime(breaks["date"], errors="coerce").dt.year.min())
        ageing = projection.estimate_ageing_exponent(
            attributes.reset_index(),
            breaks,
            start_year=start or as_of.year,
            end_year=as_of.year - 1,
        )
    else:
        ageing = projection.AgeingEstimate(float(ageing_exponent), "given", 0, 0.0)
    first = projection.first_year_rate(expected.to_numpy(), age, horizon_years, ageing.exponent)
    rate = first[:, None] * projection.growth_factors(age, years, ageing.exponent)
    bounds = [float(k) for k in costs.renewal_eur_per_m if k != "above"]
    band = projection.diameter_band(diameter, bounds)
    km = np.where(np.isfinite(length) & (length > 0), length, 0.0) / 1000.0
    per_km = np.divide(first, km, out=np.full(len(first), np.nan), where=km > 0)
    new_per_km, by_band = projection.new_pipe_rates(per_km, age, band, length)
    cof = np.full(len(table), np.nan)
    if consequence is not None and len(consequence):
        scores_of = pd.Series(
            pd.to_numeric(consequence["cof_score"], errors="coerce").to_numpy(float),
            index=consequence["pipe_id"].astype(str),
        )
        cof = scores_of[~scores_of.index.duplicated()].reindex(table["pipe_id"]).to_numpy(float)
    out = pd.DataFrame(
        {
            "pipe_id": table["pipe_id"].to_numpy(),
            "unit_id": (
                table["unit_id"].astype("string").to_numpy()
                if "unit_id" in table
                else pd.array([pd.NA] * len(table), dtype="string")
            ),
            "material": material,
            "diameter_mm": diameter,
            "install_year": pd.array(
                np.where(np.isfinite(install), install, np.nan), dtype="Float64"
            ).astype("Int64"),
            "length_m": np.where(np.isfinite(length), length, 0.0),
            "cost_eur": costs.renewal_cost_eur(diameter, material, np.nan_to_num(length)),
            "cof_score": cof,
            "weight": 1.0 + np.nan_to_num(cof, nan=0.0),
        }
    )
    band_names = [*[k for k in costs.renewal_eur_per_m if k != "above"], "above"]
    basis = {
        "as_of": str(as_of.date()),
        "horizon_years": int(horizon_years),
        "first_year": int(as_of.year),
        "years": int(years),
        "ageing_exponent": ageing.exponent,
        "ageing_source": ageing.source,
        "ageing_breaks_used": ageing.breaks_used,
        "new_pipe_failures_per_km_year": {band_names[b]: round(r, 5) for b, r in by_band.items()},
        "new_pipe_failures_per_km_year_default": round(
            float(np.median(new_per_km)) if len(new_per_km) else 0.0, 5
        ),
        "consequence_pipes": int(np.isfinite(cof).sum()),
        "pipes": len(out),
        "network_km": float(out["length_m"].sum() / 1000.0),
        "costs": {f: getattr(costs, f) for f in costs.__dataclass_fields__},
    }
    geometry = None
    if "geometry" in attributes.columns and attributes["geometry"].notna().any():
        import geopandas as gpd

        geometry = gpd.GeoSeries(
            row["geometry"].to_numpy(), crs=getattr(pipes, "crs", None), index=out.index
        )
    return RenewalInputs(
        pipes=out,
        rate=rate,
        new_rate=new_per_km * km,
        years=int(years),
        first_year=int(as_of.year),
        costs=costs,
        basis=basis,
        geometry=geometry,
    )


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as floats (NaN where missing, all NaN without the column)."""
    if column not in table:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[column], errors="coerce").to_numpy(float)


def scores_basis(workspace: str | Path) -> dict:
    """When the scores were made and for which horizon
    (:meth:`risk.workspace.Workspace.read_scores_basis`: ``scores.json``, else the newest
    model card, else assumed and said so in ``source``)."""
    return Workspace(workspace).read_scores_basis()


def renewal_inputs(
    workspace: str | Path,
    *,
    years: int,
    use_consequence: bool = True,
    costs: CostSettings | None = None,
) -> RenewalInputs:
    """:func:`build_inputs` for a workspace: its scores, network, break record,
    ``consequence.parquet`` (when present and ``use_consequence``) and ``[costs]``."""
    ws = Workspace(workspace)
    if not ws.meta.is_file():
        raise InputError(
            f"{ws.root}: not a workspace (no meta.json). Run 'risk ingest FOLDER --workspace "
            f"{ws.root}' first."
        )
    if not ws.scores.is_file():
        raise InputError(
            f"{ws.scores} not found: the network is not scored yet. Run 'risk score "
            f"{ws.root} --as-of DATE' first, then plan the renewal."
        )
    costs = costs or cost_settings(workspace)
    data = load_workspace(workspace)
    scores = ws.read_scores()
    consequence = ws.read_consequence(["pipe_id", "cof_score"]) if use_consequence else None
    basis = scores_basis(workspace)
    inputs = build_inputs(
        scores,
        data.pipes,
        years=years,
        as_of=basis["as_of"],
        horizon_years=basis["horizon_years"],
        breaks=data.breaks,
        records_start_year=(data.meta or {}).get("records_complete_from"),
        consequence=consequence,
        costs=costs,
    )
    inputs.basis["scores_basis"] = basis["source"]
    return inputs
