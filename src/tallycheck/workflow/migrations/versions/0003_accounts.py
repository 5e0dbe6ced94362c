"""Accounts: boards, users, server-side sessions and login attempts (workflow/accounts.py).

Revision ID: 0003_accounts
Revises: 0002_event_log
Created: 2026-12-06 23:21:41.762662
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_accounts'
down_revision = '0002_event_log'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('boards',
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('created', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('board_id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('login_attempts',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('attempt_id')
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('login_attempts_by_address', ['address', 'time'], unique=False)
        batch_op.create_index('login_attempts_by_name', ['name', 'time'], unique=False)

    op.create_table('users',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_enrolled', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.String(length=32), nullable=True),
    sa.Column('created', sa.String(length=32), nullable=False),
    sa.Column('disabled', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.board_id'], ),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('sessions',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created', sa.String(length=32), nullable=False),
    sa.Column('last_seen', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.String(length=32), nullable=False),
    sa.Column('revoked', sa.String(length=32), nullable=True),
    sa.Column('totp_passed', sa.Boolean(), nullable=False),
    sa.Column('user_agent', sa.String(length=256), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ),
    sa.PrimaryKeyConstraint('token_sha256')
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('sessions_by_user', ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('sessions_by_user')

    op.drop_table('sessions')
    op.drop_table('users')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('login_attempts_by_name')
        batch_op.drop_index('login_attempts_by_address')

    op.drop_table('login_attempts')
    op.drop_table('boards')
