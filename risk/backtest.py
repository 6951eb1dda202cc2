"""Walk-forward backtest of the risk model against baselines (and the oracle, when known).

For each year Y the model and every baseline are fitted on records dated before
1 January of Y, score the pipes in service on that date, and are measured on the
failures of those pipes within the horizon that follows:

- ``capture_at_1pct`` / ``5pct`` / ``10pct`` - share of the failures found on the riskiest
  1 %, 5 %, 10 % of network *length* (pipes taken in rank order; the pipe crossing the
  budget counts pro rata of its length inside it);
- ``precision_top_100`` - share of the 100 first-ranked pipes with at least one failure;
- ``roc_auc`` - of the probability (or score) of at least one failure, per pipe;
- ``brier`` - mean squared error of that probability (methods that give one).

With a generator truth folder (``expected_failures.parquet``: ``pipe_id``, ``year``,
``expected_failures``), the oracle - pipes ranked by their true expected failures per km -
is measured the same way.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from risk.backtest_words import backtest_warnings
from risk.baselines import age_rule_applies, default_baselines, install_year_known_share
from risk.calibration import calibration_section, decile_table, reliability_table
from risk.errors import InputError
from risk.features import (
    count_failures,
    earliest_weather_as_of,
    no_weather_window,
    to_timestamp,
    weather_span_words,
)
from risk.forecast_checks import (
    beyond_training,
    forecast_facts,
    hindcast,
)
from risk.model import (
    RiskModel,
    gap_years_of,
)
from risk.units import UnitRules, build_units, rank_by_unit, units_for
from risk.utility import UtilityData

log = logging.getLogger(__name__)

#: Shares of network length at which capture is reported.
CAPTURE_SHARES = (0.01, 0.05, 0.10)
#: Shares of network length at which capture curves are sampled (for the plots).
CURVE_SHARES = tuple(np.round(np.r_[np.linspace(0, 0.2, 41), np.linspace(0.25, 1.0, 16)], 4))
#: Number of first-ranked pipes of ``precision_top_100``.
TOP_K = 100


# ------------------------------------------------------------------- metrics
def capture_curve(rank, length_m, failures, shares: Sequence[float]) -> np.ndarray:
    """Share of failures found when inspecting pipes in rank order up to each length share.

    Parameters
    ----------
    rank : array-like of int
        Inspection rank of each pipe (1 = first).
    length_m : array-like of float
        Pipe lengths in metres.
    failures : array-like of float
        Observed failures of each pipe in the evaluation window.
    shares : sequence of float
        Shares of total length, in [0, 1].

    Returns
    -------
    ndarray
        Captured share of failures at each share of length (NaN when there is no failure).
        The pipe crossing a budget counts pro rata of its length inside the budget.
    """
    rank = np.asarray(rank)
    length_m = np.nan_to_num(np.asarray(length_m, dtype=float), nan=0.0)
    failures = np.asarray(failures, dtype=float)
    if not (len(rank) == len(length_m) == len(failures)):
        raise ValueError("rank, length_m and failures must have the same length")
    total = failures.sum()
    shares = np.asarray(shares, dtype=float)
    if total <= 0 or len(rank) == 0:
        return np.full(len(shares), np.nan)
    order = np.argsort(rank, kind="mergesort")
    cum_length = np.r_[0.0, np.cumsum(length_m[order])]
    cum_failures = np.r_[0.0, np.cumsum(failures[order])]
    return np.interp(shares * cum_length[-1], cum_length, cum_failures) / total


def capture_at_length(rank, length_m, failures, share: float) -> float:
    """Share of failures found on the first ``share`` of network length (see :func:`capture_curve`)."""
    return float(capture_curve(rank, length_m, failures, [share])[0])


def precision_at_k(rank, failures, k: int = TOP_K) -> float:
    """Share of the ``k`` first-ranked pipes with at least one failure."""
    rank = np.asarray(rank)
    failures = np.asarray(failures, dtype=float)
    top = np.argsort(rank, kind="mergesort")[:k]
    return float((failures[top] > 0).mean()) if len(top) else float("nan")


def _metrics(rank, length_m, failures, probability=None, score=None) -> dict:
    out = {
        f"capture_at_{round(share * 100)}pct": capture_at_length(rank, length_m, failures, share)
        for share in CAPTURE_SHARES
    }
    out["precision_top_100"] = precision_at_k(rank, failures)
    # how many pipes that share is of: fewer than 100 on a small network
    out["top_pipes"] = float(min(TOP_K, len(np.asarray(rank))))
    hit = np.asarray(failures) > 0
    ranking_score = probability if probability is not None else score
    if ranking_score is not None and 0 < hit.sum() < len(hit):
        out["roc_auc"] = float(roc_auc_score(hit, ranking_score))
    else:
        out["roc_auc"] = None
    if probability is not None and len(hit):
        out["brier"] = float(np.mean((np.asarray(probability, dtype=float) - hit) ** 2))
    else:
        out["brier"] = None
    return out


# ------------------------------------------------------------------- backtest
def _years_named(years: list[int]) -> tuple[str, str]:
    """("2014 and 2015", "years"), ("2016-2019", "years"), ("2019", "year")."""
    named = " and ".join(map(str, years)) if len(years) <= 2 else f"{years[0]}-{years[-1]}"
    return named, "year" if len(years) == 1 else "years"


def check_years_recorded(data: UtilityData, years: Sequence[int], horizon_years: int) -> None:
    """Refuse evaluation years whose outcome window reaches past the break record: the year
    of its last break ends it (a window there would compare forecasts with failures never
    recorded: 0 observed, "+460 %"). Without any break there is nothing to check here.

    >>> import pandas as pd
    >>> breaks = pd.DataFrame({"date": pd.to_datetime(["2024-05-02", "2025-11-30"])})
    >>> data = UtilityData(pipes=pd.DataFrame(), breaks=breaks)
    >>> check_years_recorded(data, [2024, 2025], 1)
    >>> check_years_recorded(data, [2024, 2025], 3)
    Traceback (most recent call last):
    ...
    risk.errors.InputError: evaluation years 2024 and 2025: a 3-year outcome window from them reaches past the break record, whose last break is on 2025-11-30: ...
    """
    last = data.last_break
    if last is None:
        return
    horizon = int(horizon_years)
    late = [int(y) for y in years if int(y) + horizon - 1 > last.year]
    if not late:
        return
    named, noun = _years_named(late)
    them = "it" if len(late) == 1 else "them"
    latest = last.year - horizon + 1
    raise InputError(
        f"evaluation {noun} {named}: a {horizon}-year outcome window from {them} reaches past "
        f"the break record, whose last break is on {last.date()}: the failures there were "
        "never recorded, so the forecasts would be compared with nothing. Evaluate years up "
        f"to {latest} with --horizon-years {horizon}, or load the newer breaks (risk ingest)."
    )


def check_years_weather(data: UtilityData, years: Sequence[int], horizon_years: int) -> None:
    """Refuse evaluation years before the weather table holds a past window's weather for
    their forecast (:func:`risk.features.earliest_weather_as_of`, the rule ``risk score``
    refuses a date by), naming the first year it allows. Nothing to check without weather.

    >>> import pandas as pd
    >>> weather = pd.DataFrame({"date": pd.date_range("2014-01-01", "2022-12-31")})
    >>> data = UtilityData(pipes=pd.DataFrame(), breaks=pd.DataFrame(), weather=weather)
    >>> check_years_weather(data, [2016, 2017], 1)
    >>> check_years_weather(data, [2014, 2015, 2016], 1)
    Traceback (most recent call last):
    ...
    risk.errors.InputError: evaluation years 2014 and 2015: the weather table runs from 2014-01-01 to 2022-12-31: before 2015-01-01 it holds no whole 1-year window, ... Evaluate years from 2016, or add the weather of the years before.
    """
    if data.weather is None or "date" not in data.weather or not len(data.weather):
        return
    dates = data.weather["date"]
    horizon = int(horizon_years)
    early = [int(y) for y in years if no_weather_window(dates, pd.Timestamp(int(y), 1, 1), horizon)]
    if not early:
        return
    named, noun = _years_named(early)
    words = weather_span_words(dates, horizon, pd.Timestamp(early[-1], 1, 1))
    earliest = earliest_weather_as_of(dates, horizon)
    if earliest is None:
        fix = f"Add the weather of at least {horizon} year(s) and two months."
    else:
        first = earliest.year + (0 if (earliest.month, earliest.day) == (1, 1) else 1)
        fix = f"Evaluate years from {first}, or add the weather of the years before."
    raise InputError(f"evaluation {noun} {named}: {words}. {fix}")


def evaluate_utility(
    data: UtilityData,
    years: Sequence[int],
    *,
    horizon_years: int = 1,
    truth_dir: str | Path | None = None,
    out_dir: str | Path | None = "reports/backtest",
    model_params: dict | None = None,
    records_start_year: int | None = None,
    random_state: int = 0,
    title: str | None = None,
    network: str | None = None,
    progress: Callable[[str], None] | None = None,
    unit_rules: UnitRules | None = None,
) -> dict:
    """Walk-forward backtest of the risk model and the baselines over ``years``.

    Every method is ranked by inspection unit (:func:`risk.units.rank_by_unit`), as the
    lists crews receive: capture is measured on the units taken in order until a share of
    the network's length. Each year also reports the model's ranking of single segments
    (``segment_ranking``) and the first 100 units' median length (``units``).

    Parameters
    ----------
    data : UtilityData
        Canonical tables of one utility.
    years : sequence of int
        Evaluation years; for year Y everything is fitted on records before 1 January Y.
    horizon_years : int
        Outcome window after 1 January Y, in years.
    truth_dir : path, optional
        Folder with the generator's ``expected_failures.parquet`` (synthetic data only):
        adds the oracle to the comparison.
    out_dir : path or None
        Where ``backtest.json`` and ``backtest.html`` are written; None writes nothing.
    model_params : dict, optional
        Parameters of :class:`risk.model.RiskModel`.
    records_start_year : int, optional
        First year of a complete break record, for the model's features and the baselines.
    random_state : int
        Seed of the model and of the random baseline.
    title : str, optional
        Title of the HTML report (default: "Backtest — ``network``" in the report's
        language, or "Walk-forward backtest").
    network : str, optional
        Name of the network (the project folder's), for the report's title.
    unit_rules : UnitRules, optional
        How pipes are grouped into inspection units (settings ``[units]``).
    progress : callable, optional
        Called with a short description of each step as it starts (year and method), so
        that a long backtest says what it is doing.

    Returns
    -------
    dict
        JSON-able: ``years`` (per-year metrics of each method), ``summary`` (mean over
        years), ``curves`` (pooled capture curves), ``reliability``, ``calibration``
        (the model's expected against observed failures - and true expected ones with
        ``truth_dir`` - per decile of expected failures, per year and pooled; see
        :func:`risk.calibration.calibration_section`), ``warnings`` (plain sentences, one
        per period whose deciles are more than 20 % off), ``feature_importance``,
        ``timings_s`` and the settings.
    """
    years = [int(y) for y in years]
    if not years:
        raise ValueError("years must list at least one evaluation year, e.g. [2015, 2016]")
    check_years_recorded(data, years, horizon_years)
    check_years_weather(data, years, horizon_years)
    params = dict(model_params or {})
    params.setdefault("random_state", random_state)
    params["horizon_years"] = horizon_years
    if records_start_year is not None:
        options = dict(params.get("feature_options") or {})
        options.setdefault("records_start_year", records_start_year)
        params["feature_options"] = options
    truth = _read_truth(truth_dir) if truth_dir is not None else None

    per_year: list[dict] = []
    pooled: dict[str, list] = {}
    probabilities, outcomes = [], []
    deciles: list[tuple[int, list[dict]]] = []  # the model's calibration, per year
    forecasts: list[tuple[int, list[dict]]] = []  # the same of the forecast (window weather)
    timings: dict[str, float] = {}
    model = None
    step = progress or (lambda text: None)
    step("preparing the network's features")
    builder = RiskModel(**params).feature_builder(data)  # static parts computed once
    unit_rules = unit_rules or UnitRules()
    all_units = build_units(data.pipes, unit_rules)
    with_age = age_rule_applies(data.pipes)  # "oldest first" means nothing without years
    for number, year in enumerate(years, start=1):
        as_of = to_timestamp(year)
        where = f"year {year} ({number} of {len(years)})"
        step(f"{where}: training the model on the records before {year}")
        end = as_of + pd.DateOffset(years=horizon_years)
        entry: dict = {"year": year, "as_of": str(as_of.date()), "methods": {}}

        started = time.perf_counter()
        model = RiskModel(**params).fit_utility(data, as_of, builder=builder)
        entry["training"] = {  # what its cautions say (risk.backtest_words)
            "panel_dates": list(getattr(model, "panel_dates_", []) or []),
            "panel_years": int(model.panel_years),
            "failures": getattr(model, "training_failures_", None),
            "records_start_year": (model.feature_options or {}).get("records_start_year"),
            "horizon_years": int(model.horizon_years),
            "fit_horizon_years": int(model.fit_horizon),
        }
        X = model.build_features(data, as_of, builder=builder)
        # the forecast as it was made on 1 January: the year's weather unknown
        scores = model.score_frame(X, model.scenario_weather(builder, as_of, X.index))
        known = hindcast(model, builder, X, as_of, end)  # given the year's weather
        timings[f"model_{year}"] = round(time.perf_counter() - started, 2)
        failures = count_failures(data, as_of, end).reindex(X.index, fill_value=0)
        y = failures.to_numpy(dtype=float)
        length_m = X["length_m"].to_numpy(dtype=float)
        entry.update(_year_counts(data, as_of, end, y, length_m))
        units = units_for(data.pipes, X.index, unit_rules, units=all_units)

        def by_unit(amount, units=units, length_m=length_m):
            """Rank of each segment when units are taken by ``amount`` per km."""
            return rank_by_unit(
                np.nan_to_num(np.asarray(amount, dtype=float)),
                length_m,
                units["unit_id"].to_numpy(),
                units["unit_order"].to_numpy(),
                min_length_m=unit_rules.min_length_m,
                install_year=units["install_year"].to_numpy() if "install_year" in units else None,
            )

        rank = by_unit(scores["expected_failures"])
        entry["methods"]["model"] = _metrics(
            rank, length_m, y, probability=scores["probability"].to_numpy()
        )
        _pool(pooled, "model", rank, length_m, y)
        entry["segment_ranking"] = _metrics(scores["rank"].to_numpy(), length_m, y)
        entry["units"] = _unit_facts(rank, units, length_m, y)
        probabilities.append(scores["probability"].to_numpy())
        outcomes.append(y > 0)
        expected_truth = _truth_window(truth, X, year, horizon_years)
        given = scores["expected_failures"].to_numpy() if known is None else known
        deciles.append((year, decile_table(given, y, truth=expected_truth)))
        if known is not None:
            beyond = beyond_training(model, builder, data, as_of, end, X.index)
            if beyond:
                entry["weather_beyond_training"] = beyond
            usual_truth = _truth_window(
                truth, X, year, horizon_years, column="expected_failures_usual_weather"
            )
            forecast = scores["expected_failures"].to_numpy()
            forecasts.append((year, decile_table(forecast, y, truth=usual_truth)))
            entry["forecast"] = forecast_facts(
                forecast, y, usual_truth, scores.attrs["expected_failures_by_weather_year"]
            )

        step(f"{where}: the baselines (age, material and decade, past failures, LEYP)")
        for baseline in default_baselines(
            horizon_years=horizon_years,
            records_start_year=records_start_year,
            random_state=random_state,
            with_age=with_age,
        ):
            started = time.perf_counter()
            predicted = baseline.fit(builder, as_of).predict(builder, as_of).reindex(X.index)
            timings[f"{baseline.name}_{year}"] = round(time.perf_counter() - started, 2)
            # a unit's score: its segments' scores weighted by length (rates stay rates)
            rank = by_unit(predicted["score"].to_numpy(dtype=float) * length_m / 1000.0)
            has_probability = predicted["probability"].notna().all()
            entry["methods"][baseline.name] = _metrics(
                rank,
                length_m,
                y,
                probability=predicted["probability"].to_numpy() if has_probability else None,
                score=predicted["score"].to_numpy(),
            )
            _pool(pooled, baseline.name, rank, length_m, y)

        if truth is not None:
            oracle = _oracle_rank(truth, X, year, horizon_years, by_unit)
            if oracle is not None:
                entry["methods"]["oracle"] = _metrics(oracle, length_m, y, score=-oracle)
                _pool(pooled, "oracle", oracle, length_m, y)
        per_year.append(entry)
        summary = {k: round(v["capture_at_5pct"], 3) for k, v in entry["methods"].items()}
        log.info("backtest %s: capture at 5%% of length %s", year, summary)

    calibration, _ = calibration_section(deciles, kind="weather" if forecasts else "")
    calibration["basis"] = "weather of the year" if forecasts else "forecast"
    forecast_section = None
    if forecasts:
        forecast_calibration, _ = calibration_section(
            forecasts, kind="forecast", yearly_references=("truth",)
        )
        forecast_section = {
            "calibration": forecast_calibration,
            "years": [{"year": e["year"], **e["forecast"]} for e in per_year if "forecast" in e],
        }
    gaps = set(gap_years_of(data))
    for entry in per_year:
        window = set(range(int(entry["year"]), int(entry["year"]) + int(horizon_years)))
        if window & gaps:
            entry["record_gaps"] = sorted(window & gaps)
    result = {
        "title": title or (f"Backtest — {network}" if network else "Walk-forward backtest"),
        "network": network,
        "horizon_years": horizon_years,
        "install_year_known_share": round(install_year_known_share(data.pipes), 4),
        "years": per_year,
        "summary": _summarise(per_year),
        "curves": {
            "shares": list(CURVE_SHARES),
            "capture": {name: _pooled_curve(parts) for name, parts in pooled.items()},
        },
        "reliability": reliability_table(np.concatenate(probabilities), np.concatenate(outcomes)),
        "calibration_held_out": model.calibration_ if model is not None else None,
        "calibration": calibration,
        "forecast": forecast_section,
        "warnings": [],  # below, from the result's facts
        "feature_importance": _importance(model, X) if model is not None else {},
        "source_names": dict(getattr(model, "source_names_", {}) or {}),
        "model_params": _jsonable(model.get_params()) if model is not None else {},
        "records_start_year": records_start_year,
        "timings_s": timings,
        "age_rule": bool(with_age),
    }
    result["warnings"] = backtest_warnings(result)
    for warning in result["warnings"]:
        log.info("calibration: %s", warning)
    if out_dir is not None:
        write_backtest(result, out_dir)
    return result


def mark_running(out_dir: str | Path, pid: int, years) -> None:
    """Note in ``out_dir`` that a backtest runs in process ``pid`` (see :func:`backtest_state`)."""
    from risk.workspace import write_text_atomic

    started = pd.Timestamp.now().isoformat(timespec="seconds")
    state = {"pid": pid, "years": [int(y) for y in years], "started": started}
    write_text_atomic(Path(out_dir) / "running.json", json.dumps(state))


def backtest_state(out_dir: str | Path) -> dict:
    """Where a workspace's backtest stands: ``{"state": "done" | "running" | "failed" |
    "missing", ...}``, with ``started`` and ``years`` while it runs and ``log`` when it
    failed, so that a page can say "running since 10:02" instead of "missing"."""
    import os

    folder = Path(out_dir)
    running = folder / "running.json"
    if running.is_file():
        try:
            state = json.loads(running.read_text(encoding="utf-8"))
            os.kill(int(state["pid"]), 0)  # is it still there?
        except (ValueError, KeyError, ProcessLookupError, PermissionError, OSError):
            log = folder / "run.log"
            if not (folder / "backtest.json").is_file():
                return {"state": "failed", "log": str(log) if log.is_file() else None}
        else:
            return {"state": "running", **state}
    if (folder / "backtest.json").is_file():
        return {"state": "done"}
    return {"state": "missing"}


def write_backtest(result: dict, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``backtest.json`` and the self-contained ``backtest.html`` into ``out_dir``."""
    from risk.report_html import backtest_html
    from risk.workspace import write_text_atomic

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "backtest.json"
    html_path = out_dir / "backtest.html"
    write_text_atomic(html_path, backtest_html(result))
    write_text_atomic(json_path, json.dumps(_jsonable(result), indent=2))  # pages read this one
    (out_dir / "running.json").unlink(missing_ok=True)
    return json_path, html_path


