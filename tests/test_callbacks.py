"""Every button press the app routes goes through the prefix table of handlers/ui/callbacks.py: each
CallbackQueryHandler's pattern starts with one prefix (its written name or its earlier short form), each prefix
is answered by one feature, and no pattern is registered twice."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

import pytest
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, ConversationHandler

from bot.app import build_application
from handlers.ui.callbacks import PREFIXES
from handlers.ui.router import PressRouter, pattern_prefixes
from tests.conftest import make_settings

_PREFIX_OF = {name: entry.name for entry in PREFIXES.values() for name in (entry.name, entry.earlier)}


def handlers_of(application) -> Iterator[tuple[int, BaseHandler]]:
    """Every handler the application registered, with its group (conversations opened up)."""
    def walk(handlers):
        for handler in handlers:
            if isinstance(handler, PressRouter):
                yield from walk(handler.handlers)
            elif isinstance(handler, ConversationHandler):
                yield from walk(handler.entry_points)
                for state in handler.states.values():
                    yield from walk(state)
                yield from walk(handler.fallbacks)
            else:
                yield handler

    for group, handlers in sorted(application.handlers.items()):
        for handler in walk(handlers):
            yield group, handler


def described(handler: CallbackQueryHandler) -> str:
    """The handler's callback by module and name, for the failure message."""
    callback = handler.callback
    return f"{getattr(callback, '__module__', '?')}.{getattr(callback, '__qualname__', callback)!s}"


def feature_of(handler: CallbackQueryHandler) -> str | None:
    """The feature package whose code answers the press (None for the pieces in handlers/ui every feature uses)."""
    parts = getattr(handler.callback, "__module__", "").split(".")
    if parts[0] != "handlers" or len(parts) < 2 or parts[1] == "ui":
        return None
    return parts[1]


def prefix_of(pattern: object) -> tuple[str | None, str]:
    """The prefix (by its written name) a pattern routes, or None and why not."""
    text = getattr(pattern, "pattern", pattern)
    if not isinstance(text, str):
        return None, f"no pattern to read a prefix from ({pattern!r})"
    names = pattern_prefixes(text)  # `^(?:group|grp):…` as Route.pattern writes it, or a hand-written `^grp:…`
    if names is None:
        return None, f"{text!r} does not start with a prefix"
    unknown = sorted(name for name in names if name not in _PREFIX_OF)
    if unknown:
        return None, f"{text!r}: {', '.join(unknown)} not in handlers.ui.callbacks.PREFIXES"
    prefixes = {_PREFIX_OF[name] for name in names}
    if len(prefixes) > 1:
        return None, f"{text!r} mixes the prefixes {', '.join(sorted(prefixes))}"
    return prefixes.pop(), text


def offenders(application) -> list[str]:
    """What breaks the rules, one line each: a route without a prefix of the table, a pattern registered twice in
    one group, a prefix answered by several features."""
    routes = [(group, handler) for group, handler in handlers_of(application)
              if isinstance(handler, CallbackQueryHandler)]
    last = {group: handler for group, handler in routes}
    found, seen = [], {}
    owners: dict[str, set[str]] = defaultdict(set)
    for group, handler in routes:
        if handler.pattern is None and last[group] is handler:
            continue  # the group's last handler: it answers buttons no route knows (sent by an older version)
        prefix, text = prefix_of(handler.pattern)
        if prefix is None:
            found.append(f"{described(handler)}: {text}")
            continue
        if feature_of(handler) is not None:
            owners[prefix].add(feature_of(handler))
        if seen.get((group, text), described(handler)) != described(handler):
            found.append(f"{described(handler)}: {text!r} is already routed to {seen[group, text]}")
        seen.setdefault((group, text), described(handler))
    found += [f"prefix {prefix!r} is answered by several features: {', '.join(sorted(features))}"
              for prefix, features in sorted(owners.items()) if len(features) > 1]
    return found


async def test_every_button_route_has_a_prefix_of_the_table_and_one_feature_per_prefix(telegram, db, clock):
    application = build_application(make_settings(telegram, db), db=db, clock=clock)
    assert any(isinstance(handler, CallbackQueryHandler) for _, handler in handlers_of(application))
    found = offenders(application)
    assert found == [], "\n".join(found)


async def _press(update, context) -> None:
    """A stand-in for a feature's handler."""


def test_routes_without_a_known_prefix_twice_registered_or_shared_by_features_are_all_reported():
    application = Application.builder().token("123:ABC").updater(None).build()
    pressed = {name: _stand_in(_press, f"handlers.{name}.buttons") for name in ("groups", "events", "ui")}
    application.add_handler(CallbackQueryHandler(pressed["groups"], pattern=r"^(?:group|grp):view:(\d{1,9})$"))
    application.add_handler(CallbackQueryHandler(pressed["events"], pattern=r"^(?:group|grp):view:(\d{1,9})$"))
    application.add_handler(CallbackQueryHandler(pressed["events"], pattern=r"^shop:buy$"))
    application.add_handler(CallbackQueryHandler(pressed["ui"], pattern=r"^grpa:cancel$"))
    application.add_handler(CallbackQueryHandler(pressed["groups"]))
    application.add_handler(CallbackQueryHandler(pressed["ui"]))
    found = offenders(application)
    assert found == [
        "handlers.events.buttons._press: '^(?:group|grp):view:(\\\\d{1,9})$' is already routed to"
        " handlers.groups.buttons._press",
        "handlers.events.buttons._press: '^shop:buy$': shop not in handlers.ui.callbacks.PREFIXES",
        "handlers.groups.buttons._press: no pattern to read a prefix from (None)",
        "prefix 'group' is answered by several features: events, groups",
    ], found


def _stand_in(callback, module: str):
    """The callback as if a feature's module had defined it."""
    async def stand_in(update, context) -> None:
        await callback(update, context)

    stand_in.__module__, stand_in.__qualname__ = module, callback.__name__
    return stand_in


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"^(?:group|grp):view:(\d{1,9})$", "group"),
    (r"^(?:event\-new|evn):pv$", "event-new"),
    (r"^grp:view:\d+$", "group"),
    (re.compile(r"^ev:rsvp:(\d+)$"), "event"),
    (r"^(?:group|ev):view$", None),
    (r"^shop:buy$", None),
    (r"^.+$", None),
    (None, None),
])
def test_a_pattern_is_read_as_the_prefix_it_routes(pattern, expected):
    assert prefix_of(pattern)[0] == expected
