"""Presses go through one router (handlers/ui/router.py) that tries only the routes of their prefix: the
handler that answers a press is the one that answered it before, in every case."""

from __future__ import annotations

import re

import pytest
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.ui.router import PressRouter, prefixes_of, route_presses


def _press(data: object, update_id: int = 1) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": "7", "chat_instance": "c", "data": data, "from": {"id": 42, "is_bot": False, "first_name": "A"},
        "message": {"message_id": 5, "date": 1_700_000_000, "chat": {"id": 42, "type": "private"}, "text": "x"}}}


def _application(answered: list[str], telegram=None) -> Application:
    builder = Application.builder().token(telegram.token if telegram else "1:TEST").updater(None)
    app = builder.base_url(telegram.base_url).build() if telegram else builder.build()

    def handler(name: str, pattern: str | None) -> CallbackQueryHandler:
        async def callback(update, context) -> None:
            match = context.matches[0] if context.matches else None
            answered.append(f"{name} {match.groups() if isinstance(match, re.Match) else ()}")
        return CallbackQueryHandler(callback, pattern=pattern)

    async def command(update, context) -> None:
        answered.append("command")

    app.add_handler(handler("first event", r"^(?:event|ev):rsvp:(\d+):(going|maybe)$"))
    app.add_handler(CommandHandler("start", command))
    app.add_handler(handler("any event", r"^(?:event|ev):.+$"))
    app.add_handler(handler("survey", r"^survey:answer:(\d+)$"))
    app.add_handler(handler("hand-written", r"^(?:grp|group):view$"))
    app.add_handler(handler("odd pattern", r"^(?:a|b)+x$"))
    app.add_handler(handler("unknown", None))
    return app


@pytest.mark.parametrize(("data", "expected"), [
    ("event:rsvp:5:going", "first event ('5', 'going')"),
    ("ev:rsvp:5:maybe", "first event ('5', 'maybe')"),  # the earlier short prefix
    ("event:rsvp:5:never", "any event ()"),  # the first route of the prefix that fails, the next that fits
    ("survey:answer:3", "survey ('3',)"),
    ("grp:view", "hand-written ()"),
    ("abx", "odd pattern ()"),  # a pattern whose prefix can't be read is tried for every press
    ("survey:other", "unknown ()"),
    ("shop:buy", "unknown ()"),
    ("", "first event ()"),  # python-telegram-bot gives a press without data to the first button handler
    ("no colon", "unknown ()"),
])
async def test_a_press_is_answered_by_the_handler_that_answered_it_before_routing(telegram, data, expected):
    routed, plain = [], []
    for answered, route in ((routed, True), (plain, False)):
        app = _application(answered, telegram)
        if route:
            route_presses(app)
        async with app:
            await app.process_update(Update.de_json(_press(data), app.bot))
    assert routed == plain == [expected]


async def test_the_router_takes_the_place_of_the_first_button_and_keeps_every_other_handler_in_order():
    app = _application([])
    before = list(app.handlers[0])
    route_presses(app)
    after = app.handlers[0]
    assert isinstance(after[0], PressRouter)
    assert after[1:] == [handler for handler in before if not isinstance(handler, CallbackQueryHandler)]
    assert list(after[0].handlers) == [handler for handler in before if isinstance(handler, CallbackQueryHandler)]


async def test_a_message_is_not_taken_by_the_router(telegram):
    answered: list[str] = []
    app = _application(answered, telegram)
    route_presses(app)
    message = {"update_id": 2, "message": {
        "message_id": 1, "date": 1_700_000_000, "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "A"}, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
    async with app:
        await app.process_update(Update.de_json(message, app.bot))
    assert answered == ["command"]


def test_button_handlers_that_block_differently_keep_their_own_places():
    app = Application.builder().token("1:TEST").updater(None).build()

    async def callback(update, context) -> None:
        pass

    handlers = [CallbackQueryHandler(callback, pattern=r"^a:x$"), CallbackQueryHandler(callback, pattern=r"^b:x$",
                                                                                       block=False)]
    for handler in handlers:
        app.add_handler(handler)
    route_presses(app)
    assert app.handlers[0] == handlers


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"^(?:event\-new|evn):rsvp$", {"event-new", "evn"}),
    (r"^(?:lang|reg)$", {"lang", "reg"}),
    (r"^grp:view:(\d+)$", {"grp"}),
    (r"^(grp|x):view$", None),
    (r"view", None),
    (None, None),
])
def test_the_prefixes_a_pattern_can_match_are_read_from_its_head(pattern, expected):
    async def callback(update, context) -> None:
        pass

    prefixes = prefixes_of(CallbackQueryHandler(callback, pattern=pattern))
    assert (set(prefixes) if prefixes is not None else None) == expected