# ------------------------------------------------------------------- helpers
def _year_counts(data, as_of, end, y, length_m) -> dict:
    breaks = data.breaks
    window = (breaks["date"] >= as_of) & (breaks["date"] < end)
    return {
        "pipes": len(y),
        "length_km": round(float(np.nansum(length_m)) / 1000.0, 3),
        "failures": float(y.sum()),
        "pipes_with_failure": int((y > 0).sum()),
        "records_in_window": int(window.sum()),
        "records_unlinked": int((window & breaks["pipe_id"].isna()).sum()),
    }


def _pool(pooled: dict, name: str, rank, length_m, y) -> None:
    curve = capture_curve(rank, length_m, y, CURVE_SHARES)
    pooled.setdefault(name, []).append((np.nan_to_num(curve) * y.sum(), y.sum()))


def _pooled_curve(parts) -> list[float]:
    captured = np.sum([p[0] for p in parts], axis=0)
    total = sum(p[1] for p in parts)
    return [round(float(v), 4) for v in (captured / total if total else captured * np.nan)]


def _summarise(per_year: list[dict]) -> dict:
    names = []
    for entry in per_year:
        names += [n for n in entry["methods"] if n not in names]

    def measured(value) -> bool:  # a year with nothing to find has no share (NaN or None)
        return value is not None and bool(np.isfinite(value))

    summary = {}
    for name in names:
        rows = [e["methods"][name] for e in per_year if name in e["methods"]]
        keys = rows[0].keys()
        summary[name] = {
            key: (
                float(np.mean([r[key] for r in rows if measured(r[key])]))
                if any(measured(r[key]) for r in rows)
                else None
            )
            for key in keys
        }
    if "oracle" in summary:
        oracle = summary["oracle"]["capture_at_5pct"]
        for values in summary.values():
            values["share_of_oracle_at_5pct"] = (
                values["capture_at_5pct"] / oracle if oracle else None
            )
    return summary


