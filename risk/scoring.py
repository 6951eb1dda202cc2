"""One-shot orchestration: train, score and explain; save and load model versions.

>>> ranking = score_utility(data, "2020-01-01")  # doctest: +SKIP
>>> ranking.head()  # pipe_id, probability, expected_failures, rank, top_reasons  # doctest: +SKIP

``score_utility`` trains a :class:`risk.model.RiskModel` on the utility's own history
before ``as_of`` (unless a fitted model is given) and ranks every pipe in service on that
date for inspection. ``save_model`` writes a fitted model and its model card under a
models directory; ``load_model`` reads it back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from risk.atomic import staged_folder
from risk.errors import InputError
from risk.explain import DEFAULT_N_EXACT, DEFAULT_TOP_N, explain_pipes
from risk.features import FeatureBuilder, no_weather_window, to_timestamp
from risk.model import RiskModel, is_fitted, panel_dates
from risk.units import UnitRules, rank_pipes, units_for
from risk.utility import UtilityData

log = logging.getLogger(__name__)

#: Columns of :func:`score_utility`, in order.
SCORE_COLUMNS = (
    "pipe_id",
    "probability",
    "expected_failures",
    "rank",
    "top_reasons",
    "expected_failures_per_km",
    "length_m",
    "unit_id",
    "unit_order",
    "unit_rank",
    "unit_length_m",
    "unit_expected_failures",
)
#: Version of the saved model format.
MODEL_FORMAT_VERSION = 1


def train_model(
    data: UtilityData,
    as_of,
    *,
    horizon_years: int = 1,
    records_start_year: int | None = None,
    model_params: dict | None = None,
    builder: FeatureBuilder | None = None,
) -> RiskModel:
    """Fit a :class:`RiskModel` on the utility's history before ``as_of``.

    Parameters
    ----------
    data : UtilityData
        Canonical tables of one utility.
    as_of : date-like
        Training uses records dated before it only.
    horizon_years : int
        Outcome window of the predictions (1, 3 or 5 years).
    records_start_year : int, optional
        First year of a complete break record (default: ``data.meta
        ["records_complete_from"]`` from ingestion, else the first break's year).
    model_params : dict, optional
        Other :class:`RiskModel` parameters.
    builder : FeatureBuilder, optional
        A builder of ``data`` with the model's feature options (``records_start_year``
        and those of ``model_params``), to reuse later for scoring (:func:`score_utility`).
    """
    model = new_model(horizon_years, records_start_year, model_params)
    return model.fit_utility(data, as_of, builder=builder)


def new_model(
    horizon_years: int, records_start_year: int | None, model_params: dict | None
) -> RiskModel:
    """The unfitted model :func:`train_model` fits (both engines)."""
    params = dict(model_params or {})
    params["horizon_years"] = horizon_years
    if records_start_year is not None:
        options = dict(params.get("feature_options") or {})
        options["records_start_year"] = records_start_year
        params["feature_options"] = options
    return RiskModel(**params)


def score_utility(
    data: UtilityData,
    as_of,
    model: RiskModel | None = None,
    *,
    horizon_years: int = 1,
    records_start_year: int | None = None,
    model_params: dict | None = None,
    n_exact_explanations: int = DEFAULT_N_EXACT,
    top_n_reasons: int = DEFAULT_TOP_N,
    builder: FeatureBuilder | None = None,
    unit_rules: UnitRules | None = None,
) -> pd.DataFrame:
    """Risk and inspection rank of every pipe in service at ``as_of``, with reasons.

    Parameters
    ----------
    data : UtilityData
        The utility, as read by :func:`risk.workspace.load_workspace`.
    as_of : date-like
        Scoring date; only records dated before it are used.
    model : RiskModel, optional
        A fitted model (e.g. from :func:`load_model`); by default one is trained on
        ``data`` before ``as_of``. A model fitted after ``as_of`` is refused (it has seen
        the outcomes it would predict).
    horizon_years : int
        Outcome window of the predictions (1, 3 or 5 years).
    records_start_year, model_params
        Passed to :func:`train_model` when a model is trained.
    n_exact_explanations : int
        The first-ranked pipes whose reasons use exact TreeSHAP contributions; the others
        use XGBoost's fast approximation.
    top_n_reasons : int
        Largest number of reasons per pipe.
    builder : FeatureBuilder, optional
        A builder of ``data`` with the model's feature options, e.g. the one the model
        was trained with: its static parts (soils, neighbour pairs) are not computed again.
    unit_rules : UnitRules, optional
        How pipes are grouped into inspection units (settings ``[units]``); pipes are
        ranked by unit (:func:`risk.units.rank_pipes`).

    Returns
    -------
    DataFrame
        Sorted by ``rank``: ``pipe_id``, ``probability`` (of at least one failure within
        the horizon), ``expected_failures`` (within the horizon), ``rank`` (1 = inspect
        first: units by expected failures per km, then along the unit), ``top_reasons``,
        ``expected_failures_per_km``, ``length_m`` and the unit: ``unit_id``,
        ``unit_order``, ``unit_rank``, ``unit_length_m``, ``unit_expected_failures``.
        The scores are a forecast over the usual weather (see ``RiskModel.window_weather``);
        ``attrs["expected_failures_by_weather_year"]`` holds the network's expected
        failures had the window the weather of each past window (empty without weather).
    """
    as_of = to_timestamp(as_of)
    check_weather_for(data, as_of, horizon_years, model)
    started = time.perf_counter()
    if model is None:
        # as train_model, keeping the feature builder: scoring reuses its static parts
        model = new_model(horizon_years, records_start_year, model_params)
        builder = builder or model.feature_builder(data)
        model.fit_utility(data, as_of, builder=builder)
    else:
        check_model_for(model, as_of, horizon_years)
    trained = time.perf_counter()
    builder = builder or model.feature_builder(data)
    X = model.build_features(data, as_of, builder=builder)
    scores = model.score_frame(X, model.scenario_weather(builder, as_of, X.index))
    by_weather_year = scores.attrs.get("expected_failures_by_weather_year", {})
    rules = unit_rules or UnitRules()
    scores.index = X.index.astype(str)
    scores["length_m"] = X["length_m"].to_numpy(dtype=float)
    scores = rank_pipes(scores, units_for(data.pipes, scores.index, rules), rules)
    reasons = explain_pipes(
        model, X, scores["rank"].to_numpy(), n_exact=n_exact_explanations, top_n=top_n_reasons
    )
    out = score_table(scores, reasons, by_weather_year)
    log.info(
        "scored %d pipes at %s (training %.1f s, scoring and reasons %.1f s)",
        len(out),
        as_of.date(),
        trained - started,
        time.perf_counter() - trained,
    )
    return out


def score_table(scores: pd.DataFrame, reasons: pd.Series, by_weather_year: dict) -> pd.DataFrame:
    """The table :func:`score_utility` returns (both engines), sorted by ``rank``.

    ``scores``: the forecast of each pipe (index = pipe id) with its ``length_m``, ranked by
    :func:`risk.units.rank_pipes`; ``reasons``: the pipes' reasons in the same order;
    ``by_weather_year``: the network's expected failures under each weather scenario, kept
    in ``attrs["expected_failures_by_weather_year"]``.
    """
    out = pd.DataFrame(
        {
            "pipe_id": scores.index.astype("string"),
            "probability": scores["probability"].to_numpy(),
            "expected_failures": scores["expected_failures"].to_numpy(),
            "rank": scores["rank"].to_numpy(),
            "top_reasons": reasons.to_numpy(),
            "expected_failures_per_km": scores["expected_failures_per_km"].to_numpy(),
            "length_m": scores["length_m"].to_numpy(dtype=float),
            **{c: scores[c].to_numpy() for c in SCORE_COLUMNS if c.startswith("unit_")},
        }
    )
    out["top_reasons"] = out["top_reasons"].astype("string")
    out = out.sort_values("rank", kind="mergesort").reset_index(drop=True)[list(SCORE_COLUMNS)]
    out.attrs["expected_failures_by_weather_year"] = by_weather_year
    return out


def check_weather_for(data: UtilityData, as_of, horizon_years: int, model=None) -> None:
    """Refuse (:class:`InputError`) a forecast at ``as_of`` whose weather table holds no
    past outcome window to stand for the one ahead (:func:`risk.features.no_weather_window`),
    before any training: both engines call it. Nothing to check without weather or for a
    ``model`` that did not learn from the window's weather."""
    if data.weather is None or "date" not in data.weather:
        return
    if model is not None and not model.uses_window_weather:
        return
    horizon = model.horizon_years if model is not None else horizon_years
    problem = no_weather_window(data.weather["date"], to_timestamp(as_of), horizon)
    if problem:
        raise InputError(problem)


