"""The outbox: deliveries (mass sends) and one row per recipient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime


class Delivery(Base):
    """One mass send (a broadcast, invitation, reminder, ...): the content in each language.

    Its recipients are rows of `outbox_message`, written in the same transaction.
    """

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The record that caused it (a broadcast, an event, ...), by kind.
    ref_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # scheduled -> sending -> done, or cancelled.
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # {"en": {"text": ..., "buttons": [[[label, data], ...]], "photo": file_id, "document": file_id}, "km": {...}}
    content: Mapped[dict] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Where the coordinator watches progress, and in which language.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(Integer)
    status_language: Mapped[str | None] = mapped_column(String(5))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """One message to one chat, waiting to be sent, being sent, or with its outcome."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's claim: due rows in order (id breaks ties, so no sort is needed on any database).
        Index("ix_outbox_message_status_due_at_id", "status", "due_at", "id"),
        # "Is anything of this delivery still unsent?", asked after every window.
        Index("ix_outbox_message_delivery_status", "delivery_id", "status"),
        Index("uq_outbox_message_delivery_chat", "delivery_id", "chat_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    # pending -> sending -> sent | blocked | failed; pending -> cancelled.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The process sending it, and until when its claim holds (seconds since the epoch, wall clock): a row in
    # `sending` whose lease ran out belongs to a process that died.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[float | None] = mapped_column(Float)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
