"""Surveys: coordinators upload an XLSForm or build a short survey in the chat, choose who gets it and
send it (now, or when an event ends); members answer one question at a time in their language;
/results shows counts, charts and the Kobo-style export.

A question answered with a button gives way to the next one in the same message (one edit a press); a
question to be answered by typing comes as a new message, the member's reply goes below it, and it then
stays in the chat as a record of the answer, as does the question answered just before it.

Callback data: `sv:*` members answering, `svn:*`/`svb:*` defining, `svm:*` managing, `rs:*` results.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path

from telegram import InputFile, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import charts, exports, resources, xlsform
from bot.context import AppContext, Services
from bot.event_text import title as event_title
from bot.event_text import when as event_when
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Draft, Event, Member, Survey
from bot.services import drafts, surveys
from bot.services.audience import Audience, size
from bot.services.events import InvalidInput as InvalidMoment
from bot.services.events import parse_moment
from bot.services.surveys import Status, Step
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
from handlers import deeplinks, system
from handlers import drafts as draft_input
from handlers.audience_picker import describe, parse, picker_screen
from handlers.common import (
    answer_stale,
    button,
    is_coordinator,
    keyboard,
    load_member,
    reply,
    require_coordinator,
    show,
    tr,
)

log = logging.getLogger("sahakor.surveys")

ANSWER, UPLOAD, BUILDER, CLOSING = surveys.FOCUS, "survey_upload", "survey_builder", "survey_closing"
EXAMPLE = resources.folder("examples") / "post_workshop_feedback.xlsx"
DUE_JOB = "sv:due"
_LOCK_KEY = "surveys:lock"
MESSAGE_LIMIT = 3800

# ---------------------------------------------------------------- words

TYPE_HELP = {
    "select_one": N_("Choose one answer."),
    "select_multiple": N_("Choose all that apply, then press “Done”."),
    "integer": N_("Type a whole number."),
    "decimal": N_("Type a number."),
    "date": N_("Type a date as day/month/year, for example 13/12/2024."),
    "text": N_("Type your answer, or send a voice note."),
}
# What the appearance column changes in the help (see bot.xlsform).
DIGITS_HELP = N_("Type your answer using digits only, for example 012345678.")
PRECISION_HELP = {
    "month": N_("Type the month and year as month/year, for example 12/2024."),
    "year": N_("Type the year, for example 2024."),
}
# Questions answered by typing (or a voice note); the others are answered with buttons.
TYPED = frozenset({"integer", "decimal", "date", "text"})
INVALID = {
    "integer": N_("Please type a whole number, for example 12."),
    "decimal": N_("Please type a number, for example 2.5."),
    "date": N_("Please type a date as day/month/year, for example 13/12/2024."),
    "empty": N_("That was empty. Please type your answer."),
    "too_long": N_("That is too long. Please keep it under {limit} characters."),
    "choose": N_("Please choose at least one answer."),
    "buttons": N_("Please answer with the buttons."),
    "no_voice": N_("A voice note can only answer a question that asks you to type. Please use the buttons."),
    "voice_long": N_("That voice note is too long: at most {limit} minutes."),
    "constraint": N_("This answer is not accepted. Please check it and try again."),
    "digits": N_("Please type digits only (0–9), for example 012345678."),
    "month": N_("Please type the month and year as month/year, for example 12/2024."),
    "year": N_("Please type a year with four digits, for example 2024."),
}
PROBLEMS = {
    # the file
    "file_size": N_("The file is larger than {limit} KB."),
    "not_workbook": N_("The file is not an Excel workbook (.xlsx or .xls)."),
    "unpacked_size": N_("The workbook unpacks to more than {limit} MB."),
    "no_survey_sheet": N_("There is no sheet named “survey”. Sheets found: {sheets}."),
    "too_many_rows": N_("The sheet “{sheet}” has {count} filled rows below its header; at most {limit} can be "
                        "read."),
    "too_many_columns": N_("The sheet “{sheet}” has {count} filled columns; at most {limit} can be read."),
    "duplicate_column": N_("The column “{column}” is in the header row twice. Please keep one."),
    "no_header": N_("The first row of the sheet “{sheet}” must hold the column names (type, name, label…)."),
    "missing_columns": N_("The sheet “{sheet}” has no column {columns}."),
    "same_column": N_("The columns “{first}” and “{second}” are the same column under two names. Please keep "
                      "one."),
    "formula_without_value": N_("{cells}: a formula with no stored value. Open the file in Excel or LibreOffice "
                                "and save it again, or type the value itself."),
    "huge_cell": N_("Cell {cell} holds {length} characters; at most {limit} are allowed."),
    "pyxform": N_("The XLSForm reader could not read this. Its message, in English: “{detail}”"),
    # names, types and choice lists
    "no_type": N_("The row has no type."),
    "unsupported_type": N_("The question type “{type}” is not supported."),
    "unknown_type": N_("“{type}” is not a question type. Please check its spelling."),
    "select_no_list": N_("“{type}” needs the name of a choice list after it, for example “{type} yes_no”."),
    "missing_list": N_("The choice list “{list}” is not on the “choices” sheet."),
    "or_other": N_("“or_other” is not supported: add an “other” choice, and a text question whose relevant "
                   "uses selected() with that choice."),
    "repeat": N_("Repeats are not supported."),
    "unmatched_begin": N_("This “begin_{kind}” has no “end_{kind}” after it."),
    "unmatched_end": N_("This “end_{kind}” has no “begin_{kind}” before it."),
    "no_name": N_("The row has no name. Every question and group needs one."),
    "bad_name": N_("The name “{name}” can't be used: a name starts with a letter or _, then has only letters, "
                   "digits, _, - or . (no spaces)."),
    "duplicate_name": N_("The name “{name}” is already used on row {first}. Each question needs a name of its "
                         "own."),
    "name_used_twice": N_("The name “{name}” is used twice in the same group. Each question and group needs a "
                          "name of its own."),
    "unsupported_column": N_("The column “{column}” is not supported."),
    "bad_parameters": N_("The parameters can't be read. Write them as name=value, separated by spaces, for "
                         "example: start=1 end=5 step=1."),
    "bad_reference": N_("The {column} has a reference that is not written as ${{name}}."),
    # labels
    "no_label": N_("The question has no label."),
    "label_too_long": N_("The label has {length} characters; at most {limit} can be shown."),
    "hint_too_long": N_("The hint is longer than {limit} characters."),
    "constraint_message_too_long": N_("The constraint message is longer than {limit} characters."),
    # choices
    "choice_no_name": N_("This choice has no name."),
    "choice_duplicate": N_("The choice “{choice}” is already in the list “{list}”, on row {first}."),
    "choice_name_space": N_("The choice name “{choice}” has a space: the choices of a select_multiple (list "
                            "“{list}”) need names without spaces."),
    "choice_column": N_("The choice list “{list}” uses the column “{column}”, which is not supported."),
    "choice_no_label": N_("The choice “{choice}” of the list “{list}” has no label."),
    "choice_label_too_long": N_("The choice “{choice}” of the list “{list}” is longer than {limit} characters."),
    "too_many_choices": N_("The choice list “{list}” has {count} choices; at most {limit} fit as buttons."),
    "no_choices": N_("The choice list “{list}” has no choices."),
    "range": N_("A range must have whole-number start, end and step, giving at most {limit} buttons."),
    # the form as a whole
    "no_questions": N_("The form has no questions."),
    "too_many_questions": N_("The form has {count} questions; at most {limit} can be asked."),
    # skip logic and constraints
    "expression": N_("The {column} expression can't be used ({error} {detail})."),
    "dot_in_relevant": N_("“.” can only be used in a constraint."),
    "relevant_cycle": N_("The relevant columns of {questions} refer to each other in a circle, so none of these "
                         "questions can be asked first."),
    "relevant_self": N_("The relevant refers to this question's own answer (“{name}”), so it could never be "
                        "asked."),
    "unknown_reference": N_("The {column} refers to “{name}”, which is not a question of this form."),
    "forward_reference": N_("The {column} refers to “{name}”, which is not asked before this question, "
                            "so its answer can't be known in time."),
    "note_reference": N_("The {column} refers to the note “{name}”, which has no answer."),
    "not_a_choice": N_("The {column} compares “{name}” with “{value}”, which is not one of its choices."),
    "selected_needs_select": N_("The {column} uses selected() on “{name}”, which is not a select question."),
    # the appearance column
    "appearance_unknown": N_("The appearance “{appearance}” is not known. Please check its spelling or remove it."),
    "appearance_form_only": N_("The appearance “{appearance}” needs a form screen (ODK Collect or Enketo) and "
                               "can't be shown in a chat."),
    "appearance_wrong_type": N_("The appearance “{appearance}” can't be used on a {type} question."),
    "appearance_calendar": N_("The “{appearance}” calendar is not supported: members type dates as "
                              "day/month/year."),
    "appearance_columns": N_("“{appearance}” asks for too many buttons in a row: at most {limit}."),
    "appearance_conflict": N_("The appearances “{first}” and “{second}” can't be used together. Please keep one."),
    "appearance_group": N_("A group can only have the appearance field-list or table-list, not “{appearance}”."),
}
EXPRESSION_ERRORS = {
    "too_long": N_("too long"), "unexpected": N_("unexpected"), "incomplete": N_("incomplete"),
    "empty": N_("empty"), "too_deep": N_("too many parentheses"), "chained": N_("two comparisons in a row"),
    "function": N_("unsupported function"), "arguments": N_("wrong number of arguments"),
    "selected_value": N_("selected() needs a choice name in quotes"), "date": N_("not a date"),
}
WARNINGS = {
    "missing_language": N_("Questions without a label in {language}: {count}. Members reading {language} will "
                           "see the other language."),
    "unused_language": N_("The labels in “{language}” are not used: only English and Khmer are."),
    "appearance_ignored": N_("The appearance “{appearance}” only arranges a form on a screen; in the chat the "
                             "questions come one at a time."),
}
LANGUAGE_WORDS = {"en": N_("English"), "km": N_("Khmer")}
STATUS_WORDS = {
    surveys.DRAFT: N_("Not sent yet"),
    surveys.SCHEDULED: N_("Waiting for the event to end"),
    surveys.OPEN: N_("Open"),
    surveys.CLOSED: N_("Closed"),
}
BUILDER_KINDS = {"select_one": N_("🔘 Choices"), "rating": N_("⭐ Rating 1–5"), "text": N_("✍️ Free text")}
BUILDER_INVALID = {
    "empty": N_("That was empty. Please type some text."),
    "lines": N_("Please write at most two lines: English, then Khmer."),
    "too_long": N_("That is too long. Please keep it under {limit} characters."),
    "option_format": N_("Please write each option on its own line as: English | Khmer"),
    "option_long": N_("An option is too long: at most {limit} characters."),
    "option_count": N_("Please give between {low} and {high} options."),
    "option_repeated": N_("Two options are the same. Please make each one different."),
}


def text_in(texts: dict | None, language: str) -> str:
    """A label in the member's language (falling back to the other)."""
    texts = texts or {}
    return texts.get(language) or texts.get("en") or texts.get("km") or ""


