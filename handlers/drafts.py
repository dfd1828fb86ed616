"""Routes typed text, photos, documents, locations and voice notes to the conversation waiting for them.

Each feature registers a handler per draft kind; registration's own questions come first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.app import AppContext
from bot.models import Draft
from bot.services import drafts

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
