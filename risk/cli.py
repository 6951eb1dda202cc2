"""The ``risk`` command line: one subcommand per pipeline stage.

Exit codes: 0 success, 2 bad input (nothing written), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from risk.contract import DEFAULT_LINK_TOLERANCE_M, DataContractError

EXIT_BAD_INPUT = 2

_EXAMPLES = {
    "ingest": """examples:
  risk ingest data/sample/town
  risk ingest ../shared/data/kitchener --mapping data/mappings/kitchener.toml
  risk ingest my-utility --workspace /srv/risk/my-utility --json""",
    "generate": """examples:
  risk generate data/sample/town
  risk generate /tmp/big --segments 1000000 --seed 7""",
    "demo": """examples:
  risk demo
  risk demo --segments 5000 --no-serve""",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="risk",
        description="Water-network leak-risk analytics, on your own machine. "
        "Run 'risk COMMAND --help' for the options and examples of each command.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_EXAMPLES.get(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
        return p

    p = add("ingest", "Check a utility folder against the data contract and load it.")
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
    p.set_defaults(func=cmd_ingest)

    p = add("generate", "Write the built-in sample utility (synthetic, with its truth).")
    p.add_argument("out_dir", type=Path, help="folder to write (created)")
    p.add_argument(
        "--segments", type=int, default=20_000, help="pipe segments (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.set_defaults(func=cmd_generate)

    p = add("demo", "Generate the sample utility, load it and run the whole product on it.")
    p.add_argument("--dir", type=Path, default=Path("data"), help="base folder (default: data)")
    p.add_argument(
        "--segments", type=int, default=20_000, help="pipe segments (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--no-serve", action="store_true", help="do not start the dashboard")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except DataContractError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "problems": [p.to_dict() for p in exc.problems]}))
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


@contextmanager
def _progress(title: str):
    """A step-by-step progress bar on stderr, drawn only on a terminal."""
    from tqdm import tqdm

    bar = tqdm(desc=title, unit=" steps", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        yield lambda name: (bar.set_postfix_str(name), bar.update(1))
    finally:
        bar.close()


def _say(args, text: str) -> None:
    """Progress for people on stderr; stdout stays clean for --json."""
    print(text, file=sys.stderr)


def _ingest(folder: Path, *, mapping, workspace, link_tolerance_m, repair_geometry, strict, args):
    from risk.ingest import read_utility
    from risk.workspace import DEFAULT_WORKSPACE_ROOT, write_workspace

    start = time.perf_counter()
    with _progress(f"Loading {folder}") as step:
        data = read_utility(
            folder,
            mapping=mapping,
            link_tolerance_m=link_tolerance_m,
            repair_geometry=repair_geometry,
            strict=strict,
            progress=step,
        )
        workspace = workspace or DEFAULT_WORKSPACE_ROOT / folder.resolve().name
        step("write workspace")
        write_workspace(data, workspace)
    return data, workspace, time.perf_counter() - start


def cmd_ingest(args) -> int:
    data, workspace, seconds = _ingest(
        args.folder,
        mapping=args.mapping,
        workspace=args.workspace,
        link_tolerance_m=args.link_tolerance_m,
        repair_geometry=args.repair_geometry,
        strict=args.strict,
        args=args,
    )
    report = data.meta["report"]
    if args.json:
        print(json.dumps({"ok": True, "workspace": str(workspace), "report": report}, default=str))
        return 0
    pipes, breaks = report["pipes"], report["breaks"]
    print(f"Loaded {pipes['count']:,} pipes ({pipes['length_km']:,.1f} km) in {seconds:.1f} s.")
    if breaks["count"]:
        print(
            f"Breaks: {breaks['count']:,}, linked {breaks['linked']:,}; records look complete "
            f"from {breaks['records_complete_from']}."
        )
    for warning in report["warnings"]:
        print(f"warning: {Path(warning['file']).name}: {warning['message']}")
    print(f"Workspace: {workspace} (report: {workspace / 'report.md'})")
    return 0


def cmd_generate(args) -> int:
    from risk.generate import generate_utility

    start = time.perf_counter()
    out = generate_utility(args.out_dir, n_segments=args.segments, seed=args.seed)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"ok": True, "out_dir": str(out), "seconds": round(seconds, 2)}))
    else:
        print(f"Sample utility written to {out} in {seconds:.1f} s (truth in {out / 'truth'}).")
    return 0


def cmd_demo(args) -> int:
    from risk.generate import generate_utility

    town = args.dir / "sample" / "town"
    _say(args, f"1/2 Generating the sample utility ({args.segments:,} segments) in {town} ...")
    generate_utility(town, n_segments=args.segments, seed=args.seed)
    _say(args, "2/2 Loading it ...")
    data, workspace, _ = _ingest(
        town,
        mapping=None,
        workspace=args.dir / "workspace" / "town",
        link_tolerance_m=DEFAULT_LINK_TOLERANCE_M,
        repair_geometry=False,
        strict=False,
        args=args,
    )
    report = data.meta["report"]
    summary = {
        "ok": True,
        "sample": str(town),
        "workspace": str(workspace),
        "pipes": report["pipes"]["count"],
        "length_km": report["pipes"]["length_km"],
        "breaks": report["breaks"]["count"],
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"Sample utility: {summary['pipes']:,} pipes, {summary['length_km']:,.0f} km, "
            f"{summary['breaks']:,} recorded breaks. Report: {workspace / 'report.md'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
