"""What members and coordinators see of a survey, made from plain data and a translator: the intro and
reminder, each question with its buttons, thanks, and the coordinator's upload, builder, event and survey screens.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from bot import xlsform
from bot.event_text import title as event_title
from bot.event_text import when as event_when
from bot.i18n import LANGUAGES, Translator, translator
from bot.models import Event, Member, Survey, SurveyAnswer
from bot.services import polls, surveys
from bot.services.audience import Audience
from bot.services.surveys import Status, Step
from bot.text import esc
import handlers.surveys.callbacks as routes
from handlers.surveys.forms import Builder
from handlers.surveys.words import (
    BUILDER_KINDS,
    INVALID,
    MESSAGE_LIMIT,
    STATUS_WORDS,
    TYPED,
    answer_text,
    closing_line,
    packed,
    problem_line,
    rating_text,
    survey_title,
    text_in,
    type_help,
)
from handlers.ui.audience_picker import describe
from handlers.ui.common import button, keyboard


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
                             "buttons": [[["▶ " + _("Start"), routes.START.data(survey.id)]]]}
    return content


def reminder_content(survey: Survey) -> dict[str, dict]:
    """The one reminder to those who have not finished, in every language."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = _("🔔 Reminder: you have not finished the survey <b>{title}</b> yet. It only takes a few minutes.").format(
            title=esc(survey_title(survey, language)))
        content[language] = {"text": text, "buttons": [[["▶ " + _("Continue"), routes.START.data(survey.id)]]]}
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
            buttons = [button(("✅ " if c["name"] == value else "") + label, routes.answer("c", rid, index, i))
                       for i, (c, label) in enumerate(zip(question["choices"], labels, strict=True))]
        else:
            chosen = set(value or [])
            buttons = [button(("☑️ " if c["name"] in chosen else "⬜ ") + label, routes.answer("t", rid, index, i))
                       for i, (c, label) in enumerate(zip(question["choices"], labels, strict=True))]
        rows = [[buttons[i] for i in row] for row in choice_rows(labels, question.get("layout"),
                                                                 question.get("per_row"))]
        if kind == "select_multiple":
            rows.append([button("✅ " + _("Done"), routes.answer("d", rid, index))])
    elif kind == "rating":
        values = xlsform.rating_values(question)
        row_size = 6 if len(values) > 6 else len(values)
        ratings = [button(("✅" if v == value else "") + rating_text(v, _), routes.answer("c", rid, index, i))
                   for i, v in enumerate(values)]
        rows = [ratings[i:i + row_size] for i in range(0, len(ratings), row_size)]
    elif kind == "note":
        rows = [[button(_("Next") + " ▶", routes.answer("n", rid, index))]]
    elif value is not None:
        rows = [[button("✅ " + _("Keep my answer"), routes.answer("n", rid, index))]]
    navigation = []
    if index > 0:
        navigation.append(button("◀ " + _("Back"), routes.answer("b", rid, index)))
    if not question["required"] and kind != "note":
        navigation.append(button(_("Skip") + " ⏭", routes.answer("s", rid, index)))
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


def change_keyboard(step: Step, _: Translator) -> object:
    """The button that takes a member who finished back to their answers, to change them."""
    return keyboard([[button("✏️ " + _("Change my answers"), routes.CHANGE.data(step.response.id))]])


def thanks_screen(step: Step, _: Translator) -> tuple[str, object]:
    text = _("✅ Thank you! Your answers to <b>{title}</b> have been saved.").format(
        title=esc(survey_title(step.survey, _.language))) + "\n\n" + closing_line(step.survey, _)
    return text, change_keyboard(step, _)


def already_answered(step: Step, _: Translator) -> str:
    return _("You have already answered this survey.") + "\n\n" + closing_line(step.survey, _)


def answered_record(question: dict, value, _: Translator) -> str:
    """What a question message turns into once answered: the question (the last part of a long one) and the
    answer (a note stays as it is)."""
    label = f"<b>{esc(label_parts(question, _)[-1])}</b>"
    if question["type"] == "note":
        return label
    if value is None:
        return label + "\n⏭ " + _("Skipped")
    return label + "\n✅ " + answer_text(question, value, _)