def check_model_for(model: RiskModel, as_of: pd.Timestamp, horizon_years: int) -> None:
    if not is_fitted(model):
        raise ValueError("model must be a fitted RiskModel (train_model or load_model)")
    fitted_at = getattr(model, "as_of_", None)
    if fitted_at is not None and to_timestamp(fitted_at) > as_of:
        raise InputError(
            f"the model was fitted on records up to {fitted_at}, after as_of "
            f"{as_of.date()}: it has seen the failures it would predict. Train a model at "
            f"or before {as_of.date()}."
        )
    if model.horizon_years != horizon_years:
        raise InputError(
            f"the model predicts a {model.horizon_years}-year horizon; horizon_years="
            f"{horizon_years} was asked. Train a model for that horizon."
        )


def train_and_score(
    data: UtilityData,
    as_of,
    *,
    horizon_years: int = 1,
    model: RiskModel | None = None,
    client=None,
    models_dir: str | Path | None = None,
    unit_rules: UnitRules | None = None,
    progress=None,
) -> pd.DataFrame:
    """What ``risk score`` does, with the engine as a parameter: train on the records before
    ``as_of`` unless ``model`` is given (records from ``records_complete_from``), save the
    model version to ``models_dir``, then score and explain every pipe in service.

    ``client`` (a ``distributed.Client``) runs both on a Dask cluster
    (:mod:`risk.dask_engine`, the same features, panel rule and calibration); None runs them
    here. ``progress`` is called with a line of text at each step. ``attrs["notes"]`` of
    the result says, in sentences, what the model's training means for its numbers
    (:func:`risk.modelcard.training_cautions`; empty when nothing needs saying).
    """
    say = progress or (lambda text: None)
    as_of = to_timestamp(as_of)
    check_weather_for(data, as_of, horizon_years, model)
    start = (data.meta or {}).get("records_complete_from")
    if model is not None:
        check_model_for(model, as_of, horizon_years)
    if client is None:
        builder = None
        if model is None:
            say(f"training on the history before {as_of.date()}")
            builder = FeatureBuilder(data, records_start_year=start)  # reused for scoring
            model = train_on_engine(data, as_of, horizon_years=horizon_years, builder=builder)
            if models_dir is not None:
                save_model(model, models_dir)
        say("scoring and explaining (reasons in words for every pipe)")
        scores = score_utility(
            data, as_of, horizon_years=horizon_years, model=model, builder=builder,
            unit_rules=unit_rules,
        )  # fmt: skip
        return _with_notes(scores, model)
    from risk import dask_engine

    options = model.feature_options if model is not None else None
    if model is None and start is not None:
        options = {"records_start_year": start}
    parts = dask_engine.partition_utility(data, client, feature_options=options)
    say(f"{len(data.pipes):,} pipes in {parts.npartitions} spatial partitions")
    try:
        if model is None:
            say(f"training on the history before {as_of.date()}, on the cluster")
            model = train_on_engine(
                data, as_of, horizon_years=horizon_years, client=client, partitions=parts
            )
            if models_dir is not None:
                save_model(model, models_dir)
        say("scoring and explaining, on the cluster")
        scores = dask_engine.score_utility_dask(
            data, as_of, client, model, partitions=parts, unit_rules=unit_rules
        )
        return _with_notes(scores, model)
    finally:
        parts.release()