def short_label(question: dict, language: str, limit: int = 300) -> str:
    """A question's label where it only names the question (results, charts), shortened if it is long."""
    label = text_in(question["label"], language)
    return label if len(label) <= limit else label[:limit - 1].rstrip() + "…"


def survey_title(survey: Survey, language: str) -> str:
    return (survey.title_km if language == "km" else survey.title_en) or survey.title_en or survey.title_km


def choice_label(question: dict, name: str, language: str) -> str:
    for choice in question.get("choices", []):
        if choice["name"] == name:
            return text_in(choice["label"], language)
    return name


def closing_line(survey: Survey, _: Translator) -> str:
    if survey.closes_at is None:
        return _("You can change your answers while the survey is open.")
    return _("You can change your answers until {moment}.").format(
        moment=_.datetime(survey.closes_at, surveys.LOCAL_ZONE))


def answer_text(question: dict, value, _: Translator) -> str:
    """An answer as the member reads it (HTML-escaped)."""
    if surveys.is_voice(value):
        return "🎤 " + _("Voice note")
    if value is None:
        return "—"
    kind = question["type"]
    if kind == "select_one":
        return esc(choice_label(question, value, _.language))
    if kind == "select_multiple":
        return esc(", ".join(choice_label(question, name, _.language) for name in value))
    if kind == "rating":
        return rating_text(value, _)
    if kind in ("integer", "decimal") and question.get("grouped"):
        return _.number(value)
    if kind in ("integer", "decimal"):
        # As typed: a year or an identifier must not come back as "2,024" (thousands-sep asks for that).
        return _.number(value, grouped=False)
    if kind == "date":
        return date_text(question, date.fromisoformat(value), _)
    return esc(value)


def rating_text(value: int, _: Translator) -> str:
    """A rating as members see it: in Khmer with Khmer digits, as a form's own hints write the scale
    ("១ = … ៥ = …"); the answer stored is the number."""
    return _.number(value)


def date_text(question: dict, day: date, _: Translator) -> str:
    """A date answer as precise as the question asked: a day, a month (appearance month-year) or a year."""
    precision = question.get("precision")
    if precision == "year":
        return _.number(day.year, grouped=False)
    if precision == "month":
        return _.skeleton("yMMMM", day)
    return _.date(datetime.combine(day, time(), surveys.LOCAL_ZONE), surveys.LOCAL_ZONE)


def type_help(question: dict) -> str | None:
    """What the member is asked to do, for a question answered by typing or with choices (msgid)."""
    if question.get("digits"):
        return DIGITS_HELP
    if question.get("precision"):
        return PRECISION_HELP[question["precision"]]
    return TYPE_HELP.get(question["type"])


# ---------------------------------------------------------------- member screens


def intro_text(survey: Survey, _: Translator) -> str:
    count = surveys.asked_count(survey.questions)
    lines = [f"📋 <b>{esc(survey_title(survey, _.language))}</b>", "",
             _.ngettext("A short survey of {count} question. Your answers help the network plan its work.",
                        "A short survey of {count} questions. Your answers help the network plan its work.",
                        count).format(count=_.number(count))]
    if survey.closes_at is not None:
        lines.append(_("Please answer by {moment}.").format(moment=_.datetime(survey.closes_at, surveys.LOCAL_ZONE)))
    return "\n".join(lines)


def intro_content(survey: Survey) -> dict[str, dict]:
    """The survey's invitation for the outbox, in every language, with its Start button."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        content[language] = {"text": intro_text(survey, _),
                             "buttons": [[["▶ " + _("Start"), f"sv:start:{survey.id}"]]]}
    return content


def reminder_content(survey: Survey) -> dict[str, dict]:
    """The one reminder to those who have not finished, in every language."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = _("🔔 Reminder: you have not finished the survey <b>{title}</b> yet. It only takes a few minutes.").format(
            title=esc(survey_title(survey, language)))
        content[language] = {"text": text, "buttons": [[["▶ " + _("Continue"), f"sv:start:{survey.id}"]]]}
    return content


def question_screen(step: Step, _: Translator) -> tuple[str, object]:
    """The question being asked: its label, hint, what to do, the answer so far, and its buttons (of a label
    too long for one message, the last part: see question_messages)."""
    texts, markup = question_messages(step, _)
    return texts[-1], markup


def question_messages(step: Step, _: Translator) -> tuple[list[str], object]:
    """The question being asked, as messages: one, or for a long label (a consent note) the label in parts,
    the heading above the first and the hint, what to do and the buttons below the last."""
    survey, response, question = step.survey, step.response, step.question
    index, rid = response.current, response.id
    value = step.answers.get(question["name"])
    heading = f"📋 {esc(survey_title(survey, _.language))}"
    if question["type"] != "note":
        heading += " · " + _("Question {number} of {total}").format(
            number=_.number(surveys.position(survey.questions, index)),
            total=_.number(surveys.asked_count(survey.questions)))
    parts = [f"<b>{esc(part)}</b>" for part in label_parts(question, _)]
    lines = [heading, "", parts[-1]] if len(parts) == 1 else [parts[-1]]
    hint = text_in(question.get("hint"), _.language)
    if hint:
        lines.append(f"<i>{esc(hint)}</i>")
    kind = question["type"]
    if kind == "rating":
        values = xlsform.rating_values(question)
        lines += ["", _("Choose a number from {low} to {high}.").format(low=rating_text(values[0], _),
                                                                         high=rating_text(values[-1], _))]
    elif type_help(question):
        lines += ["", _(type_help(question))]
    if value is not None and kind in TYPED:
        lines += ["", _("Your answer so far: {answer}").format(answer=answer_text(question, value, _))]
    rows = [row for row in _question_buttons(question, value, rid, index, _) if row]
    leading = [heading + "\n\n" + parts[0], *parts[1:-1]] if len(parts) > 1 else []
    return [*leading, "\n".join(lines)], keyboard(rows) if rows else None


# Room kept in a question's message for what comes with its label: the heading (a title of up to 200
# characters, "Question 3 of 10") and the line saying what to do; and for a question answered by typing,
# the answer so far.
HEADING_ROOM = 400
ANSWER_ROOM = surveys.TEXT_MAX + 60


def label_parts(question: dict, _: Translator) -> list[str]:
    """The label as members read it: whole, or in parts when it would not fit one message with the rest
    of the question (a long consent note); always the same parts for the same question."""
    label = text_in(question["label"], _.language)
    room = MESSAGE_LIMIT - HEADING_ROOM - len(text_in(question.get("hint"), _.language))
    if question["type"] in TYPED:
        room -= ANSWER_ROOM
    return split_text(label, room)


