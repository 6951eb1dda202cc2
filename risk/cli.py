"""The ``risk`` command line: one subcommand per pipeline stage.

Exit codes: 0 success, 2 bad input (nothing written), 1 unexpected failure.

Bad input is an :class:`~risk.errors.InputError` (a data-contract problem, a refused write,
settings.toml, a flag), a missing file or a denied permission: ``error: <message>`` on
stderr, the message saying how to fix it. Anything else is a bug, never the user's input: its
traceback on stderr and exit code 1, so that it is reported rather than worked around.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
import traceback

from risk.commands import app, criticality, data, field, model, renewal
from risk.contract import DataContractError
from risk.errors import InputError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 1

#: What the user can fix: their input, a path that does not exist, a file or an account
#: they may not use.
INPUT_ERRORS = (InputError, FileNotFoundError, PermissionError)


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

    for module in (data, model, criticality, renewal, field, app):
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
    except BrokenPipeError:  # the reader stopped reading (risk rounds list | head): not a bug
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit would raise again
        return 0
    except DataContractError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "problems": [p.to_dict() for p in exc.problems]}))
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        if not _is_input_error(exc):
            damage = _damaged_store_words(args, exc)
            if damage is None:
                return _internal_error(args, exc)
            exc = InputError(damage)
        words = _machine_words(exc) or str(exc)
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "error": words}))
        print(f"error: {words}", file=sys.stderr)
        return EXIT_BAD_INPUT


#: The machine refused a file or folder (read-only disk, no space, a file where a folder is
#: wanted): not a bug, said with what to do instead of a traceback.
_MACHINE_ERRNOS = {
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "the disk is full",
    getattr(errno, "EDQUOT", -1): "the disk quota is used up",  # not on every system
    errno.ENOTDIR: "a file stands where a folder is needed",
    errno.EEXIST: "a file already stands where a folder is to be made",
    errno.EISDIR: "a folder stands where a file is needed",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
}


def _is_input_error(exc: Exception) -> bool:
    return isinstance(exc, INPUT_ERRORS) or _machine_words(exc) is not None


def _machine_words(exc: Exception) -> str | None:
    """A refused file or folder in words, with what to do; None for other errors.

    >>> _machine_words(OSError(errno.EROFS, "Read-only file system", "/mnt/ws/v0002"))[:52]
    '/mnt/ws/v0002: the disk is read-only. Nothing was ch'
    """
    if not isinstance(exc, OSError) or exc.errno not in _MACHINE_ERRNOS:
        return None
    where = exc.filename or "a file"
    return (
        f"{where}: {_MACHINE_ERRNOS[exc.errno]}. Nothing was changed there. Write elsewhere "
        "(for 'risk ingest', --workspace DIR in a folder you can write to), or free the disk "
        "or ask for the rights, then run the command again"
    )


def _damaged_store_words(args, exc: Exception) -> str | None:
    """A database error of a workspace whose SQLite store is damaged, said with what to do
    (:func:`risk.backup.store_damage`); None for any other error (a bug)."""
    import sqlalchemy as sa

    workspace = getattr(args, "workspace", None)
    if not isinstance(exc, sa.exc.DatabaseError) or workspace is None:
        return None
    from risk.backup import store_damage

    try:
        return store_damage(workspace)
    except Exception:  # the check itself failed: the original error is the bug report
        return None


def _internal_error(args, exc: Exception) -> int:
    """A bug: the traceback and a request to report it, exit code 1."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": f"internal error: {type(exc).__name__}: {exc}"}))
    traceback.print_exception(exc, file=sys.stderr)
    print(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in risk, not a problem with your input. Please report it with the "
        "command you ran and the traceback above.",
        file=sys.stderr,
    )
    return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
