"""Alembic environment: runs on the connection that ``risk.store.db.upgrade_engine`` hands over.

There is no ``alembic.ini``: the caller opens the transaction (on PostgreSQL under an advisory
lock, on SQLite with ``BEGIN IMMEDIATE``) so that concurrent openers migrate one at a time.
"""

from alembic import context

from risk.store.models import Base


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "The outcome-store migrations run only from code: call risk.store.upgrade(url) "
            "instead of the alembic command line."
        )
    context.configure(connection=connection, target_metadata=Base.metadata, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:  # run by Alembic, not merely imported
    run_migrations()
