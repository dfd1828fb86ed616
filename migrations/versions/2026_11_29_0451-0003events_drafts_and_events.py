"""drafts and events

Revision ID: 0003events
Revises: c85cd0b84cb4
Create Date: 2026-11-29 04:51:09.362311
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003events'
down_revision: str | None = 'c85cd0b84cb4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft'))
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index('uq_draft_telegram_id_kind', ['telegram_id', 'kind'], unique=True)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('title_km', sa.String(length=200), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('description_km', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('rsvp_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('reminder_minutes', sa.JSON(), nullable=False),
    sa.Column('checkin_opens_minutes', sa.Integer(), nullable=False),
    sa.Column('checkin_token', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('checkin_token', name=op.f('uq_event_checkin_token'))
    )
    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('stakeholder', sa.String(length=32), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('checked_in_by', sa.BigInteger(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_check_in_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_check_in_member_id_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_event_id'), ['event_id'], unique=False)
        batch_op.create_index('uq_check_in_event_id_member_id', ['event_id', 'member_id'], unique=True)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('minutes_before', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_reminder_delivery_id_delivery'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_reminder_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_due_at'), ['due_at'], unique=False)
        batch_op.create_index('uq_reminder_event_id_minutes_before', ['event_id', 'minutes_before'], unique=True)

    op.create_table('rsvp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('waitlisted', sa.Boolean(), nullable=False),
    sa.Column('waitlisted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_rsvp_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rsvp_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rsvp'))
    )
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.create_index('ix_rsvp_event_id_answer', ['event_id', 'answer'], unique=False)
        batch_op.create_index('uq_rsvp_event_id_member_id', ['event_id', 'member_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_index('uq_rsvp_event_id_member_id')
        batch_op.drop_index('ix_rsvp_event_id_answer')

    op.drop_table('rsvp')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('uq_reminder_event_id_minutes_before')
        batch_op.drop_index(batch_op.f('ix_reminder_due_at'))

    op.drop_table('reminder')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index('uq_check_in_event_id_member_id')
        batch_op.drop_index(batch_op.f('ix_check_in_event_id'))

    op.drop_table('check_in')
    op.drop_table('event')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_index('uq_draft_telegram_id_kind')

    op.drop_table('draft')
