"""Working groups: creating them, members' interest, coordinators' decisions, invite links and the funnel.

One module per part; every public name is re-exported here, so callers write `groups.decide(...)`.
"""

from __future__ import annotations

from bot.services.groups.rules import (
    APPROVED, CLOSED, DECISION_KIND, DECLINED, DESCRIPTION_MAX, INTERESTED, INVITE_LIFETIME, INVITE_MARGIN,
    InvalidInput, NAME_MAX, NOTICE_DELAY, NOTICE_KIND, NOTICE_MARGIN, OPEN, ORGANISATION_MAX, PAGE_SIZE,
    PAPER_NAME_MAX, REASON_MAX, VOICE_MAX_BYTES, VOICE_MAX_SECONDS, WITHDRAWN, both_languages, check_voice,
    clean_single_line, clean_text,
)
from bot.services.groups.catalog import (
    LinkOutcome, create, describe, description, get, group_of_chat, link_chat, listed, name, rename, set_open,
    unlink_chat,
)
from bot.services.groups.interest import (
    Decided, Decision, Expressed, Person, Withdrawal, add_paper, decide, express, give_reason, interest_of, people,
    person, statuses_of, tell_decision, told, withdraw,
)
from bot.services.groups.invites import (
    InviteCheck, InviteState, Membership, chat_membership, forget_invite, invite_check, invite_name, store_invite,
    used_invites,
)
from bot.services.groups.reach import (
    CHAT_KIND, MESSAGE_KIND, NoticeContent, announce_chat, approved_outside_chat, approved_recipients, ask,
    ask_attendees, ask_kind, attended, attendee_ids, count_query, event_prospects, group_coordinators,
    member_recipient, message_members, note_requests, queue, recent_events,
)
from bot.services.groups.stages import Funnel, Stage, funnel, interest_counts

__all__ = [
    "APPROVED", "CHAT_KIND", "CLOSED", "DECISION_KIND", "DECLINED", "DESCRIPTION_MAX", "Decided", "Decision",
    "Expressed", "Funnel", "INTERESTED", "INVITE_LIFETIME", "INVITE_MARGIN", "InvalidInput", "InviteCheck",
    "InviteState", "LinkOutcome", "MESSAGE_KIND", "Membership", "NAME_MAX", "NOTICE_DELAY", "NOTICE_KIND",
    "NOTICE_MARGIN", "NoticeContent", "OPEN", "ORGANISATION_MAX", "PAGE_SIZE", "PAPER_NAME_MAX", "Person",
    "REASON_MAX", "Stage", "VOICE_MAX_BYTES", "VOICE_MAX_SECONDS", "WITHDRAWN", "Withdrawal", "add_paper",
    "announce_chat", "approved_outside_chat", "approved_recipients", "ask", "ask_attendees", "ask_kind", "attended",
    "attendee_ids", "both_languages", "chat_membership", "check_voice", "clean_single_line", "clean_text",
    "count_query", "create", "decide", "describe", "description", "event_prospects", "express", "forget_invite",
    "funnel", "get", "give_reason", "group_coordinators", "group_of_chat", "interest_counts", "interest_of",
    "invite_check", "invite_name", "link_chat", "listed", "member_recipient", "message_members", "name",
    "note_requests", "people", "person", "queue", "recent_events", "rename", "set_open", "statuses_of",
    "store_invite", "tell_decision", "told", "unlink_chat", "used_invites", "withdraw",
]
