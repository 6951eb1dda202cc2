"""``risk train``, ``risk score`` and ``risk evaluate``."""

from __future__ import annotations

import contextlib
import json
import logging
import math
from pathlib import Path

import pandas as pd

from risk.commands._common import (
    emit,
    load_network,
    say,
    source_folder,
    table_path,
    timed_steps,
    with_outcomes,
    write_table,
)
from risk.errors import InputError
from risk.units import UnitRules
from risk.workspace import Workspace

HORIZONS = (1, 3, 5)


def register(add) -> None:
    p = add(
        "train",
        "Train the risk model on the history before a date and save it as a model version.",
        """  risk train data/workspace/town --as-of 2026-01-01
  risk train data/workspace/kitchener --as-of 2020-01-01 --horizon-years 3
  risk train data/workspace/town --as-of 2026-01-01 --engine dask --scheduler tcp://10.0.0.5:8786""",
    )
    _network_arguments(p)
    _engine_arguments(p)
    p.add_argument("--models-dir", type=Path, help="default: <workspace>/models")
    p.set_defaults(func=cmd_train)

    p = add(
        "score",
        "Score every pipe in service at a date: probability, expected failures, inspection "
        "rank and reasons.",
        """  risk score data/workspace/town --as-of 2026-01-01
  risk score ../shared/data/kitchener --mapping data/mappings/kitchener.toml \\
      --as-of 2020-01-01 --out kitchener-2020.csv
  risk score data/workspace/town --as-of 2026-01-01 --model data/workspace/town/models/<version>
  risk score data/workspace/town --as-of 2026-01-01 --engine dask --workers 4""",
    )
    _network_arguments(p)
    _engine_arguments(p)
    p.add_argument(
        "--out",
        type=table_path,
        help="CSV or Parquet to write (default: <workspace>/scores.parquet)",
    )
    p.add_argument("--model", type=Path, help="a saved model version to use instead of training")
    p.add_argument(
        "--no-outcomes",
        action="store_true",
        help="ignore the field outcomes recorded in the workspace's outcome store",
    )
    p.set_defaults(func=cmd_score)

    p = add(
        "evaluate",
        "Walk-forward backtest: for each year, train on the past, score, and measure on that "
        "year against baselines (random, age, material x decade, prior failures, Weibull).",
        """  risk evaluate data/workspace/town --years 2021-2025
  risk evaluate ../shared/data/kitchener --mapping data/mappings/kitchener.toml --years 2015-2019""",
    )
    p.add_argument("folder", type=Path, help="a workspace, or a utility folder")
    p.add_argument("--mapping", type=Path, help="mapping file (utility folders only)")
    p.add_argument("--years", required=True, help="evaluation years, e.g. 2015-2019 or 2017,2019")
    p.add_argument("--horizon-years", type=int, choices=HORIZONS, default=1)
    p.add_argument("--out", type=Path, help="report folder (default: <workspace>/backtest)")
    p.add_argument("--truth", type=Path, help="generator truth folder (default: <source>/truth)")
    p.set_defaults(func=cmd_evaluate)


def _network_arguments(p) -> None:
    p.add_argument("folder", type=Path, help="a workspace (risk ingest), or a utility folder")
    p.add_argument("--mapping", type=Path, help="mapping file (utility folders only)")
    p.add_argument(
        "--as-of", required=True, help="date, e.g. 2026-01-01: only earlier records are used"
    )
    p.add_argument("--horizon-years", type=int, choices=HORIZONS, default=1)


def _engine_arguments(p) -> None:
    p.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: this process (default); dask: a Dask cluster, for networks beyond one "
        "machine's memory (docs/dask.md)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: a running scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: start a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="with --engine dask and no --scheduler: worker processes of the local cluster "
        "(default 2, one thread each)",
    )


