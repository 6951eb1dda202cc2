"""Assignments, outcomes and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RESULTS = "'leak_found', 'nothing_found', 'no_access'"
LEAK_KINDS = "'main', 'joint', 'service', 'valve', 'hydrant', 'other'"
STATUSES = "'planned', 'done', 'cancelled'"

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed'); END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
    END $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()""",
]


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.Integer, nullable=False),
        sa.Column("pipe_id", sa.String(200), nullable=False),
        sa.Column("crew", sa.String(200), nullable=False),
        sa.Column("planned_date", sa.Date, nullable=False),
        sa.Column("visit_order", sa.Integer, nullable=False),
        sa.Column("round_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_assignments_status"),
        sa.PrimaryKeyConstraint("assignment_id", name="pk_assignments"),
    )
    for column in ("pipe_id", "crew", "round_id"):
        op.create_index(f"ix_assignments_{column}", "assignments", [column])

    op.create_table(
        "outcomes",
        sa.Column("outcome_id", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("pipe_id", sa.String(200), nullable=False),
        sa.Column("assignment_id", sa.Integer, nullable=True),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("leak_kind", sa.String(20), nullable=True),
        sa.Column("flow_m3_per_h", sa.Double, nullable=True),
        sa.Column("repair_date", sa.Date, nullable=True),
        sa.Column("inspected_on", sa.Date, nullable=False),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("outcome_id", name="pk_outcomes"),
        sa.UniqueConstraint("idempotency_key", name="uq_outcomes_idempotency_key"),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.assignment_id"],
            name="fk_outcomes_assignment_id_assignments",
        ),
        sa.CheckConstraint(f"result IN ({RESULTS})", name="ck_outcomes_result"),
        sa.CheckConstraint(
            f"leak_kind IS NULL OR leak_kind IN ({LEAK_KINDS})", name="ck_outcomes_leak_kind_known"
        ),
        sa.CheckConstraint(
            "(result = 'leak_found') = (leak_kind IS NOT NULL)",
            name="ck_outcomes_leak_kind_iff_leak",
        ),
        sa.CheckConstraint(
            "flow_m3_per_h IS NULL OR (flow_m3_per_h >= 0 AND result = 'leak_found')",
            name="ck_outcomes_flow",
        ),
        sa.CheckConstraint(
            "repair_date IS NULL OR repair_date >= inspected_on",
            name="ck_outcomes_repair_after_inspection",
        ),
    )
    op.create_index("ix_outcomes_pipe_id", "outcomes", ["pipe_id"])
    op.create_index("ix_outcomes_assignment_id", "outcomes", ["assignment_id"])

    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Integer, nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("audit_id", name="pk_audit_log"),
    )
    triggers = (
        POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_table("audit_log")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_reject_change()")
    op.drop_table("outcomes")
    op.drop_table("assignments")
