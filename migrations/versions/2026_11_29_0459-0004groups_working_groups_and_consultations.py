"""working groups and consultations

Revision ID: 0004groups
Revises: 0003events
Create Date: 2026-11-29 04:59:38.327292
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004groups'
down_revision: str | None = '0003events'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('working_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('name_km', sa.String(length=100), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('description_km', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('chat_title', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_working_group')),
    sa.UniqueConstraint('chat_id', name=op.f('uq_working_group_chat_id'))
    )
    op.create_table('consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('question_en', sa.Text(), nullable=False),
    sa.Column('question_km', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_consultation_event_id_event'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation'))
    )
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_event_id'), ['event_id'], unique=False)

    op.create_table('group_interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('stakeholder', sa.String(length=32), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('reason_voice_file_id', sa.String(length=200), nullable=True),
    sa.Column('reason_voice_seconds', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invite_link', sa.String(length=200), nullable=True),
    sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('in_chat', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_group_interest_event_id_event'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['working_group.id'], name=op.f('fk_group_interest_group_id_working_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_group_interest_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_interest'))
    )
    with op.batch_alter_table('group_interest', schema=None) as batch_op:
        batch_op.create_index('ix_group_interest_group_id_status', ['group_id', 'status'], unique=False)
        batch_op.create_index('uq_group_interest_group_id_member_id', ['group_id', 'member_id'], unique=True)

    op.create_table('consultation_theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label_en', sa.String(length=100), nullable=False),
    sa.Column('label_km', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_theme_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_theme'))
    )
    with op.batch_alter_table('consultation_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_theme_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_input',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by', sa.BigInteger(), nullable=False),
    sa.Column('table_notes', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('voice_file_id', sa.String(length=200), nullable=True),
    sa.Column('voice_seconds', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_input_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_consultation_input_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['consultation_input.id'], name=op.f('fk_consultation_input_merged_into_id_consultation_input'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['theme_id'], ['consultation_theme.id'], name=op.f('fk_consultation_input_theme_id_consultation_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_input'))
    )
    with op.batch_alter_table('consultation_input', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_input_consultation_id_theme_id', ['consultation_id', 'theme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_input_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_input_submitted_by'), ['submitted_by'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('consultation_input', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_input_submitted_by'))
        batch_op.drop_index(batch_op.f('ix_consultation_input_member_id'))
        batch_op.drop_index('ix_consultation_input_consultation_id_theme_id')

    op.drop_table('consultation_input')
    with op.batch_alter_table('consultation_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_theme_consultation_id'))

    op.drop_table('consultation_theme')
    with op.batch_alter_table('group_interest', schema=None) as batch_op:
        batch_op.drop_index('uq_group_interest_group_id_member_id')
        batch_op.drop_index('ix_group_interest_group_id_status')

    op.drop_table('group_interest')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_event_id'))

    op.drop_table('consultation')
    op.drop_table('working_group')
