"""The ``risk`` command line: one subcommand per pipeline stage.

Exit codes: 0 success, 2 bad input (nothing written), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from risk.commands import app, data, field, model
from risk.contract import DataContractError

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="risk",
        description="Water-network leak-risk analytics, on your own machine. "
        "Run 'risk COMMAND --help' for the options and examples of each command.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str, examples: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog="examples:\n" + examples,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
        return p

    for module in (data, model, field, app):
        module.register(add)
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
    except (ValueError, FileNotFoundError, PermissionError) as exc:
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "error": str(exc)}))
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
