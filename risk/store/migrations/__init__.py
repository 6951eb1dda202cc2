"""Alembic environment and versions of the outcome store, run from code (see ``risk.store.db``)."""