#: Days after the last recorded break from which an as-of date is said to be beyond the
#: break record (about three months: the features' "last year" would miss a quarter of it).
RECORD_GAP_DAYS = 92


def record_end_notes(data: UtilityData, as_of) -> list[str]:
    """Whether the utility's break record reaches ``as_of``: a note when its last break is
    more than :data:`RECORD_GAP_DAYS` before, refused (:class:`InputError`) when more than a
    year before on a record of at least 5 breaks a year, where a year without any is not
    believable, or when not one recorded break falls in the years the model learns from.
    Past that end the model reads the months since as months without failures:
    a network scored in 2030 from breaks to 2025 got 96 expected failures instead of 238,
    and training labels those months with zeros. Give it the utility's own breaks (before
    field outcomes are added: a crew's leak does not extend the utility's export).

    >>> breaks = pd.DataFrame({"date": pd.to_datetime(["2024-03-01"] * 20 + ["2025-11-30"])})
    >>> data = UtilityData(pipes=pd.DataFrame(), breaks=breaks)
    >>> record_end_notes(data, "2026-01-01")
    []
    >>> record_end_notes(data, "2026-06-01")[0][:58]
    'The last recorded break is on 2025-11-30, 183 days before '
    """
    last = data.last_break
    if last is None:
        return []
    dates = pd.to_datetime(data.breaks["date"]).dropna()
    as_of = to_timestamp(as_of)
    gap = (as_of - last).days
    if gap <= RECORD_GAP_DAYS:
        return []
    start = (data.meta or {}).get("records_complete_from") or dates.min().year
    per_year = int((dates.dt.year >= int(start)).sum()) / max(1, last.year - int(start) + 1)
    if gap > 366 and per_year >= 5:
        suggest = min(
            pd.Timestamp(year=last.year + 1, month=1, day=1),
            last + pd.Timedelta(days=RECORD_GAP_DAYS),
        )
        raise InputError(
            f"--as-of {as_of.date()} is {gap:,} days after the last recorded break "
            f"({last.date()}; about {per_year:,.0f} breaks a year before it): the model would "
            "read the time since as without any failure, and forecast far too few. Load the "
            f"newer breaks (risk ingest), or give an as-of date up to {suggest.date()}."
        )
    panel_years = RiskModel().panel_years
    if last < panel_dates(as_of, 1, panel_years)[0]:
        raise InputError(
            f"--as-of {as_of.date()} is {gap:,} days after the last recorded break "
            f"({last.date()}): the model learns from the {panel_years} years before the "
            "as-of date, and not one break is recorded in them, so it would learn that pipes "
            "do not fail. Load the newer breaks (risk ingest), or give an as-of date up to "
            f"{pd.Timestamp(year=last.year + panel_years, month=1, day=1).date()}."
        )
    return [
        f"The last recorded break is on {last.date()}, {gap:,} days before {as_of.date()}: "
        "breaks since then, if any were not loaded, count as none, and the expected failures "
        "are then too low. Load the newer breaks (risk ingest) if there are some."
    ]


