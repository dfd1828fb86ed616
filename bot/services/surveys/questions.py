"""Skip logic and constraints, and reading what members type into the value a question expects."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from bot import skiplogic
from bot.services.surveys.defining import LOCAL_ZONE, NUMBER_MAX, TEXT_MAX, InvalidInput
from bot.text import clean_line, normalize_digits, parse_int


@lru_cache(maxsize=2048)
def _parsed(text: str) -> skiplogic.Node:
    return skiplogic.parse(text)


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_ZONE).date()


def _python_value(question: dict, value):
    """A stored answer as skip logic reads it (dates as dates)."""
    if value is not None and question["type"] == "date":
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            return None
    return value


def values_of(questions: list[dict], answers: dict[str, object]) -> dict[str, object]:
    by_name = {q["name"]: q for q in questions}
    return {name: _python_value(by_name[name], value) for name, value in answers.items() if name in by_name}


def is_relevant(question: dict, values: dict[str, object], today: date) -> bool:
    return all(skiplogic.evaluate(_parsed(text), values, today=today) for text in question["relevant"])


def next_index(questions: list[dict], answers: dict[str, object], after: int, today: date) -> int | None:
    """The next question to ask after `after` (-1 for the first), skipping those skip logic rules out."""
    values = values_of(questions, answers)
    for index in range(after + 1, len(questions)):
        if is_relevant(questions[index], values, today):
            return index
    return None


def previous_index(questions: list[dict], answers: dict[str, object], before: int, today: date) -> int | None:
    values = values_of(questions, answers)
    for index in range(before - 1, -1, -1):
        if is_relevant(questions[index], values, today):
            return index
    return None


def asked_count(questions: list[dict]) -> int:
    """Questions that take an answer (notes excluded), for 'question 3 of 10'."""
    return sum(1 for q in questions if q["type"] != "note")


def position(questions: list[dict], index: int) -> int:
    return sum(1 for q in questions[:index + 1] if q["type"] != "note")


_DATE_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH_MY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4})")
_MONTH_ISO = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)")
_DIGITS = re.compile(r"\d+")


def parse_typed(question: dict, text: str):
    """A typed answer as stored: int, float, ISO date or text (Khmer digits accepted); raises InvalidInput."""
    kind = question["type"]
    cleaned = (text or "").strip()
    if kind == "text":
        return _typed_text(question, cleaned)
    digits = normalize_digits(clean_line(cleaned))
    if kind == "integer":
        value = parse_int(digits)
        if value is None or abs(value) > NUMBER_MAX:
            raise InvalidInput("integer")
        return value
    if kind == "decimal":
        compact = digits.replace(" ", "")
        if not _DECIMAL.fullmatch(compact):
            raise InvalidInput("decimal")
        value = float(compact.replace(",", "."))
        if abs(value) > NUMBER_MAX:
            raise InvalidInput("decimal")
        return int(value) if value.is_integer() and "." not in compact and "," not in compact else value
    if kind == "date" and question.get("precision"):
        return _month_or_year(question["precision"], digits)
    if kind == "date":
        match = _DATE_DMY.fullmatch(digits)
        if match:
            day, month, year = (int(g) for g in match.groups())
        else:
            match = _DATE_ISO.fullmatch(digits)
            if match is None:
                raise InvalidInput("date")
            year, month, day = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            raise InvalidInput("date") from None
    raise InvalidInput("buttons")


def _typed_text(question: dict, cleaned: str) -> str:
    block = "\n".join(clean_line(line) for line in cleaned.splitlines()).strip()
    if not block:
        raise InvalidInput("empty")
    if len(block) > TEXT_MAX:
        raise InvalidInput("too_long")
    return _digits_only(block) if question.get("digits") else block


def _digits_only(text: str) -> str:
    """Text typed as digits only (ODK's `numbers`), kept as text so that leading zeros stay: Khmer digits
    become ASCII ones, spaces between groups are dropped."""
    digits = normalize_digits(re.sub(r"\s+", "", text))
    if not _DIGITS.fullmatch(digits) or not digits.isascii():
        raise InvalidInput("digits")
    return digits


def _month_or_year(precision: str, digits: str) -> str:
    """A month typed as month/year, or a year, stored as its first day (as ODK stores them)."""
    if precision == "year":
        if not _YEAR.fullmatch(digits):
            raise InvalidInput("year")
        year, month = int(digits), 1
    else:
        match = _MONTH_MY.fullmatch(digits)
        if match:
            month, year = (int(g) for g in match.groups())
        else:
            match = _MONTH_ISO.fullmatch(digits)
            if match is None:
                raise InvalidInput("month")
            year, month = (int(g) for g in match.groups())
    try:
        return date(year, month, 1).isoformat()
    except ValueError:
        raise InvalidInput(precision) from None


def satisfies(question: dict, value, answers: dict[str, object], today: date) -> bool:
    """Whether an answer passes the question's constraint (`.` is the answer)."""
    if not question.get("constraint"):
        return True
    current = _python_value(question, value)
    return skiplogic.evaluate(_parsed(question["constraint"]), lambda name: _lookup(name, question, answers, current),
                              current=current, today=today)


def _lookup(name: str, question: dict, answers: dict[str, object], current):
    if name == question["name"]:
        return current
    return answers.get(name)
