"""The answers the consultations' conversations keep while they wait for the next one (stored as drafts; the field
names are the stored keys, so a conversation begun before a restart carries on)."""

from __future__ import annotations

from dataclasses import dataclass, field

NEW, INPUT = "consult_new", "consult_input"


@dataclass
class ConsultationForm:
    """A consultation being opened: the question in both languages (asked first in `first`, the coordinator's),
    the themes, the event and the closing time."""

    first: str = "en"
    question_en: str = ""
    question_km: str = ""
    themes: list = field(default_factory=list)  # [English, Khmer] pairs
    event: int | None = None
    closes: str | None = None  # ISO time, in UTC


@dataclass
class InputForm:
    """The theme a member (or a table's note-taker) is giving an input under."""

    consultation_id: int | None = None
    theme_id: int | None = None
    table: bool = False