def member_surveys_screen(found: list[surveys.MemberSurvey], _: Translator) -> tuple[str, object]:
    """The open surveys sent to a member, with where they stand in each and a button to each."""
    if not found:
        return _("There is no open survey for you at the moment."), None
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
        rows.append([button("▶ " + survey_title(survey, _.language)[:40], routes.START.data(survey.id))])
    return "\n\n".join(["\n".join(lines[:2])] + lines[2:]), keyboard(rows)


def voice_caption(answer: SurveyAnswer, survey: Survey, author: Member | None, _: Translator) -> str:
    """Who answered which question of which survey with the voice note sent to a coordinator."""
    question = next((q for q in survey.questions if q["name"] == answer.question), None)
    label = text_in(question["label"], _.language) if question else answer.question
    return "🎤 " + _("{name} answered “{question}” in the survey <b>{title}</b>.").format(
        name=esc(author.name if author and author.name else "—"), question=esc(label[:200]),
        title=esc(survey_title(survey, _.language)))


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


def upload_prompt(_: Translator) -> tuple[str, object]:
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
    return text, keyboard([[button("💬 " + _("Build a short survey here"), routes.BUILD.data())],
                           [button("📄 " + _("Send me the example form"), routes.EXAMPLE.data())],
                           [button(_("Cancel"), routes.CANCEL_NEW.data())]])


def form_read_messages(form: xlsform.Form, _: Translator) -> list[str]:
    """An uploaded form was read: how many questions it asks, and what the coordinator may want to check."""
    head = "✅ " + _("The form was read. Questions to answer: {count}.").format(
        count=_.number(surveys.asked_count(form.questions)))
    notes = [problem_line(w, _) for w in form.warnings]
    return packed([head, "", *notes] if notes else [head])


def ask_builder_text(step: str, _: Translator) -> tuple[str, object]:
    """What to type next for a survey built in the chat: its title, a question, or a question's options."""
    if step == "options":
        text = _("Type the options, one per line, as: English | Khmer (the Khmer part is optional).")
    else:
        text = (_("Type the survey's title:") if step == "title" else _("Type the question:")) + " " + two_lines(_)
    return text, keyboard([[button(_("Cancel"), routes.CANCEL_NEW.data())]])


def builder_screen(answers: Builder, _: Translator) -> tuple[str, object]:
    questions = answers.questions
    lines = [f"📋 <b>{esc(text_in(answers.title, _.language))}</b>", ""]
    if questions:
        lines.append(_("Questions so far:"))
        lines += [f"{_.number(i + 1)}. {esc(text_in(q['label'], _.language))}" for i, q in enumerate(questions)]
        lines.append("")
    lines.append(_("What kind of question comes next?"))
    rows = []
    if len(questions) < surveys.BUILDER_MAX_QUESTIONS:
        rows.append([button(_(label), routes.BUILD_KIND.data(kind)) for kind, label in BUILDER_KINDS.items()])
    if questions:
        rows.append([button("✅ " + _("Finish"), routes.BUILD_FINISH.data())])
    rows.append([button(_("Cancel"), routes.CANCEL_NEW.data())])
    return "\n".join(lines), keyboard(rows)


def two_lines(_: Translator) -> str:
    return _("English on the first line, Khmer on the second (optional).")


def events_screen(survey_id: int, events, _: Translator) -> tuple[str, object]:
    if not events:
        return _("There is no recent or coming event to choose."), keyboard(
            [[button("◀ " + _("Back"), routes.BACK.data(survey_id))]])
    rows = [[button(f"{event_title(e, _.language)[:40]} · {_.date(e.ends_at, surveys.LOCAL_ZONE, 'short')}",
                    routes.manage("ev", survey_id, e.id))] for e in events]
    rows.append([button("◀ " + _("Back"), routes.BACK.data(survey_id))])
    return _("The survey goes to the people checked in at the event. If the event has not ended yet, it goes "
             "when the event ends. Which event?"), keyboard(rows)


def closing_prompt(survey_id: int, zone, _: Translator) -> tuple[str, object]:
    """Asks for the survey's closing time (in the configured time zone), or none."""
    return _("Type the closing date and time as day/month/year hour:minute, for example "
             "20/12/2024 17:00 ({zone}).").format(zone=esc(_.zone(zone))), keyboard(
        [[button(_("No closing time"), routes.manage("noclose", survey_id))]])


