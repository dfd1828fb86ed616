"""What every coordinator's form checks in typed text, in one place.

A text is asked in both languages either as two questions (English, then Khmer: `handlers/ui/bilingual.py`)
or, where a list is quicker to type, as lines: a title "English" then "Khmer" on the next line, and options
"English | Khmer", one a line. Either way the cleaning and the limits are the ones below, and a text that does
not fit raises `Invalid` with a short reason code the handler words in the coordinator's language.
"""

from __future__ import annotations

from bot.i18n import LANGUAGES
from bot.text import clean_line


class Invalid(ValueError):
    """Typed input that does not fit; `reason` says why as a short code, `limit` the bound broken (if any)."""

    def __init__(self, reason: str, limit: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


def clean_text(value: str | None, limit: int, *, multiline: bool = True) -> str:
    """Typed text with invisible characters dropped (line breaks kept when `multiline`, at most one empty
    line in a row); raises Invalid("empty") or Invalid("too_long", limit)."""
    if multiline:
        lines = [clean_line(line) for line in (value or "").replace("\r\n", "\n").split("\n")]
        text = "\n".join(lines).strip()
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
    else:
        text = clean_line(value or "")
    if not text:
        raise Invalid("empty")
    if len(text) > limit:
        raise Invalid("too_long", limit)
    return text


def clean_lines_pair(text: str | None, limit: int) -> dict[str, str]:
    """'English', or 'English' then 'Khmer' on the next line (the English serves for both when alone)."""
    lines = [line for line in (clean_line(raw) for raw in (text or "").splitlines()) if line]
    if not lines:
        raise Invalid("empty")
    if len(lines) > 2:
        raise Invalid("lines")
    if any(len(line) > limit for line in lines):
        raise Invalid("too_long", limit)
    return {"en": lines[0], "km": lines[-1]}


def clean_options(text: str | None, limit: int, count: tuple[int, int]) -> list[dict[str, str]]:
    """One option a line, 'English | Khmer' (the Khmer part optional): between count[0] and count[1] options
    of at most `limit` characters, none repeated in either language."""
    options = []
    for line in (text or "").splitlines():
        parts = [clean_line(p) for p in line.split("|")]
        if not any(parts):
            continue
        if len(parts) > 2 or not parts[0]:
            raise Invalid("option_format")
        en = parts[0]
        km = parts[1] if len(parts) == 2 and parts[1] else en
        if max(len(en), len(km)) > limit:
            raise Invalid("option_long", limit)
        options.append({"en": en, "km": km})
    low, high = count
    if not low <= len(options) <= high:
        raise Invalid("option_count")
    for language in LANGUAGES:
        if len({o[language].casefold() for o in options}) != len(options):
            raise Invalid("option_repeated")
    return options