def score_again_command(workspace, today) -> str:
    """The command that scores the workspace again as of ``today``, as the pages give it.

    >>> score_again_command("data/workspace/town", "2026-12-04")
    'risk score data/workspace/town --as-of 2026-12-04'
    """
    return f"risk score {workspace or 'WORKSPACE'} --as-of {to_timestamp(today).date()}"


def scores_age_words(
    as_of, horizon_years: int, today, workspace=None, lang: str = "en", *, command: bool = True
) -> tuple[str, str | None]:
    """The date of the scores a page or a list rests on, and a sentence when they are old:
    ``(date words, notice or None)``. More than :data:`RECORD_GAP_DAYS` after ``as_of`` the
    breaks and field outcomes since are not in them (a page in December read scores of
    1 January as today's); past their horizon they forecast a period already over. The one
    rule of the Risk map, Dispatch and Renewal pages and ``risk dispatch``.

    >>> scores_age_words("2026-01-01", 1, "2026-02-01")
    ('Scores as of Jan 1, 2026 (forecast for 1 year).', None)
    >>> scores_age_words("2026-01-01", 1, "2026-12-04")[1][:66]
    'These scores are as of Jan 1, 2026, 337 days ago: failures and fie'

    ``command``: whether the reader runs the model (an engineer: the notice ends with the
    command that scores again) or not (a manager is told who does it, not given a command).
    """
    from risk.i18n import format_date, format_number, plural, t

    as_of, today = to_timestamp(as_of), to_timestamp(today)
    date = format_date(as_of.date(), lang)
    words = plural("scores.as_of", int(horizon_years), lang, date=date)
    days = (today - as_of).days
    if days <= RECORD_GAP_DAYS:
        return words, None
    run = score_again_command(workspace, today)
    ask = "" if command else "_ask"  # the same sentence, ending with who scores again
    end = as_of + pd.DateOffset(years=int(horizon_years))
    if today >= end:
        notice = t(f"scores.horizon_over{ask}", lang, date=date,
                   end=format_date((end - pd.Timedelta(days=1)).date(), lang), command=run)  # fmt: skip
    else:
        notice = plural(
            f"scores.old{ask}", days, lang, date=date, days=format_number(days, lang), command=run
        )
    return words, notice


