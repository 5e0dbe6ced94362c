"""Complaints: a party agent's complaint against stations, its stations, and the administrator's decision (one
per complaint: a decision is final).

Revision ID: 0005_complaints
Revises: 0004_count_tasks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_complaints"
down_revision = "0004_count_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.Integer, primary_key=True),
        sa.Column("filed", sa.String(32), nullable=False),
        sa.Column("filed_by", sa.String(128), nullable=False),
        sa.Column("party", sa.String(256), nullable=False),
        sa.Column("grounds", sa.Text, nullable=False),
    )
    op.create_table(
        "complaint_stations",
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.complaint_id"), nullable=False),
        sa.Column("station_id", sa.String(128), nullable=False),
        sa.UniqueConstraint("complaint_id", "station_id"),
    )
    op.create_table(
        "complaint_decisions",
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.complaint_id"), nullable=False,
                  unique=True),
        sa.Column("decided", sa.String(32), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("complaint_decisions")
    op.drop_table("complaint_stations")
    op.drop_table("complaints")
