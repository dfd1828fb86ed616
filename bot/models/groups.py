"""Working groups and the people interested in them; consultations and the inputs gathered by theme."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, PersonDetails, Timestamps, UTCDateTime


class WorkingGroup(Base, Timestamps):
    """A standing group of members on one topic (e.g. the Policy Working Group), with its own Telegram chat."""

    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_km: Mapped[str] = mapped_column(String(100))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_km: Mapped[str] = mapped_column(Text, default="")
    # open -> closed (and back); a closed group takes no new interest and is hidden from members.
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The Telegram group chat the bot administers for it, once a coordinator linked one.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_title: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GroupInterest(Base, PersonDetails, Timestamps):
    """Someone who wants to join a working group: a member in the bot, or a paper sign-up without Telegram."""

    __tablename__ = "group_interest"
    __table_args__ = (
        Index("uq_group_interest_group_id_member_id", "group_id", "member_id", unique=True),
        Index("ix_group_interest_group_id_status", "group_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id", ondelete="CASCADE"))
    # None for a paper sign-up. A member who deletes their data takes their interest (and reason) with it.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # bot / event / paper: how the interest was collected.
    source: Mapped[str] = mapped_column(String(8), default="bot")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    # The person's details (PersonDetails) are kept for paper sign-ups only: members' live on their member row.
    reason_text: Mapped[str | None] = mapped_column(Text)
    reason_voice_file_id: Mapped[str | None] = mapped_column(String(200))
    reason_voice_seconds: Mapped[int | None] = mapped_column(Integer)
    # interested -> approved | declined; interested | approved -> withdrawn (by the member).
    status: Mapped[str] = mapped_column(String(16), default="interested")
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member's own single-use link to the group's chat, kept so asking again gives the same one.
    invite_link: Mapped[str | None] = mapped_column(String(200))
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # First time the member was seen joining the linked chat; in_chat follows them leaving and coming back.
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_chat: Mapped[bool] = mapped_column(Boolean, default=False)


class Consultation(Base, Timestamps):
    """A question put to members (often at an event), whose answers are gathered under themes."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    question_en: Mapped[str] = mapped_column(Text)
    question_km: Mapped[str] = mapped_column(Text)
    # open -> closed (and back); it also stops taking input at `closes_at`.
    status: Mapped[str] = mapped_column(String(16), default="open")
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(BigInteger)


class ConsultationTheme(Base):
    """One theme inputs are sorted under, in both languages, in the order members see them."""

    __tablename__ = "consultation_theme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label_en: Mapped[str] = mapped_column(String(100))
    label_km: Mapped[str] = mapped_column(String(100))


class ConsultationInput(Base, Timestamps):
    """One need or idea, typed or spoken, under one theme."""

    __tablename__ = "consultation_input"
    __table_args__ = (Index("ix_consultation_input_consultation_id_theme_id", "consultation_id", "theme_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("consultation_theme.id", ondelete="CASCADE"))
    # A member who deletes their data takes their inputs with them.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    # Who sent it; a note-taker's inputs speak for a discussion table, not for themselves.
    submitted_by: Mapped[int] = mapped_column(BigInteger, index=True)
    table_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)
    voice_file_id: Mapped[str | None] = mapped_column(String(200))
    voice_seconds: Mapped[int | None] = mapped_column(Integer)
    # km / en: the language it was given in.
    language: Mapped[str] = mapped_column(String(5))
    # A duplicate keeps pointing at the input it was merged into, and no longer counts.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_input.id", ondelete="SET NULL"))
