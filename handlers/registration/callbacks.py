"""Every button of registration and of a member's own profile."""

from __future__ import annotations

from handlers.ui.callbacks import CODE, Route

LANGUAGE = Route("lang", "", r"(km|en)")                   # lang:km
LANGUAGE_MENU = Route("lang", "menu")                      # the two languages again, from the profile
CONSENT = Route("join", "consent", r"(yes|no)")
# An answer given with a button: the question (gender, stakeholder type, province, organisation skipped, the
# name on the Telegram profile), then the value.
ANSWER = Route("join", "", r"(gender|stake|prov|org|name)", CODE)
PROVINCE_PAGE = Route("join", "provpage", r"(\d{1,2})")
EDIT = Route("join", "edit", r"(name|gender|stakeholder|organisation|province|phone)")
KEEP = Route("join", "keep")                               # leave the field being corrected as it was
CONFIRM = Route("join", "confirm")
DELETE = Route("me", "delete")                             # asks first
DELETE_ANSWER = Route("me", "delete", r"(yes|no)")
