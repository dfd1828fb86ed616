"""Button presses reach their handler by the prefix of their callback data.

python-telegram-bot tries a group's handlers one after another until one matches; with some 160 button
routes, a press of a route registered late was matched against every pattern before it (a fifth of a
millisecond for an RSVP). `route_presses` puts the app's button handlers behind one handler that looks up
the routes of the press's prefix (`event`, `survey`, …; see handlers/ui/callbacks.py) and tries only those,
in the order they were added. Which handler answers a press does not change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_TRUE
from telegram.ext import Application, BaseHandler, CallbackQueryHandler

# The head of a pattern as Route.pattern writes it, `^(?:survey|sv):…`, or a hand-written `^survey:…`.
_HEAD = re.compile(r"\^(?:\(\?:(?P<names>[^()]*)\)|(?P<name>(?:\\.|[\w-])+))(?=:|\$)")
_ESCAPE = re.compile(r"\\(.)")


def pattern_prefixes(text: str) -> frozenset[str] | None:
    """The callback-data prefixes a pattern's text starts with (its written name and earlier short form), or
    None if it does not start with plain prefixes."""
    head = _HEAD.match(text)
    if head is None:
        return None
    names = head.group("names").split("|") if head.group("names") is not None else [head.group("name")]
    if any(not re.fullmatch(r"(?:\\.|[\w-])+", name) for name in names):
        return None
    return frozenset(_ESCAPE.sub(r"\1", name) for name in names)


def prefixes_of(handler: CallbackQueryHandler) -> frozenset[str] | None:
    """The callback-data prefixes a handler's pattern can match, or None if it may match any press."""
    pattern = handler.pattern
    return pattern_prefixes(pattern.pattern) if isinstance(pattern, re.Pattern) else None


def _pressed(check_result: object) -> bool:
    return check_result is not None and check_result is not False


class PressRouter(BaseHandler[Update, object, object]):
    """The button handlers of a group as one handler: a press is checked against the handlers whose pattern
    starts with its prefix, and those that may match any press, in the order they were added; the first that
    matches handles it as it would have on its own."""

    __slots__ = ("_any", "_by_prefix", "handlers")

    def __init__(self, handlers: Sequence[CallbackQueryHandler], block: object = DEFAULT_TRUE) -> None:
        super().__init__(self._not_called, block=block)
        self.handlers = tuple(handlers)
        reads = [(handler, prefixes_of(handler)) for handler in self.handlers]
        every = {prefix for _, prefixes in reads if prefixes for prefix in prefixes}
        self._by_prefix = {prefix: tuple(handler for handler, prefixes in reads
                                         if prefixes is None or prefix in prefixes) for prefix in every}
        self._any = tuple(handler for handler, prefixes in reads if prefixes is None)

    @staticmethod
    async def _not_called(update: object, context: object) -> None:
        raise RuntimeError("a press is handled by the handler that matched it")

    def check_update(self, update: object) -> tuple[CallbackQueryHandler, object] | None:
        if not isinstance(update, Update) or update.callback_query is None:
            return None
        data = update.callback_query.data
        # A press without data of text (a game's, or forged empty) is tried everywhere, as python-telegram-bot does.
        candidates = (self._by_prefix.get(data.split(":", 1)[0], self._any) if isinstance(data, str) and data
                      else self.handlers)
        for handler in candidates:
            check = handler.check_update(update)
            if _pressed(check):
                return handler, check
        return None

    async def handle_update(self, update, application, check_result, context):
        handler, check = check_result
        return await handler.handle_update(update, application, check, context)


def route_presses(application: Application, group: int = 0) -> None:
    """Puts the group's button handlers behind one PressRouter, where the first of them was (a press matches no
    other kind of handler, so their place among the others does not matter). Left as they are if any of them
    is of another kind or does not block (it would have to keep its own place): the same `block` as they have."""
    handlers = list(application.handlers.get(group, []))
    presses = [handler for handler in handlers if isinstance(handler, CallbackQueryHandler)]
    if len(presses) < 2 or any(type(handler) is not CallbackQueryHandler or handler.block is not presses[0].block
                               for handler in presses):
        return
    router = PressRouter(presses, block=presses[0].block)
    routed = {id(handler) for handler in presses}
    for handler in handlers:
        application.remove_handler(handler, group)
    for handler in handlers:
        if handler is presses[0]:
            application.add_handler(router, group)
        elif id(handler) not in routed:
            application.add_handler(handler, group)
