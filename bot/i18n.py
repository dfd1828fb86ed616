"""Translations (gettext catalogs in `locales/`, English as source) and locale-aware formatting."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime as DateTime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a module-level string for extraction; it is translated when shown."""
    return message


class CatalogError(Exception):
    """A catalog is missing, fuzzy, incomplete or has mismatched placeholders."""


def catalog_problems(language: str) -> list[str]:
    """Everything that would make a strict compile of one catalog fail."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return [f"{path}: missing"]
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        where = f"{path.name}:{message.lineno} {message.id!r:.60}"
        for error in message.check(catalog):
            problems.append(f"{where}: {error}")
        if language == DEFAULT_LANGUAGE:
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            problems.append(f"{where}: untranslated")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = placeholders(ids[0]) | (placeholders(ids[1]) if len(ids) > 1 else set())
        for s in strings:
            if placeholders(s) != wanted:
                problems.append(f"{where}: placeholders {sorted(placeholders(s))} != {sorted(wanted)}")
    return problems


def placeholders(text: str) -> set[str]:
    import string

    names = set()
    for _literal, name, _spec, _conv in string.Formatter().parse(text):
        if name is not None:
            names.add(name)
    return names


@cache
def _translations(language: str) -> Translations:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def check_catalogs() -> None:
    """Raises CatalogError listing every problem in every catalog."""
    problems = [p for language in LANGUAGES for p in catalog_problems(language)]
    if problems:
        raise CatalogError("\n".join(problems))


@lru_cache(maxsize=4096)
def _whole_number(value: int, language: str) -> str:
    """Counts, positions and question numbers come back again and again: formatted once each."""
    return format_decimal(value, locale=language)


@dataclass(frozen=True)
class Translator:
    """Words and formats for one language."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def __call__(self, message: str) -> str:
        return _translations(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return _translations(self.language).ngettext(singular, plural, count)

    def number(self, value: float | int) -> str:
        if type(value) is int:
            return _whole_number(value, self.language)
        return format_decimal(value, locale=self.language)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.language)

    def date(self, value: DateTime, tz: ZoneInfo, fmt: str = "long") -> str:
        return format_date(value.astimezone(tz).date(), format=fmt, locale=self.language)

    def datetime(self, value: DateTime, tz: ZoneInfo, fmt: str | None = None) -> str:
        """A moment in the member's language: by default 'Wed, Dec 11, 2024, 17:00' (24-hour, no seconds)."""
        if fmt is not None:
            return format_datetime(value, format=fmt, tzinfo=tz, locale=self.language)
        day = format_skeleton("yMMMEd", value, tzinfo=tz, locale=self.language)
        return f"{day}, {format_skeleton('Hm', value, tzinfo=tz, locale=self.language)}"


@cache
def translator(language: str | None) -> Translator:
    return Translator(language if language in LANGUAGES else DEFAULT_LANGUAGE)
