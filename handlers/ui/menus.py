"""The command menu, per language; coordinators get their extra commands in their own chat."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, BaseHandler

from bot.context import AppContext, Services
from bot.i18n import LANGUAGES, N_, translator
from bot.models import Member
from bot.services import coordinators, members

log = logging.getLogger(__name__)

# Coordinators whose chat menu this process has not set yet (bot_data key).
_NOT_YET_SET = "menus:not_yet_set"

# Who sees a command in their menu.
EVERYONE, COORDINATORS = "everyone", "coordinators"
# The menu, in its order: a command, what it does, and who sees it.
MENU = (
    ("events", N_("upcoming events and your answers"), EVERYONE),
    ("groups", N_("working groups you can join"), EVERYONE),
    ("surveys", N_("open surveys for you to answer"), EVERYONE),
    ("briefs", N_("recent policy briefs"), EVERYONE),
    ("profile", N_("see or correct your details"), EVERYONE),
    ("language", N_("change the language"), EVERYONE),
    ("help", N_("show this help"), EVERYONE),
    ("stop", N_("pause announcements"), EVERYONE),
    ("delete", N_("delete your data"), EVERYONE),
    ("newevent", N_("create an event and invite members"), COORDINATORS),
    ("checkin", N_("check people in at an event, or add walk-ins"), COORDINATORS),
    ("report", N_("attendance report of an event"), COORDINATORS),
    ("eventreport", N_("bilingual event report (Word and PDF) to send as a brief"), COORDINATORS),
    ("newgroup", N_("create a working group"), COORDINATORS),
    ("consult", N_("open a consultation and gather needs by theme"), COORDINATORS),
    ("inputs", N_("see, sort and export consultation inputs"), COORDINATORS),
    ("newsurvey", N_("create a survey from an XLSForm or in the chat"), COORDINATORS),
    ("poll", N_("send a quick poll"), COORDINATORS),
    ("results", N_("results of surveys and polls"), COORDINATORS),
    ("broadcast", N_("send an announcement to members"), COORDINATORS),
    ("newbrief", N_("push a finished policy brief"), COORDINATORS),
    ("members", N_("member counts and the member list"), COORDINATORS),
    ("coordinators", N_("list, add or remove coordinators"), COORDINATORS),
)


def commands(language: str, *, coordinator: bool) -> list[BotCommand]:
    _ = translator(language)
    return [BotCommand(name, _(description)) for name, description, who in MENU if coordinator or who == EVERYONE]


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
        # Refused for good (the user blocked the bot, or never opened it): asking again would not help.
        log.info("menu for chat %s not set: %s", chat_id, exc)


async def await_coordinators(application: Application) -> None:
    """Notes every coordinator as still needing their menu from this process. Telegram refuses a chat's menu
    until its user has written to the bot ("chat not found"), so each gets it with their first update here;
    set again after each start, it follows new commands and a changed COORDINATOR_IDS."""
    services: Services = application.bot_data["services"]
    async with services.db.session() as session:
        ids = await coordinators.all_ids(session, services.settings.coordinator_ids)
    application.bot_data[_NOT_YET_SET] = set(ids)


class FromWaitingCoordinator(BaseHandler[Update, AppContext, None]):
    """Takes an update only from a coordinator still waiting for their menu from this process: every other
    update goes by without a call (this handler sees every update)."""

    __slots__ = ("_bot_data",)

    def __init__(self, application: Application) -> None:
        super().__init__(on_first_update)
        self._bot_data = application.bot_data

    def check_update(self, update: object) -> bool:
        waiting = self._bot_data.get(_NOT_YET_SET)
        if not waiting or not isinstance(update, Update):
            return False
        user = update.effective_user
        return user is not None and user.id in waiting


async def on_first_update(update: Update, context: AppContext) -> None:
    """Gives a coordinator their command menu, in their language, when they first write to this process."""
    user, chat = update.effective_user, update.effective_chat
    waiting: set[int] = context.bot_data.get(_NOT_YET_SET, set())
    if user is None or user.id not in waiting or chat is None or chat.type != ChatType.PRIVATE:
        return
    async with context.services.db.session() as session:
        # Removed since the start (perhaps by another process)? Then the default menu is right already.
        coordinator = await coordinators.is_coordinator(session, user.id, context.settings.coordinator_ids)
        member = await members.get(session, user.id) if coordinator else None
    waiting.discard(user.id)
    if not coordinator:
        return
    language = member.language if member else (user.language_code if user.language_code in LANGUAGES else "en")
    try:
        await set_chat_menu(context.bot, user.id, language, coordinator=True)
    except TelegramError as exc:
        # Telegram could not be reached: try again with their next update.
        waiting.add(user.id)
        log.warning("menu for coordinator %s not set (%s); trying again with their next update", user.id, exc)


async def refresh_for(context: AppContext, member: Member) -> None:
    """Re-sets a member's chat menu after their language or role changed (only coordinators have one)."""
    async with context.services.db.session() as session:
        coordinator = await coordinators.is_coordinator(session, member.telegram_id, context.settings.coordinator_ids)
    if coordinator:
        await set_chat_menu(context.bot, member.telegram_id, member.language, coordinator=True)
