"""``risk criticality``: consequence of failure of every pipe (docs/criticality.md)."""

from __future__ import annotations

from pathlib import Path

from risk.commands._common import emit, is_workspace, source_folder, timed_steps
from risk.errors import InputError
from risk.i18n import DEFAULT_LANGUAGE, languages


def register(add) -> None:
    p = add(
        "criticality",
        "Consequence of failure of every pipe: close each pipe in the utility's EPANET model "
        "(network.inp) and simulate an average and a peak day with pressure-driven demand; "
        "graph proxies where there is no model. Writes consequence.parquet to the workspace.",
        """  risk criticality data/workspace/town
  risk criticality data/workspace/town --peak-factor 2.5 --processes 2
  risk criticality data/workspace/town --top 5000        # simulate the 5,000 likeliest to fail
  risk criticality data/workspace/town --proxy-only
  risk criticality data/workspace/town --no-valves        # every pipe alone, not by segment""",
    )
    p.add_argument("workspace", type=Path, help="a workspace written by 'risk ingest'")
    p.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="EPANET model (default: network.inp in the utility folder the workspace came from)",
    )
    p.add_argument(
        "--peak-factor",
        type=float,
        metavar="F",
        help="peak day: every demand x F on top of the model's own multiplier (default 2.0)",
    )
    p.add_argument(
        "--processes", type=int, default=2, metavar="N", help="worker processes (default 2)"
    )
    p.add_argument(
        "--top",
        type=int,
        metavar="N",
        help="simulate only the N pipes most likely to fail (from scores.parquet); proxies "
        "for the rest",
    )
    p.add_argument(
        "--proxy-only",
        action="store_true",
        help="graph proxies only (diameter, cut-off demand, critical sites), even with a model",
    )
    p.add_argument(
        "--no-valves",
        action="store_true",
        help="close every pipe alone, even where valves.* in the utility folder places "
        "isolation valves (default: close the whole valve segment)",
    )
    p.set_defaults(func=cmd_criticality)

    m = add(
        "matrix",
        "Risk = likelihood x consequence: the 5 x 5 risk matrix of the scored pipes (scores "
        "of 'risk score', consequence of 'risk criticality'), and every pipe's grades and "
        "risk rank in a CSV for the GIS.",
        """  risk matrix data/workspace/town
  risk matrix data/workspace/town --language fr --out exports/risk.csv""",
    )
    m.add_argument("workspace", type=Path, help="a workspace holding scores.parquet")
    m.add_argument(
        "--out", type=Path, help="CSV of every pipe's grades (default: <workspace>/risk.csv)"
    )
    m.add_argument("--language", choices=languages(), default=DEFAULT_LANGUAGE)
    m.set_defaults(func=cmd_matrix)


def cmd_matrix(args) -> int:
    """The risk matrix of the Risk map page (the same package function), in the terminal."""
    from risk.consequence.matrix import matrix_table, read_risk
    from risk.csvsafe import write_csv
    from risk.i18n import format_number, t
    from risk.pipecard import with_reasons_in_words
    from risk.workspace import Workspace

    if not is_workspace(args.workspace):
        raise InputError(
            f"{args.workspace}: not a workspace (no meta.json). Run 'risk ingest FOLDER "
            f"--workspace {args.workspace}' first."
        )
    result = read_risk(args.workspace)
    if result is None:
        raise InputError(
            f"{Workspace(args.workspace).scores} not found: score the network first "
            f"(risk score {args.workspace} --as-of DATE)"
        )
    out = write_csv(
        with_reasons_in_words(result.pipes, args.language),
        args.out or Path(args.workspace) / "risk.csv",
    )
    texts, _ = matrix_table(result, args.language)
    summary = result.summary()
    lang = args.language
    lines = [t("riskmatrix.title", lang), texts.to_string(index=False), ""]
    if not result.assessed:
        lines.append(t("riskmatrix.cli.no_consequence", lang, workspace=args.workspace))
    grades = ", ".join(
        f"{format_number(n, lang)} {t(f'riskmatrix.risk.{g}', lang)}"
        for g, n in summary["grades"].items()
    )
    lines.append(
        t(
            "riskmatrix.cli.grades", lang, grades=grades,
            proxy=format_number(summary["proxy_pipes"], lang),
        )
    )  # fmt: skip
    lines.append(t("riskmatrix.cli.file", lang, out=out))
    from risk import clock
    from risk.scoring import scores_network_words

    older = scores_network_words(args.workspace, clock.today(), lang)  # the pages' rule
    if older:
        lines.append(older)
    emit(args, {"out": str(out), **summary}, "\n".join(lines))
    return 0


