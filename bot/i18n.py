"""Translations (gettext catalogs in `locales/`, English as source) and locale-aware formatting."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime as DateTime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (format_date, format_datetime, format_interval, format_skeleton, format_timedelta,
                         get_timezone_location)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from bot import resources
from bot.text import local_digits

LOCALES_DIR = resources.folder("locales")
DOMAIN = "messages"
LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "en"
# Numeric dates are day first in both languages, as coordinators type them (Babel's "short" in
# English is month first: 12/6/26 would read as 12 June in Cambodia).
SHORT_DATE = "dd/MM/yyyy"
SHORT_DATETIME = "dd/MM/yyyy HH:mm"


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
    return local_digits(format_decimal(value, locale=language), language)


@lru_cache(maxsize=1024)
def _day(day, pattern: str, language: str) -> str:
    """Days come back again and again (an event's, a registration's): formatted once each."""
    return local_digits(format_date(day, format=pattern, locale=language), language)


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

    def digits(self, text: str) -> str:
        """Text with numbers in it (already formatted) in the reader's digits: Khmer digits in Khmer."""
        return local_digits(text, self.language)

    def number(self, value: float | int, *, grouped: bool = True) -> str:
        """A number as the reader writes it: '1,234' in English, '១,២៣៤' in Khmer; grouped=False for a year."""
        if type(value) is int and grouped:
            return _whole_number(value, self.language)
        return self.digits(format_decimal(value, locale=self.language, group_separator=grouped))

    def percent(self, value: float) -> str:
        return self.digits(format_percent(value, locale=self.language))

    def date(self, value: DateTime, tz: ZoneInfo, fmt: str = "long") -> str:
        """A day in the reader's language; 'short' is day first in both languages: 13/12/2024."""
        return _day(value.astimezone(tz).date(), SHORT_DATE if fmt == "short" else fmt, self.language)

    def datetime(self, value: DateTime, tz: ZoneInfo, fmt: str | None = None) -> str:
        """A moment in the member's language: by default 'Wed, Dec 11, 2024, 17:00' (24-hour, no seconds);
        'short' is '13/12/2024 08:30', day first, as coordinators type it."""
        if fmt is not None:
            pattern = SHORT_DATETIME if fmt == "short" else fmt
            return self.digits(format_datetime(value, format=pattern, tzinfo=tz, locale=self.language))
        day = format_skeleton("yMMMEd", value, tzinfo=tz, locale=self.language)
        return self.digits(f"{day}, {format_skeleton('Hm', value, tzinfo=tz, locale=self.language)}")

    def skeleton(self, skeleton: str, value, tz: ZoneInfo | None = None) -> str:
        """A date or time from a CLDR skeleton ('yMMMM' gives 'December 2024'), in the reader's digits."""
        return self.digits(format_skeleton(skeleton, value, tzinfo=tz, locale=self.language))

    def interval(self, start, end, skeleton: str, tz: ZoneInfo | None = None) -> str:
        """A span of time, '08:30 – 17:00' or across days, in the reader's digits."""
        return self.digits(format_interval(start, end, skeleton, tzinfo=tz, locale=self.language))

    def zone(self, tz) -> str:
        """The time zone by its place, as in “Cambodia Time”, in this language."""
        return get_timezone_location(getattr(tz, "key", tz), locale=self.locale)

    def duration(self, delta, **options) -> str:
        """A length of time in words, '2 hours' ('in 2 hours' with add_direction=True), in the reader's digits."""
        return self.digits(format_timedelta(delta, locale=self.language, **options))


@cache
def translator(language: str | None) -> Translator:
    return Translator(language if language in LANGUAGES else DEFAULT_LANGUAGE)
