"""A member's own data: /profile, /help, /stop and deleting everything."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.i18n import translator
from bot.services import members
import handlers.registration.callbacks as cb
from handlers.ui.common import answer_stale, is_coordinator, load_member, reply, show, tr
from handlers.registration.flow import show_current
from handlers.registration.screens import delete_screen, help_text, language_screen, profile_screen


async def show_profile(update: Update, context: AppContext) -> None:
    """Shows the member their details with a button to correct each one."""
    member = await load_member(context, update.effective_user.id)
    if member is None:
        await reply(update, *language_screen())
        return
    if member.registered_at is None:
        _ = translator(member.language)
        await reply(update, _("Let's finish your registration first."))
        await show_current(update, member, new_message=True)
        return
    await reply(update, *profile_screen(member, translator(member.language)))


async def show_help(update: Update, context: AppContext) -> None:
    """Lists what the member (and a coordinator) can do."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    coordinator = await is_coordinator(context, update.effective_user.id)
    text = help_text(_, coordinator=coordinator)
    if member is None or member.registered_at is None:
        text = _("Send /start to register.") + "\n\n" + text
    await reply(update, text)


async def stop(update: Update, context: AppContext) -> None:
    """Pauses announcements; the member stays a member and can come back with /start."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        if member is not None and member.registered_at is not None:
            await members.set_announcements(session, member, False, context.now())
    _ = tr(member, update)
    if member is None or member.registered_at is None:
        await reply(update, _("You are not registered, so you receive no announcements. Send /start to register."))
        return
    await reply(update, _("Announcements are paused. You are still a member. Send /start to receive them again."))


async def ask_delete(update: Update, context: AppContext) -> None:
    """Asks the member to confirm that all their data should be deleted."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if update.callback_query:
        await update.callback_query.answer()
    if member is None:
        await reply(update, _("There is no data about you to delete."))
        return
    await reply(update, *delete_screen(_))


async def confirm_delete(update: Update, context: AppContext) -> None:
    """Deletes the member's data for good, or leaves it, as they chose."""
    agreed = context.match.group(1) == "yes"
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        if member is not None and agreed:
            await members.forget(session, member)
    _ = tr(member, update)
    if member is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if agreed:
        await show(update, _("Your data has been deleted. Send /start if you ever want to join again."))
    else:
        await show(update, _("Nothing was deleted."))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("profile", show_profile, filters=private))
    app.add_handler(CommandHandler("help", show_help, filters=private))
    app.add_handler(CommandHandler("stop", stop, filters=private))
    app.add_handler(CommandHandler("delete", ask_delete, filters=private))
    app.add_handler(CallbackQueryHandler(ask_delete, pattern=cb.DELETE.pattern))
    app.add_handler(CallbackQueryHandler(confirm_delete, pattern=cb.DELETE_ANSWER.pattern))
