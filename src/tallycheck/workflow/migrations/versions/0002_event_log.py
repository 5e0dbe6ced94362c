"""The hash-chained event log: `events` (one row per entry, never changed) and `log_head` with its one row.

Revision ID: 0002_event_log
Revises: 0001_audit_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_event_log"
down_revision = "0001_audit_tables"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # tallycheck.evidence.chain.GENESIS, frozen here as this revision wrote it


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("prev_sha256", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    )
    log_head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    # The head row exists before the first append, so concurrent first appends lock it instead of racing.
    op.bulk_insert(log_head, [{"id": 1, "seq": 0, "sha256": GENESIS}])


def downgrade() -> None:
    op.drop_table("log_head")
    op.drop_table("events")
