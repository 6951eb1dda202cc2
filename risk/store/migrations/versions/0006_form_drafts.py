"""Drafts of the crew's inspection form kept when a sign-in ended under it.

A Save tapped after the sign-in ended (12 hours, a password reset, a sign-out in another
tab) could not be recorded, and the sign-in page dropped what was typed. This table keeps
it (one per account) until the same person signs in again; it is not a record.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_drafts",
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("typed_at", sa.DateTime, nullable=False),
        sa.Column("form", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_form_drafts"),
    )


def downgrade() -> None:
    op.drop_table("form_drafts")