def scores_network_words(workspace, today, lang: str = "en", *, command: bool = True) -> str | None:
    """A sentence when the network was loaded again after the scores were made (the
    inventory version ``scores.json`` names is not the current one): they rank the pipes of
    the earlier export, without the pipes added since and with those removed. None otherwise,
    or for scores written before they named their version. The one rule of the pages and
    ``risk dispatch``."""
    from risk.i18n import t
    from risk.workspace import Workspace

    ws = Workspace(workspace)
    made_on = ws.read_scores_basis().get("inventory_version")
    current = ws.inventory_version()
    if not made_on or not current or made_on == current:
        return None
    ask = "" if command else "_ask"
    return t(f"scores.older_network{ask}", lang, command=score_again_command(workspace, today))


def unscored_words(pipes: pd.DataFrame, as_of) -> str | None:
    """The pipes of the inventory left out of the scores, and why, in a sentence: removed
    before ``as_of``'s year, or laid after ``as_of`` (the rule of
    :func:`risk.features.common.in_service`); None when every pipe is scored.

    >>> pipes = pd.DataFrame({"install_year": [1950, 1980, 2030], "removed_year": [None, 2020, None]})
    >>> unscored_words(pipes, "2026-01-01")
    '2 pipes of the inventory are not scored: 1 removed before 2026 (removed_year), 1 laid after 2026-01-01.'
    """
    from risk.features.common import in_service

    as_of = to_timestamp(as_of)
    serving = in_service(pipes, as_of)
    if serving.all():
        return None
    removed_year = (
        pipes["removed_year"] if "removed_year" in pipes else pd.Series(np.nan, pipes.index)
    )
    removed = (~serving & (pd.to_numeric(removed_year, errors="coerce") < as_of.year)).sum()
    later = int((~serving).sum() - removed)
    parts = []
    if removed:
        parts.append(f"{removed:,} removed before {as_of.year} (removed_year)")
    if later:
        parts.append(f"{later:,} laid after {as_of.date()}")
    n = int((~serving).sum())
    noun = "pipe of the inventory is" if n == 1 else "pipes of the inventory are"
    return f"{n:,} {noun} not scored: {', '.join(parts)}."


