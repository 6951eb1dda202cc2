"""The field loop, simulated on the sample utility whose hidden leaks are known.

Each round: rank the pipes, dispatch a fixed length of inspections, read what a crew would
find from the generator's truth (``truth/hidden_leaks.csv``), record the outcomes in an
outcome store, and — for the model — retrain on the history plus every outcome so far.
Three ways of choosing where to look get the same effort (km inspected per round):

- ``model``: the risk model's inspection rank, retrained each round with the outcomes;
- ``age``: oldest pipes first (a common way of choosing today);
- ``random``: a seeded random order.

Pipes inspected in an earlier round are not inspected again. The truth is read only to
play the crews' part; the model never sees it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from risk.csvsafe import restore_formulas
from risk.dispatch import Crew, plan_inspections
from risk.errors import InputError
from risk.ingest import read_utility
from risk.outcomes.feedback import inspection_evidence, with_found_leaks
from risk.store import OutcomeStore

STRATEGIES = ("model", "age", "random")


def simulate_field_loop(
    sample_dir: str | Path,
    *,
    rounds: int = 4,
    km_per_round: float = 20.0,
    first_day: str | None = None,
    days_between_rounds: int = 14,
    strategies: tuple[str, ...] = STRATEGIES,
    seed: int = 0,
    store_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Run the simulated loop; one row per strategy and round.

    Parameters
    ----------
    sample_dir : path
        A folder written by ``risk generate`` (with its ``truth/`` subfolder).
    rounds : int
        Inspection rounds per strategy.
    km_per_round : float
        Length of pipe inspected per round, in kilometres (the same for every strategy).
    first_day : date-like, optional
        Day of the first round (default: the first Monday after the last recorded break).
    days_between_rounds : int
        Days between two rounds.
    strategies : tuple of str
        Among ``"model"``, ``"age"`` and ``"random"``.
    seed : int
        Seed of the random strategy.
    store_dir : path, optional
        Where each strategy's outcome store (SQLite) is written (default: a temporary folder).

    Returns
    -------
    DataFrame
        ``strategy``, ``round``, ``date``, ``pipes_inspected``, ``km_inspected``,
        ``leaks_found``, ``flow_found_m3_per_h``, ``leaks_per_km`` and the cumulative
        ``leaks_found_total`` and ``leaks_per_km_total``.
    """
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies {sorted(unknown)}; choose among {STRATEGIES}")
    if rounds < 1 or km_per_round <= 0:
        raise InputError(
            f"rounds (--rounds) must be >= 1 and km_per_round (--km-per-round) > 0. Got "
            f"{rounds} and {km_per_round} instead."
        )
    sample_dir = Path(sample_dir)
    truth_file = sample_dir / "truth" / "hidden_leaks.csv"
    if not truth_file.is_file():
        raise FileNotFoundError(
            f"{truth_file} not found: the simulated loop needs a folder written by "
            "'risk generate' (it plays the crews' part from the hidden leaks)"
        )
    data = read_utility(sample_dir)
    leaks = restore_formulas(pd.read_csv(truth_file, dtype={"pipe_id": str}))  # csvsafe.write_csv
    if first_day is None:
        last = data.last_break
        first = last + pd.Timedelta(days=1)
        first_day = first + pd.Timedelta(days=(7 - first.weekday()) % 7)
    first_day = pd.Timestamp(first_day)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(store_dir) if store_dir is not None else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for strategy in strategies:
            store_path = base / f"loop-{strategy}.sqlite"
            store_path.unlink(missing_ok=True)
            with OutcomeStore(store_path) as store:
                rows += _run_strategy(
                    strategy, data, leaks, store, first_day, rounds, km_per_round,
                    days_between_rounds, seed,
                )  # fmt: skip
    table = pd.DataFrame(rows)
    grouped = table.groupby("strategy", sort=False)
    table["leaks_found_total"] = grouped["leaks_found"].cumsum()
    table["leaks_per_km_total"] = table["leaks_found_total"] / grouped["km_inspected"].cumsum()
    return table


def _run_strategy(strategy, data, leaks, store, first_day, rounds, km_per_round, step_days, seed):
    rows = []
    remaining = leaks.copy()
    pipes = data.pipes
    for round_number in range(1, rounds + 1):
        day = first_day + pd.Timedelta(days=step_days * (round_number - 1))
        outcomes = store.outcomes()
        ranking = _ranking(strategy, data, outcomes, day, seed + round_number)
        crew = Crew("simulated crew", (day.date(),), km_per_day=km_per_round)
        exclude = pd.DataFrame({"pipe_id": outcomes["pipe_id"].astype(str), "reason": "inspected"})
        plan = plan_inspections(ranking, pipes, [crew], exclude=exclude)
        found = remaining[remaining["pipe_id"].isin(plan["pipe_id"])]
        flow = found.groupby("pipe_id")["flow_m3_per_h"].sum()
        records = pd.DataFrame(
            {
                "pipe_id": plan["pipe_id"].astype(str),
                "inspected_on": day.date(),
                "result": np.where(plan["pipe_id"].isin(flow.index), "leak_found", "nothing_found"),
            }
        )
        records["leak_kind"] = np.where(records["result"] == "leak_found", "main", None)
        records["flow_m3_per_h"] = records["pipe_id"].map(flow)
        store.record_many(records, user=f"simulation:{strategy}", today=day.date())
        remaining = remaining[~remaining["pipe_id"].isin(plan["pipe_id"])]
        km = float(plan["length_m"].sum()) / 1000.0
        rows.append(
            {
                "strategy": strategy,
                "round": round_number,
                "date": day.date().isoformat(),
                "pipes_inspected": len(plan),
                "km_inspected": km,
                "leaks_found": len(found),
                "flow_found_m3_per_h": float(found["flow_m3_per_h"].sum()),
                "leaks_per_km": len(found) / km if km else np.nan,
            }
        )
    return rows


def _ranking(strategy: str, data, outcomes: pd.DataFrame, day: pd.Timestamp, seed: int):
    """Pipes in the order a strategy would inspect them (``rank`` 1 first)."""
    from risk.features import in_service

    pipes = data.pipes[in_service(data.pipes, day).to_numpy()]
    if strategy == "model":
        from risk.scoring import score_utility

        learned = with_found_leaks(data, outcomes)
        learned.inspections = inspection_evidence(outcomes)
        return score_utility(learned, day, n_exact_explanations=0)
    if strategy == "age":
        order = pipes.sort_values(["install_year", "pipe_id"], na_position="last")
    else:
        order = pipes.iloc[np.random.default_rng(seed).permutation(len(pipes))]
    return pd.DataFrame(
        {
            "pipe_id": order["pipe_id"].to_numpy(),
            "rank": np.arange(1, len(order) + 1),
            "expected_failures": np.nan,
        }
    )
