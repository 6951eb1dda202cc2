"""``risk ingest``, ``risk generate`` and ``risk demo``."""

from __future__ import annotations

import time
from pathlib import Path

from risk.commands._common import emit, progress
from risk.contract import DEFAULT_LINK_TOLERANCE_M


def register(add) -> None:
    p = add(
        "ingest",
        "Check a utility folder against the data contract and load it into a workspace.",
        """  risk ingest data/sample/town
  risk ingest ../shared/data/kitchener --mapping data/mappings/kitchener.toml
  risk ingest my-utility --workspace /srv/risk/my-utility --json""",
    )
    p.add_argument("folder", type=Path, help="the utility's folder (pipes, breaks, soils, ...)")
    p.add_argument("--mapping", type=Path, help="TOML mapping of your columns and codes")
    p.add_argument(
        "--workspace",
        type=Path,
        help="where to write the loaded network (default: data/workspace/<folder name>)",
    )
    p.add_argument(
        "--link-tolerance-m",
        type=float,
        default=DEFAULT_LINK_TOLERANCE_M,
        help="largest distance (m) from a break location to the pipe it is linked to "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--repair-geometry",
        action="store_true",
        help="repair invalid geometries and keep rows with empty ones without a location",
    )
    p.add_argument("--strict", action="store_true", help="treat every warning as an error")
    p.add_argument(
        "--new-numbering",
        action="store_true",
        help="load an export that shares almost none of the workspace's pipe ids (the same "
        "network renumbered); without it such an export is refused as another network",
    )
    p.set_defaults(func=cmd_ingest)

    p = add(
        "generate",
        "Write the built-in sample utility (synthetic, with its truth apart).",
        """  risk generate data/sample/town
  risk generate /tmp/big --segments 1000000 --seed 7
  risk generate /tmp/renamed --variant renamed
  risk ingest /tmp/renamed --mapping data/mappings/sample-renamed.toml""",
    )
    p.add_argument("out_dir", type=Path, help="folder to write (new, or an earlier sample)")
    p.add_argument(
        "--segments", type=int, default=20_000, help="pipe segments (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument(
        "--variant",
        choices=("default", "renamed"),
        default="default",
        help="renamed: the same town in other file and column names, codes and soil classes, "
        "with a break record starting 10 years before the end; load it with --mapping "
        "data/mappings/sample-renamed.toml (default: %(default)s)",
    )
    p.set_defaults(func=cmd_generate)

    p = add(
        "demo",
        "Run the whole product on the sample utility: generate, load, backtest, score, "
        "plan a first inspection round, open the dashboard.",
        """  risk demo
  risk demo --segments 5000 --no-serve""",
    )
    p.add_argument("--dir", type=Path, default=Path("data"), help="base folder (default: data)")
    p.add_argument(
        "--segments", type=int, default=20_000, help="pipe segments (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--port", type=int, default=8501, help="dashboard port (default: %(default)s)")
    p.add_argument("--no-serve", action="store_true", help="do not start the dashboard")
    p.set_defaults(func=cmd_demo)


def ingest_folder(
    folder: Path, *, workspace=None, mapping=None, new_numbering: bool = False, **options
):
    """Read, check and write a workspace; returns (data, workspace, seconds)."""
    from risk.ingest import read_utility
    from risk.workspace import DEFAULT_WORKSPACE_ROOT, write_workspace

    start = time.perf_counter()
    with progress(f"Loading {folder}") as step:
        data = read_utility(folder, mapping=mapping, progress=step, **options)
        workspace = Path(workspace or DEFAULT_WORKSPACE_ROOT / folder.resolve().name)
        step("write workspace")
        write_workspace(data, workspace, new_numbering=new_numbering)
    return data, workspace, time.perf_counter() - start


def cmd_ingest(args) -> int:
    data, workspace, seconds = ingest_folder(
        args.folder,
        workspace=args.workspace,
        mapping=args.mapping,
        link_tolerance_m=args.link_tolerance_m,
        repair_geometry=args.repair_geometry,
        strict=args.strict,
        new_numbering=args.new_numbering,
    )
    report = data.meta["report"]
    pipes, breaks = report["pipes"], report["breaks"]
    lines = [f"Loaded {pipes['count']:,} pipes ({pipes['length_km']:,.1f} km) in {seconds:.1f} s."]
    if breaks["count"]:
        lines.append(
            f"Breaks: {breaks['count']:,}, linked {breaks['linked']:,}; records look complete "
            f"from {breaks['records_complete_from']}."
        )
    lines += [f"warning: {Path(w['file']).name}: {w['message']}" for w in report["warnings"]]
    lines.append(f"Workspace: {workspace} (report: {workspace / 'report.md'})")
    emit(args, {"workspace": str(workspace), "report": report}, "\n".join(lines))
    return 0


def cmd_generate(args) -> int:
    from risk.generate import generate_utility

    start = time.perf_counter()
    out = generate_utility(
        args.out_dir, n_segments=args.segments, seed=args.seed, variant=args.variant
    )
    seconds = time.perf_counter() - start
    text = (
        f"Sample utility written to {out} in {seconds:.1f} s (truth kept apart in {out / 'truth'})."
    )
    if args.variant == "renamed":
        from risk.sample.renamed import MAPPING

        text += f"\nLoad it with: risk ingest {out} --mapping {MAPPING}"
    emit(
        args,
        {"out_dir": str(out), "seconds": round(seconds, 2), "variant": args.variant},
        text,
    )
    return 0


def cmd_demo(args) -> int:
    from risk.commands.demo import run_demo

    return run_demo(args)
