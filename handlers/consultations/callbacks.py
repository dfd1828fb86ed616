"""Every button of the consultations: members' (`consult:…`) and coordinators' (`consult-admin:…`, checked on the
server at every press). The screens make their data and `register()` routes their presses with these alone."""

from __future__ import annotations

from handlers.ui.bilingual import pair_buttons
from handlers.ui.callbacks import ID, PAGE, Route

# Members
VIEW = Route("consult", "", "(view|table)", ID)  # as their own input, or as a discussion table's notes
THEME = Route("consult", "", "(t|tt)", ID, ID)  # the same two ways; the consultation, the theme
CANCEL_INPUT = Route("consult", "cancel", ID)
MINE = Route("consult", "mine", ID)
DELETE_MINE = Route("consult", "del", ID)  # an input

# Coordinators: opening one
LIST = Route("consult-admin", "list")
NEW = Route("consult-admin", "new")
FORM = pair_buttons("consult-admin", "f")
FORM_THEMES = Route("consult-admin", "f:preset")
FORM_EVENT = Route("consult-admin", "f:ev", ID)  # 0: no event
FORM_NO_CLOSING = Route("consult-admin", "f:noclose")

# Coordinators: managing one
MANAGE = Route("consult-admin", "view", ID)
OPEN_OR_CLOSE = Route("consult-admin", "", "(open|close)", ID)
BY_THEME = Route("consult-admin", "g", ID)
THEME_PAGE = Route("consult-admin", "t", ID, ID, PAGE)  # the consultation, the theme, the page
INPUT = Route("consult-admin", "i", ID)
MOVE = Route("consult-admin", "mv", ID)
MOVE_TO = Route("consult-admin", "mvt", ID, ID)  # the input, the theme
MERGE = Route("consult-admin", "mg", ID)
MERGE_INTO = Route("consult-admin", "mgi", ID, ID)  # the input, the one it repeats
UNMERGE = Route("consult-admin", "um", ID)
LISTEN = Route("consult-admin", "v", ID)
EXPORT = Route("consult-admin", "x", ID)
ASK = Route("consult-admin", "", "(ask|askgo)", ID)  # count, or send
