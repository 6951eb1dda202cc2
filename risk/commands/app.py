"""``risk users``, ``risk audit``, ``risk backup`` and ``risk serve``."""

from __future__ import annotations

import datetime
import getpass
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd

from risk.commands._common import emit, is_workspace
from risk.errors import InputError
from risk.i18n import DEFAULT_LANGUAGE, languages

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def register(add) -> None:
    p = add(
        "users",
        "Manage local accounts (engineer, crew, manager, admin) of a workspace's dashboard.",
        """  risk users add data/workspace/town anne --role crew --crew "Equipe Nord" --language fr
  echo 'a long secret' | risk users add data/workspace/town marc --role manager --password-stdin
  risk users list data/workspace/town
  risk users set-role data/workspace/town anne --role engineer --by ada
  risk users reset-password data/workspace/town anne --by ada      (asks for the new password)
  risk users deactivate data/workspace/town anne --by ada
  risk users reactivate data/workspace/town anne --by ada

Every change is in the store's audit log with who made it: --by names an active
administrator account; without it, "command line (<your system user>)". The last active
administrator can be neither deactivated nor given another role.""",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = sub.add_parser("add", help="create an account (asks for the password)")
    a.add_argument("workspace", type=Path)
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=("engineer", "crew", "manager", "admin"))
    a.add_argument("--crew", help="crew name (required for crew members)")
    a.add_argument("--email", help="e-mail used by single sign-on (OIDC), if configured")
    a.add_argument("--language", choices=languages(), default=DEFAULT_LANGUAGE)
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    a.set_defaults(func=cmd_users_add)
    lst = sub.add_parser("list", help="list accounts")
    lst.add_argument("workspace", type=Path)
    lst.set_defaults(func=cmd_users_list)
    role = sub.add_parser("set-role", help="change an account's role")
    role.add_argument("workspace", type=Path)
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=("engineer", "crew", "manager", "admin"))
    role.add_argument("--crew", help="crew name (for --role crew, unless the account has one)")
    role.set_defaults(func=cmd_users_set_role)
    reset = sub.add_parser("reset-password", help="set a new password (asks for it)")
    reset.add_argument("workspace", type=Path)
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    reset.set_defaults(func=cmd_users_reset_password)
    off = sub.add_parser("deactivate", help="stop an account: no sign-in, no writes")
    off.add_argument("workspace", type=Path)
    off.add_argument("username")
    off.set_defaults(func=cmd_users_deactivate)
    on = sub.add_parser("reactivate", help="let a deactivated account sign in again")
    on.add_argument("workspace", type=Path)
    on.add_argument("username")
    on.set_defaults(func=cmd_users_reactivate)
    for q in (role, reset, off, on):
        q.add_argument(
            "--by", help="the administrator making the change (an active admin account; audited)"
        )
    for q in (a, lst, role, reset, off, on):
        q.add_argument("--json", action="store_true", help="print a JSON summary on stdout")

    p = add(
        "audit",
        "The audit log: who changed what, latest first, in words (the Accounts page's lines).",
        """  risk audit data/workspace/town
  risk audit data/workspace/town --who ada --kind accounts
  risk audit data/workspace/town --kind outcomes --since 2026-12-01 --out audit.csv

The pipes of one round given to one crew read as one line. The log is append-only: nothing
here changes it.""",
    )
    p.add_argument("workspace", type=Path)
    p.add_argument("--who", metavar="NAME", help="one person's changes (an account name)")
    p.add_argument(
        "--kind",
        choices=("accounts", "outcomes", "assignments", "backups"),
        help="one kind of change",
    )
    p.add_argument("--since", metavar="DATE", help="from this day on (YYYY-MM-DD)")
    p.add_argument("--limit", type=int, default=50, help="lines shown (default: %(default)s)")
    p.add_argument("--out", type=Path, metavar="CSV", help="also write the lines to a CSV")
    p.set_defaults(func=cmd_audit)

    p = add(
        "backup",
        "Back up a workspace's records and files into one file; check or restore a backup.",
        """  risk backup create data/workspace/town --out /mnt/usb/backups
  risk backup create data/workspace/town --out /mnt/usb/backups --keep 30   (daily, from cron)
  risk backup check /mnt/usb/backups/town-2026-12-05-010203.zip
  risk backup restore /mnt/usb/backups/town-2026-12-05-010203.zip --to data/workspace/town-restored

A copy of the workspace folder is not a backup: the outcome store keeps its latest records
in a side file while the dashboard runs. 'create' copies it through SQLite's own backup (safe
while crews save), with every other file of the workspace and a manifest (each file's
SHA-256, the records counted); the file is written aside and renamed, never half written.
'check' reads a backup back against its manifest. 'restore' checks it, then unpacks it into
a new folder (never over a workspace): 'risk serve' opens it as it was. A store in PostgreSQL
(store_url) has its records copied into the backup (one transaction; back the database up
with pg_dump as well).""",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    make = sub.add_parser("create", help="write a backup of a workspace")
    make.add_argument("workspace", type=Path)
    make.add_argument(
        "--out",
        type=Path,
        help="a folder or a new .zip file (default: <workspace>-backups/ beside the workspace)",
    )
    make.add_argument(
        "--keep",
        type=int,
        metavar="N",
        help="then keep only the N newest backups of this workspace in that folder (daily cron)",
    )
    make.set_defaults(func=cmd_backup_create)
    check = sub.add_parser("check", help="read a backup back against its manifest")
    check.add_argument("backup", type=Path)
    check.set_defaults(func=cmd_backup_check)
    back = sub.add_parser("restore", help="unpack a checked backup into a new folder")
    back.add_argument("backup", type=Path)
    back.add_argument(
        "--to", type=Path, help="the new workspace folder (default: the backup's name, beside it)"
    )
    back.set_defaults(func=cmd_backup_restore)
    for q in (make, check, back):
        q.add_argument("--json", action="store_true", help="print a JSON summary on stdout")

    p = add(
        "serve",
        "Start the dashboard (risk map, model, dispatch, crew view, impact) on a workspace.",
        """  risk serve data/workspace/town
  risk serve data/workspace/kitchener --port 8600""",
    )
    p.add_argument("workspace", type=Path)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1", help="default: only this machine")
    p.set_defaults(func=cmd_serve)


def _check(workspace: Path) -> None:
    if not is_workspace(workspace):
        raise InputError(f"{workspace} is not a workspace; create one with: risk ingest FOLDER")


def _password(args, prompt: str) -> str:
    """The password typed at ``prompt``, or the first line of stdin with
    ``--password-stdin``. No terminal to type it in (a script, a scheduled job) is refused
    with the fix, not a traceback."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise InputError(
            f"no password was typed for {args.username} (the command has no terminal to ask "
            f"in); give it on the standard input: printf '%s\\n' \"$PASSWORD\" | risk users "
            f"{args.action} WORKSPACE {args.username} ... --password-stdin"
        ) from None


def cmd_users_add(args) -> int:
    from risk.auth import command_line_writer, create_user, store_location

    _check(args.workspace)
    password = _password(args, f"Password for {args.username}: ")
    from risk.dispatch.rounds import crew_for_account

    crew, note = crew_for_account(args.workspace, args.crew)  # before the account is one
    user = create_user(
        store_location(args.workspace),
        args.username,
        password,
        args.role,
        crew,
        email=args.email,
        language=args.language,
        created_by=command_line_writer(),
    )
    emit(
        args,
        {"username": user.username, "role": user.role},
        f"Created {user.role} {user.username}." + (f"\nNote: {note}" if note else ""),
    )
    return 0


def cmd_audit(args) -> int:
    from risk.auth import audit_for_people, store_location
    from risk.commands._common import write_table

    _check(args.workspace)
    since = None
    if args.since:
        try:
            since = pd.Timestamp(datetime.date.fromisoformat(args.since.strip()))
        except ValueError:
            raise InputError(
                f"--since must be a date such as 2026-12-01. Got {args.since!r}."
            ) from None
    if args.limit < 1:
        raise InputError(f"--limit must be 1 or more, got {args.limit}")
    lines = audit_for_people(
        store_location(args.workspace), "en", limit=args.limit, who=args.who, kind=args.kind,
        since=since,
    )  # fmt: skip
    if args.out:
        write_table(lines, args.out)
    emit(
        args,
        {"lines": lines.rename(columns=str.lower).to_dict("records")},
        "\n".join(f"{when}  {who} {what}" for when, who, what in lines.itertuples(index=False))
        if len(lines)
        else "No change recorded for this choice.",
    )
    return 0


def _backup_json(backup) -> dict:
    return {
        "file": str(backup.path),
        "created": backup.created,
        "files": backup.files,
        "bytes": backup.bytes,
        "records": backup.records,
        "note": backup.note,
    }


def cmd_backup_create(args) -> int:
    from risk.auth import command_line_writer
    from risk.backup import backup_words, create_backup

    backup = create_backup(args.workspace, args.out, keep=args.keep, by=command_line_writer())
    emit(args, _backup_json(backup), f"Backup written: {backup.path}\n{backup_words(backup)}")
    return 0


def cmd_backup_check(args) -> int:
    from risk.backup import backup_words, check_backup, made_words

    backup = check_backup(args.backup)
    emit(
        args,
        _backup_json(backup),
        f"The backup is whole (made {made_words(backup)}): {backup_words(backup)}",
    )
    return 0


def cmd_backup_restore(args) -> int:
    from risk.auth import command_line_writer
    from risk.backup import backup_words, default_restore_folder, made_words, restore_backup

    to = args.to or default_restore_folder(args.backup)
    backup = restore_backup(args.backup, to, by=command_line_writer())
    emit(
        args,
        _backup_json(backup),
        f"Restored into {backup.path} (backup made {made_words(backup)}): "
        f"{backup_words(backup)}\n"
        f"Open it with: risk serve {backup.path}",
    )
    return 0


def cmd_users_list(args) -> int:
    from risk.auth import list_users, store_location

    _check(args.workspace)
    users = list_users(store_location(args.workspace))
    shown = users.astype(object).where(users.notna(), "–")  # no NaN or None for a person
    if "created_at" in users:
        shown["created_at"] = pd.to_datetime(users["created_at"]).dt.strftime("%Y-%m-%d %H:%M")
    if "active" in users:
        shown["active"] = users["active"].map({True: "yes", False: "no"}).fillna("–")
    emit(
        args,
        {"users": users.to_dict("records")},
        shown.to_string(index=False) if len(users) else "No accounts yet.",
    )
    return 0


def _actor(store, by: str | None):
    """Who makes an account change from the command line: the active administrator
    account named by ``--by`` (checked in :mod:`risk.auth`), else "command line (<system
    user>)" for the audit log."""
    from risk.auth import command_line_writer, get_user

    if by:
        account = get_user(store, by, include_inactive=True)
        if account is None:
            raise InputError(
                f"--by {by!r}: there is no such account; name an active administrator "
                "('risk users list')."
            )
        return account
    return command_line_writer()


