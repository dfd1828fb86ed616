"""Members and coordinators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, PersonDetails, Timestamps, UTCDateTime


class Member(Base, PersonDetails, Timestamps):
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
    province: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    receives_announcements: Mapped[bool] = mapped_column(Boolean, default=True)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)


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
