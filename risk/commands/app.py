"""``risk users`` and ``risk serve``."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

from risk.commands._common import emit, is_workspace

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def register(add) -> None:
    p = add(
        "users",
        "Manage local accounts (engineer, crew, manager, admin) of a workspace's dashboard.",
        """  risk users add data/workspace/town anne --role crew --crew "Equipe Nord" --language fr
  echo 'a long secret' | risk users add data/workspace/town marc --role manager --password-stdin
  risk users list data/workspace/town""",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = sub.add_parser("add", help="create an account (asks for the password)")
    a.add_argument("workspace", type=Path)
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=("engineer", "crew", "manager", "admin"))
    a.add_argument("--crew", help="crew name (required for crew members)")
    a.add_argument("--email", help="e-mail used by single sign-on (OIDC), if configured")
    a.add_argument("--language", choices=("en", "fr"), default="en")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    a.set_defaults(func=cmd_users_add)
    lst = sub.add_parser("list", help="list accounts")
    lst.add_argument("workspace", type=Path)
    lst.set_defaults(func=cmd_users_list)
    for q in (a, lst):
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
        raise ValueError(f"{workspace} is not a workspace; create one with: risk ingest FOLDER")


def cmd_users_add(args) -> int:
    from risk.auth import create_user, store_location

    _check(args.workspace)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
    user = create_user(
        store_location(args.workspace),
        args.username,
        password,
        args.role,
        args.crew,
        email=args.email,
        language=args.language,
        created_by="cli",
    )
    emit(
        args,
        {"username": user.username, "role": user.role},
        f"Created {user.role} {user.username}.",
    )
    return 0


def cmd_users_list(args) -> int:
    from risk.auth import list_users, store_location

    _check(args.workspace)
    users = list_users(store_location(args.workspace))
    emit(
        args,
        {"users": users.to_dict("records")},
        users.to_string(index=False) if len(users) else "No accounts yet.",
    )
    return 0


def serve(workspace: Path, *, port: int = 8501, address: str = "127.0.0.1") -> int:
    """Run the Streamlit app on ``workspace`` until interrupted."""
    _check(workspace)
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--", "--workspace", str(Path(workspace).resolve()),
    ]  # fmt: skip
    print(f"Dashboard on http://{address}:{port} (Ctrl+C to stop)", file=sys.stderr)
    env = {**os.environ, "RISK_WORKSPACE": str(Path(workspace).resolve())}
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0


def cmd_serve(args) -> int:
    return serve(args.workspace, port=args.port, address=args.address)
