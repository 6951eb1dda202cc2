"""``risk dispatch``, ``risk outcomes``, ``risk savings`` and ``risk simulate-loop``."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date
from pathlib import Path

import pandas as pd

from risk import clock
from risk.atomic import staged_folder
from risk.commands._common import (
    emit,
    is_workspace,
    read_table,
    say,
    table_path,
    write_table,
)
from risk.errors import InputError
from risk.i18n import DEFAULT_LANGUAGE, languages
from risk.savings import SavingsSettings
from risk.workspace import Workspace


def register(add) -> None:
    p = add(
        "dispatch",
        "Plan inspections: per crew and day, the riskiest pipes not inspected recently, in "
        "compact groups and a visiting order; CSV, GeoJSON and printable sheets.",
        """  risk dispatch data/workspace/town --crews crews.csv --start 2026-01-05 --days 5
  risk dispatch data/workspace/town --crews crews.csv --start 2026-01-05 --assign --user ingrid
  risk dispatch data/workspace/town --crews crews.csv --start 2026-01-05 --language fr

crews.csv:
  name,km_per_day            (or name,checks_per_day; optional days column: 2026-01-05;2026-01-06)
  Equipe Nord,3.5
  One row per crew (the name column may be headed crew), one unit for all, these columns
  only (a misspelt days column is refused, not ignored). A --start on a weekend or closed
  day starts on the next working day, and that is said; so are a file's days on a weekend
  or already past.""",
    )
    p.add_argument("workspace", type=Path, help="a workspace (risk ingest) holding scores")
    p.add_argument("--crews", type=Path, required=True, help="CSV of crews and capacities")
    p.add_argument("--start", required=True, help="first working day, e.g. 2026-01-05")
    p.add_argument("--days", type=int, default=5, help="working days (default: %(default)s)")
    p.add_argument("--scores", type=Path, help="default: <workspace>/scores.parquet")
    p.add_argument(
        "--recent-days",
        type=int,
        default=365,
        help="skip pipes inspected within this many days (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="folder for the lists (default: <workspace>/plans/<round id> when assigned, "
        "<workspace>/plans/<start>-draft otherwise)",
    )
    p.add_argument(
        "--assign",
        action="store_true",
        help="save the plan as crews' assignments (needs --user: an engineer or admin account); "
        "each crew's results sheet to fill in from the paper sheets is written beside the lists",
    )
    p.add_argument(
        "--user", help="with --assign: who assigns, an engineer or admin account (audited)"
    )
    p.add_argument(
        "--language",
        choices=languages(),
        default=DEFAULT_LANGUAGE,
        help="language of the sheets and of the words in plan.csv (default: %(default)s)",
    )
    p.set_defaults(func=cmd_dispatch)

    p = add(
        "outcomes",
        "Record, import or export field outcomes (leak found / nothing found / no access).",
        """  risk outcomes record data/workspace/town --pipe-id P000123 --result leak_found \\
      --leak-kind joint --flow-m3-per-h 0.8 --inspected-on 2026-01-05 --user anne
  risk outcomes record data/workspace/town --pipe-id P000124 --result nothing_found \\
      --inspected-on 2026-01-05 --user anne
  risk outcomes import data/workspace/town outcomes.csv --user anne
  risk outcomes export data/workspace/town all-outcomes.csv

