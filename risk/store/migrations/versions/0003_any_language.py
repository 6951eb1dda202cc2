"""Accounts may use any language the interface has a catalogue for.

Languages are folders of gettext catalogues (``risk/locale``): a translator adds one with no
change to the code, so the store no longer lists them. ``risk.auth`` checks a language
against the installed catalogues when an account is created or changed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_language", type_="check")
        batch.alter_column(
            "language", existing_type=sa.String(5), type_=sa.String(20), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "language", existing_type=sa.String(20), type_=sa.String(5), existing_nullable=False
        )
        batch.create_check_constraint("ck_users_language", "language IN ('en', 'fr')")
