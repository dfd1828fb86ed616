"""The answers the working groups' conversations keep while they wait for the next one (stored as drafts; the
field names are the stored keys, so a conversation begun before a restart carries on)."""

from __future__ import annotations

from dataclasses import dataclass

NEW, EDIT, PAPER, MESSAGE, REASON = "group_new", "group_edit", "group_paper", "group_message", "group_reason"


@dataclass
class GroupForm:
    """A new group's name and description in both languages, asked first in `first` (the coordinator's)."""

    first: str = "en"
    name_en: str = ""
    name_km: str = ""
    desc_en: str = ""
    desc_km: str = ""


@dataclass
class GroupEditForm(GroupForm):
    """The name or the description of a group (`group_id`) being changed."""

    group_id: int | None = None


@dataclass
class PaperForm:
    """Someone who signed up for a group on paper."""

    group_id: int | None = None
    name: str = ""
    gender: str | None = None
    stakeholder: str | None = None
    organisation: str | None = None


@dataclass
class MessageForm:
    """A coordinator's message to a group's approved members, once typed."""

    group_id: int | None = None
    text: str | None = None


@dataclass
class ReasonForm:
    """The group a member was asked why they want to join."""

    group_id: int | None = None