--user names an account of the workspace (risk users add) that may record outcomes: crew
(only for their own crew's assignments), engineer or admin. Every pipe_id must be in the
network; notes hold at most 2,000 characters. An import's header names the columns
(pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,repair_date,notes) or says them as the
printed sheet does, in English or French (Pipe, Result, Date; Conduite, Résultat, Débit
(m³/h)).""",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = sub.add_parser("record", help="record one outcome")
    r.add_argument("workspace", type=Path)
    r.add_argument("--pipe-id", required=True)
    r.add_argument("--result", required=True, choices=("leak_found", "nothing_found", "no_access"))
    r.add_argument("--inspected-on", required=True, help="date of the inspection")
    r.add_argument("--leak-kind", help="main, joint, service, valve, hydrant or other")
    r.add_argument("--flow-m3-per-h", type=float, help="estimated leak flow (m3/h)")
    r.add_argument("--repair-date")
    r.add_argument("--assignment-id", type=int)
    r.add_argument("--notes")
    r.add_argument("--user", required=True, help="who records it: an account (audited)")
    r.add_argument(
        "--key", help="idempotency key: the same key again never records twice (default: new)"
    )
    r.add_argument(
        "--corrects",
        metavar="KEY",
        help="the key of the outcome this one replaces (a correction: it counts instead); "
        "keys are in 'risk outcomes export'",
    )
    r.set_defaults(func=cmd_outcomes_record)
    i = sub.add_parser("import", help="import a CSV of outcomes: all rows or none")
    i.add_argument("workspace", type=Path)
    i.add_argument("file", type=Path)
    i.add_argument("--user", required=True, help="who imports it: an account (audited)")
    i.add_argument(
        "--add-leaks",
        action="store_true",
        help="a leak found on a pipe and day that already have leaks recorded is one more leak "
        "(without it such a row is refused: a correction names its record in corrects_key)",
    )
    _add_date_order(i, "the file's dates")
    i.set_defaults(func=cmd_outcomes_import)
    e = sub.add_parser("export", help="export every outcome to CSV")
    e.add_argument("workspace", type=Path)
    e.add_argument("file", type=Path)
    e.set_defaults(func=cmd_outcomes_export)
    for q in (r, i, e):
        q.add_argument("--json", action="store_true", help="print a JSON summary on stdout")

    p = add(
        "rounds",
        "The rounds of inspections assigned to crews: list them, or cancel the inspections of "
        "one not yet done (its pipes can then be planned again).",
        """  risk rounds list data/workspace/town
  risk rounds sheet data/workspace/town 2026-01-05-ingrid --crew Nord --language fr
  risk rounds cancel data/workspace/town 2026-01-05-ingrid --user ingrid

'risk rounds sheet' writes a crew's results sheet: its inspections still planned in the
round, in the printed sheet's order, with empty columns for what the crew found. Fill it in
from the paper sheets and import it (risk outcomes import, or the Dispatch page): rows left
without a result stay planned.""",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = sub.add_parser("list", help="the rounds: day, crew, status, pipes and pipes done")
    q.add_argument("workspace", type=Path)
    q.set_defaults(func=cmd_rounds_list)
    h = sub.add_parser(
        "sheet", help="a crew's results sheet: a CSV of its planned inspections to fill in"
    )
    h.add_argument("workspace", type=Path)
    h.add_argument("round_id", help="the round, as listed by: risk rounds list WORKSPACE")
    h.add_argument("--crew", required=True, help="the crew whose inspections it lists")
    h.add_argument(
        "--language", choices=languages(), default=DEFAULT_LANGUAGE, help="its headings' language"
    )
    h.add_argument(
        "--out", type=Path, help="the file (default: plans/ROUND/results-ROUND-CREW.csv)"
    )
    h.set_defaults(func=cmd_rounds_sheet)
    c = sub.add_parser("cancel", help="cancel a round's inspections not yet done")
    c.add_argument("workspace", type=Path)
    c.add_argument("round_id", help="the round, as listed by: risk rounds list WORKSPACE")
    c.add_argument("--user", required=True, help="who cancels: an engineer or admin (audited)")
    c.set_defaults(func=cmd_rounds_cancel)
    for parser in (q, h, c):
        parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")

    p = add(
        "savings",
        "Water saved by the leaks found: to date (recorded repairs) and projected over a year, "
        "in m3 and households, per month; the same figures as the Impact page. Optionally "
        "checked against district minimum night flows.",
        """  risk savings data/workspace/town
  risk savings data/workspace/town --survey-interval-years 4 --out savings.csv
  risk savings data/workspace/town --night-flow night_flow.csv   (zone,date,min_night_flow_m3_per_h)

The water saved is checked against the zones' minimum night flows: the workspace's
night_flow.csv (loaded on the Impact page), or the file given with --night-flow.

The assumptions come from [savings] in the workspace's settings.toml (as on the Impact
page); a flag given here overrides that one setting for this run.""",
    )
    p.add_argument("workspace", type=Path)
    p.add_argument("--as-of", help="savings to date (default: today)")
    for setting in fields(SavingsSettings):  # --survey-interval-years, --repair-days, ...
        p.add_argument(
            "--" + setting.name.replace("_", "-"),
            type=float,
            help=f"override [savings] {setting.name} (default {setting.default:g})",
        )
    p.add_argument(
        "--night-flow",
        type=Path,
        help="CSV: zone, date, min_night_flow_m3_per_h (or a meter's readings: zone, date "
        "with the time, flow_m3_per_h)",
    )
    _add_date_order(p, "the night flows' dates")
    p.add_argument("--out", type=table_path, help="CSV of the monthly table (saved to date)")
    p.set_defaults(func=cmd_savings)

    p = add(
        "simulate-loop",
        "Play the field loop on the sample utility (crews' findings read from its hidden "
        "leaks): rounds of dispatch, inspection and retraining, model vs age vs random.",
        """  risk simulate-loop data/sample/town
  risk simulate-loop data/sample/town --rounds 6 --km-per-round 10 --out loop.csv""",
    )
    p.add_argument("sample", type=Path, help="a folder written by risk generate")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--km-per-round", type=float, default=20.0)
    p.add_argument("--out", type=table_path, help="CSV of the per-round table")
    p.set_defaults(func=cmd_simulate_loop)


def _date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{flag} must be a date such as 2026-01-05. Got {text!r}.") from None


def _store(workspace: Path):
    from risk.auth import store_location
    from risk.store import OutcomeStore

    if not is_workspace(workspace):
        raise InputError(f"{workspace} is not a workspace; create one with: risk ingest FOLDER")
    return OutcomeStore(store_location(workspace))


def exclusions(store, *, start: date, recent_days: int) -> pd.DataFrame:
    """:func:`risk.dispatch.inspection_exclusions` of the store's outcomes and assignments."""
    from risk.dispatch import inspection_exclusions

    return inspection_exclusions(
        store.outcomes(counted=True), store.assignments(), start=start, recent_days=recent_days
    )