# Where a long text may be cut, best first: a paragraph, a line, a sentence (Khmer ។ and ៕ too), a space
# (or the zero-width space some Khmer text puts between words).
_BREAKS = ("\n\n", "\n", "។ ", "។", "៕", ". ", "? ", "! ", " ", "\u200b")


def split_text(text: str, size: int) -> list[str]:
    """Text in parts of at most `size` characters, each cut where a reader would pause; inside a word only
    when nothing else will do, and never inside a Khmer letter cluster."""
    parts, rest = [], text.strip()
    while len(rest) > size:
        cut = _cut(rest, size)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest] if rest or not parts else parts


def _cut(text: str, size: int) -> int:
    window = text[:size]
    for mark in _BREAKS:
        at = window.rfind(mark, size // 2)
        if at > 0:
            return at + len(mark)
    cut = size
    # Not before a vowel sign or other mark, nor after the coeng that puts the next consonant below.
    while cut > 1 and (unicodedata.category(text[cut]) in ("Mn", "Mc", "Me") or text[cut - 1] == "\u17d2"):
        cut -= 1
    return cut


def _question_buttons(question: dict, value, rid: int, index: int, _: Translator) -> list[list]:
    kind = question["type"]
    rows: list[list] = []
    if kind in xlsform.CHOICE_TYPES:
        labels = [text_in(c["label"], _.language) for c in question["choices"]]
        if kind == "select_one":
            buttons = [button(("✅ " if c["name"] == value else "") + label, f"sv:c:{rid}:{index}:{i}")
                       for i, (c, label) in enumerate(zip(question["choices"], labels, strict=True))]
        else:
            chosen = set(value or [])
            buttons = [button(("☑️ " if c["name"] in chosen else "⬜ ") + label, f"sv:t:{rid}:{index}:{i}")
                       for i, (c, label) in enumerate(zip(question["choices"], labels, strict=True))]
        rows = [[buttons[i] for i in row] for row in choice_rows(labels, question.get("layout"),
                                                                 question.get("per_row"))]
        if kind == "select_multiple":
            rows.append([button("✅ " + _("Done"), f"sv:d:{rid}:{index}")])
    elif kind == "rating":
        values = xlsform.rating_values(question)
        row_size = 6 if len(values) > 6 else len(values)
        ratings = [button(("✅" if v == value else "") + rating_text(v, _), f"sv:c:{rid}:{index}:{i}")
                   for i, v in enumerate(values)]
        rows = [ratings[i:i + row_size] for i in range(0, len(ratings), row_size)]
    elif kind == "note":
        rows = [[button(_("Next") + " ▶", f"sv:n:{rid}:{index}")]]
    elif value is not None:
        rows = [[button("✅ " + _("Keep my answer"), f"sv:n:{rid}:{index}")]]
    navigation = []
    if index > 0:
        navigation.append(button("◀ " + _("Back"), f"sv:b:{rid}:{index}"))
    if not question["required"] and kind != "note":
        navigation.append(button(_("Skip") + " ⏭", f"sv:s:{rid}:{index}"))
    rows.append(navigation)
    return rows


# A phone shows about this many Latin letters across a row of buttons; the buttons of a row share its width
# equally, and each needs some margin (and room for a ✅ or ☑️ mark).
ROW_WIDTH = 36
BUTTON_MARGIN = 3
MOST_COLUMNS = 5  # for columns and pack without a number: more is hard to read, however short the labels


def label_width(text: str) -> float:
    """Roughly how wide a label is on a button, in Latin letters: Khmer letters are wider, and vowel signs
    above or below and a subscript consonant (after the coeng) take no room of their own."""
    width, subscript = 0.0, False
    for ch in text:
        if ch == "\u17d2":  # the coeng: the next consonant is written below
            subscript = True
        elif subscript or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            subscript = False
        else:
            width += 1.4 if "\u1780" <= ch <= "\u17ff" else 1.0
    return width


def choice_rows(labels: list[str], layout: str | None, per_row: int | None = None) -> list[list[int]]:
    """Which choices share a row of buttons (by index): one a row, unless the appearance asked for a layout —
    likert (the scale in one row), columns (equal columns) or pack (rows filled in turn) — and then as many
    as fit a phone's width, never more than asked."""
    count = len(labels)
    if not layout or count == 0:
        return [[i] for i in range(count)]
    widths = [label_width(label) + BUTTON_MARGIN for label in labels]
    if layout == "pack":
        rows: list[list[int]] = [[]]
        for i, width in enumerate(widths):
            row = rows[-1]
            if row and (len(row) == MOST_COLUMNS
                        or (len(row) + 1) * max(width, *(widths[j] for j in row)) > ROW_WIDTH):
                rows.append(row := [])
            row.append(i)
        return rows
    most = per_row or (min(count, xlsform.MAX_PER_ROW) if layout == "likert" else MOST_COLUMNS)
    columns = max((n for n in range(1, most + 1) if n * max(widths) <= ROW_WIDTH), default=1)
    return [list(range(i, min(i + columns, count))) for i in range(0, count, columns)]


def thanks_screen(step: Step, _: Translator) -> tuple[str, object]:
    text = _("✅ Thank you! Your answers to <b>{title}</b> have been saved.").format(
        title=esc(survey_title(step.survey, _.language))) + "\n\n" + closing_line(step.survey, _)
    return text, keyboard([[button("✏️ " + _("Change my answers"), f"sv:edit:{step.response.id}")]])


def answered_record(question: dict, value, _: Translator) -> str:
    """What a question message turns into once answered: the question (the last part of a long one) and the
    answer (a note stays as it is)."""
    label = f"<b>{esc(label_parts(question, _)[-1])}</b>"
    if question["type"] == "note":
        return label
    if value is None:
        return label + "\n⏭ " + _("Skipped")
    return label + "\n✅ " + answer_text(question, value, _)


def unavailable_text(step: Step, _: Translator) -> str:
    if step.status is Status.CLOSED:
        return _("This survey is closed. Thank you for your interest.")
    if step.status is Status.NOT_SENT:
        return _("This survey was not sent to you.")
    return _("This survey could not be found. The button may be out of date.")


def invalid_text(step: Step, _: Translator) -> str:
    if step.reason == "constraint":
        message = text_in((step.question or {}).get("constraint_message"), _.language)
        return esc(message) if message else _(INVALID["constraint"])
    limit = surveys.VOICE_MAX_SECONDS // 60 if step.reason == "voice_long" else surveys.TEXT_MAX
    return _(INVALID[step.reason]).format(limit=_.number(limit))


# ---------------------------------------------------------------- member handlers


async def _registered(update: Update, context: AppContext) -> Member | None:
    """The member pressing or typing, if registered; otherwise says to register first."""
    member = await load_member(context, update.effective_user.id)
    if member is not None and member.registered_at is not None:
        return member
    _ = tr(member, update)
    if update.callback_query:
        await update.callback_query.answer(_("Please register first: send /start."), show_alert=True)
    else:
        await reply(update, _("Please register first: send /start."))
    return None


async def _member_of(update: Update, context: AppContext, step: Step) -> Member | None:
    """The member acting: found with their response; otherwise looked up (saying to register if they are not)."""
    if step.member is not None:
        return step.member
    return await _registered(update, context)


async def _present(update: Update, context: AppContext, step: Step, _: Translator) -> None:
    """Sends the question the member is on (remembering its message, to close it once answered by typing),
    or the thanks when they are done."""
    if step.response is None or step.response.current is None:
        await reply(update, *thanks_screen(step, _))
        return
    texts, markup = question_messages(step, _)
    for text in texts[:-1]:
        await update.effective_chat.send_message(text)
    message = await update.effective_chat.send_message(texts[-1], reply_markup=markup)
    async with context.services.db.session() as session:
        await surveys.remember_message(session, step, message.message_id)


async def _retire(update: Update, context: AppContext, message_id: int | None) -> None:
    """Takes the buttons off the question message the member last got (it is about to be sent again)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id=update.effective_chat.id, message_id=message_id,
                                                    reply_markup=None)
    except BadRequest:
        pass


async def _close_typed_question(update: Update, context: AppContext, message_id: int | None, step: Step,
                                _: Translator) -> None:
    """Turns the question just answered by typing into a record of the answer, without its buttons."""
    if message_id is None or step.asked is None:
        return
    question = step.survey.questions[step.asked]
    try:
        await context.bot.edit_message_text(answered_record(question, step.answers.get(question["name"]), _),
                                            chat_id=update.effective_chat.id, message_id=message_id)
    except BadRequest:
        pass


async def start_survey(update: Update, context: AppContext) -> None:
    """Starts the survey from its invitation, or resumes it at the question the member was on."""
    async with context.unit_of_work() as session:
        step = await surveys.begin(session, int(context.match.group(1)), update.effective_user.id, context.now())
        await surveys.hold_focus(session, step, context.now())
    member = await _member_of(update, context, step)
    if member is None:
        return
    _ = translator(member.language)
    if step.status in (Status.NOT_FOUND, Status.NOT_SENT, Status.CLOSED):
        await update.callback_query.answer(unavailable_text(step, _), show_alert=True)
        return
    await update.callback_query.answer()
    if step.status is Status.DONE:
        await reply(update, _("You have already answered this survey.") + "\n\n" + closing_line(step.survey, _),
                    keyboard([[button("✏️ " + _("Change my answers"), f"sv:edit:{step.response.id}")]]))
        return
    await _present(update, context, step, _)


async def change_answers(update: Update, context: AppContext) -> None:
    """Takes a member who finished back to the first question to change their answers."""
    async with context.unit_of_work() as session:
        step = await surveys.edit(session, int(context.match.group(1)), update.effective_user.id, context.now())
        await surveys.hold_focus(session, step, context.now())
    member = await _member_of(update, context, step)
    if member is None:
        return
    _ = translator(member.language)
    if step.status is not Status.OK:
        await update.callback_query.answer(unavailable_text(step, _), show_alert=True)
        return
    await update.callback_query.answer()
    await _clear_buttons(update)
    await _present(update, context, step, _)


_ACTIONS = {"c": surveys.choose, "t": surveys.toggle}
_MOVES = {"d": surveys.done, "s": surveys.skip, "n": surveys.proceed, "b": surveys.back}


async def on_answer_button(update: Update, context: AppContext) -> None:
    """A choice, tick, Done, Skip, Next or Back on the question being asked; anything else changes nothing."""
    action, rid, index, choice = context.match.group(1), int(context.match.group(2)), int(context.match.group(3)), \
        context.match.group(4)
    if (action in _ACTIONS) != (choice is not None):
        member = await _registered(update, context)
        if member is not None:
            await answer_stale(update, translator(member.language))
        return
    telegram_id, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        if action in _ACTIONS:
            step = await _ACTIONS[action](session, rid, telegram_id, index, int(choice), now)
        else:
            step = await _MOVES[action](session, rid, telegram_id, index, now)
        in_place = action == "t" or (_asks_with_buttons(step) and (step.response.current == index
                                                                   or _one_message_each(step, index)))
        await surveys.hold_focus(session, step, now, message_id=_pressed_message_id(update) if in_place else None)
    member = await _member_of(update, context, step)
    if member is None:
        return
    _ = translator(member.language)
    query = update.callback_query
    if step.status in (Status.NOT_FOUND, Status.CLOSED):
        await query.answer(unavailable_text(step, _), show_alert=True)
        if step.status is Status.CLOSED:
            await _clear_buttons(update)
        return
    if step.status is Status.STALE:
        await answer_stale(update, _)
        return
    if step.status is Status.INVALID:
        await query.answer(invalid_text(step, _), show_alert=True)
        return
    await query.answer()
    if in_place:
        await _ask_in_place(update, context, step, _)
        return
    question = step.survey.questions[index]
    if action == "b":
        await _clear_buttons(update)
    else:
        await _mark_answered(update, answered_record(question, step.answers.get(question["name"]), _))
    await _present(update, context, step, _)


def _asks_with_buttons(step: Step) -> bool:
    """Whether the member is now on a question answered with buttons (or a note)."""
    return step.status is Status.OK and step.question is not None and step.question["type"] not in TYPED


def _one_message_each(step: Step, index: int) -> bool:
    """Whether the question pressed on and the one the member is now on each fit one message, so that the
    second can take the first's place (a long one comes as new messages, below the parts of the other)."""
    _ = translator(step.member.language if step.member else None)
    return all(len(label_parts(q, _)) == 1 for q in (step.survey.questions[index], step.question))


def _pressed_message_id(update: Update) -> int | None:
    message = update.callback_query.message
    return message.message_id if message is not None else None


async def _ask_in_place(update: Update, context: AppContext, step: Step, _: Translator) -> None:
    """Shows the question the member is now on in the message they pressed (a tick redraws the same question)."""
    text, markup = question_screen(step, _)
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            await _present(update, context, step, _)


async def _clear_buttons(update: Update) -> None:
    """Takes the buttons off the pressed message (an old question can't be answered from there)."""
    try:
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass


async def _mark_answered(update: Update, text: str) -> None:
    try:
        await update.callback_query.edit_message_text(text, reply_markup=None)
    except BadRequest:
        await _clear_buttons(update)


async def _typed_step(session, update: Update, rid: int, now: datetime) -> Step:
    """The typed answer or voice note, taken by the service."""
    message: Message = update.message
    if message.voice is not None:
        # Read from the raw object: the `duration` property warns about its coming type change.
        duration = int(message.voice.to_dict().get("duration") or 0)
        return await surveys.answer_voice(session, rid, update.effective_user.id, message.voice.file_id, duration, now)
    return await surveys.answer_typed(session, rid, update.effective_user.id, message.text, now)


@draft_input.on_input(ANSWER)
async def take_answer(update: Update, context: AppContext, draft: Draft) -> None:
    """A typed answer or a voice note for the question being asked."""
    if update.message.voice is None and update.message.text is None:
        member = await _registered(update, context)
        if member is not None:
            _ = translator(member.language)
            await reply(update, _("Please answer with the buttons or by typing text."))
        return
    rid, now = int(draft.data.get("response_id", 0)), context.now()
    async with context.unit_of_work() as session:
        step = await _typed_step(session, update, rid, now)
        await surveys.hold_focus(session, step, now)
        if step.status in (Status.NOT_FOUND, Status.CLOSED):
            await drafts.discard(session, update.effective_user.id, ANSWER)
    member = await _member_of(update, context, step)
    if member is None:
        return
    _ = translator(member.language)
    message_id = draft.data.get("message_id")
    if step.status in (Status.NOT_FOUND, Status.CLOSED):
        await reply(update, unavailable_text(step, _))
    elif step.status is Status.DONE:
        await reply(update, _("You have already answered this survey.") + "\n\n" + closing_line(step.survey, _))
    elif step.status is Status.INVALID:
        await reply(update, invalid_text(step, _))
        if step.reason in ("buttons", "no_voice"):
            # The question again below the reason, its buttons moved from the older message.
            await _retire(update, context, message_id)
            await _present(update, context, step, _)
    else:
        await _close_typed_question(update, context, message_id, step, _)
        await _present(update, context, step, _)


async def my_surveys(update: Update, context: AppContext) -> None:
    """Lists the open surveys sent to the member, with where they stand in each."""
    member = await _registered(update, context)
    if member is None:
        return
    async with context.services.db.session() as session:
        found = await surveys.for_member(session, member.id, context.now())
    _ = translator(member.language)
    if not found:
        await reply(update, _("There is no open survey for you at the moment."))
        return
    lines, rows = ["<b>" + _("Surveys for you") + "</b>", ""], []
    for item in found:
        survey, response = item.survey, item.response
        if response is None:
            state = _("Not started")
        elif response.current is None:
            state = _("Answered — you can still change your answers")
        else:
            state = _("In progress: question {number} of {total}").format(
                number=_.number(surveys.position(survey.questions, response.current)),
                total=_.number(surveys.asked_count(survey.questions)))
        lines.append(f"📋 <b>{esc(survey_title(survey, _.language))}</b>\n{state}")
        rows.append([button("▶ " + survey_title(survey, _.language)[:40], f"sv:start:{survey.id}")])
    await reply(update, "\n\n".join(["\n".join(lines[:2])] + lines[2:]), keyboard(rows))


@deeplinks.on(r"sv_voice_\d{1,9}")
async def play_voice(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Sends a member's voice-note answer to a coordinator who opened its link from the export."""
    _ = translator(member.language)
    if not await is_coordinator(context, member.telegram_id):
        await reply(update, _("This link is for coordinators only."))
        return
    async with context.services.db.session() as session:
        found = await surveys.voice_answer(session, int(payload.removeprefix("sv_voice_")))
    if found is None:
        await reply(update, _("That link is not valid or has expired."))
        return
    answer, survey, author = found
    question = next((q for q in survey.questions if q["name"] == answer.question), None)
    label = text_in(question["label"], member.language) if question else answer.question
    caption = "🎤 " + _("{name} answered “{question}” in the survey <b>{title}</b>.").format(
        name=esc(author.name if author and author.name else "—"), question=esc(label[:200]),
        title=esc(survey_title(survey, member.language)))
    await update.effective_chat.send_voice(answer.voice_file_id, caption=caption)


# ---------------------------------------------------------------- defining a survey


def _upload_prompt(_: Translator) -> tuple[str, object]:
    text = "\n".join([
        "<b>" + _("New survey") + "</b>", "",
        _("Send an XLSForm (.xlsx or .xls) as a document, with labels in the columns “label::English (en)” and "
          "“label::Khmer (km)”. Or build a short survey here in the chat."), "",
        _("Supported: select_one, select_multiple, integer, decimal, text, date, note, range (as a rating), "
          "required, constraint with constraint_message, and relevant skip logic."), "",
        _("In the appearance column: likert, columns, columns-N and columns-pack put choice buttons side by side; "
          "numbers asks for digits only; thousands-sep shows numbers as 12,500; month-year and year ask for a "
          "month or a year."),
    ])
    return text, keyboard([[button("💬 " + _("Build a short survey here"), "svb:new")],
                           [button("📄 " + _("Send me the example form"), "svn:example")],
                           [button(_("Cancel"), "svn:cancel")]])


async def new_survey(update: Update, context: AppContext) -> None:
    """Asks the coordinator for an XLSForm, or offers to build a short survey in the chat."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, BUILDER)
        await drafts.begin(session, update.effective_user.id, UPLOAD, step="file", now=context.now())
    await reply(update, *_upload_prompt(_))


async def send_example(update: Update, context: AppContext) -> None:
    """Sends the example post-workshop feedback form to start from."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        InputFile(EXAMPLE.read_bytes(), filename=EXAMPLE.name),
        caption=_("The example post-workshop feedback form. Change it in Excel or LibreOffice and send it back."))


async def cancel_new(update: Update, context: AppContext) -> None:
    """Drops the survey being uploaded or built."""
    if await require_coordinator(update, context) is not None:
        await draft_input.cancel_form(update, context, UPLOAD, BUILDER)


class _Values(dict):
    """A problem's values for its message; one the message wants but the problem lacks shows as “…”."""

    def __missing__(self, key: str) -> str:
        return "…"


def problem_line(problem: xlsform.Problem, _: Translator) -> str:
    """One problem of an uploaded form: where it is, and why, in the coordinator's language."""
    params = _Values(sheet=problem.sheet, **problem.params)
    if problem.reason == "expression":
        params["error"] = _(EXPRESSION_ERRORS.get(params.get("error", ""), params.get("error", "")))
    if problem.reason == "relevant_cycle":
        params["questions"] = _circle(problem.params, _)
    if "language" in params and params["language"] in LANGUAGE_WORDS:
        params["language"] = _(LANGUAGE_WORDS[params["language"]])
    template = PROBLEMS.get(problem.reason) or WARNINGS.get(problem.reason) or PROBLEMS["pyxform"]
    for key in ("limit", "count", "length", "first"):
        if key in params and params[key].isdigit():
            params[key] = _.number(int(params[key]))
    text = _(template).format_map(params)
    if problem.row is not None:
        where = _("Sheet “{sheet}”, row {row}").format(sheet=problem.sheet, row=_.number(problem.row))
        return f"• <b>{esc(where)}:</b> {esc(text)}"
    return f"• {esc(text)}"


def _circle(params: dict[str, str], _: Translator) -> str:
    """'“has_loan” (row 2), “loan_amount” (row 3)': the questions of a relevance circle."""
    names, rows = params.get("names", "").split(","), params.get("rows", "").split(",")
    return ", ".join(_("“{name}” (row {row})").format(name=name, row=_.number(int(row)) if row.isdigit() else "…")
                     for name, row in zip(names, rows, strict=False))


def problems_messages(problems: list[xlsform.Problem], _: Translator) -> list[str]:
    """Every problem of an uploaded form, one line each, in as few messages as Telegram's length allows."""
    head = "❌ <b>" + _("This form can't be used yet.") + "</b> " + _(
        "Please correct these rows and send the file again:")
    return _packed([head, ""] + [problem_line(p, _) for p in problems])


def _packed(lines: list[str]) -> list[str]:
    """Lines joined into messages under the length limit, a line never cut."""
    messages, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > MESSAGE_LIMIT:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    messages.append(current)
    return messages


@draft_input.on_input(UPLOAD)
async def take_form(update: Update, context: AppContext, draft: Draft) -> None:
    """Reads an uploaded XLSForm: the survey is saved as a draft, or every problem is listed by row."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    document = update.message.document
    if document is None or not (document.file_name or "").lower().endswith(xlsform.EXTENSIONS):
        await reply(update, _("Please send the form as an Excel file (.xlsx or .xls), as a document."))
        return
    if (document.file_size or 0) > xlsform.MAX_FILE_BYTES:
        for text in problems_messages([xlsform.Problem("file_size", None, "", (
                ("limit", str(xlsform.MAX_FILE_BYTES // 1024)),))], _):
            await reply(update, text)
        return
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    try:
        # pyxform and openpyxl are synchronous: read the workbook off the event loop.
        form = await asyncio.to_thread(xlsform.parse, data, document.file_name)
    except xlsform.InvalidForm as exc:
        for text in problems_messages(exc.problems, _):
            await reply(update, text)
        return
    async with context.unit_of_work() as session:
        survey = await surveys.create(session, title=form.title, questions=form.questions, meta=form.meta,
                                      source="xlsform", form_id=form.form_id, version=form.version,
                                      created_by=update.effective_user.id, now=context.now())
        await drafts.discard(session, update.effective_user.id, UPLOAD)
        screen = await manage_screen(session, survey, _)
    head = "✅ " + _("The form was read. Questions to answer: {count}.").format(
        count=_.number(surveys.asked_count(form.questions)))
    notes = [problem_line(w, _) for w in form.warnings]
    for text in _packed([head, "", *notes] if notes else [head]):
        await reply(update, text)
    await reply(update, *screen)


# ---------------------------------------------------------------- building a short survey in the chat


def _builder_screen(data: dict, _: Translator) -> tuple[str, object]:
    questions = data.get("questions", [])
    lines = [f"📋 <b>{esc(text_in(data.get('title'), _.language))}</b>", ""]
    if questions:
        lines.append(_("Questions so far:"))
        lines += [f"{_.number(i + 1)}. {esc(text_in(q['label'], _.language))}" for i, q in enumerate(questions)]
        lines.append("")
    lines.append(_("What kind of question comes next?"))
    rows = []
    if len(questions) < surveys.BUILDER_MAX_QUESTIONS:
        rows.append([button(_(label), f"svb:kind:{kind}") for kind, label in BUILDER_KINDS.items()])
    if questions:
        rows.append([button("✅ " + _("Finish"), "svb:finish")])
    rows.append([button(_("Cancel"), "svn:cancel")])
    return "\n".join(lines), keyboard(rows)


def _two_lines(_: Translator) -> str:
    return _("English on the first line, Khmer on the second (optional).")


async def build_new(update: Update, context: AppContext) -> None:
    """Starts a short survey in the chat: first its title."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, UPLOAD)
        await drafts.begin(session, update.effective_user.id, BUILDER, step="title", data={"questions": []},
                           now=context.now())
    await update.callback_query.answer()
    await reply(update, _("Type the survey's title:") + " " + _two_lines(_),
                keyboard([[button(_("Cancel"), "svn:cancel")]]))


async def build_kind(update: Update, context: AppContext) -> None:
    """Sets the kind of the next question and asks for its text."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    kind = context.match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        ok = draft is not None and draft.step == "kind" and len(
            draft.data.get("questions", [])) < surveys.BUILDER_MAX_QUESTIONS
        if ok:
            drafts.advance(draft, step="question", now=context.now(), kind=kind)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _clear_buttons(update)
    await reply(update, _("Type the question:") + " " + _two_lines(_),
                keyboard([[button(_("Cancel"), "svn:cancel")]]))


@draft_input.on_input(BUILDER)
async def take_builder_text(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the title, a question or its options, as typed."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    text = update.message.text
    if text is None or draft.step == "kind":
        await reply(update, _("Please use the buttons."))
        return
    try:
        if draft.step == "options":
            value = surveys.clean_options(text)
        else:
            value = surveys.clean_title(text)
    except surveys.InvalidInput as exc:
        low, high = surveys.BUILDER_OPTIONS
        limit = xlsform.MAX_CHOICE_LABEL if exc.reason == "option_long" else surveys.TITLE_MAX
        await reply(update, _(BUILDER_INVALID[exc.reason]).format(limit=_.number(limit), low=_.number(low),
                                                                  high=_.number(high)))
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        data = dict(draft.data)
        if draft.step == "title":
            drafts.advance(draft, step="kind", now=context.now(), title=value)
        elif draft.step == "question" and data.get("kind") == "select_one":
            drafts.advance(draft, step="options", now=context.now(), label=value)
        else:
            label = data.get("label") if draft.step == "options" else value
            options = value if draft.step == "options" else None
            questions = [*data.get("questions", []),
                         surveys.built_question(len(data.get("questions", [])), data["kind"], label, options)]
            drafts.advance(draft, step="kind", now=context.now(), questions=questions)
        step, data = draft.step, dict(draft.data)
    if step == "options":
        await reply(update, _("Type the options, one per line, as: English | Khmer (the Khmer part is optional)."),
                    keyboard([[button(_("Cancel"), "svn:cancel")]]))
    else:
        await reply(update, *_builder_screen(data, _))


async def build_finish(update: Update, context: AppContext) -> None:
    """Saves the survey built in the chat as a draft, ready to be sent."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        if draft is None or draft.step != "kind" or not draft.data.get("questions"):
            survey = None
        else:
            survey = await surveys.create(session, title=draft.data["title"], questions=draft.data["questions"],
                                          source="chat", created_by=update.effective_user.id, now=context.now())
            await drafts.discard(session, update.effective_user.id, BUILDER)
            screen = await manage_screen(session, survey, _)
    if survey is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *screen)