def _read_truth(truth_dir) -> pd.DataFrame:
    path = Path(truth_dir) / "expected_failures.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found; truth_dir must be the generator's truth folder holding "
            "expected_failures.parquet (pipe_id, year, expected_failures)"
        )
    truth = pd.read_parquet(path)
    missing = {"pipe_id", "year", "expected_failures"} - set(truth.columns)
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(sorted(missing))}; expected pipe_id, year "
            "and expected_failures, as written by 'risk generate' in its truth folder"
        )
    truth = truth.assign(pipe_id=truth["pipe_id"].astype("string"))
    return truth


def _truth_window(
    truth, X, year, horizon_years, column: str = "expected_failures"
) -> np.ndarray | None:
    """True expected failures (``column`` of the truth) of each row of ``X`` in
    ``[year, year + horizon_years)`` (None without a truth, that column, or rows for those
    years)."""
    if truth is None or column not in truth:
        return None
    window = truth[(truth["year"] >= year) & (truth["year"] < year + horizon_years)]
    if window.empty:
        return None
    expected = window.groupby("pipe_id")[column].sum()
    return expected.reindex(X.index, fill_value=0).to_numpy(dtype=float)


def _oracle_rank(truth, X, year, horizon_years, by_unit) -> np.ndarray | None:
    window = truth[(truth["year"] >= year) & (truth["year"] < year + horizon_years)]
    if window.empty:
        log.warning("truth has no expected failures for %s; oracle skipped", year)
        return None
    expected = window.groupby("pipe_id")["expected_failures"].sum().reindex(X.index, fill_value=0)
    return by_unit(expected.to_numpy(dtype=float))


def _unit_facts(rank, units: pd.DataFrame, length_m, failures, first: int = TOP_K) -> dict:
    """The units of a ranking: how many, and the length and hits of the first ``first``."""
    frame = pd.DataFrame(
        {"unit": units["unit_id"].to_numpy(), "rank": rank, "length_m": length_m, "y": failures}
    )
    per_unit = frame.groupby("unit").agg(
        rank=("rank", "min"), length_m=("length_m", "sum"), y=("y", "sum")
    )
    top = per_unit.nsmallest(first, "rank")
    return {
        "count": int(len(per_unit)),
        "median_length_m": round(float(per_unit["length_m"].median()), 1),
        f"first_{first}_median_length_m": round(float(top["length_m"].median()), 1),
        f"first_{first}_with_failure": round(float((top["y"] > 0).mean()), 3),
    }


def _importance(model: RiskModel, X: pd.DataFrame) -> dict:
    """Gain share per feature, and mean |contribution| per human concept (last year)."""
    from risk.explain import concept_importance

    gain = model.feature_importance()
    return {
        "gain_share": {k: round(float(v), 5) for k, v in gain.items()},
        "mean_abs_contribution_by_concept": concept_importance(model, X),
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return value
