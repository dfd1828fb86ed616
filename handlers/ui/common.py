"""What every feature's handlers use: keyboards, showing a screen, the member of an update and their
translator, and the guards (@coordinator_only, @registered_only)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Member
from bot.services import coordinators, members


@functools.lru_cache(maxsize=4096)
def button(text: str, data: str) -> InlineKeyboardButton:
    """A button; Telegram objects can't change, so one made once is shared by every screen that shows it."""
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def pairs(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Lays buttons out two to a row, which fits a small phone screen."""
    return [list(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]


async def reply(update: Update, text: str, markup=None) -> None:
    """Sends an HTML message to the chat the update came from."""
    await update.effective_chat.send_message(text, reply_markup=markup)


async def show(update: Update, text: str, markup=None) -> None:
    """Shows a screen: in place of the pressed message for a button, as a new message otherwise."""
    query = update.callback_query
    if query is not None and (markup is None or isinstance(markup, InlineKeyboardMarkup)):
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            if "message to edit not found" not in str(exc).lower() and "can't be edited" not in str(exc).lower():
                raise
    await reply(update, text, markup)


async def load_member(context: AppContext, telegram_id: int) -> Member | None:
    async with context.services.db.session() as session:
        return await members.get(session, telegram_id)


async def is_coordinator(context: AppContext, telegram_id: int) -> bool:
    async with context.services.db.session() as session:
        return await coordinators.is_coordinator(session, telegram_id, context.settings.coordinator_ids)


def tr(member: Member | None, update: Update | None = None) -> Translator:
    """The translator for a member, or for someone not yet registered, their Telegram app's language."""
    if member is not None:
        return AppContext.translator(member.language)
    code = (update.effective_user.language_code or "") if update and update.effective_user else ""
    return AppContext.translator("km" if code.startswith("km") else "en")


async def answer_stale(update: Update, _: Translator) -> None:
    """Tells the member a button is no longer in use (an old message, or data we did not make)."""
    await update.callback_query.answer(_("This button is no longer active."), show_alert=False)


async def _translator_for_coordinators(update: Update, context: AppContext) -> Translator | None:
    """The coordinator's translator; anyone else is told the command or button is for coordinators only."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if await is_coordinator(context, update.effective_user.id):
        return _
    if update.callback_query:
        await update.callback_query.answer(_("This is for coordinators only."), show_alert=True)
    else:
        await reply(update, _("This command is for coordinators only."))
    return None


async def _registered_or_stale(update: Update, context: AppContext) -> Member | None:
    """The registered member pressing a button; a stale-button answer for anyone else."""
    member = await load_member(context, update.effective_user.id)
    if member is None or member.registered_at is None:
        await answer_stale(update, tr(member, update))
        return None
    return member


def _guarded(check: Callable[[Update, AppContext], Awaitable[object | None]],
             handler: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
    """The handler, run only when `check` gives something (passed on after the context); when `check` gives
    None it has already told the person why."""

    @functools.wraps(handler)
    async def checked(update: Update, context: AppContext, *rest):
        allowed = await check(update, context)
        if allowed is None:
            return None
        return await handler(update, context, allowed, *rest)

    return checked


def coordinator_only(handler: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
    """Lets only coordinators use a command or button: anyone else is told it is for coordinators only, in their
    language, and the handler does not run. The handler is called as `handler(update, context, _, *rest)`, `_`
    the coordinator's translator and `rest` whatever else its caller passes (a deep link's member and payload,
    say); one that needs the coordinator's own member row loads it (`load_member`)."""
    return _guarded(_translator_for_coordinators, handler)


def registered_only(handler: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
    """Lets only registered members press a button: for anyone else the button is no longer active and the
    handler does not run. The handler is called as `handler(update, context, member, *rest)`."""
    return _guarded(_registered_or_stale, handler)
