"""Engines and schema upgrades for the outcome store: SQLite (a file path) or PostgreSQL (a URL).

SQLite runs with a write-ahead log, ``synchronous=FULL`` (a commit survives a crash or power
loss once acknowledged), a busy timeout and foreign keys on. Write transactions start with
``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from risk.errors import InputError

#: How long a SQLite writer waits for another writer's lock before failing, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Execution option marking a connection that writes (SQLite: ``BEGIN IMMEDIATE``).
WRITE_OPTION = "risk_store_write"

#: Alembic scripts of the store.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: PostgreSQL advisory-lock id held while migrating, so concurrent openers take turns.
_MIGRATION_LOCK_ID = 0x7269736B  # "risk"

_BACKENDS = ("sqlite", "postgresql")


def to_url(url_or_path: str | Path | sa.URL) -> sa.URL:
    """SQLAlchemy URL of a store given as a SQLite file path or a database URL.

    ``postgresql://`` and ``postgres://`` URLs get the psycopg (3) driver. The parent folder
    of a SQLite file is created when missing.
    """
    if isinstance(url_or_path, sa.URL):
        url = url_or_path
    elif "://" in str(url_or_path):
        try:
            url = sa.make_url(str(url_or_path))
        except sa.exc.ArgumentError as exc:
            raise InputError(
                f"Cannot read the outcome-store URL {str(url_or_path)!r}: {exc}. Give a SQLite "
                "file path or a URL like postgresql://user@host:5432/dbname."
            ) from None
    else:
        path = Path(url_or_path).expanduser().resolve()
        if path.is_dir():
            raise InputError(
                f"The outcome store {path} is a folder; give a file path such as "
                f"{path / 'outcomes.sqlite'}."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        return sa.URL.create("sqlite+pysqlite", database=str(path))

    backend = url.get_backend_name()
    if backend == "postgres":
        url, backend = url.set(drivername="postgresql"), "postgresql"
    if backend not in _BACKENDS:
        raise InputError(
            f"The outcome store runs on SQLite or PostgreSQL, not {backend!r} "
            f"({url.render_as_string(hide_password=True)})."
        )
    if backend == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise InputError(
            "An in-memory SQLite outcome store would lose every outcome when closed; "
            "give a file path instead."
        )
    return url


def create_engine(url_or_path: str | Path | sa.URL) -> sa.Engine:
    """An engine for the store, with the SQLite durability and locking settings applied."""
    url = to_url(url_or_path)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_sqlite(connection):
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest schema revision of the migrations shipped with this package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def upgrade_engine(engine: sa.Engine) -> str:
    """Bring the store's schema to the newest revision; returns that revision.

    Safe to call from several processes at once: on PostgreSQL they take turns on an advisory
    lock, on SQLite on the write lock; the later ones find the schema current.
    """
    from alembic import command

    config = _alembic_config()
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:lock_id)"),
                    {"lock_id": _MIGRATION_LOCK_ID},
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return head_revision()


def upgrade(url_or_path: str | Path | sa.URL) -> str:
    """Create or upgrade the outcome store at ``url_or_path``; returns the schema revision.

    Examples
    --------
    >>> upgrade("data/workspace/town/outcomes.sqlite")  # doctest: +SKIP
    '0001'
    """
    engine = create_engine(url_or_path)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()