def cmd_dispatch(args) -> int:
    from risk.auth import list_users
    from risk.dispatch import closed_days, plan_inspections, read_crews
    from risk.dispatch.rounds import assign_words, busy_crew_words
    from risk.dispatch.sheets import export_plan
    from risk.outcomes.writes import assign_round
    from risk.workspace import load_workspace

    if args.assign and not args.user:
        raise InputError(
            "--assign needs --user NAME: the engineer or admin account that assigns the "
            f"inspections (audited). Create one with: risk users add {args.workspace} NAME "
            "--role engineer"
        )
    start = _date(args.start, "--start")
    crews = read_crews(
        args.crews, start=start, n_days=args.days, closed=closed_days(args.workspace)
    )
    scores = read_table(args.scores) if args.scores else Workspace(args.workspace).read_scores()
    if scores is None:
        raise FileNotFoundError(
            f"{Workspace(args.workspace).scores} not found: score the network first (risk "
            f"score {args.workspace} --as-of DATE)"
        )
    data = load_workspace(args.workspace)
    with _store(args.workspace) as store:
        exclude = exclusions(store, start=start, recent_days=args.recent_days)
        plan = plan_inspections(scores, data.pipes, crews, exclude=exclude)
        busy = busy_crew_words(store.assignments(), plan)
        unseen = assign_words(plan, list_users(store))[1] if len(plan) else []
        # An assigned round is a record: its lists go to plans/<round id>, never over another
        # round's; a draft (not assigned) goes to plans/<start>-draft, replaced by the next.
        folder = f"{start.isoformat()}-draft"
        if args.assign:
            folder = round_id = f"{start.isoformat()}-{uuid.uuid4().hex[:6]}"
        out = Path(args.out or Workspace(args.workspace).plan_folder(folder))
        if out.exists() and not out.is_dir():
            raise InputError(
                f"--out {out} is a file: give a folder for the lists (plan.csv, plan.geojson, "
                "sheets.html), a new one or one they may replace"
            )
        unwritten = []
        if args.assign:  # the lists and the round, all or none; then the results sheets
            _, files, unwritten = assign_round(
                args.workspace, args.user, plan, round_id=round_id, folder=out,
                lang=args.language, store=store,
            )  # fmt: skip
        else:
            with staged_folder(out) as staging:
                files = export_plan(plan, staging, lang=args.language)
            files = {kind: out / path.name for kind, path in files.items()}
    km = plan["length_m"].sum() / 1000.0 if len(plan) else 0.0
    text = (
        f"Planned {len(plan):,} inspections ({km:,.1f} km) for {len(crews)} crew(s); "
        f"{len(exclude):,} pipes excluded.\n"
        + "\n".join(f"  {kind}: {path}" for kind, path in files.items())
        + (
            f"\nSaved as assignments, round {round_id}."
            if args.assign
            else "\nNot assigned (use --assign)."
        )
    )
    from risk import clock
    from risk.dispatch.rounds import crew_days_words, past_start_words

    past = past_start_words(start, clock.today())
    text += f"\nNote: {past}" if past else ""
    text += "".join(f"\nNote: {words}" for words in crew_days_words(crews, start, clock.today()))
    text += "".join(f"\nNote: {words}" for words in busy + unseen + unwritten)
    if not args.scores:  # the workspace's scores: said when they are old
        from risk.scoring import scores_age_words, scores_network_words

        basis = Workspace(args.workspace).read_scores_basis()
        _, old = scores_age_words(
            basis["as_of"], basis["horizon_years"], clock.today(), args.workspace
        )
        text += f"\nNote: {old}" if old else ""
        older = scores_network_words(args.workspace, clock.today())
        text += f"\nNote: {older}" if older else ""
    emit(
        args,
        {
            "inspections": len(plan),
            "km": km,
            "round_id": round_id if args.assign else None,
            "files": {k: str(v) for k, v in files.items()},
        },
        text,
    )
    return 0


