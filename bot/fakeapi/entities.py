"""Telegram's HTML parse mode, re-implemented: the plain text and the entities the real server would return,
and the "can't parse entities" details it refuses bad markup with."""

from __future__ import annotations

import re
from typing import Any

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_HTML_SPACES = frozenset(" \t\r\n\v\f\0")
_TEXT_RUN = re.compile(r"[^<&]+")
_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,10})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_UNQUOTED_VALUE = re.compile(r"[A-Za-z0-9.\-]*")

# An open tag: (name, offset of its text, attributes, index of its '<').
_Open = tuple[str, int, dict[str, str], int]


class HtmlParseError(Exception):
    """The text is not valid Telegram HTML; the message is Telegram's error detail."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram-flavoured HTML into (plain text, entities); raises HtmlParseError."""
    return _HtmlParser(text, strict).parse()


class _HtmlParser:
    """One pass over the markup: plain text out, entities collected as tags close."""

    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.i = 0
        self.out: list[str] = []
        self.pos = 0  # UTF-16 length of the plain text so far
        self.stack: list[_Open] = []
        self.entities: list[dict] = []

    def parse(self) -> tuple[str, list[dict]]:
        """The plain text and its entities, sorted as Telegram sorts them."""
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c == "&":
                ch, self.i = _char_ref(text, self.i, strict=self.strict)
                self._emit(ch)
            elif c != "<":
                run = _TEXT_RUN.match(text, self.i)
                assert run is not None
                self._emit(run.group())
                self.i = run.end()
            elif self.i + 1 < n and text[self.i + 1] == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.pos += utf16_len(chunk)

    def _end_tag(self) -> None:
        """`</name>` (or `</>`, which closes whatever is open, as in Telegram)."""
        text, n, begin = self.text, len(self.text), self.i
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        i = name_start = begin + 2
        while i < n and text[i] not in _HTML_SPACES and text[i] != ">":
            i += 1
        end_name = text[name_start:i].lower()
        i = _skip_spaces(text, i)
        if i >= n or text[i] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        self.i = i + 1
        tag, start, attrs, _ = self.stack.pop()
        if end_name and end_name != tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)},"
                f' expected "</{tag}>", found "</{end_name}>"'
            )
        _close_entity(tag, start, self.pos - start, attrs, self.stack, self.entities)

    def _start_tag(self) -> None:
        """`<name attributes>`: a supported tag with the attributes Telegram requires."""
        text, n, begin = self.text, len(self.text), self.i
        i = name_start = begin + 1
        while i < n and text[i] not in _HTML_SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[name_start:i].lower()
        if tag not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        attrs, self.i = _parse_attributes(text, i, tag, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            where = _byte_offset(text, begin)
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
        if tag == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset'
                f" {_byte_offset(text, begin)}"
            )
        self.stack.append((tag, self.pos, attrs, begin))


def _char_ref(text: str, i: int, *, strict: bool) -> tuple[str, int]:
    """Decode the character reference starting at text[i] == '&'; returns (char, next index)."""
    m = _CHAR_REF.match(text, i)
    if m is None:
        if strict:
            # Real Telegram leaves an unknown '&' as is; refusing it catches unescaped user input
            # (names, free text) that would otherwise break as soon as it contains '<'.
            raise HtmlParseError(
                f'Character entity expected at byte offset {_byte_offset(text, i)}:'
                ' a bare "&" must be written as "&amp;"'
            )
        return "&", i + 1
    if m.group(1):
        return _NAMED_REFS[m.group(1)], m.end()
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities,"
            " check for unmatched surrogate code units"
        )
    return chr(code), m.end()


def _decode_attribute(value: str) -> str:
    """Decode character references inside an attribute value (leniently, as Telegram does)."""
    if "&" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            ch, i = _char_ref(value, i, strict=False)
            out.append(ch)
        else:
            j = value.find("&", i)
            j = len(value) if j < 0 else j
            out.append(value[i:j])
            i = j
    return "".join(out)


def _byte_offset(text: str, i: int) -> int:
    """UTF-8 byte offset of text[i]: Telegram reports parse errors in bytes."""
    return len(text[:i].encode("utf-8"))


def _skip_spaces(text: str, i: int) -> int:
    """The index of the first non-space character from text[i] (or the end)."""
    n = len(text)
    while i < n and text[i] in _HTML_SPACES:
        i += 1
    return i


def _parse_attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Parse the attributes of a start tag from text[i]; returns them and the index after '>'."""
    n = len(text)
    attrs: dict[str, str] = {}
    where = _byte_offset(text, begin)
    unclosed = f'Unclosed start tag "{tag}" at byte offset {where}'
    while True:
        i = _skip_spaces(text, i)
        if i >= n:
            raise HtmlParseError(unclosed)
        if text[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and text[i] not in _HTML_SPACES and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {where}')
        i = _skip_spaces(text, i)
        if i >= n:
            raise HtmlParseError(unclosed)
        if text[i] != "=":
            if tag == "blockquote" and name == "expandable":  # the only value-less attribute
                attrs[name] = ""
                continue
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}"'
                f" at byte offset {where}"
            )
        i = _skip_spaces(text, i + 1)
        if i >= n:
            raise HtmlParseError(unclosed)
        attrs[name], i = _attribute_value(text, i, unclosed, where)


def _attribute_value(text: str, i: int, unclosed: str, where: int) -> tuple[str, int]:
    """A quoted or bare attribute value starting at text[i]; returns it and the index after it."""
    if text[i] in "'\"":
        close = text.find(text[i], i + 1)
        if close < 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {where}")
        return _decode_attribute(text[i + 1:close]), close + 1
    m = _UNQUOTED_VALUE.match(text, i)
    assert m is not None
    value, i = m.group(), m.end()
    if i >= len(text):
        raise HtmlParseError(unclosed)
    if text[i] not in _HTML_SPACES and text[i] != ">":
        raise HtmlParseError(f"Unexpected end of name token at byte offset {_byte_offset(text, i)}")
    return value, i


def _close_entity(tag: str, start: int, length: int, attrs: dict[str, str],
                  stack: list[_Open], entities: list[dict]) -> None:
    """Turn a closed tag into a MessageEntity (Telegram drops empty ones)."""
    kind = _HTML_TAGS[tag]
    if kind == "code":
        language = attrs.get("class", "")
        if stack and stack[-1][0] == "pre" and language.startswith("language-") and language[9:]:
            # <pre><code class="language-x"> becomes one pre entity with a language.
            stack[-1][2]["language"] = language[9:]
            return
    if length <= 0:
        return
    entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
    if kind == "text_link":
        if not attrs.get("href"):
            return
        entity["url"] = attrs["href"]
    elif kind == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    entities.append(entity)
