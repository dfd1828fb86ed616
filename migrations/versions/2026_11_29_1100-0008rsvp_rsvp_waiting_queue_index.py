"""rsvp waiting queue index: a place on the waiting list and the next member waiting, read off an index

Revision ID: 0008rsvp
Revises: 0007outbox
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0008rsvp'
down_revision: str | None = '0007outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.create_index('ix_rsvp_event_id_waitlisted_queue', ['event_id', 'waitlisted', 'waitlisted_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_index('ix_rsvp_event_id_waitlisted_queue')
