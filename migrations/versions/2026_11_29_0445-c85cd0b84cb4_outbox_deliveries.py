"""outbox deliveries

Revision ID: c85cd0b84cb4
Revises: 20f2c3842025
Create Date: 2026-11-29 04:45:29.399157
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c85cd0b84cb4'
down_revision: str | None = '20f2c3842025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('status_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('status_message_id', sa.Integer(), nullable=True),
    sa.Column('status_language', sa.String(length=5), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('telegram_message_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_outbox_message_delivery_id_delivery'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_outbox_message_member_id_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_outbox_message_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index('uq_outbox_message_delivery_chat', ['delivery_id', 'chat_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('uq_outbox_message_delivery_chat')
        batch_op.drop_index('ix_outbox_message_status_due_at')
        batch_op.drop_index(batch_op.f('ix_outbox_message_member_id'))

    op.drop_table('outbox_message')
    op.drop_table('delivery')
