"""Tables, one module per domain. Times are stored in UTC."""

from bot.models.base import NAMING_CONVENTION, Base, UTCDateTime
from bot.models.delivery import Delivery, OutboxMessage
from bot.models.drafts import Draft
from bot.models.events import CheckIn, Event, Reminder, Rsvp
from bot.models.members import Coordinator, CoordinatorInvite, Member, ProcessedUpdate

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "CheckIn",
    "Coordinator",
    "CoordinatorInvite",
    "Delivery",
    "Draft",
    "Event",
    "Member",
    "OutboxMessage",
    "ProcessedUpdate",
    "Reminder",
    "Rsvp",
    "UTCDateTime",
]
