"""The answers each survey and poll conversation keeps in its draft (see `bot.services.drafts.read`), under the
key names earlier versions stored, so a conversation begun before still goes on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Answering:
    """A member answering a survey (kept by the survey service): the response typed answers go to, and the
    message asking its question."""

    response_id: int = 0
    message_id: int | None = None


@dataclass
class Builder:
    """A survey written in the chat: its title, the questions so far, and the kind and text of the next one."""

    title: dict = field(default_factory=dict)
    questions: list = field(default_factory=list)
    kind: str = ""
    label: dict = field(default_factory=dict)


@dataclass
class Closing:
    """The survey whose closing time is being typed."""

    survey_id: int = 0


@dataclass
class PollForm:
    """A quick poll being written: its question, its options, and who gets it."""

    question: dict = field(default_factory=dict)
    options: list = field(default_factory=list)
    audience: dict = field(default_factory=dict)
