"""Small text helpers: Khmer digits, cleaning typed input, HTML escaping."""

from __future__ import annotations

import html
import re
import unicodedata

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_TO_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
# Zero-width joiner/non-joiner carry meaning in some scripts; everything else invisible goes.
_KEEP_FORMAT = {"\u200c", "\u200d"}
_SPACES = re.compile(r"\s+")


def normalize_digits(text: str) -> str:
    """Turns Khmer digits (០–៩) into ASCII digits."""
    return text.translate(_KHMER_DIGITS)


def khmer_digits(text: str) -> str:
    """Writes ASCII digits as Khmer digits (០–៩), as Khmer readers expect in dates, times and counts."""
    return text.translate(_TO_KHMER_DIGITS)


def local_digits(text: str, language: str) -> str:
    """The digits of a formatted number or date in the reader's script: Khmer for km, as they are otherwise."""
    return khmer_digits(text) if language == "km" else text


def clean_line(text: str) -> str:
    """Drops control and invisible characters and folds white space into single spaces."""
    out = []
    for ch in text:
        if ch == "\u200b":  # Khmer writers use the zero-width space between words
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc" and ch not in "\t\n\r":
            continue
        if cat == "Cf" and ch not in _KEEP_FORMAT:
            continue
        out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def esc(text: object) -> str:
    """Escapes a user-provided value for an HTML-formatted Telegram message."""
    return html.escape(str(text), quote=False)


def parse_int(text: str) -> int | None:
    """Reads a whole number typed with ASCII or Khmer digits; None if it is not one."""
    cleaned = normalize_digits(text).strip().replace(",", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d{1,18}", cleaned):
        return int(cleaned)
    return None
