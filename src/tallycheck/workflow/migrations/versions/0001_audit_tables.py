"""The audit tables, as the CLI's `tallycheck audit` commands made them before the recount room (issue 7).

Revision ID: 0001_audit_tables
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_audit_tables"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("audit_id", sa.Integer, primary_key=True),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("snapshot_sha256", sa.String(64), nullable=False),
        sa.Column("risk_limit", sa.String(32), nullable=False),
        sa.Column("design", sa.String(32), nullable=False),
        sa.Column("risk_function", sa.String(32), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("seed", sa.String(256)),
        sa.Column("seed_recorded", sa.String(32)),
        sa.Column("closed", sa.String(32)),
    )
    op.create_table(
        "audit_recounts",
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.audit_id"), nullable=False),
        sa.Column("station_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("audit_id", "station_id"),
    )
    op.create_table(
        "audit_rounds",
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.audit_id"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("drawn", sa.String(32), nullable=False),
        sa.Column("draws", sa.Integer, nullable=False),
        sa.UniqueConstraint("audit_id", "round"),
    )
    op.create_table(
        "audit_draws",
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.audit_id"), nullable=False),
        sa.Column("contest_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("item", sa.String(256), nullable=False),
        sa.Column("station_id", sa.String(128), nullable=False),
        sa.Column("ticket", sa.String(80), nullable=False),
        sa.UniqueConstraint("audit_id", "contest_id", "seq"),
    )
    op.create_table(
        "audit_escalations",
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.audit_id"), nullable=False),
        sa.Column("contest_id", sa.String(128), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("audit_id", "contest_id"),
    )
    op.create_table(
        "recordings",
        sa.Column("recording_id", sa.Integer, primary_key=True),
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.audit_id"), nullable=False),
        sa.Column("recorded", sa.String(32), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("amends", sa.Boolean, nullable=False),
    )
    op.create_table(
        "hand_sheets",
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.recording_id"), nullable=False),
        sa.Column("station_id", sa.String(128), nullable=False),
        sa.Column("contest_id", sa.String(128), nullable=False),
        sa.Column("missing", sa.Boolean, nullable=False),
        sa.Column("ballots_cast", sa.Integer),
        sa.Column("invalid", sa.Integer),
        sa.Column("blank", sa.Integer),
        sa.UniqueConstraint("recording_id", "station_id", "contest_id"),
    )
    op.create_table(
        "hand_votes",
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.recording_id"), nullable=False),
        sa.Column("station_id", sa.String(128), nullable=False),
        sa.Column("contest_id", sa.String(128), nullable=False),
        sa.Column("candidate_id", sa.String(128), nullable=False),
        sa.Column("list_id", sa.String(128), nullable=False),
        sa.Column("item", sa.String(256), nullable=False),
        sa.Column("votes", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("hand_votes", "hand_sheets", "recordings", "audit_escalations", "audit_draws",
                  "audit_rounds", "audit_recounts", "audits"):
        op.drop_table(table)
