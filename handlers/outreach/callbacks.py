"""Every button of outreach: the broadcast and brief composers, the list of broadcasts, and members' reactions
to a brief."""

from __future__ import annotations

from handlers.ui import audience_picker
from handlers.ui.bilingual import pair_buttons
from handlers.ui.callbacks import ID, Route

# /broadcast and /broadcasts
BROADCAST_SKIP = Route("broadcast", "skip", r"(en|km)")        # leave one language out
BROADCAST_PICKER = audience_picker.route("broadcast")
BROADCAST_AUDIENCE = Route("broadcast", "audience")            # back to the picker from the preview
BROADCAST_LATER = Route("broadcast", "later")
BROADCAST_SEND = Route("broadcast", "send")
BROADCAST_DISCARD = Route("broadcast", "discard")
BROADCAST_CANCEL = Route("broadcast", "cancel", ID)            # cancel a scheduled broadcast

# /newbrief
BRIEF_SAME = Route("brief", "same")                            # the English title or summary for Khmer too (sent
                                                               # before the buttons named their question)
BRIEF_PICKER = audience_picker.route("brief")
BRIEF_LATER = Route("brief", "later")
BRIEF_SEND = Route("brief", "send")
BRIEF_DISCARD = Route("brief", "discard")
BRIEF_TEXT = pair_buttons("brief", "text", BRIEF_DISCARD)      # a title or summary for both languages

# /briefs, and the buttons under a brief members received
BRIEF_GET = Route("brief", "get", ID)
BRIEF_USEFUL = Route("brief", "useful", ID)
BRIEF_ASK = Route("brief", "ask", ID)
BRIEF_QUESTIONS = Route("brief", "questions", ID)