def cmd_outcomes_record(args) -> int:
    from risk.outcomes.writes import record_outcome

    outcome = {
        "pipe_id": args.pipe_id,
        "result": args.result,
        "inspected_on": args.inspected_on,
        "leak_kind": args.leak_kind,
        "flow_m3_per_h": args.flow_m3_per_h,
        "repair_date": args.repair_date,
        "assignment_id": args.assignment_id,
        "notes": args.notes,
        "corrects_key": args.corrects,
    }
    key = args.key or uuid.uuid4().hex
    with _store(args.workspace) as store:
        before = store.outcomes()
    result = record_outcome(
        args.workspace,
        args.user,
        {k: v for k, v in outcome.items() if v is not None},
        idempotency_key=key,
    )
    state = "Recorded" if result.created else "Already recorded (same key), nothing added"
    planned = result.completed_assignment
    done = f" It completes planned inspection {planned}." if planned is not None else ""
    emit(
        args,
        {
            "outcome_id": result.outcome_id,
            "created": result.created,
            "key": key,
            "completed_assignment": planned,
        },
        f"{state}: outcome {result.outcome_id} (key {key}).{done}"
        + _outcome_notes(args.workspace, [result.outcome_id] if result.created else [], before),
    )
    return 0


def cmd_outcomes_import(args) -> int:
    from risk.outcomes.writes import import_outcomes, imported_words

    with _store(args.workspace) as store:
        before = store.outcomes()
    results = import_outcomes(
        args.workspace, args.user, args.file, add_leaks=args.add_leaks, day_first=args.day_first
    )
    created = sum(r.created for r in results)
    completed = sum(r.completed_assignment is not None for r in results)
    emit(
        args,
        {"rows": len(results), "created": created, "completed_planned": completed},
        imported_words(results, str(args.file))
        + _outcome_notes(args.workspace, [r.outcome_id for r in results if r.created], before),
    )
    return 0


