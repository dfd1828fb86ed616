"""Multi-step conversations beyond registration (a coordinator composing an event or a broadcast,
a member adding a reason): where each one is and what it has gathered so far."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, Timestamps


class Draft(Base, Timestamps):
    """One person's unfinished conversation of one kind; at most one per kind."""

    __tablename__ = "draft"
    __table_args__ = (Index("uq_draft_telegram_id_kind", "telegram_id", "kind", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    # The question being asked, or None when the draft waits for a button (or nothing).
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