def _with_notes(scores: pd.DataFrame, model: RiskModel) -> pd.DataFrame:
    """``scores`` with ``attrs["notes"]``: what the model's training means for its numbers,
    and ``attrs["model_version"]``: the saved version that made them (its folder's name, from
    :func:`save_model` or :func:`load_model`; None for a model never saved)."""
    from risk.modelcard import model_cautions

    scores.attrs["notes"] = model_cautions(model)
    scores.attrs["model_version"] = getattr(model, "version_", None)
    return scores


def train_on_engine(
    data: UtilityData,
    as_of,
    *,
    horizon_years: int = 1,
    client=None,
    builder: FeatureBuilder | None = None,
    partitions=None,
) -> RiskModel:
    """Train on the records before ``as_of`` (the break record from the workspace's
    ``records_complete_from``), here (:func:`train_model`, reusing ``builder``) or on a
    Dask ``client`` (:func:`risk.dask_engine.train_model_dask`, on ``partitions`` if given):
    the one choice of engine of ``risk train`` and ``risk score``."""
    start = (data.meta or {}).get("records_complete_from")
    if client is None:
        return train_model(
            data, as_of, horizon_years=horizon_years, records_start_year=start, builder=builder
        )
    from risk import dask_engine

    return dask_engine.train_model_dask(
        data, as_of, client, horizon_years=horizon_years, records_start_year=start,
        partitions=partitions,
    )  # fmt: skip


def weather_range_words(
    by_weather_year: dict, expected: float, horizon_years: int, lang: str = "en"
) -> str:
    """The forecast's total and the range a year's weather makes, in a sentence in
    ``lang`` (the command line and the Model page); without weather scenarios, the total
    and that the coming weather is not taken into account.

    >>> weather_range_words({2023: 520.0, 2024: 890.4, 2025: 700.0}, 682.2, 1)
    'Expected failures in the year ahead: 682 with the usual weather; 520 to 890 with the weather of one of the years 2023-2025.'
    >>> weather_range_words({2024: 1.2, 2025: 0.9}, 1.0, 1)[-51:]
    '; 1 with the weather of one of the years 2024-2025.'
    >>> weather_range_words({}, 52.4, 3)
    'Expected failures in the next 3 years: 52 (the weather of the coming years is not taken into account).'
    """
    from risk.i18n import format_number, number_range, t, year_span

    if not by_weather_year:
        key = "weather.total_1" if int(horizon_years) == 1 else "weather.total_n"
        years = format_number(int(horizon_years), lang)
        return t(key, lang, years=years, expected=format_number(expected, lang))
    years = sorted(int(y) for y in by_weather_year)
    values = [float(v) for v in by_weather_year.values()]
    key = "weather.range_1" if int(horizon_years) == 1 else "weather.range_n"
    return t(
        key, lang, years=format_number(int(horizon_years), lang),
        expected=format_number(expected, lang), range=number_range(min(values), max(values), lang),
        span=year_span(years[0], years[-1]),
    )  # fmt: skip


