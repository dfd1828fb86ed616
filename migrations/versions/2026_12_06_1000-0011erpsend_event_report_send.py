"""event report send: the report of an event sent by itself to its coordinators when it ends

Events that had already ended get a row marked skipped, so upgrading sends no reports of past events.

Revision ID: 0011erpsend
Revises: 0010rsvpmsg
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.models.base import UTCDateTime

revision: str = '0011erpsend'
down_revision: str | None = '0010rsvpmsg'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_report_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sent_to', sa.JSON(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_report_send_event_id_event'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_report_send')),
    sa.UniqueConstraint('event_id', name=op.f('uq_event_report_send_event_id'))
    )
    with op.batch_alter_table('event_report_send', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_report_send_status'), ['status'], unique=False)
    op.execute("INSERT INTO event_report_send (event_id, status, recipients, sent_to, created_at, finished_at) "
               "SELECT id, 'skipped', '[]', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM event "
               "WHERE ends_at <= CURRENT_TIMESTAMP")


def downgrade() -> None:
    with op.batch_alter_table('event_report_send', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_report_send_status'))
    op.drop_table('event_report_send')
