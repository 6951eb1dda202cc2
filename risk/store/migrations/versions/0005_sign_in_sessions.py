"""Dashboard sign-ins that survive a page reload.

A crew member's phone reloads the page when they switch apps; without a session kept on the
server, every reload signed them out. The browser keeps a random token in a cookie; this
table keeps only its SHA-256, the account, a stamp of the password it was opened with (a new
password ends it) and when it expires or ended (sign-out).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("password_stamp", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sign_in_sessions"),
    )
    op.create_index("ix_sign_in_sessions_username", "sign_in_sessions", ["username"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_sessions_username", table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