# ------------------------------------------------------------- model versions
def save_model(
    model: RiskModel,
    models_dir: str | Path = "models",
    *,
    metrics: dict | None = None,
    name: str | None = None,
) -> Path:
    """Write a fitted model and its model card to ``models_dir/<version>/``.

    The version name is ``<as_of>_h<horizon>_<hash>`` (the hash covers data fingerprint,
    parameters and trees), unless ``name`` is given. The folder holds ``booster.json``
    (the XGBoost trees) and ``model_card.json`` (data fingerprint, as-of date,
    parameters, features, calibration, backtest ``metrics`` when given).

    Returns
    -------
    Path
        The version folder.
    """
    if not is_fitted(model):
        raise ValueError("only a fitted RiskModel can be saved; call fit or fit_utility first")
    booster = bytes(model.booster_.save_raw("json"))
    card = {
        "format_version": MODEL_FORMAT_VERSION,
        "kind": "risk.model.RiskModel",
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "as_of": getattr(model, "as_of_", None),
        "horizon_years": model.horizon_years,
        "fit_horizon_years": model.fit_horizon,
        "data_fingerprint": getattr(model, "data_fingerprint_", None),
        "training_rows": getattr(model, "training_rows_", None),
        "training_failures": getattr(model, "training_failures_", None),
        "field_records": getattr(model, "field_records_", None),
        "panel_dates": getattr(model, "panel_dates_", None),
        "parameters": _plain(model.get_params()),
        "features": list(model.feature_names_in_),
        "dropped_features": list(model.dropped_features_),
        "left_out_columns": _plain(getattr(model, "left_out_columns_", {})),
        "source_names": _plain(getattr(model, "source_names_", {})),
        "categories": _plain(model.categories_),
        "count_scale": model.count_scale_,
        "probability": "poisson",  # 1 - exp(-expected failures); before: "calibrator"
        "calibration": _plain(model.calibration_),
        "feature_importance": _plain(model.feature_importance().round(6).to_dict()),
        "metrics": _plain(metrics) if metrics else None,
    }
    if name is None:
        digest = hashlib.sha256(booster)
        digest.update(json.dumps(card["parameters"], sort_keys=True).encode())
        digest.update(str(card["data_fingerprint"]).encode())
        name = f"{card['as_of'] or 'unknown'}_h{model.horizon_years}_{digest.hexdigest()[:10]}"
    folder = Path(models_dir) / name
    # written aside, then moved in: a crash or a full disk leaves no half-written card or
    # trees in the models folder (the card last, which readers look for)
    with staged_folder(folder) as staging:
        (staging / "booster.json").write_bytes(booster)
        (staging / "model_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    model.version_ = folder.name  # the scores it makes name it (Workspace.write_scores)
    return folder


def load_model(path: str | Path) -> RiskModel:
    """Read a model saved by :func:`save_model` (its version folder)."""
    folder = Path(path)
    card_path = folder / "model_card.json"
    if not card_path.exists():
        raise FileNotFoundError(
            f"{card_path} not found; give the version folder written by save_model "
            "(models/<version>/)"
        )
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{card_path}: not valid JSON ({exc}); give an intact version folder written by "
            "save_model, or retrain the model"
        ) from None
    if card.get("format_version") != MODEL_FORMAT_VERSION:
        raise InputError(
            f"{card_path}: model format {card.get('format_version')!r}, this version reads "
            f"{MODEL_FORMAT_VERSION}; retrain the model"
        )
    # a model saved before the outcome window's weather existed did not learn from it
    model = RiskModel(**{"window_weather": False, **card["parameters"]})
    booster = xgb.Booster()
    booster.load_model(bytearray((folder / "booster.json").read_bytes()))
    model.set_booster(booster)
    model.set_features(card["features"], card["dropped_features"], card["categories"])
    model.left_out_columns_ = dict(card.get("left_out_columns") or {})
    model.source_names_ = dict(card.get("source_names") or {})
    model.count_scale_ = float(card["count_scale"])
    # A model saved with a "calibrator" (a Platt curve on its probabilities) is read without
    # it: its chance of a failure now follows from its expected failures, as for new models.
    model.calibration_ = card.get("calibration")
    model.as_of_ = card.get("as_of")
    model.fit_horizon_years_ = int(card.get("fit_horizon_years") or model.horizon_years)
    model.data_fingerprint_ = card.get("data_fingerprint")
    model.training_rows_ = card.get("training_rows")
    model.training_failures_ = card.get("training_failures")
    model.field_records_ = card.get("field_records")
    model.panel_dates_ = list(card.get("panel_dates") or [])
    model.version_ = folder.name
    return model


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    return value