def _dask_engine(args):
    """The Dask engine module and a client, or an ``InputError`` saying how to get them."""
    if args.engine != "dask":
        if args.scheduler:
            raise InputError("--scheduler needs --engine dask")
        return None, None
    if args.workers < 1:
        raise InputError(f"--workers must be at least 1. Got {args.workers}.")
    try:
        from risk import dask_engine
    except ImportError as error:
        raise InputError(
            f"--engine dask needs the optional Dask packages ({error.name} is not installed). "
            "Install them with: pip install 'leak-risk[dask]', or use --engine local."
        ) from None
    if not getattr(args, "verbose", False):
        logging.getLogger("distributed").setLevel(logging.WARNING)
    if args.scheduler:
        say(f"Connecting to the Dask scheduler at {args.scheduler} ...")
    else:
        say(f"Starting a local Dask cluster ({args.workers} workers) ...")
    try:
        client = dask_engine.connect(args.scheduler, n_workers=args.workers)
    except dask_engine.SchedulerUnreachableError as error:
        raise InputError(str(error)) from None
    return dask_engine, client


def parse_years(text: str) -> list[int]:
    """``2015-2019`` or ``2015,2017`` as a list of years.

    >>> parse_years("2015-2017")
    [2015, 2016, 2017]
    """
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            years = list(range(first, last + 1))
        else:
            years = [int(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"--years must look like 2015-2019 or 2015,2017. Got {text!r}.") from None
    if not years:
        raise InputError(f"--years names no year: {text!r}")
    return years


def _years_words(years) -> str:
    """'years 2015-2019', 'year 2019'."""
    from risk.i18n import year_span

    return ("year " if years[0] == years[-1] else "years ") + year_span(years[0], years[-1])


def _as_of(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        raise InputError(f"--as-of must be a date such as 2026-01-01. Got {text!r}.") from None


def cmd_train(args) -> int:
    from risk.scoring import record_end_notes, save_model, train_on_engine

    data, workspace = load_network(args.folder, args.mapping)
    models_dir = args.models_dir or (Workspace(workspace).models if workspace else None)
    if models_dir is None:
        raise InputError("give --models-dir (the input is a utility folder, not a workspace)")
    as_of = _as_of(args.as_of)
    notes = record_end_notes(data, as_of)  # the utility's own breaks, before outcomes
    data, n_outcomes = with_outcomes(data, workspace)
    _, client = _dask_engine(args)
    say(f"Training on the history before {as_of.date()} ({n_outcomes:,} field outcomes) ...")
    with client or contextlib.nullcontext():
        model = train_on_engine(data, as_of, horizon_years=args.horizon_years, client=client)
    folder = save_model(model, models_dir)
    text = f"Model saved: {folder} (card: {folder / 'model_card.json'})"
    emit(args, {"model": str(folder)}, "\n".join([text, *(f"Note: {n}" for n in notes)]))
    return 0


def cmd_score(args) -> int:
    from risk.pipecard import with_reasons_in_words
    from risk.scoring import (
        load_model,
        record_end_notes,
        train_and_score,
        unscored_words,
        weather_range_words,
    )

    data, workspace = load_network(args.folder, args.mapping)
    out = args.out or (Workspace(workspace).scores if workspace else None)
    if out is None:
        raise InputError(
            "give --out FILE (.csv or .parquet): the input is a utility folder, not a workspace"
        )
    as_of = _as_of(args.as_of)
    record_notes = record_end_notes(data, as_of)  # the utility's own breaks, before outcomes
    n_outcomes = 0
    if not args.no_outcomes:
        data, n_outcomes = with_outcomes(data, workspace)
    model = load_model(args.model) if args.model else None
    engine, client = _dask_engine(args)
    title = f"Scoring {len(data.pipes):,} pipes at {as_of.date()} ({n_outcomes:,} field outcomes)"
    with timed_steps(title + " ...") as step, client or contextlib.nullcontext():
        scores = train_and_score(
            data,
            as_of,
            horizon_years=args.horizon_years,
            model=model,
            client=client,
            models_dir=Workspace(workspace).models if workspace is not None else None,
            unit_rules=UnitRules.of_workspace(workspace),
            progress=step,
        )
    used = model.horizon_years if model is not None else args.horizon_years
    if workspace is not None and Path(out) == Workspace(workspace).scores:
        Workspace(workspace).write_scores(scores, as_of, used)
    else:  # a file for people and the GIS: the reasons in words too
        write_table(with_reasons_in_words(scores), out)
    by_weather_year = scores.attrs.get("expected_failures_by_weather_year") or {}
    lines = [f"Scored {len(scores):,} pipes at {as_of.date()}; written to {out}."]
    unscored = unscored_words(data.pipes, as_of)
    lines += [unscored] if unscored else []
    weather = weather_range_words(by_weather_year, scores["expected_failures"].sum(), used)
    lines += [weather] if weather else []
    lines += [f"Note: {note}" for note in [*record_notes, *(scores.attrs.get("notes") or [])]]
    lines += score_summary(scores.head(3), horizon_years=args.horizon_years)
    emit(args, {"out": str(out), "pipes": len(scores)}, "\n".join(lines))
    return 0


def score_summary(top: pd.DataFrame, *, horizon_years: int) -> list[str]:
    """The first pipes to inspect, one line each: the chance of a failure as a percentage and
    the reasons in words (:func:`risk.pipecard.reasons_in_words`). In English: the command
    line has no language setting."""
    from risk.i18n import format_percent
    from risk.pipecard import reasons_in_words

    within = f"within {horizon_years} year{'s' if horizon_years != 1 else ''}"
    lines = ["First to inspect (by expected failures per km of pipe):"] if len(top) else []
    for r in top.itertuples(index=False):
        chance = (
            "chance of failure unknown"
            if pd.isna(r.probability)
            else f"{format_percent(float(r.probability), 'en', decimals=1)} chance of at least "
            f"one failure {within}"
        )
        reasons = "; ".join(reasons_in_words(r.top_reasons, "en"))
        why = f" Why: {reasons}." if reasons else ""
        lines.append(f"  #{r.rank} {r.pipe_id}: {chance}.{why}")
    return lines


def _blank(value) -> bool:
    """A measure the backtest could not take (no failure to find): shown as a dash."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def cmd_evaluate(args) -> int:
    from risk.backtest import evaluate_utility

    years = parse_years(args.years)
    data, workspace = load_network(args.folder, args.mapping)
    out = args.out or (
        Workspace(workspace).backtest
        if workspace
        else Path("data") / "workspace" / Path(args.folder).resolve().name / "backtest"
    )
    truth = args.truth or source_folder(data, args.folder) / "truth"
    truth = truth if (Path(truth) / "expected_failures.parquet").is_file() else None
    with timed_steps(f"Walk-forward backtest over {_years_words(years)} ...") as step:
        result = evaluate_utility(
            data,
            years,
            horizon_years=args.horizon_years,
            truth_dir=truth,
            out_dir=out,
            records_start_year=data.meta.get("records_complete_from"),
            network=Path(args.folder).resolve().name,
            progress=step,
            unit_rules=UnitRules.of_workspace(workspace),
        )
    from risk.savings.backtest_report import backtest_summary
    from risk.savings.words import baseline_ahead_text, method_label

    summary = result["summary"]
    lines = [f"Walk-forward backtest, {_years_words(years)}, horizon {args.horizon_years} y:"]
    lines.append(f"{'method':<28}{'@1%':>7}{'@5%':>7}{'@10%':>7}{'AUC':>7}")
    for method, m in summary.items():
        cells = (m.get(k) for k in ("capture_at_1pct", "capture_at_5pct", "capture_at_10pct"))
        cells = [*cells, m.get("roc_auc")]
        lines.append(
            f"{method_label(method, 'en'):<28}"
            + "".join(f"{'–' if _blank(v) else f'{v:.3f}':>7}" for v in cells)
        )
    lines.append("(share of each year's failures found in the riskiest 1/5/10 % of length)")
    lines.append(f"Report: {Path(out) / 'backtest.html'}")
    warnings = result.get("warnings") or []
    ahead = baseline_ahead_text(backtest_summary(result), "en")
    warnings = ([ahead] if ahead else []) + warnings
    lines += [f"warning: {warning}" for warning in warnings]  # calibration per decile
    emit(
        args,
        {
            "out": str(out),
            "summary": json.loads(json.dumps(summary, default=str)),
            "warnings": warnings,
        },
        "\n".join(lines),
    )
    return 0
