"""The answers each events conversation keeps in its draft, by name (the same names earlier versions stored)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.models import Event
from bot.services import events


@dataclass
class EventForm:
    """/newevent's answers: texts in both languages, times (ISO text), the venue and the rest; `event_id` once
    the preview has saved them, `editing` while one part is corrected from the preview."""

    first: str = "en"
    timezone: str = ""
    title_en: str = ""
    title_km: str = ""
    description_en: str = ""
    description_km: str = ""
    starts_at: str | None = None
    ends_at: str | None = None
    venue: str = ""
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    rsvp_deadline: str | None = None
    agenda: str = ""
    reminder_minutes: list[int] = field(default_factory=list)
    audience: dict = field(default_factory=dict)
    event_id: int | None = None
    editing: str | None = None

    @property
    def start(self) -> datetime | None:
        return events.from_json("starts_at", self.starts_at)

    def text(self, base: str, language: str) -> str:
        """The title or description in one language ("" until given)."""
        return getattr(self, f"{base}_{language}")

    def sketch(self) -> Event:
        """The event as it will read, unsaved."""
        return events.sketch(asdict(self))


@dataclass
class EditForm:
    """A change to one field of a published event (`field` is its code), or a postponement; the new start is
    kept until the end is typed, then the new values wait for Save."""

    event_id: int | None = None
    field: str = ""
    postpone: bool = False
    starts_at: str | None = None
    values: dict | None = None

    @property
    def start(self) -> datetime | None:
        return events.from_json("starts_at", self.starts_at)


@dataclass
class VenueForm:
    """Searching for someone to check in, or a walk-in's details as they are given."""

    event_id: int | None = None
    name: str = ""
    gender: str = ""
    stakeholder: str = ""

