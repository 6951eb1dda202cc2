"""Alembic revisions of the outcome store, oldest first."""
