"""Surveys (from an XLSForm or built in the chat), members' responses, and quick native polls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime


class SentToAudience:
    """What a coordinator sends to an audience and later closes: who made it and when, who gets it (the
    fields of bot.services.audience.Audience), and when answers stopped counting."""

    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Survey(SentToAudience, Base):
    """A questionnaire sent to an audience, answered one question at a time in the chat."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_km: Mapped[str] = mapped_column(String(200))
    # xlsform / chat
    source: Mapped[str] = mapped_column(String(16))
    form_id: Mapped[str] = mapped_column(String(100), default="")
    form_version: Mapped[str] = mapped_column(String(50), default="")
    # The questions as bot.xlsform describes them; frozen once the survey is sent.
    questions: Mapped[list] = mapped_column(JSON)
    # Filled in by the bot, as Kobo does: start, end, today.
    meta: Mapped[list] = mapped_column(JSON, default=list)
    # When set, the event whose checked-in attendees get it (when the event ends, if not sent before) instead
    # of its audience.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    # draft -> scheduled (waits for its event to end) -> open -> closed
    status: Mapped[str] = mapped_column(String(16), default="draft")
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One reminder to those who have not finished, this long after it was sent (None: no reminder).
    reminder_minutes: Mapped[int | None] = mapped_column(Integer)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyResponse(Base):
    """One member's answers to one survey: where they are, and whether they finished."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("uq_survey_response_survey_id_member_id", "survey_id", "member_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    # Index of the question being asked; None when the member is not answering right now.
    current: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the member reached the end; the response stays editable until the survey closes.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyAnswer(Base):
    """The answer to one question: a choice name, a list of them, a number, a date, text, or a voice note."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("uq_survey_answer_response_id_question", "response_id", "question", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(100))
    value: Mapped[object | None] = mapped_column(JSON)
    voice_file_id: Mapped[str | None] = mapped_column(String(200))
    voice_duration: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Poll(SentToAudience, Base):
    """A quick question sent as a native Telegram poll, one poll message per member in their language."""

    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_en: Mapped[str] = mapped_column(String(300))
    question_km: Mapped[str] = mapped_column(String(300))
    # [{"en": ..., "km": ...}, ...] in the order shown
    options: Mapped[list] = mapped_column(JSON)
    # open -> closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id", ondelete="SET NULL"), index=True)


class PollMessage(Base):
    """One poll message as sent to one member, with Telegram's id for that poll."""

    __tablename__ = "poll_message"
    __table_args__ = (Index("uq_poll_message_poll_id_chat_id", "poll_id", "chat_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(Integer)
    telegram_poll_id: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the poll message was closed in Telegram (stopPoll), after the coordinator closed the poll.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PollVote(Base):
    """A member's current choice in a poll (Telegram lets them retract and vote again)."""

    __tablename__ = "poll_vote"
    __table_args__ = (Index("uq_poll_vote_poll_id_member_id", "poll_id", "member_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    option_ids: Mapped[list] = mapped_column(JSON)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime)
