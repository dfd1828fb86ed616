"""The command menu, per language; coordinators get their extra commands in their own chat."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden

from bot.app import AppContext
from bot.i18n import LANGUAGES, N_, translator
from bot.models import Member
from bot.services import coordinators

log = logging.getLogger(__name__)

MEMBER_COMMANDS = (
    ("events", N_("upcoming events and your answers")),
    ("groups", N_("working groups you can join")),
    ("surveys", N_("open surveys for you to answer")),
    ("briefs", N_("recent policy briefs")),
    ("profile", N_("see or correct your details")),
    ("language", N_("change the language")),
    ("help", N_("show this help")),
    ("stop", N_("pause announcements")),
    ("delete", N_("delete your data")),
)
COORDINATOR_COMMANDS = (
    ("newevent", N_("create an event and invite members")),
    ("checkin", N_("check people in at an event, or add walk-ins")),
    ("report", N_("attendance report of an event")),
    ("eventreport", N_("bilingual event report (Word and PDF) to send as a brief")),
    ("newgroup", N_("create a working group")),
    ("consult", N_("open a consultation and gather needs by theme")),
    ("inputs", N_("see, sort and export consultation inputs")),
    ("newsurvey", N_("create a survey from an XLSForm or in the chat")),
    ("poll", N_("send a quick poll")),
    ("results", N_("results of surveys and polls")),
    ("broadcast", N_("send an announcement to members")),
    ("newbrief", N_("push a finished policy brief")),
    ("members", N_("member counts and the member list")),
    ("coordinators", N_("list, add or remove coordinators")),
)


def commands(language: str, *, coordinator: bool) -> list[BotCommand]:
    _ = translator(language)
    entries = MEMBER_COMMANDS + (COORDINATOR_COMMANDS if coordinator else ())
    return [BotCommand(name, _(description)) for name, description in entries]


async def set_default_menus(bot) -> None:
    """English is the default menu; Telegram apps set to Khmer get the Khmer one."""
    await bot.set_my_commands(commands("en", coordinator=False))
    for language in LANGUAGES:
        if language != "en":
            await bot.set_my_commands(commands(language, coordinator=False), language_code=language)


async def set_chat_menu(bot, chat_id: int, language: str, *, coordinator: bool) -> None:
    """Gives one chat its own menu (a coordinator's), or takes it back to the default one."""
    scope = BotCommandScopeChat(chat_id)
    try:
        if coordinator:
            await bot.set_my_commands(commands(language, coordinator=True), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except (BadRequest, Forbidden) as exc:
        # A coordinator listed in COORDINATOR_IDS who never opened the bot has no chat yet.
        log.info("menu for chat %s not set: %s", chat_id, exc)


async def refresh_for(context: AppContext, member: Member) -> None:
    """Re-sets a member's chat menu after their language or role changed (only coordinators have one)."""
    async with context.services.db.session() as session:
        coordinator = await coordinators.is_coordinator(session, member.telegram_id, context.settings.coordinator_ids)
    if coordinator:
        await set_chat_menu(context.bot, member.telegram_id, member.language, coordinator=True)
