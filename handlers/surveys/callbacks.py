"""The survey feature's buttons: members answering (`survey:`), a coordinator loading a form (`survey-new:`) or
writing one question by question (`survey-build:`), sending, closing and reading surveys (`survey-admin:`),
and quick polls (`poll:`).

/results buttons were sent as `rs:sv:12`, `rs:pg:8`, … before the prefixes were spelt out. The table of
prefixes gives `rs` as the earlier form of `rsvp` (whose buttons never used it), so the routes that recognise
those buttons are made under that entry; new buttons carry `survey-admin:` or `poll:`.
"""

from __future__ import annotations

import re

from handlers.ui import audience_picker
from handlers.ui.callbacks import ID, Route

STEP = r"(\d{1,3})"  # a question's place in its survey, a choice's place in its question
OFFSET = r"(\d{1,6})"  # how far down a list a page starts
LANGUAGE = r"(en|km)"

# ---------------------------------------------------------------- members answering

START = Route("survey", "start", ID)  # the survey's id
CHANGE = Route("survey", "edit", ID)  # the response's id
# A press on the question being asked: a choice (c) or a tick (t) with the choice's place, or Done (d), Skip (s),
# Next (n), Back (b). Data of one kind with the other's shape still comes here, to be answered as stale.
ANSWER = Route("survey", "", r"([ctdsnb])", ID, STEP + r"(?::(\d{1,3}))?")
WITH_CHOICE = frozenset("ct")


def answer(action: str, response_id: int, index: int, choice: int | None = None) -> str:
    """The data of a button on question `index` of a response (`choice` for a choice or a tick)."""
    return ANSWER.data(action, response_id, index if choice is None else f"{index}:{choice}")


def answer_press(match: re.Match) -> tuple[str, int, int, int | None]:
    """A pressed answer button: the action, the response's id, the question's place and the choice's (if any)."""
    action, response_id, index, choice = match.groups()
    return action, int(response_id), int(index), None if choice is None else int(choice)


# ---------------------------------------------------------------- a coordinator defining a survey

EXAMPLE = Route("survey-new", "example")
CANCEL_NEW = Route("survey-new", "cancel")
BUILD = Route("survey-build", "new")
BUILD_KIND = Route("survey-build", "kind", r"(select_one|rating|text)")
BUILD_FINISH = Route("survey-build", "finish")

# ---------------------------------------------------------------- a coordinator sending and closing a survey

# One change to a survey not yet sent (or closing a sent one); choosing an event also carries the event's id.
MANAGE = Route("survey-admin", "", r"(aud|evs|ev|rem|cat|noclose|del|end)", ID + r"(?::(\d{1,9}))?")
AUDIENCE = audience_picker.route("survey-admin", "a", ID)  # the survey's id, then the picker's own part
SEND = Route("survey-admin", "send", ID)
BACK = Route("survey-admin", "back", ID)


def manage(action: str, survey_id: int, event_id: int | None = None) -> str:
    """The data of a button that changes (or closes) a survey; `event_id` for the event chosen."""
    return MANAGE.data(action, survey_id if event_id is None else f"{survey_id}:{event_id}")


def manage_press(match: re.Match) -> tuple[str, int, int | None]:
    """A pressed change: the action, the survey's id and the event's id (if any)."""
    action, survey_id, event_id = match.groups()
    return action, int(survey_id), None if event_id is None else int(event_id)


# ---------------------------------------------------------------- /results

RESULTS = Route("survey-admin", "results", ID)
RESULTS_PAGE = Route("survey-admin", "page", OFFSET)
UNSENT = Route("survey-admin", "unsent", OFFSET)
CHARTS = Route("survey-admin", "charts", ID)
EXPORT = Route("survey-admin", "export", ID, LANGUAGE)

# ---------------------------------------------------------------- quick polls

POLL_AUDIENCE = audience_picker.route("poll")
POLL_SEND = Route("poll", "send")
POLL_CANCEL = Route("poll", "cancel")
POLL_CLOSE = Route("poll", "close", ID)
POLL_RESULTS = Route("poll", "results", ID)
POLL_CHART = Route("poll", "chart", ID)


def _before(route: Route, action: str) -> Route:
    """The route of a /results button as earlier versions sent it: `rs:<action>:` and the same values."""
    return Route("results", action, *route.values)


RESULTS_BEFORE = _before(RESULTS, "sv")
RESULTS_PAGE_BEFORE = _before(RESULTS_PAGE, "pg")
UNSENT_BEFORE = _before(UNSENT, "dr")
CHARTS_BEFORE = _before(CHARTS, "ch")
EXPORT_BEFORE = _before(EXPORT, "x")
POLL_RESULTS_BEFORE = _before(POLL_RESULTS, "pl")
POLL_CHART_BEFORE = _before(POLL_CHART, "pc")
