"""Tables. Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Member(Base):
    """A person who opened the bot. Personal fields stay empty until they consent."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    # Where the member is in a conversation with the bot; None when nothing is pending.
    step: Mapped[str | None] = mapped_column(String(32))
    # True while a member fixes one field from the summary or the profile.
    editing: Mapped[bool] = mapped_column(Boolean, default=False)
    start_payload: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    name: Mapped[str | None] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(16))
    stakeholder: Mapped[str | None] = mapped_column(String(32))
    organisation: Mapped[str | None] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    receives_announcements: Mapped[bool] = mapped_column(Boolean, default=True)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Coordinator(Base):
    """A Telegram user who may run the network's coordinator commands (besides COORDINATOR_IDS)."""

    __tablename__ = "coordinator"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CoordinatorInvite(Base):
    """A single-use link that makes whoever opens it a coordinator."""

    __tablename__ = "coordinator_invite"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProcessedUpdate(Base):
    """Telegram update ids already acted on, so a redelivered update has its effect once."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


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
        Index("ix_outbox_message_status_due_at", "status", "due_at"),
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
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
