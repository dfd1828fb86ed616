"""Working groups: members browse them and ask to join; coordinators create them, decide, link a chat and report.

The buttons are declared in `callbacks.py`: `group:…` are members', `group-admin:…` coordinators' (checked on the
server every time); each handler names the buttons it answers (`@on_press`).
"""

from __future__ import annotations

from telegram.ext import Application, ChatMemberHandler, CommandHandler, filters

import handlers.groups.browse as browse
import handlers.groups.chat as chat
import handlers.groups.decisions as decisions
import handlers.groups.editing as editing
import handlers.groups.messages as messages
import handlers.groups.paper as paper
from handlers.ui.answers import add_presses


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("groups", browse.show_groups, filters=private))
    app.add_handler(CommandHandler("newgroup", editing.new_group, filters=private))
    add_presses(app, browse, editing, decisions, paper, messages, chat)
    # System's handler in group 0 takes every my_chat_member update (private chats: blocked or not);
    # group chats are looked at here, in a later group, where chat_member updates are handled too.
    app.add_handler(ChatMemberHandler(chat.bot_added, ChatMemberHandler.MY_CHAT_MEMBER), group=1)
    app.add_handler(ChatMemberHandler(chat.member_changed, ChatMemberHandler.CHAT_MEMBER), group=1)
