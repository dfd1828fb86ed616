"""rsvp shown message: the member's message showing their answer, what it shows, and when it is due to be redrawn

Revision ID: 0010rsvpmsg
Revises: 0009intake
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.models.base import UTCDateTime

revision: str = '0010rsvpmsg'
down_revision: str | None = '0009intake'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('drawn', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('redraw_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_rsvp_redraw_at', ['redraw_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_index('ix_rsvp_redraw_at')
        batch_op.drop_column('redraw_at')
        batch_op.drop_column('drawn')
        batch_op.drop_column('message_id')
