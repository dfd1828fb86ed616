"""Working groups: members browse them and ask to join; coordinators create them, decide, link a chat and report.

Callback data: `grp:*` are members' buttons, `grpa:*` coordinators' (checked on the server every time).
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, filters

import handlers.groups.browse as browse
import handlers.groups.chat as chat
import handlers.groups.decisions as decisions
import handlers.groups.editing as editing
import handlers.groups.messages as messages
import handlers.groups.paper as paper


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("groups", browse.show_groups, filters=private))
    app.add_handler(CommandHandler("newgroup", editing.new_group, filters=private))
    app.add_handler(CallbackQueryHandler(browse.list_button, pattern=r"^grp:list$"))
    app.add_handler(CallbackQueryHandler(browse.view_group, pattern=r"^grp:view:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(browse.interested, pattern=r"^grp:int:(\d{1,9})(?::(\d{1,9}))?$"))
    app.add_handler(CallbackQueryHandler(browse.skip_reason, pattern=r"^grp:skip:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(browse.withdraw, pattern=r"^grp:wd:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(browse.invite_link, pattern=r"^grp:inv:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(editing.new_group, pattern=r"^grpa:new$"))
    app.add_handler(CallbackQueryHandler(editing.view_group_admin, pattern=r"^grpa:view:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(editing.edit_group, pattern=r"^grpa:(ename|edesc):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(editing.form_button, pattern=r"^grpa:f:(n|e):(skip|same):(\w{1,16})$"))
    app.add_handler(CallbackQueryHandler(editing.form_button, pattern=r"^grpa:f:(n|e):(cancel)()$"))
    app.add_handler(CallbackQueryHandler(editing.set_open, pattern=r"^grpa:(open|close):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(decisions.list_people, pattern=r"^grpa:list:(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(decisions.confirm_decline, pattern=r"^grpa:no:(\d{1,9}):(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(decisions.decide, pattern=r"^grpa:(ok|nok):(\d{1,9}):(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(decisions.voice_reason, pattern=r"^grpa:vo:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(decisions.funnel, pattern=r"^grpa:fun:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(paper.start_paper, pattern=r"^grpa:paper:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(paper.paper_button, pattern=r"^grpa:pp:(g|s|o):(\w{1,20})$"))
    app.add_handler(CallbackQueryHandler(paper.paper_button, pattern=r"^grpa:pp:(cancel)()$"))
    app.add_handler(CallbackQueryHandler(messages.start_message, pattern=r"^grpa:msg:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(messages.send_message, pattern=r"^grpa:msg(ok|no):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(messages.pick_event, pattern=r"^grpa:evs:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(messages.confirm_event, pattern=r"^grpa:(ev|evgo):(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(chat.how_to_link, pattern=r"^grpa:howlink:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(chat.link_chat, pattern=r"^grpa:link:(\d{1,9}):(-\d{1,19})$"))
    # System's handler in group 0 takes every my_chat_member update (private chats: blocked or not);
    # group chats are looked at here, in a later group, where chat_member updates are handled too.
    app.add_handler(ChatMemberHandler(chat.bot_added, ChatMemberHandler.MY_CHAT_MEMBER), group=1)
    app.add_handler(ChatMemberHandler(chat.member_changed, ChatMemberHandler.CHAT_MEMBER), group=1)
