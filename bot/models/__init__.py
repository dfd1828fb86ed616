"""Tables, one module per domain. Times are stored in UTC."""

from bot.models.base import NAMING_CONVENTION, Base, UTCDateTime
from bot.models.briefs import Brief, BriefReaction
from bot.models.delivery import Delivery, OutboxMessage
from bot.models.drafts import Draft
from bot.models.eventreports import EventReportSend
from bot.models.events import CheckIn, Event, Reminder, Rsvp
from bot.models.groups import Consultation, ConsultationInput, ConsultationTheme, GroupInterest, WorkingGroup
from bot.models.intake import InboxUpdate, SendBudget
from bot.models.members import Coordinator, CoordinatorInvite, Member
from bot.models.surveys import Poll, PollMessage, PollVote, Survey, SurveyAnswer, SurveyResponse

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Brief",
    "BriefReaction",
    "CheckIn",
    "Consultation",
    "ConsultationInput",
    "ConsultationTheme",
    "Coordinator",
    "CoordinatorInvite",
    "Delivery",
    "Draft",
    "Event",
    "EventReportSend",
    "GroupInterest",
    "InboxUpdate",
    "Member",
    "OutboxMessage",
    "Reminder",
    "Rsvp",
    "SendBudget",
    "Poll",
    "PollMessage",
    "PollVote",
    "Survey",
    "SurveyAnswer",
    "SurveyResponse",
    "UTCDateTime",
    "WorkingGroup",
]
