"""Dashboard accounts: who may sign in, with which role, crew and language.

Passwords are stored only as salted scrypt hashes (``risk.auth.hash_password``); accounts
signed in through the utility's identity provider (OIDC) have no password and are matched
by e-mail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = "'engineer', 'crew', 'manager', 'admin'"
LANGUAGES = "'en', 'fr'"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(400), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("crew", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint(f"role IN ({ROLES})", name="ck_users_role"),
        sa.CheckConstraint(f"language IN ({LANGUAGES})", name="ck_users_language"),
        sa.CheckConstraint("role <> 'crew' OR crew IS NOT NULL", name="ck_users_crew_member"),
    )


def downgrade() -> None:
    op.drop_table("users")
