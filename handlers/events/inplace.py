"""Redrawing the pressed message only when that changes something.

Telegram refuses an edit that leaves a message as it is ("message is not modified"), and the refused
request still costs a slot of the bot's sending budget: in a rush of presses those are slots the
invitations and replies need. A button press carries the message as it is now, so what an edit would
show can be compared with it first.
"""

from __future__ import annotations

from html.parser import HTMLParser

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from handlers.ui import common

# HTML tags Telegram turns into formatting, and the entity each becomes.
_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
         "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
         "code": "code", "pre": "pre", "blockquote": "blockquote", "a": "text_link"}
# Entities Telegram finds by itself (links, commands, ...) are left out of the comparison: HTML doesn't
# spell them out.
_FORMATTING = frozenset(_TAGS.values()) | {"expandable_blockquote", "custom_emoji", "text_mention"}

Entity = tuple[str, int, int, str | None]


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.open: list[tuple[str, str | None, int, str | None]] = []
        self.entities: list[Entity] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        kind = _TAGS.get(tag)
        if tag == "span" and values.get("class") == "tg-spoiler":
            kind = "spoiler"
        elif tag == "blockquote" and "expandable" in values:
            kind = "expandable_blockquote"
        self.open.append((tag, kind, self.length, values.get("href")))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                _tag, kind, start, href = self.open.pop(i)
                if kind is not None and self.length > start:
                    self.entities.append((kind, start, self.length - start, href if kind == "text_link" else None))
                return

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += _units(data)


def rendered(html: str) -> tuple[str, list[Entity]]:
    """What a member sees of an HTML message: its text (trimmed at both ends, as Telegram does) and its
    formatting, with offsets in UTF-16 code units."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    text = "".join(reader.parts)
    trimmed = text.strip()
    lead, size = _units(text[:len(text) - len(text.lstrip())]), _units(trimmed)
    entities = []
    for kind, offset, length, url in reader.entities:
        start, end = max(offset - lead, 0), min(offset + length - lead, size)
        if end > start:
            entities.append((kind, start, end - start, url))
    return trimmed, sorted(entities)


def _message_entities(message: Message) -> list[Entity]:
    return sorted((e.type, e.offset, e.length, e.url if e.type == "text_link" else None)
                  for e in message.entities or () if e.type in _FORMATTING)


def _rows(markup: InlineKeyboardMarkup | None) -> tuple:
    if markup is None:
        return ()
    return tuple(tuple((b.text, b.callback_data, b.url) for b in row) for row in markup.inline_keyboard if row)


def same_buttons(message: object, markup: InlineKeyboardMarkup | None) -> bool:
    """Whether the message already has exactly these inline buttons (or, for None, none)."""
    return _rows(getattr(message, "reply_markup", None)) == _rows(markup)


def shows(message: object, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Whether a text message already shows this HTML text and these inline buttons."""
    if not isinstance(message, Message) or message.text is None or not same_buttons(message, markup):
        return False
    plain, entities = rendered(text)
    return plain == message.text and entities == _message_entities(message)


async def show(update: Update, text: str, markup=None) -> None:
    """Shows a screen in place of the pressed message (a new message otherwise); no edit when the pressed
    message already shows it."""
    query = update.callback_query
    inline = markup is None or isinstance(markup, InlineKeyboardMarkup)
    if query is not None and inline and shows(query.message, text, markup):
        return
    await common.show(update, text, markup)


async def edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Redraws the pressed text message, unless it already shows this (raises Telegram's errors)."""
    query = update.callback_query
    if not shows(query.message, text, markup):
        await query.edit_message_text(text, reply_markup=markup)


async def drop_buttons(update: Update) -> None:
    """Takes the buttons off the pressed message, so the chat keeps its words and the next question follows."""
    message = update.callback_query.message
    if isinstance(message, Message) and same_buttons(message, None):
        return
    try:
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # an old or already edited message: what follows is sent all the same