def survey_screen(survey: Survey, event: Event | None, members: int, _: Translator) -> tuple[str, object]:
    """The survey as the coordinator sees it: who gets it (its event, or its audience of `members`), when it
    closes, the reminder, and what to do next."""
    sid = survey.id
    lines = [f"📋 <b>{esc(survey.title_en)}</b>"]
    if survey.title_km != survey.title_en:
        lines.append(f"<b>{esc(survey.title_km)}</b>")
    source = _("from an XLSForm") if survey.source == "xlsform" else _("built in the chat")
    count = surveys.asked_count(survey.questions)
    lines += [_.ngettext("{count} question", "{count} questions", count).format(count=_.number(count)) + " · " + source,
              "", _("Status: {status}").format(status=_(STATUS_WORDS[survey.status]))]
    if event is not None:
        lines.append("🗓 " + _("To the checked-in attendees of {event}").format(
            event=esc(event_title(event, _.language))) + f" ({event_when(event, _)})")
    else:
        lines.append("👥 " + esc(describe(Audience.from_json(survey.audience), _)) + " · " + _.ngettext(
            "{count} member", "{count} members", members).format(count=_.number(members)))
    lines.append("⏰ " + (_("Closes on {moment}").format(moment=_.datetime(survey.closes_at, surveys.LOCAL_ZONE))
                         if survey.closes_at else _("No closing time")))
    lines.append("🔔 " + (_("One reminder {delay} after sending, to those who have not finished").format(
        delay=_.duration(timedelta(minutes=survey.reminder_minutes)))
        if survey.reminder_minutes else _("No reminder")))
    rows = []
    if survey.status == surveys.DRAFT:
        rows = [[button("👥 " + _("Members"), routes.manage("aud", sid)), button("🗓 " + _("Event attendees"), routes.manage("evs", sid))],
                [button("⏰ " + _("Closing time"), routes.manage("cat", sid)), button("🔔 " + _("Reminder"), routes.manage("rem", sid))],
                [button("📤 " + _("Send"), routes.SEND.data(sid))],
                [button("🗑 " + _("Discard"), routes.manage("del", sid))]]
    elif survey.status in (surveys.OPEN, surveys.SCHEDULED):
        rows = [[button("📊 " + _("Results"), routes.RESULTS.data(sid)), button("🔒 " + _("Close the survey"), routes.manage("end", sid))]]
    return "\n".join(lines), keyboard(rows)


# ---------------------------------------------------------------- quick polls


def _poll_cancel_row(_: Translator) -> list:
    return [button(_("Cancel"), routes.POLL_CANCEL.data())]


def ask_question(_: Translator) -> tuple[str, object]:
    text = _("Type the poll question: English on the first line, Khmer on the second (optional). "
             "At most {limit} characters each.").format(limit=_.number(polls.QUESTION_MAX))
    return text, keyboard([_poll_cancel_row(_)])


def ask_options(_: Translator) -> tuple[str, object]:
    text = _("Type the options, one per line, as: English | Khmer (the Khmer part is optional). "
             "Between {low} and {high} options of at most {limit} characters.").format(
        low=_.number(polls.OPTIONS_MIN), high=_.number(polls.OPTIONS_MAX), limit=_.number(polls.OPTION_MAX))
    return text, keyboard([_poll_cancel_row(_)])


def poll_preview(question: dict, options: list, audience: Audience, members: int,
                 _: Translator) -> tuple[str, object]:
    """The poll in both languages and who gets it, with Send and Cancel."""
    lines = []
    for language in ("en", "km"):
        lines.append(f"📊 <b>{esc(question[language])}</b>")
        lines += [f"• {esc(option[language])}" for option in options]
        lines.append("")
    lines.append("👥 " + esc(describe(audience, _)) + " · " + _.ngettext(
        "{count} member", "{count} members", members).format(count=_.number(members)))
    return "\n".join(lines), keyboard([[button("📤 " + _("Send the poll"), routes.POLL_SEND.data())],
                                       _poll_cancel_row(_)])
