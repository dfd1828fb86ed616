"""The inbox of Telegram updates, and what several bot processes share: leases and the send budget."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime


class InboxUpdate(Base):
    """One update as Telegram sent it, stored before Telegram is told it arrived; handled once."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        # A repeat is recognised by its id while the row is kept (see services.inbox.REPEAT_WINDOW).
        Index("uq_inbox_update_update_id", "update_id", unique=True),
        # "Is an earlier update of this sender still waiting?", asked when claiming.
        Index("ix_inbox_update_sender_handled", "sender", "handled_at", "id"),
        Index("ix_inbox_update_handled_id", "handled_at", "id"),
        # Updates whose handler may not have finished talking to the member (its process died after the commit).
        Index("ix_inbox_update_finished_id", "finished_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger)
    # Whose updates must keep their order (the sender, or the chat when there is none).
    sender: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When its effects were committed, and when its handler finished (replies sent); a row handled and not
    # finished when its claim runs out was cut off by a crash, and the member is shown where they are.
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which process is handling it, and until when its claim holds (seconds since the epoch, wall clock).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SendBudget(Base):
    """Telegram's messages-per-second limit as one budget for every process: the next free moment."""

    __tablename__ = "send_budget"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The earliest moment (seconds since the epoch) the next message may go out.
    next_at: Mapped[float] = mapped_column(Float)
