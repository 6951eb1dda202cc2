"""An outcome may name the outcome it replaces.

A crew that recorded a leak at 25 m³/h and meant 2.5 corrects it with a second record; before,
the store could only tell a correction from a second leak by a change of result, so a corrected
flow or leak kind counted as one more leak. ``corrects_key`` holds the replaced outcome's
``idempotency_key`` (NULL for a new finding); outcomes are still never updated.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.add_column(sa.Column("corrects_key", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("corrects_key")
