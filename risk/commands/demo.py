"""``risk demo``: the whole product on the built-in sample utility, step by step."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risk import clock
from risk.commands._common import emit, say
from risk.workspace import Workspace

#: Demo accounts of the sample utility only (never created on real data).
DEMO_USERS = (
    ("ingrid", "engineer", None, "en"),
    ("camille", "crew", "Equipe Nord", "fr"),
    ("karim", "crew", "Equipe Sud", "fr"),
    ("marc", "manager", None, "fr"),
    ("admin", "admin", None, "en"),
)
DEMO_PASSWORD = "demo-password"
#: The demo account that plans the first round (an engineer: assignments need one).
DEMO_PLANNER = "ingrid"
DEMO_CREWS = {"name": ["Equipe Nord", "Equipe Sud"], "km_per_day": [4, 4]}
#: Seconds of hydraulic simulation the demo allows itself for the consequence of failure.
DEMO_SIMULATION_S = 30.0


def demo_simulated_pipes(n_segments: int) -> int:
    """Pipes in loops the demo simulates (``risk criticality --top N``): as many of the
    likeliest to fail as fit in about :data:`DEMO_SIMULATION_S` seconds, from 5 to 500.

    One closure (a day of the whole network) took 0.1 s on the 2,000-segment sample town and
    about 7-9 s on the 20,000-segment one (shared 2-core machine, docs/criticality.md): its
    time grows about as the square of the network's size.

    >>> demo_simulated_pipes(20_000), demo_simulated_pipes(5_000), demo_simulated_pipes(1_500)
    (5, 48, 500)
    """
    per_closure_s = 0.1 * (n_segments / 2000) ** 2
    return int(min(500, max(5, DEMO_SIMULATION_S / per_closure_s)))


def run_demo(args) -> int:
    from risk.auth import create_user, list_users, store_location
    from risk.commands.app import serve
    from risk.commands.data import ingest_folder
    from risk.commands.field import exclusions
    from risk.dispatch import plan_inspections
    from risk.dispatch.rounds import crews_for_round
    from risk.generate import generate_utility
    from risk.outcomes.writes import assign_round
    from risk.scoring import save_model, score_utility, train_model, weather_range_words
    from risk.store import OutcomeStore

    base = Path(args.dir)
    town = base / "sample" / "town"
    workspace = base / "workspace" / "town"
    say(f"1/7 Generating the sample utility ({args.segments:,} segments) in {town} ...")
    generate_utility(town, n_segments=args.segments, seed=args.seed)
    say("2/7 Checking and loading it ...")
    data, workspace, _ = ingest_folder(town, workspace=workspace)
    last = data.last_break
    as_of = pd.Timestamp(year=last.year + 1, month=1, day=1)
    complete = data.meta.get("records_complete_from")
    years = [as_of.year - 2, as_of.year - 1]
    say(f"3/7 Training on the history before {as_of.date()} and scoring every pipe ...")
    model = train_model(data, as_of, records_start_year=complete)
    version = save_model(model, Workspace(workspace).models).name
    scores = score_utility(data, as_of, model=model)
    Workspace(workspace).write_scores(scores, as_of, model.horizon_years, model=version)
    consequence = _consequence(data, town, workspace, scores, demo_simulated_pipes(args.segments))
    say("5/7 Planning the first inspection round (2 crews, 5 days) ...")
    # The first round starts on the next Monday: after the scores' date, and not in the past,
    # so that crews open the app on their next working day.
    start = (max(as_of, pd.Timestamp(clock.today())) + pd.offsets.Week(weekday=0)).date()
    crews = crews_for_round(workspace, start=start, n_days=5, default=DEMO_CREWS)
    location = store_location(workspace)
    with OutcomeStore(location) as store:
        # The accounts first: the round is assigned by one of them, through the guarded path.
        known = set(list_users(store)["username"])
        for username, role, crew, language in DEMO_USERS:
            if username not in known:
                create_user(
                    store, username, DEMO_PASSWORD, role, crew, language=language, created_by="demo"
                )
        round_id = f"{start.isoformat()}-demo"
        plan_dir = Workspace(workspace).plan_folder(round_id)
        plan = store.assignments()
        if plan.empty:
            plan = plan_inspections(
                scores, data.pipes, crews, exclude=exclusions(store, start=start, recent_days=365)
            )
            _, files, _ = assign_round(
                workspace, DEMO_PLANNER, plan, round_id=round_id, folder=plan_dir, store=store
            )
        else:  # planned by an earlier run: the round and its sheets are records, kept
            say("   the first round was planned by an earlier run; kept as it is")
            files = {"html": plan_dir / "sheets.html"}
    by_year = scores.attrs["expected_failures_by_weather_year"]
    total = scores["expected_failures"].sum()
    weather = [w for w in [weather_range_words(by_year, total, model.horizon_years)] if w]
    lines = [
        f"Sample utility: {len(data.pipes):,} pipes, {data.pipes['length_m'].sum() / 1000:,.0f} km; "
        f"workspace {workspace}",
        f"Scores: {workspace / 'scores.parquet'}; first round: {len(plan)} inspections, "
        f"sheets {files['html']}",
        *weather,
        consequence,
        "Demo accounts (password '"
        + DEMO_PASSWORD
        + "'): "
        + ", ".join(f"{u} ({r})" for u, r, _, _ in DEMO_USERS),
    ]
    if args.no_serve:
        backtest = _backtest(data, years, town, workspace)
        lines.insert(1, _backtest_line(backtest, years, workspace))
        emit(args, {"workspace": str(workspace), "inspections": len(plan)}, "\n".join(lines))
        return 0
    say(f"6/7 Walk-forward backtest on {years[0]}-{years[1]}: started in the background ...")
    start_backtest(workspace, years)
    lines.insert(
        1,
        f"Backtest {years[0]}-{years[1]}: running in the background (a few minutes); the Model "
        f"and Impact pages show it when done, and {workspace / 'backtest' / 'backtest.html'}",
    )
    emit(args, {"workspace": str(workspace), "inspections": len(plan)}, "\n".join(lines))
    say("7/7 Starting the dashboard ...")
    return serve(workspace, port=args.port)


def _backtest(data, years, town: Path, workspace: Path) -> dict:
    from risk.backtest import evaluate_utility
    from risk.commands._common import timed_steps

    title = f"6/7 Walk-forward backtest on {years[0]}-{years[1]} against the baselines ..."
    with timed_steps(title) as step:
        return evaluate_utility(
            data,
            years,
            truth_dir=town / "truth",
            out_dir=Workspace(workspace).backtest,
            records_start_year=data.meta.get("records_complete_from"),
            network="sample town",
            progress=step,
        )


def _consequence(data, town: Path, workspace: Path, scores, top: int) -> str:
    """``risk criticality --top N`` on the sample (its EPANET model): bridges exact from the
    graph, the ``top`` likeliest pipes in loops simulated, proxies for the rest; writes
    ``consequence.parquet``. Returns the line the demo prints."""
    from risk.commands._common import timed_steps
    from risk.consequence import assess_consequence, write_consequence
    from risk.consequence.matrix import read_risk

    title = (
        f"4/7 Consequence of failure (the sample's EPANET model: bridges from the graph, the "
        f"{top:,} likeliest pipes in loops simulated, proxies for the rest) ..."
    )
    with timed_steps(title) as step:
        result = assess_consequence(
            data, town, processes=2, top=top, likelihood=scores[["pipe_id", "rank"]],
            progress=step,
        )  # fmt: skip
        write_consequence(result, workspace)
    methods = result.summary["methods"]
    risk = read_risk(workspace, scores=scores, pipes=data.pipes).summary()["grades"]
    return (
        f"Consequence: {methods.get('hydraulic', 0):,} pipes by the hydraulic model, "
        f"{methods.get('proxy', 0):,} by proxies (risk criticality {workspace} --top N for "
        f"more); risk matrix: {risk['extreme']:,} extreme, {risk['high']:,} high, "
        f"{risk['medium']:,} medium"
    )


def _backtest_line(backtest: dict, years, workspace: Path) -> str:
    model_5 = backtest["summary"].get("model", {}).get("capture_at_5pct")
    best = max(
        (
            v.get("capture_at_5pct", 0)
            for k, v in backtest["summary"].items()
            if k not in ("model", "oracle")
        ),
        default=float("nan"),
    )
    return (
        f"Backtest {years[0]}-{years[1]}: the model finds {model_5:.0%} of a year's failures in "
        f"the riskiest 5% of length (best baseline {best:.0%}); report "
        f"{workspace / 'backtest' / 'backtest.html'}"
    )


def start_backtest(workspace: Path, years) -> None:
    """``risk evaluate`` of the workspace in a background process (log in
    ``backtest/run.log``), so that the dashboard opens without waiting for it."""
    import subprocess
    import sys

    from risk.backtest import mark_running

    folder = Workspace(workspace).backtest
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "run.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "risk.cli", "evaluate", str(workspace),
         "--years", f"{years[0]}-{years[-1]}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    mark_running(folder, process.pid, years)