# ---------------------------------------------------------------- managing: audience, closing, sending


async def manage_screen(session, survey: Survey, _: Translator) -> tuple[str, object]:
    """The survey as the coordinator sees it: who gets it, when it closes, the reminder, and what to do next."""
    sid = survey.id
    lines = [f"📋 <b>{esc(survey.title_en)}</b>"]
    if survey.title_km != survey.title_en:
        lines.append(f"<b>{esc(survey.title_km)}</b>")
    source = _("from an XLSForm") if survey.source == "xlsform" else _("built in the chat")
    count = surveys.asked_count(survey.questions)
    lines += [_.ngettext("{count} question", "{count} questions", count).format(count=_.number(count)) + " · " + source,
              "", _("Status: {status}").format(status=_(STATUS_WORDS[survey.status]))]
    event = await session.get(Event, survey.event_id) if survey.event_id else None
    if event is not None:
        lines.append("🗓 " + _("To the checked-in attendees of {event}").format(
            event=esc(event_title(event, _.language))) + f" ({event_when(event, _)})")
    else:
        audience = Audience.from_json(survey.audience)
        members = sum((await size(session, audience)).values())
        lines.append("👥 " + esc(describe(audience, _)) + " · " + _.ngettext(
            "{count} member", "{count} members", members).format(count=_.number(members)))
    lines.append("⏰ " + (_("Closes on {moment}").format(moment=_.datetime(survey.closes_at, surveys.LOCAL_ZONE))
                         if survey.closes_at else _("No closing time")))
    lines.append("🔔 " + (_("One reminder {delay} after sending, to those who have not finished").format(
        delay=_.duration(timedelta(minutes=survey.reminder_minutes)))
        if survey.reminder_minutes else _("No reminder")))
    rows = []
    if survey.status == surveys.DRAFT:
        rows = [[button("👥 " + _("Members"), f"svm:aud:{sid}"), button("🗓 " + _("Event attendees"), f"svm:evs:{sid}")],
                [button("⏰ " + _("Closing time"), f"svm:cat:{sid}"), button("🔔 " + _("Reminder"), f"svm:rem:{sid}")],
                [button("📤 " + _("Send"), f"svm:send:{sid}")],
                [button("🗑 " + _("Discard"), f"svm:del:{sid}")]]
    elif survey.status in (surveys.OPEN, surveys.SCHEDULED):
        rows = [[button("📊 " + _("Results"), f"rs:sv:{sid}"), button("🔒 " + _("Close the survey"), f"svm:end:{sid}")]]
    return "\n".join(lines), keyboard(rows)


