"""``risk plan``: a renewal programme under a budget, scenarios side by side (docs/renewal.md)."""

from __future__ import annotations

import datetime
from pathlib import Path

from risk.errors import InputError


def register(add) -> None:
    p = add(
        "plan",
        "Renewal plan under a budget: which pipes (or inspection units) to renew each year "
        "for the largest risk reduction per euro, what it avoids and saves, against other "
        "budgets, the oldest-first rule and doing nothing. Writes renewal_plan.csv, "
        "renewal_plan.geojson and renewal_summary.json.",
        """  risk plan data/workspace/town --budget-eur-per-year 2000000 --years 10
  risk plan data/workspace/town --budget-eur-per-year 2e6 --scenarios 0.5,1,1.5 --by-unit
  risk plan data/workspace/town --budget-eur-per-year 2000000 --out exports/renewal""",
    )
    p.add_argument("workspace", type=Path, help="a scored workspace (risk ingest, risk score)")
    p.add_argument(
        "--budget-eur-per-year",
        type=float,
        required=True,
        metavar="EUR",
        help="euros spent on renewal each year (> 0)",
    )
    p.add_argument("--years", type=int, default=10, metavar="N", help="plan length (default 10)")
    p.add_argument(
        "--scenarios",
        default="0.7,1,1.3",
        metavar="F,F,...",
        help="budget levels compared, × the budget (default 0.7,1,1.3); the oldest-first "
        "rule at the budget and doing nothing are always compared",
    )
    p.add_argument(
        "--by-unit",
        action="store_true",
        help="renew whole inspection units (one street works site each) instead of pipes",
    )
    p.add_argument(
        "--no-consequence",
        action="store_true",
        help="ignore consequence.parquet (risk criticality): count every failure alike",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder of the three files (default: <workspace>/renewal)",
    )
    p.set_defaults(func=cmd_plan)


def parse_factors(text: str) -> list[float]:
    """``"0.7,1,1.3"`` -> ``[0.7, 1.0, 1.3]``; a bad value raises :class:`InputError`."""
    values = []
    for part in str(text).split(","):
        if not part.strip():
            continue
        try:
            values.append(float(part))
        except ValueError:
            raise InputError(
                f"--scenarios: {part.strip()!r} is not a number; give budget levels × the "
                "budget separated by commas, e.g. --scenarios 0.7,1,1.3"
            ) from None
    return values


def cmd_plan(args) -> int:
    from risk.commands._common import emit, is_workspace
    from risk.renewal import workspace_renewal_plan, write_renewal
    from risk.renewal.export import summary_document
    from risk.renewal.words import plan_story
    from risk.workspace import Workspace

    if not is_workspace(args.workspace):
        raise InputError(
            f"{args.workspace}: not a workspace (no meta.json). Run 'risk ingest FOLDER "
            f"--workspace {args.workspace}' and 'risk score' first."
        )
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InputError(
            f"--out {args.out} is a file: give a folder for the plan's three files "
            "(renewal_plan.csv, renewal_plan.geojson, renewal_summary.json)"
        )
    plan = workspace_renewal_plan(
        args.workspace,
        args.budget_eur_per_year,
        years=args.years,
        factors=parse_factors(args.scenarios),
        by_unit=args.by_unit,
        use_consequence=not args.no_consequence,
    )
    out_dir = args.out or Workspace(args.workspace).renewal
    paths = write_renewal(plan, out_dir)
    kept = None
    if args.out is None:  # the workspace's plan: the last one, and every one made, kept
        stamp = f"{datetime.datetime.now():%Y-%m-%d-%H%M%S}-{args.budget_eur_per_year:.0f}eur"
        kept = write_renewal(plan, out_dir / "history" / stamp)["summary"].parent
    lines = [*plan_story(plan, "en"), "", f"Scenarios over {plan.basis['years']} years:"]
    lines += [f"  - {line}" for line in scenario_lines(plan)]
    lines += ["", f"Written: {', '.join(str(p) for p in paths.values())}"]
    if kept is not None:
        lines.append(f"Kept with the earlier plans in {kept}")
    emit(
        args,
        {
            "files": {k: str(v) for k, v in paths.items()},
            "kept_in": None if kept is None else str(kept),
            **summary_document(plan),
        },
        "\n".join(lines),
    )
    return 0


def scenario_lines(plan) -> list[str]:
    """One sentence per scenario (English: the command line has no language setting), from
    the same figures as the Renewal page's table (:func:`risk.renewal.words.scenario_table`)."""
    from risk.renewal.words import euros, failures, scenario_label

    lines = []
    for s in plan.scenarios:
        x = s.totals
        if s.rule == "nothing":
            lines.append(
                f"{scenario_label(s)}: {failures(x['expected_failures'], 'en')} failures expected."
            )
            continue
        per = (
            f", {euros(x['cost_eur'] / x['failures_avoided'], 'en')} per failure avoided"
            if x["failures_avoided"] > 0
            else ""
        )
        lines.append(
            f"{scenario_label(s)}: costs {euros(x['cost_eur'], 'en')}, renews "
            f"{x['km_renewed']:,.1f} km ({x['pipes_renewed']:,} pipes); "
            f"{failures(x['expected_failures'], 'en')} failures expected, "
            f"{failures(x['failures_avoided'], 'en')} avoided; saves "
            f"{x['water_saved_m3']:,.0f} m³ of water and {euros(x['money_saved_eur'], 'en')} "
            f"of repairs and water{per}."
        )
    return lines
