"""members coordinators and processed updates

Revision ID: 20f2c3842025
Revises: 
Create Date: 2026-11-29 04:29:48.151263
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '20f2c3842025'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('coordinator',
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('added_by', sa.BigInteger(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('telegram_id', name=op.f('pk_coordinator'))
    )
    op.create_table('coordinator_invite',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_by', sa.BigInteger(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_coordinator_invite'))
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('editing', sa.Boolean(), nullable=False),
    sa.Column('start_payload', sa.String(length=64), nullable=True),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('stakeholder', sa.String(length=32), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('province', sa.String(length=16), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('receives_announcements', sa.Boolean(), nullable=False),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('telegram_id', name=op.f('uq_member_telegram_id'))
    )
    op.create_table('processed_update',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_update'))
    )
    with op.batch_alter_table('processed_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_update_processed_at'), ['processed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('processed_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_update_processed_at'))

    op.drop_table('processed_update')
    op.drop_table('member')
    op.drop_table('coordinator_invite')
    op.drop_table('coordinator')