async def manage(update: Update, context: AppContext) -> None:
    """One management action on a survey: audience, event, reminder, discard or close; then the screen again."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    action, survey_id, extra = context.match.group(1), int(context.match.group(2)), context.match.group(3)
    query = update.callback_query
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, survey_id)
        result = await _apply(session, survey, action, extra, context, update.effective_user.id)
        screen = await manage_screen(session, survey, _) if result == "screen" else None
        sizes = await size(session, Audience.from_json(survey.audience)) if result == "picker" else None
        events = await surveys.events_to_attach(session, context.now()) if result == "events" else None
    if result == "stale":
        await answer_stale(update, _)
        return
    await query.answer()
    if result == "screen":
        await show(update, *screen)
    elif result == "picker":
        await show(update, *picker_screen(Audience.from_json(survey.audience), _, f"svm:a:{survey_id}", sizes,
                                          heading=_("Who should receive the survey?")))
    elif result == "events":
        await show(update, *_events_screen(survey_id, events, _))
    elif result == "closing":
        await reply(update, _("Type the closing date and time as day/month/year hour:minute, for example "
                              "20/12/2024 17:00 ({zone}).").format(zone=esc(_.zone(context.settings.tz))),
                    keyboard([[button(_("No closing time"), f"svm:noclose:{survey_id}")]]))
    elif result == "discarded":
        await show(update, _("The survey was discarded."))
    elif result == "closed":
        await _reschedule(context.application)
        await show(update, _("The survey is closed. Members can no longer answer it."))


async def _apply(session, survey: Survey | None, action: str, extra: str | None, context: AppContext,
                 telegram_id: int) -> str:
    """Carries out a management action; returns what to show next ('stale' when the action no longer applies)."""
    if survey is None:
        return "stale"
    if action == "end":
        return "closed" if await surveys.close(session, survey, context.now()) else "stale"
    if survey.status != surveys.DRAFT:
        return "stale"
    if action == "aud":
        return "picker"
    if action == "evs":
        return "events"
    if action == "ev":
        return "screen" if extra and await surveys.attach_event(session, survey, int(extra)) else "stale"
    if action == "rem":
        survey.reminder_minutes = surveys.next_reminder_choice(survey.reminder_minutes)
        return "screen"
    if action == "cat":
        await drafts.begin(session, telegram_id, CLOSING, step="closes_at",
                           data={"survey_id": survey.id}, now=context.now())
        return "closing"
    if action == "noclose":
        survey.closes_at = None
        await drafts.discard(session, telegram_id, CLOSING)
        return "screen"
    if action == "del":
        return "discarded" if await surveys.discard(session, survey) else "stale"
    return "stale"


def _events_screen(survey_id: int, events, _: Translator) -> tuple[str, object]:
    if not events:
        return _("There is no recent or coming event to choose."), keyboard(
            [[button("◀ " + _("Back"), f"svm:back:{survey_id}")]])
    rows = [[button(f"{event_title(e, _.language)[:40]} · {_.date(e.ends_at, surveys.LOCAL_ZONE, 'short')}",
                    f"svm:ev:{survey_id}:{e.id}")] for e in events]
    rows.append([button("◀ " + _("Back"), f"svm:back:{survey_id}")])
    return _("The survey goes to the people checked in at the event. If the event has not ended yet, it goes "
             "when the event ends. Which event?"), keyboard(rows)


async def manage_back(update: Update, context: AppContext) -> None:
    """Back from the event list to the survey's screen."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        survey = await surveys.get(session, int(context.match.group(1)))
        screen = await manage_screen(session, survey, _) if survey else None
    if screen is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *screen)