def _outcome_notes(workspace, outcome_ids: list[int], before: pd.DataFrame) -> str:
    """The notes of :func:`risk.outcomes.notes.outcome_notes` on the outcomes just recorded,
    one line each."""
    from risk.outcomes.notes import outcome_notes
    from risk.workspace import pipe_service_years

    if not outcome_ids:
        return ""
    with _store(workspace) as store:
        stored = store.outcomes()
    new = stored[stored["outcome_id"].isin(outcome_ids)]
    notes = outcome_notes(new, before, pipe_service_years(workspace))
    return "".join(f"\nNote: {words}" for words in notes)


def cmd_outcomes_export(args) -> int:
    with _store(args.workspace) as store:
        count = store.export_csv(args.file)
    emit(
        args,
        {"rows": count, "file": str(args.file)},
        f"Exported {count:,} outcomes to {args.file}.",
    )
    return 0


def cmd_rounds_list(args) -> int:
    from risk.dispatch import rounds

    with _store(args.workspace) as store:
        assignments = store.assignments()
    table = rounds.rounds_table(assignments, "en")
    text = rounds.rounds_summary(assignments, "en")
    if len(table):
        text += "\n" + table.to_string(index=False)
    records = [{**r, "day": r["day"].isoformat()} for r in rounds.rounds_records(assignments)]
    emit(args, {"rounds": records}, text)
    return 0


def cmd_rounds_sheet(args) -> int:
    from risk.dispatch.results_sheet import write_results_sheet

    _store(args.workspace).close()  # a workspace, or the fix
    path, rows = write_results_sheet(
        args.workspace, args.round_id, args.crew, out=args.out, lang=args.language
    )
    emit(
        args,
        {"file": str(path), "rows": rows},
        f"Wrote {path}: {rows:,} inspection(s) of crew {args.crew} still planned in round "
        f"{args.round_id}. Fill in what the crew found and import it: risk outcomes import "
        f"{args.workspace} {path} --user NAME (rows left without a result stay planned).",
    )
    return 0


def cmd_rounds_cancel(args) -> int:
    from risk.outcomes.writes import cancel_round

    with _store(args.workspace) as store:
        count = cancel_round(args.workspace, args.user, args.round_id, store=store)
    emit(
        args,
        {"round_id": args.round_id, "cancelled": count},
        f"Cancelled {count:,} inspection(s) of round {args.round_id} not yet done; the "
        "inspections already done stay recorded.",
    )
    return 0


