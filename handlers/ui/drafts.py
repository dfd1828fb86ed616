"""Routes typed text, photos, documents, locations and voice notes to the conversation waiting for them.

Each feature registers a handler per draft kind; registration's own questions come first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts
from handlers.ui.common import answer_stale, load_member, show, tr

InputHandler = Callable[[Update, AppContext, Draft], Awaitable[None]]
_HANDLERS: dict[str, InputHandler] = {}


def on_input(kind: str) -> Callable[[InputHandler], InputHandler]:
    """Registers the coroutine that takes input for drafts of `kind`."""

    def decorate(handler: InputHandler) -> InputHandler:
        _HANDLERS[kind] = handler
        return handler

    return decorate


async def dispatch(update: Update, context: AppContext) -> bool:
    """Hands the message to the waiting conversation, if there is one; False if there is none."""
    async with context.services.db.session() as session:
        draft = await drafts.awaiting_input(session, update.effective_user.id)
    if draft is None or draft.kind not in _HANDLERS:
        return False
    await _HANDLERS[draft.kind](update, context, draft)
    return True


def _nothing_saved(_: Translator) -> str:
    return _("Cancelled. Nothing was saved.")


async def cancel_form(update: Update, context: AppContext, *kinds: str,
                      said: Callable[[Translator], str] = _nothing_saved) -> None:
    """A coordinator's Cancel (or Discard) on an unfinished form: the form is dropped and the pressed
    message says so. A press left on a form already finished or dropped gets the out-of-date answer."""
    me = update.effective_user.id
    async with context.unit_of_work() as session:
        dropped = [await drafts.discard(session, me, kind) for kind in kinds]
    _ = tr(await load_member(context, me), update)
    if not any(dropped):
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, said(_))
