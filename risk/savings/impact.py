"""The impact of the field rounds for managers: leaks found, length inspected, hit rate next
to the old ways of choosing pipes, water saved and what it is worth.

>>> summary = workspace_impact("data/workspace/town")  # doctest: +SKIP
>>> summary["leaks_found"], summary["savings"]["saved_m3_to_date"]  # doctest: +SKIP
(12, 4380.0)

* :func:`impact_summary` gives managers the leaks found, the length inspected, the hit rate
  (leaks found per km inspected) next to what the old ways of choosing pipes would have found
  (:mod:`risk.savings.backtest_report`), and the water saved (:mod:`risk.savings.water`);
* :func:`workspace_impact` is that summary for a workspace, with its ``[savings]`` settings:
  the Impact page and ``risk savings`` both call it, so they give the same figures;
  :mod:`risk.savings.words` tells the story in words, in one language, for both of them.

The field hit rate is compared with the old ways only with a warning until at least
:data:`MIN_KM_TO_COMPARE` km have been inspected in :data:`MIN_INSPECTIONS_TO_COMPARE`
inspections: below that, one leak more or less moves the rate by more than the differences
between the methods.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from risk import clock
from risk.costs import CostSettings, cost_settings, inspection_return
from risk.savings.backtest_report import (
    backtest_summary,
    capture_at,
    read_backtest_report,
    report_curves,
)
from risk.savings.water import (
    SavingsSettings,
    leak_savings,
    monthly_savings,
    savings_settings,
    summarise_savings,
)

#: Below this length inspected (km), the field hit rate is too uncertain to compare.
MIN_KM_TO_COMPARE = 10.0
#: Below this number of inspections (other than "no access"), likewise.
MIN_INSPECTIONS_TO_COMPARE = 30


def inspected_length_km(
    outcomes: pd.DataFrame, pipes: pd.DataFrame, known_lengths: pd.Series | None = None
) -> float:
    """Kilometres of distinct pipes inspected (outcomes other than ``no_access``); a pipe
    the network no longer lists counts with its last known length (``known_lengths``, by
    pipe id: :func:`risk.workspace.known_lengths`)."""
    if not len(outcomes):
        return 0.0
    done = outcomes.loc[outcomes["result"] != "no_access", "pipe_id"].astype(str).unique()
    lengths = pd.Series(
        pd.to_numeric(pipes["length_m"], errors="coerce").to_numpy(),
        index=pipes["pipe_id"].astype(str),
    )
    lengths = lengths[~lengths.index.duplicated()]
    found = lengths.reindex(done)
    if known_lengths is not None and len(known_lengths):
        earlier = known_lengths[~known_lengths.index.duplicated()].reindex(done)
        found = found.fillna(pd.Series(earlier.to_numpy(), index=found.index))
    return float(found.fillna(0).sum() / 1000.0)


def pipe_days(outcomes: pd.DataFrame) -> int:
    """Inspections in ``outcomes``: one per pipe and day, however many records it holds (two
    leaks found on one pipe in one visit are two leaks, one inspection).

    >>> pipe_days(pd.DataFrame({"pipe_id": ["P1", "P1", "P2"],
    ...     "inspected_on": pd.to_datetime(["2026-12-01", "2026-12-01", "2026-12-01"])}))
    2
    """
    if not len(outcomes):
        return 0
    day = pd.to_datetime(outcomes["inspected_on"]).dt.normalize()
    return int(
        pd.DataFrame({"pipe": outcomes["pipe_id"].astype(str), "day": day})
        .drop_duplicates()
        .shape[0]
    )


def hit_rates(
    leaks_found: int, km_inspected: float, network_km: float, report: dict | None = None
) -> pd.DataFrame:
    """Leaks found per km inspected: observed, and what each backtest method would find.

    A method's expected rate is the observed rate scaled by its capture over the model's
    capture at the same share of network length (both from the backtest capture curves):
    with the model's choice of pipes the crews found ``leaks_found``; the same length chosen
    the old way would have found ``leaks_found * capture_method / capture_model``.

    Returns ``method``, ``leaks_per_km`` and ``observed`` (True for the field figure).
    """
    observed = leaks_found / km_inspected if km_inspected > 0 else float("nan")
    rows = [{"method": "field", "leaks_per_km": observed, "observed": True}]
    curves = report_curves(report)
    share = km_inspected / network_km if network_km > 0 else 0.0
    model_capture = capture_at(curves["model"], share) if "model" in curves else float("nan")
    for method, curve in curves.items():
        # The oracle (true risk, synthetic data only) is not a way anyone could choose pipes.
        if method in ("model", "oracle") or not model_capture or math.isnan(model_capture):
            continue
        ratio = capture_at(curve, share) / model_capture
        rows.append({"method": method, "leaks_per_km": observed * ratio, "observed": False})
    return pd.DataFrame(rows)


def impact_summary(
    outcomes: pd.DataFrame,
    pipes: pd.DataFrame,
    *,
    report: dict | None = None,
    settings: SavingsSettings | None = None,
    as_of: dt.date | None = None,
    costs: CostSettings | None = None,
    known_lengths: pd.Series | None = None,
) -> dict:
    """Everything the impact page shows, in SI/metric units (``known_lengths``: the last
    known length of pipes the network no longer lists, :func:`inspected_length_km`).

    Returns a dict with ``as_of``, ``inspections``, ``leaks_found``, ``no_access``,
    ``km_inspected``, ``network_km``, ``enough_to_compare`` (at least
    :data:`MIN_KM_TO_COMPARE` km and :data:`MIN_INSPECTIONS_TO_COMPARE` inspections),
    ``hit_rates`` (DataFrame, see :func:`hit_rates`), ``backtest``
    (:func:`backtest_summary`, None without a report), ``leaks`` (per leak, from
    :func:`risk.savings.leak_savings`), ``monthly`` (water saved **to date** per month, from
    recorded repairs), ``savings`` (:func:`risk.savings.summarise_savings`: saved to date,
    projected over a year, households), ``settings`` and ``money``
    (:func:`risk.costs.inspection_return` with ``costs``: what the rounds cost, what the
    leaks found are worth, the return per euro).
    """
    settings = settings or SavingsSettings()
    as_of = as_of or clock.today()
    leaks = leak_savings(outcomes, settings) if len(outcomes) else _no_leaks()
    monthly = monthly_savings(leaks, settings, as_of=as_of)
    km = inspected_length_km(outcomes, pipes, known_lengths)
    network_km = float(pd.to_numeric(pipes["length_m"], errors="coerce").sum() / 1000.0)
    found = int((outcomes["result"] == "leak_found").sum()) if len(outcomes) else 0
    inspections = pipe_days(outcomes[outcomes["result"] != "no_access"]) if len(outcomes) else 0
    savings = summarise_savings(leaks, settings, as_of=as_of)
    money = inspection_return(
        km, found, savings["saved_m3_to_date"], savings["saved_m3_total"], costs
    )
    return {
        "as_of": pd.Timestamp(as_of).date(),
        "inspections": inspections,
        "leaks_found": found,
        "no_access": pipe_days(outcomes[outcomes["result"] == "no_access"]) if len(outcomes) else 0,
        "km_inspected": km,
        "network_km": network_km,
        "enough_to_compare": km >= MIN_KM_TO_COMPARE and inspections >= MIN_INSPECTIONS_TO_COMPARE,
        "hit_rates": hit_rates(found, km, network_km, report) if inspections else _no_rates(),
        "backtest": backtest_summary(report),
        "leaks": leaks,
        "monthly": monthly,
        "savings": savings,
        "settings": settings,
        "money": money,
    }


def workspace_impact(
    workspace: str | Path,
    *,
    store=None,
    pipes: pd.DataFrame | None = None,
    report: dict | None = None,
    known_lengths: pd.Series | None = None,
    as_of: dt.date | None = None,
    **overrides,
) -> dict:
    """:func:`impact_summary` of a workspace: its outcomes, network, backtest report and the
    ``[savings]`` of its ``settings.toml`` (``overrides`` that are not None win, e.g. the
    flags of ``risk savings``).

    ``store``, ``pipes``, ``report`` and ``known_lengths`` (:func:`risk.workspace.known_lengths`)
    may be given when already loaded (the dashboard's cached copies); otherwise they are read
    from the workspace. The Impact page and
    ``risk savings`` both call this, so they show the same figures.
    """
    from risk.auth import store_location
    from risk.store import OutcomeStore
    from risk.workspace import data_folder
    from risk.workspace import known_lengths as read_known_lengths

    workspace = Path(workspace)
    settings = savings_settings(workspace, **overrides)
    if pipes is None:
        pipes = pd.read_parquet(
            data_folder(workspace) / "pipes.parquet", columns=["pipe_id", "length_m"]
        )
    if report is None:
        report = read_backtest_report(workspace)
    if store is None:
        with OutcomeStore(store_location(workspace)) as opened:
            outcomes = opened.outcomes(counted=True)
    else:
        outcomes = store.outcomes(counted=True)
    return impact_summary(
        outcomes,
        pipes,
        report=report,
        settings=settings,
        as_of=as_of,
        costs=cost_settings(workspace),
        known_lengths=read_known_lengths(workspace) if known_lengths is None else known_lengths,
    )


def _no_rates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": pd.Series(dtype=str),
            "leaks_per_km": pd.Series(dtype=float),
            "observed": pd.Series(dtype=bool),
        }
    )


def _no_leaks() -> pd.DataFrame:
    return leak_savings(
        pd.DataFrame(
            {
                "pipe_id": pd.Series(dtype=str),
                "result": pd.Series(dtype=str),
                "inspected_on": pd.Series(dtype="datetime64[ns]"),
                "flow_m3_per_h": pd.Series(dtype=float),
                "repair_date": pd.Series(dtype="datetime64[ns]"),
            }
        )
    )