async def pick_audience(update: Update, context: AppContext) -> None:
    """A press on the audience picker: toggles a segment, or (Done) sets it and returns to the survey."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    survey_id = int(context.match.group(1))
    prefix = f"svm:a:{survey_id}"
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, survey_id)
        choice = None
        if survey is not None and survey.status == surveys.DRAFT:
            choice = parse(prefix, update.callback_query.data, Audience.from_json(survey.audience))
        if choice is not None:
            surveys.set_audience(survey, choice.audience)
            sizes = await size(session, choice.audience)
            screen = await manage_screen(session, survey, _) if choice.done else None
    if choice is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if choice.done:
        await show(update, *screen)
    else:
        await show(update, *picker_screen(choice.audience, _, prefix, sizes, view=choice.view,
                                          heading=_("Who should receive the survey?")))


@draft_input.on_input(CLOSING)
async def take_closing(update: Update, context: AppContext, draft: Draft) -> None:
    """Sets the survey's closing time from a typed date and time."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    try:
        moment = parse_moment(update.message.text or "", surveys.LOCAL_ZONE)
    except InvalidMoment:
        await reply(update, _("Please type the date and time as day/month/year hour:minute, for example 20/12/2024 17:00."))
        return
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, int(draft.data.get("survey_id", 0)))
        await drafts.discard(session, update.effective_user.id, CLOSING)
        if survey is None or survey.status != surveys.DRAFT:
            screen = None
        else:
            try:
                surveys.set_closing(survey, moment, context.now())
            except surveys.InvalidInput:
                screen = "past"
            else:
                screen = await manage_screen(session, survey, _)
    if screen is None:
        await reply(update, _("This survey can no longer be changed."))
    elif screen == "past":
        await reply(update, _("That moment has already passed. Please choose a later one."))
    else:
        await reply(update, *screen)


