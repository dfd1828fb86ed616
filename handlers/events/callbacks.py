"""The data of every events button, and the patterns that route a press back to its handler.

Each route keeps the prefix its buttons were first sent with as the short form (`ev:rsvp:12:y` on invitations
already in members' chats, `evm:open:12`, `ci:find:12`, …), so every button sent before still reaches its
handler, while new buttons carry the readable prefix (`event:rsvp:12:y`).
"""

from __future__ import annotations

from bot.vocab import RSVP_CODES
from handlers.ui import audience_picker
from handlers.ui.bilingual import pair_buttons
from handlers.ui.callbacks import CODE, ID, Route

# ---------------------------------------------------------------- members: invitations and their lists

ANSWER = Route("event", "rsvp", ID, "(" + "|".join(RSVP_CODES) + ")")  # Going / Maybe / Can't go
CALENDAR = Route("event", "ics", ID)  # the calendar file again
OPEN_INVITATION = Route("event-list", "open", ID)  # from a member's /events

# ---------------------------------------------------------------- /newevent and its preview

NEW = Route("event-new", "", r".+")  # any button of the conversation (the coordinator is checked first)
RESUME = Route("event-new", "resume")
RESTART = Route("event-new", "restart")
TEXT = pair_buttons("event-new", "text", cancellable=False)  # a title or description: skipped, or one for both
BOTH = Route("event-new", "both")  # the first language's text for both, on screens sent before TEXT
SKIP = Route("event-new", "skip", CODE)  # "desc" on screens sent before TEXT
TIME = Route("event-new", "time", "(ok|fix)")
# "keep" is the Done of screens sent before reminder times could be chosen.
REMINDERS = Route("event-new", "rem", "(keep|none|done)")
REMINDER = Route("event-new", "rem:t", r"(\d{1,6})")  # a preset time, added or removed
KEEP = Route("event-new", "keep")  # a corrected answer left as it was
AUDIENCE = audience_picker.route("event-new")  # the audience picker's buttons (evn:aud:… on older screens)
PREVIEW = Route("event-new", "pv")  # an answer button in the preview
FIELDS = Route("event-new", "edit")
BACK = Route("event-new", "back")
FIELD = Route("event-new", "field", CODE)
DISCARD = Route("event-new", "discard")
PUBLISH = Route("event-new", "publish", ID)

# ---------------------------------------------------------------- coordinators' /events and published events

MANAGE = Route("event-edit", "", r".+")  # any button on a published event (the coordinator is checked first)
LIST = Route("event-edit", "list")
OPEN = Route("event-edit", "open", ID)
EDIT = Route("event-edit", "edit", ID)
EDIT_FIELD = Route("event-edit", "field", ID, CODE)
POSTPONE = Route("event-edit", "postpone", ID)
CLEAR = Route("event-edit", "clear", ID)  # no map location, no seat limit
STOP = Route("event-edit", "stop", ID)  # keep as it is
SAVE = Route("event-edit", "save", ID)
CANCEL = Route("event-edit", "cancel", ID)
CANCEL_CONFIRMED = Route("event-edit", "cancelyes", ID)

# ---------------------------------------------------------------- check-in and the attendance report

CHECKIN_EVENT = Route("checkin", "ev", ID)
POSTER = Route("checkin", "qr", ID)
FIND = Route("checkin", "find", ID)
CHECK_IN = Route("checkin", "m", ID, ID)  # event, member
WALKIN = Route("checkin", "walk", ID)
WALKIN_GENDER = Route("checkin", "wg", ID, CODE)
WALKIN_STAKEHOLDER = Route("checkin", "ws", ID, CODE)
WALKIN_NO_ORGANISATION = Route("checkin", "wo", ID)
DONE = Route("checkin", "done")
DONE_KEEP = Route("checkin", "done", "(keep)")  # under a confirmation, which stays readable

ATTENDANCE = Route("attendance", "ev", ID)