def cmd_criticality(args) -> int:

    from risk.consequence import (
        CriticalitySettings,
        assess_consequence,
        write_consequence,
    )
    from risk.settings import read_settings
    from risk.workspace import Workspace, load_workspace

    if not is_workspace(args.workspace):
        raise InputError(
            f"{args.workspace}: not a workspace (no meta.json). Run 'risk ingest FOLDER "
            f"--workspace {args.workspace}' first."
        )
    if args.processes < 1:
        raise InputError(f"--processes must be at least 1. Got {args.processes}.")
    if args.top is not None and args.top < 1:
        raise InputError(f"--top must be at least 1. Got {args.top}.")
    values = dict(read_settings(args.workspace).get("criticality", {}))
    if args.peak_factor is not None:
        values["peak_factor"] = args.peak_factor
    settings = CriticalitySettings.from_mapping(values)
    data = load_workspace(args.workspace)
    folder = source_folder(data, args.workspace)
    likelihood = None
    if args.top is not None:
        likelihood = Workspace(args.workspace).read_scores(["pipe_id", "rank"])
    with timed_steps("Consequence of failure of the pipes in service ...") as step:
        result = assess_consequence(
            data,
            folder,
            settings=settings,
            model_path=args.model,
            proxy_only=args.proxy_only,
            processes=args.processes,
            top=args.top,
            likelihood=likelihood,
            progress=step,
            use_valves=not args.no_valves,
        )
        out = write_consequence(result, args.workspace)
        step(f"written to {out}")
    emit(args, {"out": str(out), **result.summary}, "\n".join(summary_lines(result, out)))
    return 0


def summary_lines(result, out: Path) -> list[str]:
    """What a person reads at the end of the run: method, grades, agreement of the proxies."""
    import pandas as pd

    s = result.summary
    table = result.table
    lines = [f"Consequence of failure of {len(table):,} pipes ({s['method']}); written to {out}."]
    methods = ", ".join(f"{n:,} {m}" for m, n in s["methods"].items())
    graph = " (proxy rows are estimates from the pipe graph)" if "proxy" in s["methods"] else ""
    lines.append(f"  methods: {methods}{graph}")
    if "matching" in s:
        m = s["matching"]
        lines.append(
            f"  model: {m['matched_by_id']:,} pipes matched by id, {m['matched_by_geometry']:,} "
            f"by geometry; {m['model_pipes_unmatched']:,} model pipes unmatched"
            + (
                f" (e.g. {', '.join(m['model_pipes_unmatched_examples'])})"
                if m["model_pipes_unmatched"]
                else ""
            )
            + f"; {m['gis_pipes_without_model_pipe']:,} GIS pipes in service without a model "
            f"pipe; {m['matched_out_of_service']:,} matched pipes out of service (not scored)"
        )
    if "valves" in s:
        v = s["valves"]
        size = v.get("pipes_in_service_per_closed_segment") or {}
        lines.append(
            f"  valves ({v['file']}): {v['placed']:,} of {v['valves']:,} placed"
            + (
                f" ({v['unplaced']:,} not: e.g. {'; '.join(v['unplaced_examples'])})"
                if v["unplaced"]
                else ""
            )
            + f"; {v['segments_closed']:,} valve segments close {v['pipes_closed_by_segment']:,} "
            f"pipes ({size.get('median', 0):g} pipes median, {size.get('max', 0)} at most), "
            f"{len(table) - v['pipes_closed_by_segment']:,} pipes alone"
        )
    grades = ", ".join(f"{name} {n:,}" for name, n in s["grades"].items())
    lines.append(f"  grades: {grades}")
    known = table[table["cof_score"].notna() & table["unserved_peak_m3_per_day"].notna()]
    top = known.sort_values("cof_score", ascending=False).head(3)
    if not len(top):  # no graph (pipes without geometry) and no model: nothing to name
        lines.append(
            "  no pipe's consequence could be estimated"
            + (
                ": the pipes have no lines (no graph to cut) and no EPANET model (network.inp) "
                "was found. Every pipe is 'not assessed' in the risk matrix; give the pipes' "
                "geometry or the network's EPANET model, then run risk criticality again."
                if s.get("pipes_without_lines")
                else ": every pipe is 'not assessed' in the risk matrix."
            )
        )
    for r in top.itertuples(index=False):
        lines.append(
            f"  {r.pipe_id}: grade {r.cof_grade} ({r.cof_grade_name}), "
            f"{r.unserved_peak_m3_per_day:,.0f} m³/day unserved at peak"
            + (f", {r.customers_affected:,.0f} customers" if pd.notna(r.customers_affected) else "")
            + (
                f", {r.critical_sites_affected:.0f} critical site(s)"
                if pd.notna(r.critical_sites_affected) and r.critical_sites_affected > 0
                else ""
            )
            + f" [{r.method}]"
        )
    agreement = s.get("agreement", {})
    if agreement.get("pipes", 0) >= 3:
        lines.append(
            f"  agreement of the proxies with the hydraulic method (Spearman, "
            f"{agreement['pipes']:,} pipes):"
        )
        for name, rho in agreement.items():
            if not name.startswith("proxy_"):
                continue
            value = rho["cof_score"]
            lines.append(f"    {name}: {'n/a' if value is None else f'{value:.2f}'}")
        found = agreement.get("consequence_found")
        if found:
            lines.append(
                f"    pipes with a consequence (grade 2+): {found['both']:,} found by both, "
                f"{found['hydraulic_only']:,} by the hydraulic method only, "
                f"{found['proxy_only']:,} by the proxy only"
            )
    for warning in s.get("warnings", []):
        lines.append(f"  warning: {warning}")
    return lines
