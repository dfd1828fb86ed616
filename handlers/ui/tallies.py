"""How counts read wherever coordinators see them (the attendance report, survey results, the event report):
the sentence donors ask for, shares, breakdown groups, an event in a list, a survey question's answers as bars.
Pure: plain data and a translator in, words out."""

from __future__ import annotations

from collections import Counter

from bot import charts, event_text, posters, xlsform
from bot.i18n import Translator
from bot.models import Event, Survey
from bot.services import surveys
from bot.vocab import GENDERS, STAKEHOLDERS

NONE = "—"
EVENT_LABEL_MAX = 40
# The labels of a breakdown by gender or stakeholder type, in the order of the choices.
VOCABULARIES = {"gender": GENDERS, "stakeholder": STAKEHOLDERS}


def donor_sentence(attendees: int, women: int, _: Translator) -> str:
    """'41 attendees including 10 women', the line donors' reports ask for."""
    if women == 1:
        text = _.ngettext("{count} attendee including {women} woman", "{count} attendees including {women} woman",
                          attendees)
    else:
        text = _.ngettext("{count} attendee including {women} women", "{count} attendees including {women} women",
                          attendees)
    return text.format(count=_.number(attendees), women=_.number(women))


def share(count: int, total: int, _: Translator) -> str:
    """'40%', or a dash when there is nothing to share out."""
    return _.percent(count / total) if total else NONE


def counted(count: int, total: int, _: Translator) -> str:
    """'12 (40%)'."""
    return f"{_.number(count)} ({share(count, total, _)})"


def groups_seen(counts: Counter, dimension: str, _: Translator) -> list[tuple[str | None, str]]:
    """The groups of a breakdown by gender or stakeholder type that have someone in them, in the order of the
    choices (unknown last), each with its label."""
    labels = VOCABULARIES[dimension]
    keys = [key for key in labels if counts[key]] + [key for key in counts if key not in labels and counts[key]]
    return [(key, _(labels[key]) if key in labels else NONE) for key in keys]


def event_label(event: Event, _: Translator) -> str:
    """'Policy Dialogue Workshop · 13 Dec 2024' for a list of events."""
    title = posters.shorten(event_text.title(event, _.language), EVENT_LABEL_MAX)
    return f"{title} · {_.date(event.starts_at, event_text.zone(event), 'medium')}"


def text_in(texts: dict | None, language: str) -> str:
    """A label in the reader's language (falling back to the other)."""
    texts = texts or {}
    return texts.get(language) or texts.get("en") or texts.get("km") or ""


def survey_title(survey: Survey, language: str) -> str:
    return (survey.title_km if language == "km" else survey.title_en) or survey.title_en or survey.title_km


def answer_bars(question: dict, tally: surveys.Tally, _: Translator) -> list[charts.Bar]:
    """One bar per choice (or rating) of a closed question: its label, its count, and '12 (40%)' beside it."""
    if question["type"] == "rating":
        options = [(v, _.number(v)) for v in xlsform.rating_values(question)]
    else:
        options = [(c["name"], text_in(c["label"], _.language)) for c in question["choices"]]
    return [charts.Bar(label, tally.counts[key], counted(tally.counts[key], tally.answered, _))
            for key, label in options]
