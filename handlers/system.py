"""Plumbing every update goes through: blocked chats, errors, start-up, and the leader's housekeeping."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import ChatMember, Update
from telegram.error import Forbidden
from telegram.ext import Application, ChatMemberHandler

from bot import config
from bot.context import AppContext, DuplicateUpdate, Services, describe
from bot.http import OutcomeUnknown
from bot.services import inbox, members
from handlers.ui import menus

log = logging.getLogger("sahakor")

StartupHook = Callable[[Application], Awaitable[None]]
_STARTUP_HOOKS: list[StartupHook] = []
_PRUNE_JOB = "system:prune_updates"
_RESYNC_JOB = "system:resync"


def on_start(hook: StartupHook) -> StartupHook:
    """Registers a coroutine the leader runs when it takes the lead (e.g. to rebuild scheduled jobs from their
    rows and do the work that fell due while no process led)."""
    _STARTUP_HOOKS.append(hook)
    return hook


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
    if isinstance(error, OutcomeUnknown):
        # A reply whose answer was lost may well have arrived (bot.ratelimit does not send it again): handling
        # the update again could only repeat it. The member's next press or message finds them where they are.
        log.warning("update %s (%s): %s", getattr(update, "update_id", None), describe(update), error)
        for listener in services.error_listeners:
            listener(update, error)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if update_id is not None and services.intake is not None:
        services.intake.failed(update_id)
    log.error("error handling update %s (%s): %s: %s", update_id, describe(update), type(error).__name__, error,
              exc_info=error)
    for listener in services.error_listeners:
        listener(update, error)


async def prune_updates(context: AppContext) -> None:
    """Forgets handled updates older than Telegram could ever deliver again."""
    async with context.services.db.session() as session:
        removed = await inbox.prune(session, context.services.clock.now())
    if removed:
        log.info("pruned %d old updates from the inbox", removed)


async def on_startup(application: Application) -> None:
    """Sets the default command menus (coordinators get theirs when they write) and starts the delivery worker."""
    services: Services = application.bot_data["services"]
    config.LOCAL_ZONE.use(services.settings.timezone)
    await menus.set_default_menus(application.bot)
    await menus.await_coordinators(application)
    if services.delivery is not None:
        await services.delivery.start()
    log.info("Sahakor is up as @%s", application.bot.username)


async def run_leader_hooks(application: Application) -> None:
    """On taking the lead: the daily housekeeping job, then each feature's scheduled work rebuilt from its rows,
    and again every little while, so work planned by another process (an event published there, say) gets
    its job here in time."""
    queue = application.job_queue
    if queue is not None and not queue.get_jobs_by_name(_PRUNE_JOB):
        queue.run_repeating(prune_updates, interval=timedelta(days=1), first=timedelta(minutes=5), name=_PRUNE_JOB)
        interval = application.bot_data["services"].settings.jobs_resync_interval
        queue.run_repeating(resync, interval=interval, first=interval, name=_RESYNC_JOB)
    await rebuild(application)


async def rebuild(application: Application) -> None:
    """Each feature's scheduled work rebuilt from its rows (what fell due is done now, the rest scheduled)."""
    for hook in _STARTUP_HOOKS:
        try:
            await hook(application)
        except Exception:  # one feature's trouble must not keep the others' jobs from being scheduled
            log.exception("rebuilding the jobs of %s failed", getattr(hook, "__module__", hook))


async def resync(context: AppContext) -> None:
    await rebuild(context.application)


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
    # Group -1 sees every update before the features do, and lets each go on to them.
    app.add_handler(menus.FromWaitingCoordinator(app), group=-1)
    app.add_handler(ChatMemberHandler(chat_member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
