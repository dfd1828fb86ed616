"""outbox indexes: claim order with the id, and unsent rows per delivery

Revision ID: 0007outbox
Revises: 0006briefs
Create Date: 2026-11-29 08:10:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0007outbox'
down_revision: str | None = '0006briefs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_due_at')
        batch_op.create_index('ix_outbox_message_status_due_at_id', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_outbox_message_delivery_status', ['delivery_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_delivery_status')
        batch_op.drop_index('ix_outbox_message_status_due_at_id')
        batch_op.create_index('ix_outbox_message_status_due_at', ['status', 'due_at'], unique=False)
