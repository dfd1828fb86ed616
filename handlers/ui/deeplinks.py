"""Deep links (`t.me/<bot>?start=<payload>`): each feature registers what its payloads do.

A newcomer's payload is kept through registration and acted on once they are registered.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import AppContext
from bot.i18n import translator
from bot.models import Member
from handlers.ui.common import reply

PayloadHandler = Callable[[Update, AppContext, Member, str], Awaitable[None]]
_HANDLERS: list[tuple[re.Pattern[str], PayloadHandler]] = []


def on(pattern: str) -> Callable[[PayloadHandler], PayloadHandler]:
    """Registers a coroutine for payloads that match `pattern` in full."""

    def decorate(handler: PayloadHandler) -> PayloadHandler:
        _HANDLERS.append((re.compile(pattern), handler))
        return handler

    return decorate


async def dispatch(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Acts on a payload for a registered member; an unknown one gets a polite word."""
    for pattern, handler in _HANDLERS:
        if pattern.fullmatch(payload):
            await handler(update, context, member, payload)
            return
    _ = translator(member.language)
    await reply(update, _("That link is not valid or has expired."))
