"""Policy briefs pushed to members, and members' one-tap reactions to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime


class Brief(Base):
    """A finished brief (PDF or DOCX) with a title and summary in each language."""

    __tablename__ = "brief"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    title_km: Mapped[str] = mapped_column(String(200))
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_km: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id", ondelete="SET NULL"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BriefReaction(Base):
    """A member found a brief useful, or asked a question about it."""

    __tablename__ = "brief_reaction"
    __table_args__ = (Index("ix_brief_reaction_brief_id_kind", "brief_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("brief.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # useful / question
    kind: Mapped[str] = mapped_column(String(16))
    question: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
