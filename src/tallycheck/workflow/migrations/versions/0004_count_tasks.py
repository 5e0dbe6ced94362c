"""Double-blind hand-count entry: `count_tasks` (a station's contests for one board; its state, attempt and
amendment), `count_entries` (each member's entry of an attempt), `count_signatures` and `count_signoffs`, and
`count_amendments` (corrections after sign-off). workflow/count_tasks.py.

Revision ID: 0004_count_tasks
Revises: 0003_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_count_tasks"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "count_tasks",
        sa.Column("task_id", sa.Integer, primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("station_id", sa.String(128), nullable=False),
        sa.Column("contest_ids", sa.Text, nullable=False),
        sa.Column("board_id", sa.Integer, nullable=False),
        sa.Column("audit_id", sa.Integer),
        sa.Column("round", sa.Integer),
        sa.Column("complaint_id", sa.Integer),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("amendment", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
    )
    op.create_index("count_tasks_by_board", "count_tasks", ["board_id"])
    op.create_index("count_tasks_by_audit", "count_tasks", ["audit_id", "round"])
    op.create_table(
        "count_entries",
        sa.Column("entry_id", sa.Integer, primary_key=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("count_tasks.task_id"), nullable=False),
        sa.Column("amendment", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("entered", sa.String(32), nullable=False),
        sa.Column("sheets", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("task_id", "amendment", "attempt", "user_id"),
    )
    op.create_table(
        "count_signatures",
        sa.Column("task_id", sa.Integer, sa.ForeignKey("count_tasks.task_id"), nullable=False),
        sa.Column("amendment", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("signed", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("task_id", "amendment", "user_id"),
    )
    op.create_table(
        "count_signoffs",
        sa.Column("signoff_id", sa.Integer, primary_key=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("count_tasks.task_id"), nullable=False),
        sa.Column("amendment", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("first_user_id", sa.Integer, nullable=False),
        sa.Column("first_member", sa.String(128), nullable=False),
        sa.Column("second_user_id", sa.Integer, nullable=False),
        sa.Column("second_member", sa.String(128), nullable=False),
        sa.Column("signed", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("task_id", "amendment"),
    )
    op.create_table(
        "count_amendments",
        sa.Column("task_id", sa.Integer, sa.ForeignKey("count_tasks.task_id"), nullable=False),
        sa.Column("amendment", sa.Integer, nullable=False),
        sa.Column("opened", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("task_id", "amendment"),
    )


def downgrade() -> None:
    op.drop_table("count_amendments")
    op.drop_table("count_signoffs")
    op.drop_table("count_signatures")
    op.drop_table("count_entries")
    op.drop_index("count_tasks_by_audit", "count_tasks")
    op.drop_index("count_tasks_by_board", "count_tasks")
    op.drop_table("count_tasks")
