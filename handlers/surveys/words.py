"""The survey feature's words: labels, help and refusal texts, and the short texts made from a survey, a
question or an answer in the member's language.
"""

from __future__ import annotations

from datetime import date, datetime, time

from bot import forms, xlsform
from bot.i18n import N_, Translator
from bot.models import Survey
from bot.services import surveys
from bot.text import esc


ANSWER, UPLOAD, BUILDER, CLOSING = surveys.FOCUS, "survey_upload", "survey_builder", "survey_closing"
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
# Why a title, question or options typed as lines (bot.forms) were refused: in the survey builder, and in
# a quick poll, whose limits are Telegram's.
BUILDER_INVALID = {
    "empty": N_("That was empty. Please type some text."),
    "lines": N_("Please write at most two lines: English, then Khmer."),
    "too_long": N_("That is too long. Please keep it under {limit} characters."),
    "option_format": N_("Please write each option on its own line as: English | Khmer"),
    "option_long": N_("An option is too long: at most {limit} characters."),
    "option_count": N_("Please give between {low} and {high} options."),
    "option_repeated": N_("Two options are the same. Please make each one different."),
}
POLL_INVALID = {
    **BUILDER_INVALID,
    "too_long": N_("The question is too long: Telegram allows at most {limit} characters."),
    "option_long": N_("An option is too long: Telegram allows at most {limit} characters."),
    "option_count": N_("A poll needs between {low} and {high} options."),
}


def refusal(words: dict[str, str], error: forms.Invalid, options: tuple[int, int], _: Translator) -> str:
    """Why typed lines were refused, in the coordinator's language (`options`: how few and how many)."""
    low, high = options
    return _(words[error.reason]).format(limit=_.number(error.limit or 0), low=_.number(low), high=_.number(high))


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
    return packed([head, ""] + [problem_line(p, _) for p in problems])


def packed(lines: list[str]) -> list[str]:
    """Lines joined into messages under the length limit, a line never cut."""
    messages, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > MESSAGE_LIMIT:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    messages.append(current)
    return messages