async def send_survey(update: Update, context: AppContext) -> None:
    """Sends the survey now through the outbox, or schedules it for the end of its event."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    survey_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, survey_id)
        outcome = None
        if survey is not None:
            outcome = await surveys.send(session, survey, now=context.now(), content=intro_content,
                                         status_chat_id=update.effective_chat.id, status_language=_.language)
            screen = await manage_screen(session, survey, _)
            event = await session.get(Event, survey.event_id) if survey.event_id else None
    if outcome in (None, surveys.Sent.NOT_DRAFT):
        await answer_stale(update, _)
        return
    if outcome is surveys.Sent.NOBODY:
        await update.callback_query.answer(_("No one would receive this survey now. Please choose who gets it."),
                                           show_alert=True)
        return
    await update.callback_query.answer()
    if outcome is surveys.Sent.SENT:
        context.services.delivery.wake()
        note = _("📤 The survey is on its way. You will see the delivery report here.")
    else:
        note = _("📅 The survey will go to the checked-in attendees when the event ends ({moment}).").format(
            moment=_.datetime(event.ends_at, surveys.LOCAL_ZONE))
    await _reschedule(context.application)
    await show(update, *screen)
    await reply(update, note)


# ---------------------------------------------------------------- after an event: the scheduled pass


def _services(application: Application) -> Services:
    return application.bot_data["services"]


async def run_due(application: Application) -> surveys.Due:
    """Sends surveys whose event has ended, the reminders that are due, and closes surveys past closing."""
    services = _services(application)
    async with application.bot_data[_LOCK_KEY]:
        async with services.db.session() as session:
            due = await surveys.run_due(session, services.clock.now(), content=intro_content,
                                        reminder_content=reminder_content)
    if due.sent or due.reminded or due.closed:
        log.info("surveys sent %s, reminded %s, closed %s", due.sent, due.reminded, due.closed)
    if due.deliveries and services.delivery is not None:
        services.delivery.wake()
    await _reschedule(application)
    return due


async def _fire(context: AppContext) -> None:
    await run_due(context.application)


async def _reschedule(application: Application) -> None:
    """One job, at the next moment survey work falls due (timed by the bot's clock)."""
    if application.job_queue is None:
        return
    services = _services(application)
    for job in application.job_queue.get_jobs_by_name(DUE_JOB):
        job.schedule_removal()
    async with services.db.session() as session:
        moment = await surveys.next_due(session)
    if moment is not None:
        delay = max(moment - services.clock.now(), timedelta(0)) + timedelta(seconds=1)
        application.job_queue.run_once(_fire, when=delay, name=DUE_JOB)


@system.on_start
async def rebuild_jobs(application: Application) -> None:
    """At start-up: work that fell due while the bot was down is done now, the next is scheduled."""
    await run_due(application)


# ---------------------------------------------------------------- results


RESULTS_PAGE = 8


async def results_menu(update: Update, context: AppContext) -> None:
    """Lists the surveys sent and the polls, newest first, a page at a time; unsent drafts are a button away."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await reply(update, *await _results_screen(context, 0, _))


async def results_page(update: Update, context: AppContext) -> None:
    """Shows newer or older surveys and polls in place of the list pressed on."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await update.callback_query.answer()
    await show(update, *await _results_screen(context, int(context.match.group(1)), _))


async def _results_screen(context: AppContext, offset: int, _: Translator) -> tuple[str, object]:
    async with context.services.db.session() as session:
        items, older = await surveys.with_results(session, offset=offset, limit=RESULTS_PAGE)
        unsent = await surveys.count_unsent(session)
    rows = [[button(_listed_label(item, _), f"rs:sv:{item.id}" if isinstance(item, Survey) else f"rs:pl:{item.id}")]
            for item in items]
    rows.append(_paging("rs:pg", offset, older, _))
    if unsent:
        rows.append([button("📝 " + _("Not sent yet ({count})").format(count=_.number(unsent)), "rs:dr:0")])
    if items or offset:
        return _("Which results would you like to see?"), keyboard(rows)
    if unsent:
        return _("No survey or poll has been sent yet."), keyboard(rows)
    return _("There are no surveys or polls yet. Create one with /newsurvey or /poll."), None


def _listed_label(item, _: Translator) -> str:
    """A survey or a poll, and the day it went out (two surveys may well have the same title)."""
    if isinstance(item, Survey):
        return _dated("📋", survey_title(item, _.language), surveys.went_out(item), _)
    return _dated("📊", item.question_km if _.language == "km" else item.question_en, surveys.went_out(item), _)


def _dated(icon: str, title: str, moment: datetime, _: Translator) -> str:
    """'📋 Post-workshop feedback · 13/12/2024'."""
    return f"{icon} {title[:50]} · {_.date(moment, surveys.LOCAL_ZONE, 'short')}"


def _paging(prefix: str, offset: int, more: bool, _: Translator) -> list:
    """◀ Newer and Older ▶, as far as there is something to go to."""
    row = []
    if offset > 0:
        row.append(button("◀ " + _("Newer"), f"{prefix}:{max(offset - RESULTS_PAGE, 0)}"))
    if more:
        row.append(button(_("Older") + " ▶", f"{prefix}:{offset + RESULTS_PAGE}"))
    return row


async def unsent_surveys(update: Update, context: AppContext) -> None:
    """Lists the surveys not sent yet, newest first; each opens its screen, to choose who gets it and send it."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    offset = int(context.match.group(1))
    async with context.services.db.session() as session:
        found = await surveys.unsent(session, offset=offset, limit=RESULTS_PAGE + 1)
    await update.callback_query.answer()
    rows = [[button(_dated("📋", survey_title(s, _.language), s.created_at, _), f"svm:back:{s.id}")]
            for s in found[:RESULTS_PAGE]]
    rows.append(_paging("rs:dr", offset, len(found) > RESULTS_PAGE, _))
    rows.append([button("◀ " + _("Results"), "rs:pg:0")])
    text = _("Surveys not sent yet. Open one to choose who gets it and send it.") if found else _(
        "There is no survey waiting to be sent.")
    await show(update, text, keyboard(rows))


def _percent(_: Translator, part: int, whole: int) -> str:
    return _.percent(part / whole) if whole else "—"


def _breakdown_label(kind: str, key: str, _: Translator) -> str:
    labels = GENDERS if kind == "gender" else STAKEHOLDERS
    return _(labels[key]) if key in labels else _("Not given")


def _tally_line(question: dict, tally: surveys.Tally, _: Translator) -> str:
    if question["type"] in ("integer", "decimal", "rating"):
        mean = tally.mean
        return _("mean {mean}").format(mean=_.number(round(mean, 2))) if mean is not None else "—"
    return " · ".join(f"{esc(choice_label(question, c['name'], _.language))} {_.number(tally.counts[c['name']])}"
                      for c in question["choices"] if tally.counts[c["name"]])


def question_result_lines(number: int, result: surveys.QuestionResult, _: Translator) -> list[str]:
    """One question's counts and percentages (or mean), then by gender and by stakeholder type."""
    question, overall = result.question, result.overall
    lines = [f"<b>{_.number(number)}. {esc(short_label(question, _.language))}</b>"]
    kind = question["type"]
    answered = _.ngettext("{count} answer", "{count} answers", overall.answered).format(count=_.number(overall.answered))
    if kind in ("select_one", "select_multiple", "rating"):
        options = ([(c["name"], text_in(c["label"], _.language)) for c in question["choices"]] if kind != "rating"
                   else [(v, _.number(v)) for v in xlsform.rating_values(question)])
        for key, label in options:
            count = overall.counts[key]
            lines.append(f"• {esc(label)} — {_.number(count)} ({_percent(_, count, overall.answered)})")
    if kind in ("integer", "decimal", "rating"):
        mean = overall.mean
        lines.append(_("Mean: {mean}").format(mean=_.number(round(mean, 2)) if mean is not None else "—"))
    if kind in ("text", "date"):
        voices = _.ngettext("{count} voice note", "{count} voice notes", result.voice_notes).format(
            count=_.number(result.voice_notes)) if result.voice_notes else ""
        lines.append(answered + (f" · {voices}" if voices else "") + " — " + _("see the Excel export."))
    else:
        lines.append(answered)
    if kind != "text" and kind != "date" and overall.answered:
        for kind_name, groups, heading in (("gender", result.by_gender, _("By gender")),
                                           ("stakeholder", result.by_stakeholder, _("By stakeholder type"))):
            parts = [f"{esc(_breakdown_label(kind_name, key, _))} ({_.number(t.answered)}): {_tally_line(question, t, _)}"
                     for key, t in sorted(groups.items(), key=lambda kv: -kv[1].answered)]
            lines.append(f"<i>{heading}:</i> " + "; ".join(parts))
    return lines


def results_messages(outcome: surveys.Results, _: Translator) -> list[str]:
    """The results as one or more messages, each under Telegram's length limit."""
    survey = outcome.survey
    head = [f"📊 <b>{esc(survey_title(survey, _.language))}</b>",
            _("Status: {status}").format(status=_(STATUS_WORDS[survey.status])),
            _("Sent to {sent} · {complete} responses ({rate}) · {started} started but not finished").format(
                sent=_.number(outcome.sent), complete=_.number(outcome.complete),
                rate=_percent(_, outcome.complete, outcome.sent), started=_.number(outcome.in_progress))]
    blocks = ["\n".join(head)]
    for number, result in enumerate(outcome.questions, start=1):
        blocks.append("\n".join(question_result_lines(number, result, _)))
    messages, current = [], ""
    for block in blocks:
        if current and len(current) + len(block) + 2 > MESSAGE_LIMIT:
            messages.append(current)
            current = ""
        if len(block) > MESSAGE_LIMIT:  # one question's results alone: in parts, line by line
            *whole, current = _packed(block.split("\n"))
            messages += whole
        else:
            current = f"{current}\n\n{block}" if current else block
    messages.append(current)
    return messages


async def survey_results(update: Update, context: AppContext) -> None:
    """Shows response counts, the response rate and every question's results, with chart and export buttons."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    survey_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        survey = await surveys.get(session, survey_id)
        outcome = await surveys.results(session, survey) if survey and survey.status != surveys.DRAFT else None
    if outcome is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    rows = [[button("📊 " + _("Charts"), f"rs:ch:{survey_id}")],
            [button("📥 " + _("Excel in {language}").format(language=LANGUAGE_NAMES[code]), f"rs:x:{survey_id}:{code}")
             for code in LANGUAGES]]
    if survey.status in (surveys.OPEN, surveys.SCHEDULED):
        rows.append([button("🔒 " + _("Close the survey"), f"svm:end:{survey_id}")])
    messages = results_messages(outcome, _)
    for text in messages[:-1]:
        await reply(update, text)
    await reply(update, messages[-1], keyboard(rows))


def chart_bars(question: dict, tally: surveys.Tally, _: Translator) -> list[charts.Bar]:
    if question["type"] == "rating":
        options = [(v, _.number(v)) for v in xlsform.rating_values(question)]
    else:
        options = [(c["name"], text_in(c["label"], _.language)) for c in question["choices"]]
    return [charts.Bar(label, tally.counts[key], f"{_.number(tally.counts[key])} ({_percent(_, tally.counts[key], tally.answered)})")
            for key, label in options]


def question_chart(result: surveys.QuestionResult, subtitle: str, _: Translator) -> bytes:
    """A bar chart of one closed-choice question: all answers, then women and men."""
    question = result.question
    panels = [(_("All answers ({count})").format(count=_.number(result.overall.answered)),
               chart_bars(question, result.overall, _))]
    for gender in ("woman", "man"):
        tally = result.by_gender.get(gender)
        if tally is not None and tally.answered:
            panels.append((_("{group} ({count})").format(group=_(GENDERS[gender]), count=_.number(tally.answered)),
                           chart_bars(question, tally, _)))
    return charts.bar_chart(title=short_label(question, _.language),
                                    subtitle=subtitle, panels=panels)


async def send_charts(update: Update, context: AppContext) -> None:
    """Sends a chart per closed-choice question (choices and ratings), labels in the coordinator's language."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        survey = await surveys.get(session, int(context.match.group(1)))
        outcome = await surveys.results(session, survey) if survey and survey.status != surveys.DRAFT else None
    if outcome is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    closed = [r for r in outcome.questions if r.question["type"] in ("select_one", "select_multiple", "rating")]
    if not closed or outcome.complete == 0:
        await reply(update, _("There is nothing to chart yet: no finished response to a question with choices."))
        return
    for result in closed:
        image = await asyncio.to_thread(question_chart, result, survey_title(outcome.survey, _.language), _)
        await update.effective_chat.send_photo(InputFile(image, filename=f"survey-{outcome.survey.id}.png"),
                                               caption=esc(short_label(result.question, _.language)))


def _kobo_time(moment: datetime | None) -> str | None:
    """A time as Kobo writes it: local ISO 8601 with the offset."""
    if moment is None:
        return None
    local = moment.astimezone(surveys.LOCAL_ZONE)
    return local.strftime("%Y-%m-%dT%H:%M:%S.000") + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]


