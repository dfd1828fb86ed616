"""briefs

Revision ID: 0006briefs
Revises: 0004groups
Create Date: 2026-11-29 05:04:14.289858
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006briefs'
down_revision: str | None = '0005surveys'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('brief',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('title_km', sa.String(length=200), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('summary_km', sa.Text(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_brief_delivery_id_delivery'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brief'))
    )
    op.create_table('brief_reaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brief_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brief_id'], ['brief.id'], name=op.f('fk_brief_reaction_brief_id_brief'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_brief_reaction_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brief_reaction'))
    )
    with op.batch_alter_table('brief_reaction', schema=None) as batch_op:
        batch_op.create_index('ix_brief_reaction_brief_id_kind', ['brief_id', 'kind'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('brief_reaction', schema=None) as batch_op:
        batch_op.drop_index('ix_brief_reaction_brief_id_kind')

    op.drop_table('brief_reaction')
    op.drop_table('brief')
