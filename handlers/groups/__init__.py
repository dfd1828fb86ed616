"""Working groups: members browse them and ask to join; coordinators create them, decide, link a chat and report.

The buttons are declared in `callbacks.py`: `group:…` are members', `group-admin:…` coordinators' (checked on the
server every time).
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, filters

import handlers.groups.browse as browse
import handlers.groups.callbacks as to
import handlers.groups.chat as chat
import handlers.groups.decisions as decisions
import handlers.groups.editing as editing
import handlers.groups.messages as messages
import handlers.groups.paper as paper
from handlers.groups.forms import EDIT, NEW, PAPER
from handlers.ui.answers import cancel_button

PRESSES = (
    (to.LIST, browse.show_groups),
    (to.VIEW, browse.view_group),
    (to.INTERESTED, browse.interested),
    (to.INTERESTED_AFTER_EVENT, browse.interested),
    (to.SKIP_REASON, browse.skip_reason),
    (to.WITHDRAW, browse.withdraw),
    (to.INVITE, browse.invite_link),
    (to.NEW, editing.new_group),
    (to.MANAGE, editing.view_group_admin),
    (to.EDIT, editing.edit_group),
    (to.NEW_FORM.choose, editing.new_form_button),
    (to.NEW_FORM.cancel, cancel_button(NEW)),
    (to.EDIT_FORM.choose, editing.edit_form_button),
    (to.EDIT_FORM.cancel, cancel_button(EDIT)),
    (to.OPEN_OR_CLOSE, editing.set_open),
    (to.PEOPLE, decisions.list_people),
    (to.CONFIRM_DECLINE, decisions.confirm_decline),
    (to.DECIDE, decisions.decide),
    (to.VOICE_REASON, decisions.voice_reason),
    (to.FUNNEL, decisions.funnel),
    (to.PAPER, paper.start_paper),
    (to.PAPER_ANSWER, paper.paper_button),
    (to.PAPER_CANCEL, cancel_button(PAPER)),
    (to.MESSAGE, messages.start_message),
    (to.SEND_OR_DROP, messages.send_message),
    (to.EVENTS, messages.pick_event),
    (to.ASK_EVENT, messages.confirm_event),
    (to.HOW_TO_LINK, chat.how_to_link),
    (to.LINK, chat.link_chat),
)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("groups", browse.show_groups, filters=private))
    app.add_handler(CommandHandler("newgroup", editing.new_group, filters=private))
    for route, handler in PRESSES:
        app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))
    # System's handler in group 0 takes every my_chat_member update (private chats: blocked or not);
    # group chats are looked at here, in a later group, where chat_member updates are handled too.
    app.add_handler(ChatMemberHandler(chat.bot_added, ChatMemberHandler.MY_CHAT_MEMBER), group=1)
    app.add_handler(ChatMemberHandler(chat.member_changed, ChatMemberHandler.CHAT_MEMBER), group=1)