def export_table(survey: Survey, records: list[surveys.Record], language: str, bot_username: str,
                 _: Translator) -> tuple[list[str], list[list]]:
    """The Kobo layout: a row per response, a column per question name, choice labels in `language`."""
    questions = [q for q in survey.questions if q["type"] != "note"]
    voiced = {name for r in records for name, a in r.answers.items() if a.voice_file_id}
    headers = list(survey.meta)
    for q in questions:
        headers.append(q["name"])
        if q["type"] == "select_multiple":
            headers += [f"{q['name']}/{c['name']}" for c in q["choices"]]
        if q["name"] in voiced:
            headers.append(f"{q['name']}_URL")
    headers += ["_member_name", "_gender", "_stakeholder", "_organisation", "_province", "_language",
                "_id", "_submission_time", "_index"]
    rows = []
    for index, record in enumerate(records, start=1):
        response, member = record.response, record.member
        meta = {"start": _kobo_time(response.started_at), "end": _kobo_time(response.completed_at),
                "today": response.completed_at.astimezone(surveys.LOCAL_ZONE).date().isoformat()}
        row: list = [meta[m] for m in survey.meta]
        for q in questions:
            answer = record.answers.get(q["name"])
            row += _export_cells(q, answer, language, bot_username, q["name"] in voiced, _)
        row += [member.name if member else None,
                _(GENDERS[member.gender]) if member and member.gender in GENDERS else None,
                _(STAKEHOLDERS[member.stakeholder]) if member and member.stakeholder in STAKEHOLDERS else None,
                member.organisation if member else None,
                province_label(member.province, language, _) or None if member else None,
                LANGUAGE_NAMES.get(member.language) if member else None,
                response.id, response.completed_at.strftime("%Y-%m-%dT%H:%M:%S"), index]
        rows.append(row)
    return headers, rows


def _export_cells(question: dict, answer, language: str, bot_username: str, voiced: bool, _: Translator) -> list:
    value = answer.value if answer is not None else None
    kind = question["type"]
    if kind == "select_one":
        cells = [choice_label(question, value, language) if value is not None else None]
    elif kind == "select_multiple":
        chosen = value or []
        cells = [", ".join(choice_label(question, n, language) for n in chosen) if answer is not None else None]
        cells += [(1 if c["name"] in chosen else 0) if answer is not None else None for c in question["choices"]]
    elif answer is not None and answer.voice_file_id:
        cells = [_("Voice note")]
    else:
        cells = [value]
    if voiced:
        cells.append(f"https://t.me/{bot_username}?start=sv_voice_{answer.id}" if answer is not None
                     and answer.voice_file_id else None)
    return cells


async def send_export(update: Update, context: AppContext) -> None:
    """Sends the responses as an XLSX in the layout Kobo users know, labels in the chosen language."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    survey_id, language = int(context.match.group(1)), context.match.group(2)
    async with context.services.db.session() as session:
        survey = await surveys.get(session, survey_id)
        found = await surveys.records(session, survey_id) if survey and survey.status != surveys.DRAFT else None
    if found is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    labels = translator(language)
    headers, rows = export_table(survey, found, language, context.bot.username, labels)
    data = exports.workbook(survey.form_id or "data", headers, rows)
    stamp = context.now().astimezone(surveys.LOCAL_ZONE).strftime("%Y-%m-%d")
    name = (survey.form_id or f"survey-{survey.id}")[:60]
    await update.effective_chat.send_document(
        InputFile(data, filename=f"{name}-{stamp}-{language}.xlsx"),
        caption=_.ngettext("{count} response", "{count} responses", len(rows)).format(count=_.number(len(rows))))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.bot_data[_LOCK_KEY] = asyncio.Lock()
    app.add_handler(CommandHandler("surveys", my_surveys, filters=private))
    app.add_handler(CommandHandler("newsurvey", new_survey, filters=private))
    app.add_handler(CommandHandler("results", results_menu, filters=private))
    app.add_handler(CallbackQueryHandler(start_survey, pattern=r"^sv:start:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(change_answers, pattern=r"^sv:edit:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(on_answer_button, pattern=r"^sv:([ctdsnb]):(\d{1,9}):(\d{1,3})(?::(\d{1,3}))?$"))
    app.add_handler(CallbackQueryHandler(send_example, pattern=r"^svn:example$"))
    app.add_handler(CallbackQueryHandler(cancel_new, pattern=r"^svn:cancel$"))
    app.add_handler(CallbackQueryHandler(build_new, pattern=r"^svb:new$"))
    app.add_handler(CallbackQueryHandler(build_kind, pattern=r"^svb:kind:(select_one|rating|text)$"))
    app.add_handler(CallbackQueryHandler(build_finish, pattern=r"^svb:finish$"))
    app.add_handler(CallbackQueryHandler(pick_audience, pattern=r"^svm:a:(\d{1,9}):"))
    app.add_handler(CallbackQueryHandler(send_survey, pattern=r"^svm:send:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(manage_back, pattern=r"^svm:back:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(
        manage, pattern=r"^svm:(aud|evs|ev|rem|cat|noclose|del|end):(\d{1,9})(?::(\d{1,9}))?$"))
    app.add_handler(CallbackQueryHandler(survey_results, pattern=r"^rs:sv:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(results_page, pattern=r"^rs:pg:(\d{1,6})$"))
    app.add_handler(CallbackQueryHandler(unsent_surveys, pattern=r"^rs:dr:(\d{1,6})$"))
    app.add_handler(CallbackQueryHandler(send_charts, pattern=r"^rs:ch:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(send_export, pattern=r"^rs:x:(\d{1,9}):(en|km)$"))
