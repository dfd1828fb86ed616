"""Every button of the working groups: members' (`group:…`) and coordinators' (`group-admin:…`, checked on the
server at every press). The screens make their data and `register()` routes their presses with these alone."""

from __future__ import annotations

from handlers.ui.bilingual import pair_buttons
from handlers.ui.callbacks import CODE, ID, PAGE, Route

# Members
LIST = Route("group", "list")
VIEW = Route("group", "view", ID)
INTERESTED = Route("group", "int", ID)
INTERESTED_AFTER_EVENT = Route("group", "int", ID, ID)  # the group, the event whose attendees were asked
SKIP_REASON = Route("group", "skip", ID)
WITHDRAW = Route("group", "wd", ID)
INVITE = Route("group", "inv", ID)

# Coordinators: a group
NEW = Route("group-admin", "new")
MANAGE = Route("group-admin", "view", ID)
EDIT = Route("group-admin", "", "(ename|edesc)", ID)
NEW_FORM = pair_buttons("group-admin", "f:n")
EDIT_FORM = pair_buttons("group-admin", "f:e")
OPEN_OR_CLOSE = Route("group-admin", "", "(open|close)", ID)
FUNNEL = Route("group-admin", "fun", ID)
HOW_TO_LINK = Route("group-admin", "howlink", ID)
LINK = Route("group-admin", "link", ID, r"(-\d{1,19})")  # the group, the chat

# Coordinators: the people interested in it
PEOPLE = Route("group-admin", "list", ID, PAGE)
CONFIRM_DECLINE = Route("group-admin", "no", ID, ID, PAGE)  # the group, the interest, the list's page
DECIDE = Route("group-admin", "", "(ok|nok)", ID, ID, PAGE)
VOICE_REASON = Route("group-admin", "vo", ID, ID)
PAPER = Route("group-admin", "paper", ID)
PAPER_ANSWER = Route("group-admin", "pp", "(g|s|o)", CODE)  # gender, stakeholder type, organisation (skip)
PAPER_CANCEL = Route("group-admin", "pp:cancel")

# Coordinators: reaching members
MESSAGE = Route("group-admin", "msg", ID)
SEND_OR_DROP = Route("group-admin", "", "(msgok|msgno)", ID)
EVENTS = Route("group-admin", "evs", ID)
ASK_EVENT = Route("group-admin", "", "(ev|evgo)", ID, ID)  # count, or send; the group, the event
