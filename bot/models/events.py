"""Events: invitations, answers, reminders and check-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, PersonDetails, Timestamps, UTCDateTime


class Event(Base, Timestamps):
    """A workshop, meeting or field day that members are invited to."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_km: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_km: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The zone the event's times are shown in (Asia/Phnom_Penh unless the event says otherwise).
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Seats taken by members who answered "going" (not waitlisted); changed only by conditional updates,
    # so two members pressing for the last seat can't both get it.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One line per presentation.
    agenda: Mapped[str] = mapped_column(Text, default="")
    # Audience fields (see bot.services.audience.Audience), as JSON.
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    # Minutes before the start at which Going (and Maybe) members are reminded.
    reminder_minutes: Mapped[list] = mapped_column(JSON, default=lambda: [1440, 120])
    checkin_opens_minutes: Mapped[int] = mapped_column(Integer, default=120)
    # Unguessable, per event: the payload of the check-in QR code.
    checkin_token: Mapped[str] = mapped_column(String(32), unique=True)
    # draft -> published -> cancelled
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rsvp(Base, Timestamps):
    """A member's answer to an invitation."""

    __tablename__ = "rsvp"
    __table_args__ = (
        Index("uq_rsvp_event_id_member_id", "event_id", "member_id", unique=True),
        Index("ix_rsvp_event_id_answer", "event_id", "answer"),
        # The waiting list in its order: a place in the queue is counted, and the next member found, on it.
        Index("ix_rsvp_event_id_waitlisted_queue", "event_id", "waitlisted", "waitlisted_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # going / maybe / no
    answer: Mapped[str] = mapped_column(String(8))
    # Wanted to go when the event was full; promoted in order of `waitlisted_at` when a seat frees.
    waitlisted: Mapped[bool] = mapped_column(Boolean, default=False)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member's message that shows this answer (the invitation they last answered or opened), a fingerprint
    # of what it shows, and since when it is due to be redrawn (the answer changed behind the member's back).
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    drawn: Mapped[str | None] = mapped_column(String(16))
    redraw_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Reminder(Base):
    """A reminder of an event; the scheduler's jobs are rebuilt from these rows at start."""

    __tablename__ = "reminder"
    __table_args__ = (Index("uq_reminder_event_id_minutes_before", "event_id", "minutes_before", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    minutes_before: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # scheduled -> sent | skipped (fell due while the bot was down and the event had started) | cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id", ondelete="SET NULL"))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckIn(Base, PersonDetails):
    """Someone in the room: a member (by QR code or by a coordinator) or a walk-in without Telegram.

    The person's details are kept for walk-ins only (members' details live on their member row).
    """

    __tablename__ = "check_in"
    __table_args__ = (Index("uq_check_in_event_id_member_id", "event_id", "member_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    # qr / manual / walkin
    method: Mapped[str] = mapped_column(String(8))
    checked_in_by: Mapped[int | None] = mapped_column(BigInteger)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