def cmd_savings(args) -> int:
    from risk.savings.impact import workspace_impact
    from risk.savings.night_flow import night_flow_words, workspace_night_flow
    from risk.savings.words import impact_texts, monthly_table

    if not is_workspace(args.workspace):
        raise InputError(
            f"{args.workspace} is not a workspace; create one with: risk ingest FOLDER"
        )
    as_of = _date(args.as_of, "--as-of") if args.as_of else clock.today()
    # The same call as the Impact page: the workspace's [savings] settings, flags override.
    overrides = {setting.name: getattr(args, setting.name) for setting in fields(SavingsSettings)}
    summary = workspace_impact(args.workspace, as_of=as_of, **overrides)
    texts = impact_texts(summary, "en")
    months = summary["monthly"]
    lines = [
        texts["as_of"],
        f"Leaks found: {texts['leaks_found']}; length inspected: {texts['km_inspected']}; "
        f"inspections: {texts['inspections']}; leaks per km inspected: {texts['hit_rate']}",
        *(s for s in (texts["no_leaks"], texts["largest_leak"], texts["to_date"], texts["projected"]) if s),
        *([texts["repairs"]] if texts["repairs"] else []),
        *([texts["money"]] if texts.get("money") else []),  # [costs], as on the Impact page
        texts["backtest"] or texts["no_backtest"],
        *([texts["no_outcomes"] or texts["small_sample"]] if texts["no_outcomes"] or texts["small_sample"] else []),
        texts["assumptions"],
    ]  # fmt: skip
    if len(months):
        lines.append("Water saved per month, to date:")
        lines.append(monthly_table(summary, "en").tail(12).to_string(index=False))
    # the workspace's night flows (the Impact page's), or the file given: the same check
    check = workspace_night_flow(
        args.workspace, summary["leaks"], file=args.night_flow, day_first=args.day_first
    )
    if check is not None:
        lines.append("Checked against the meters (night flows):")
        lines.extend(night_flow_words(check, "en"))
        if len(check):
            lines.append(check.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    if args.out:  # after the night flows are checked: a refused file leaves no table behind
        write_table(months, args.out)
    emit(
        args,
        {
            "summary": summary["savings"],
            "field": {
                "inspections": summary["inspections"],
                "leaks_found": summary["leaks_found"],
                "km_inspected": summary["km_inspected"],
                "enough_to_compare": summary["enough_to_compare"],
                "hit_rates": summary["hit_rates"].to_dict("records"),
            },
            "money": summary["money"],
            "backtest": summary["backtest"],
            "months": months.to_dict("records"),
            "night_flow_check": None if check is None else check.to_dict("records"),
        },
        "\n".join(line.replace("**", "") for line in lines),
    )
    return 0


def cmd_simulate_loop(args) -> int:
    from risk.outcomes.loop import simulate_field_loop

    say(f"Simulating {args.rounds} rounds of {args.km_per_round:g} km for each strategy ...")
    table = simulate_field_loop(args.sample, rounds=args.rounds, km_per_round=args.km_per_round)
    if args.out:
        write_table(table, args.out)
    total = table.groupby("strategy", sort=False).agg(
        km=("km_inspected", "sum"), leaks=("leaks_found", "sum")
    )
    total["leaks_per_km"] = total["leaks"] / total["km"]
    lines = [
        table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"),
        "",
        total.to_string(float_format=lambda v: f"{v:,.2f}"),
    ]
    if {"model", "random"} <= set(total.index):
        lines.append(
            f"Model finds {total.loc['model', 'leaks_per_km'] / max(total.loc['random', 'leaks_per_km'], 1e-9):.1f}x "
            "the leaks per km of random choice"
            + (
                f" and {total.loc['model', 'leaks_per_km'] / max(total.loc['age', 'leaks_per_km'], 1e-9):.1f}x "
                "those of age-based choice."
                if "age" in total.index
                else "."
            )
        )
    emit(args, {"rounds": table.to_dict("records")}, "\n".join(lines))
    return 0


def _add_date_order(parser, whose: str) -> None:
    """``--day-first`` / ``--month-first``: how a file writes dates that read either way
    (03/12/2026), as the person says; without either such a file is refused
    (:func:`risk.dates.read_file_dates`)."""
    order = parser.add_mutually_exclusive_group()
    order.add_argument(
        "--day-first",
        dest="day_first",
        action="store_const",
        const=True,
        help=f"{whose} that read either way (03/12/2026) are day/month/year, as France "
        "writes them (without it such a file is refused: which is the day, it does not say)",
    )
    order.add_argument(
        "--month-first",
        dest="day_first",
        action="store_const",
        const=False,
        help=f"{whose} that read either way (12/03/2026) are month/day/year",
    )
