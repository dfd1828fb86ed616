"""The event report sent by itself to the coordinators when an event ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime


class EventReportSend(Base):
    """One event's report going to its coordinators; the scheduler's job is rebuilt from these rows at start."""

    __tablename__ = "event_report_send"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    # sending -> sent; skipped for events that had ended before reports were sent by themselves
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Telegram ids of the coordinators it goes to, and of those it went to: each is marked before its send,
    # so a restart in the middle goes on with the others and sends no one the report twice.
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    sent_to: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
