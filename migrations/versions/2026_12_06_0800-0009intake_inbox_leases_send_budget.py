"""inbox of updates (replaces processed_update), leases on outbox rows, one send budget for all processes

Revision ID: 0009intake
Revises: 0008rsvp
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.models.base import UTCDateTime

revision: str = '0009intake'
down_revision: str | None = '0008rsvp'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox_update',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('update_id', sa.BigInteger(), nullable=False),
        sa.Column('sender', sa.BigInteger(), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.Column('handled_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.Float(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_update')),
    )
    with op.batch_alter_table('inbox_update', schema=None) as batch_op:
        batch_op.create_index('uq_inbox_update_update_id', ['update_id'], unique=True)
        batch_op.create_index('ix_inbox_update_sender_handled', ['sender', 'handled_at', 'id'], unique=False)
        batch_op.create_index('ix_inbox_update_handled_id', ['handled_at', 'id'], unique=False)
        batch_op.create_index('ix_inbox_update_finished_id', ['finished_at', 'id'], unique=False)
    budget = op.create_table(
        'send_budget',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_send_budget')),
    )
    op.bulk_insert(budget, [{'name': 'telegram', 'next_at': 0.0}])
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.Float(), nullable=True))
    with op.batch_alter_table('processed_update', schema=None) as batch_op:
        batch_op.drop_index('ix_processed_update_processed_at')
    op.drop_table('processed_update')


def downgrade() -> None:
    op.create_table(
        'processed_update',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('processed_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_update')),
    )
    with op.batch_alter_table('processed_update', schema=None) as batch_op:
        batch_op.create_index('ix_processed_update_processed_at', ['processed_at'], unique=False)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
    op.drop_table('send_budget')
    op.drop_table('inbox_update')
