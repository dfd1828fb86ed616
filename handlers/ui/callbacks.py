"""Every button's callback data: one table of prefixes, and routes that build and recognise the data.

A button's data is `prefix:action[:value…]`. Each feature declares its routes once, in its own `callbacks.py`,
and both the screens (to build a button) and `register()` (to route a press) use them, so a press and the
button that made it cannot drift apart:

    VIEW = Route("group", "view", ID)
    button(_("Open"), VIEW.data(group.id))                               # "group:view:12"
    app.add_handler(CallbackQueryHandler(view_group, pattern=VIEW.pattern))
    group_id, = VIEW.ints(context.match)

Buttons sent before the prefixes were spelt out (`grp:view:12`) keep working: a route also recognises its
prefix's earlier short form. Telegram allows 64 bytes of callback data; `data()` refuses more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
ID = r"(\d{1,9})"          # a row id
PAGE = r"(\d{1,4})"        # a page number
CODE = r"(\w{1,20})"       # a short code: a step, a field, a choice


@dataclass(frozen=True)
class Prefix:
    name: str      # written on new buttons
    earlier: str   # the short form on buttons sent by earlier versions, still recognised
    meaning: str


PREFIXES: dict[str, Prefix] = {p.name: p for p in (
    Prefix("join", "reg", "a newcomer's registration questions"),
    Prefix("lang", "lang", "a member's choice of language"),
    Prefix("me", "me", "a member's own profile: see, correct, delete"),
    Prefix("coord", "coord", "the coordinators' list: adding and removing coordinators"),
    Prefix("event", "ev", "a member's invitation: going, maybe, can't go, the waiting list, the calendar file"),
    Prefix("event-list", "evl", "a member opening an invitation from their /events list"),
    Prefix("event-new", "evn", "a coordinator creating an event (the wizard, its audience and its preview)"),
    Prefix("event-edit", "evm", "coordinators' list of events, opening one, changing, cancelling or messaging it"),
    Prefix("checkin", "ci", "checking members in at an event"),
    Prefix("attendance", "rep", "the attendance report of an event"),
    Prefix("report", "erp", "the event report (PDF) and pushing it as a brief"),
    Prefix("survey", "sv", "a member answering a survey"),
    Prefix("survey-new", "svn", "a coordinator loading a survey (XLSForm)"),
    Prefix("survey-build", "svb", "a coordinator writing a survey question by question"),
    Prefix("survey-admin", "svm", "a coordinator sending, closing and reading a survey"),
    Prefix("results", "rs", "/results as earlier versions sent it (sent surveys and polls, charts, exports)"),
    Prefix("poll", "pl", "quick polls: a coordinator's form and members' votes"),
    Prefix("group", "grp", "members browsing working groups and asking to join"),
    Prefix("group-admin", "grpa", "coordinators managing working groups"),
    Prefix("consult", "cs", "members giving input to a consultation"),
    Prefix("consult-admin", "csa", "coordinators opening, sorting and sharing consultations"),
    Prefix("broadcast", "bc", "a coordinator's announcement to a segment of members"),
    Prefix("brief", "br", "policy briefs: pushing one, and members' reactions and questions"),
)}


@dataclass(frozen=True)
class Route:
    """One kind of button: a prefix from the table, an action, and a regular expression per value."""

    prefix: str
    action: str
    values: tuple[str, ...] = ()

    def __init__(self, prefix: str, action: str, *values: str) -> None:
        if prefix not in PREFIXES:
            raise KeyError(f"callback prefix {prefix!r} is not in handlers.ui.callbacks.PREFIXES")
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "values", tuple(values))

    @property
    def pattern(self) -> str:
        """The CallbackQueryHandler pattern: the values are the match's groups 1, 2, …"""
        entry = PREFIXES[self.prefix]
        names = sorted({entry.name, entry.earlier}, key=len, reverse=True)
        head = "(?:" + "|".join(re.escape(n) for n in names) + ")"
        body = ":".join([re.escape(self.action), *self.values]) if self.action else ":".join(self.values)
        return rf"^{head}:{body}$" if body else rf"^{head}$"

    def data(self, *values: object) -> str:
        """The callback data of a button of this route."""
        if len(values) != len(self.values):
            raise ValueError(f"{self.prefix}:{self.action} takes {len(self.values)} values, not {len(values)}")
        text = ":".join([self.prefix, *( [self.action] if self.action else []), *(str(v) for v in values)])
        if len(text.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {text!r}")
        return text

    @staticmethod
    def ints(match: re.Match) -> tuple[int, ...]:
        """The match's groups as whole numbers (ids, pages)."""
        return tuple(int(g) for g in match.groups())


def feature_of(data: str) -> str | None:
    """The prefix (by its written name) a button's data belongs to, whichever form it was sent in."""
    head = data.split(":", 1)[0]
    for entry in PREFIXES.values():
        if head in (entry.name, entry.earlier):
            return entry.name
    return None