def _change_user(args, change, message: str) -> int:
    from risk.auth import store_location
    from risk.store import OutcomeStore

    _check(args.workspace)
    with OutcomeStore(store_location(args.workspace)) as store:
        change(store, _actor(store, args.by))
    emit(args, {"username": args.username, "done": message}, message)
    return 0


def cmd_users_set_role(args) -> int:
    from risk.auth import set_role
    from risk.dispatch.rounds import crew_for_account

    _check(args.workspace)
    crew, note = crew_for_account(args.workspace, args.crew)
    return _change_user(
        args,
        lambda store, by: set_role(store, args.username, args.role, crew, by=by),
        f"{args.username} is now {args.role}." + (f"\nNote: {note}" if note else ""),
    )


def cmd_users_reset_password(args) -> int:
    from risk.auth import reset_password

    password = _password(args, f"New password for {args.username}: ")
    return _change_user(
        args,
        lambda store, by: reset_password(store, args.username, password, by=by),
        f"New password set for {args.username}.",
    )


def cmd_users_deactivate(args) -> int:
    from risk.auth import deactivate

    return _change_user(
        args,
        lambda store, by: deactivate(store, args.username, by=by),
        f"{args.username} is deactivated: no sign-in, no writes.",
    )


def cmd_users_reactivate(args) -> int:
    from risk.auth import reactivate

    return _change_user(
        args,
        lambda store, by: reactivate(store, args.username, by=by),
        f"{args.username} can sign in again.",
    )


def serve(workspace: Path, *, port: int = 8501, address: str = "127.0.0.1") -> int:
    """Run the Streamlit app on ``workspace`` until interrupted."""
    _check(workspace)
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # No "Deploy" button or developer menu for the utility's users (also in
        # .streamlit/config.toml, which Streamlit reads only from the current folder).
        "--client.toolbarMode", "viewer",
        "--", "--workspace", str(Path(workspace).resolve()),
    ]  # fmt: skip
    from risk.backup import store_damage

    try:
        damage = store_damage(workspace)  # said before anyone records into a damaged file
    except InputError:  # a settings.toml the pages refuse, with its fix
        damage = None
    if damage:
        print(f"warning: {damage}", file=sys.stderr)
    print(f"Dashboard on http://{address}:{port} (Ctrl+C to stop)", file=sys.stderr)
    env = {**os.environ, "RISK_WORKSPACE": str(Path(workspace).resolve())}
    child = subprocess.Popen(command, env=env)

    def stop(signum, frame):  # a service manager's stop (kill): the dashboard stops too
        child.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl+C reached both processes
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


def cmd_serve(args) -> int:
    return serve(args.workspace, port=args.port, address=args.address)
