"""Plumbing every update goes through: duplicates, blocked chats, errors, start-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import ChatMember, Update
from telegram.error import Forbidden
from telegram.ext import Application, ApplicationHandlerStop, ChatMemberHandler, TypeHandler

from bot.app import AppContext, DuplicateUpdate, Services, describe
from bot.services import coordinators, members, updates
from handlers import menus

log = logging.getLogger("sahakor")

StartupHook = Callable[[Application], Awaitable[None]]
_STARTUP_HOOKS: list[StartupHook] = []


def on_start(hook: StartupHook) -> StartupHook:
    """Registers a coroutine run once the bot is up (e.g. to rebuild scheduled jobs from their rows)."""
    _STARTUP_HOOKS.append(hook)
    return hook


async def skip_duplicates(update: Update, context: AppContext) -> None:
    """Stops an update Telegram delivered again after it was already acted on.

    Update ids only grow, so an id above the highest one stored when the bot started is new and needs
    no lookup; the unit of work's insert of the id still refuses a repeat that slips through.
    """
    services: Services = context.services
    if update.update_id > services.handled_before_start:
        return
    async with services.db.session() as session:
        if await updates.seen(session, update.update_id):
            log.info("update %s already handled; skipped", update.update_id)
            raise ApplicationHandlerStop


async def chat_member_changed(update: Update, context: AppContext) -> None:
    """Marks a member unreachable when they block the bot, and reachable when they unblock it."""
    status = update.my_chat_member.new_chat_member.status
    if update.my_chat_member.chat.type != "private":
        return
    reachable = status not in (ChatMember.BANNED, ChatMember.LEFT)
    async with context.unit_of_work() as session:
        await members.set_reachable(session, update.my_chat_member.from_user.id, reachable, context.now())


async def on_error(update: object, context: AppContext) -> None:
    """Logs a handler's error with its context; a 403 marks the member unreachable."""
    error = context.error
    if isinstance(error, DuplicateUpdate):
        log.info("update %s already handled; its repeat was rolled back", error.args[0])
        return
    services: Services = context.application.bot_data["services"]
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    if isinstance(error, Forbidden) and user_id is not None:
        log.info("user %s blocked the bot; marked unreachable", user_id)
        async with services.db.session() as session:
            await members.set_reachable(session, user_id, False, services.clock.now())
        return
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error handling update %s (%s): %s: %s", update_id, describe(update), type(error).__name__, error,
              exc_info=error)
    for listener in services.error_listeners:
        listener(update, error)


async def prune_updates(context: AppContext) -> None:
    """Forgets update ids older than Telegram could ever redeliver."""
    async with context.services.db.session() as session:
        removed = await updates.prune(session, context.services.clock.now())
    if removed:
        log.info("pruned %d old update ids", removed)


async def on_startup(application: Application) -> None:
    """Sets the command menus and the daily housekeeping job."""
    services: Services = application.bot_data["services"]
    async with services.db.session() as session:
        services.handled_before_start = await updates.highest(session)
    await menus.set_default_menus(application.bot)
    async with services.db.session() as session:
        ids = await coordinators.all_ids(session, services.settings.coordinator_ids)
        languages = {i: (m.language if (m := await members.get(session, i)) else "en") for i in ids}
    for telegram_id in ids:
        await menus.set_chat_menu(application.bot, telegram_id, languages[telegram_id], coordinator=True)
    if application.job_queue is not None:
        application.job_queue.run_repeating(prune_updates, interval=timedelta(days=1), first=timedelta(minutes=5),
                                            name="system:prune_updates")
    if services.delivery is not None:
        await services.delivery.start()
    for hook in _STARTUP_HOOKS:
        await hook(application)
    log.info("Sahakor is up as @%s", application.bot.username)


async def on_stop(application: Application) -> None:
    """Lets the delivery worker finish the messages in flight and record them."""
    services: Services = application.bot_data["services"]
    if services.delivery is not None:
        await services.delivery.stop()


async def on_shutdown(application: Application) -> None:
    """Closes the database connections."""
    services: Services = application.bot_data["services"]
    await services.db.dispose()


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, skip_duplicates), group=-1)
    app.add_handler(ChatMemberHandler(chat_member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
