"""The XLSForm appearance column: what each appearance does in the chat (choice buttons several to a row,
digits-only text, thousands separators, a month or a year), and the appearances refused at upload with
their row and reason."""

from __future__ import annotations

import unicodedata

import pytest

from bot import xlsform
from bot.i18n import translator
from bot.services import surveys
from handlers.surveys.screens import choice_rows
from tests.helpers_surveys import HEADER, XLSX, YES_NO, answers_of, people, problems, send_and_deliver, workbook

en = translator("en")
km = translator("km")
APPEARANCE = [*HEADER, "appearance"]
AGREE = [["agree", "disagree", "Disagree", "មិនយល់ស្រប"], ["agree", "unsure", "Unsure", "មិនប្រាកដ"],
         ["agree", "agree", "Agree", "យល់ស្រប"]]
CROPS = [["crops", name, label, khmer] for name, label, khmer in (
    ("rice", "Rice", "ស្រូវ"), ("vegetables", "Vegetables", "បន្លែ"), ("fruit", "Fruit trees", "ដើមឈើហូបផ្លែ"),
    ("fish", "Fish", "ត្រី"), ("pigs", "Pigs", "ជ្រូក"), ("chickens", "Chickens", "មាន់"))]


def row(kind: str, name: str, appearance: str, *, required: str = "yes") -> list[str]:
    return [kind, name, name.capitalize(), name, required, "", "", appearance]


def recorded(member, answer: str) -> bool:
    """Whether a question message in the member's chat now records this answer."""
    return any(text.endswith("\n✅ " + answer) for text in member.texts())


def as_typed(_, number) -> str:
    """A number without thousands separators (a year, a number as typed), in the reader's digits."""
    return _.number(number).replace(",", "")


def form(*rows: list[str]) -> bytes:
    return workbook(list(rows), header=APPEARANCE, choices=YES_NO + AGREE + CROPS)


# ---------------------------------------------------------------- reading the column


@pytest.mark.parametrize(("kind", "appearance", "stored"), [
    ("select_one agree", "likert", {"layout": "likert"}),
    ("select_one agree", "minimal quick", {}),
    ("select_one crops", "columns", {"layout": "columns"}),
    ("select_one crops", "horizontal", {"layout": "columns"}),
    ("select_multiple crops", "columns-3", {"layout": "columns", "per_row": 3}),
    ("select_multiple crops", "compact-2", {"layout": "columns", "per_row": 2}),
    ("select_multiple crops", "columns-pack minimal", {"layout": "pack"}),
    ("select_one crops", "horizontal-compact", {"layout": "pack"}),
    ("text", "multiline", {}),
    ("text", "numbers", {"digits": True}),
    ("text", "Multiline  numbers", {"digits": True}),
    ("integer", "thousands-sep", {"grouped": True}),
    ("decimal", "thousands-sep", {"grouped": True}),
    ("date", "no-calendar", {}),
    ("date", "month-year no-calendar", {"precision": "month"}),
    ("date", "year", {"precision": "year"}),
])
def test_appearances_that_mean_something_in_a_chat_are_kept_with_the_question(kind, appearance, stored):
    [question] = xlsform.parse(form(row(kind, "q", appearance))).questions
    assert {key: question[key] for key in ("layout", "per_row", "digits", "grouped", "precision")
            if key in question} == stored


def test_a_range_takes_the_appearances_of_a_rating_as_its_row_of_buttons():
    data = workbook([["range", "r", "Rate", "វាយតម្លៃ", "yes", "", "", "rating vertical picker no-ticks",
                      "start=1 end=5"]], header=[*APPEARANCE, "parameters"])
    [question] = xlsform.parse(data).questions
    assert question["type"] == "rating" and question["range"] == {"start": 1, "end": 5, "step": 1}


def test_appearances_a_chat_cannot_honour_are_refused_by_row_with_the_reason():
    data = form(
        row("select_one yes_no", "a", "autocomplete"),
        row("select_one crops", "b", "search('crops', 'contains', 'name', 'ri ce')"),
        row("text", "c", "multiline url"),
        row("integer", "d", "counter"),
        row("text", "e", "ex:org.example.scanner(x='1')"),
        row("date", "f", "ethiopian"),
        row("text", "g", "likert"),
        row("select_multiple agree", "h", "likert quick"),
        row("select_one agree", "i", "likert columns-3"),
        row("date", "j", "month-year year"),
        row("select_one crops", "k", "columns-12"),
        row("select_one yes_no", "l", "sparkly"),
    )
    assert problems(data) == [
        ("appearance_form_only", 2, {"appearance": "autocomplete", "type": "select_one"}),
        ("appearance_form_only", 3, {"appearance": "search('crops', 'contains', 'name', 'ri ce')",
                                     "type": "select_one"}),
        ("appearance_form_only", 4, {"appearance": "url", "type": "text"}),
        ("appearance_form_only", 5, {"appearance": "counter", "type": "integer"}),
        ("appearance_form_only", 6, {"appearance": "ex:org.example.scanner(x='1')", "type": "text"}),
        ("appearance_calendar", 7, {"appearance": "ethiopian", "type": "date"}),
        ("appearance_wrong_type", 8, {"appearance": "likert", "type": "text"}),
        ("appearance_wrong_type", 9, {"appearance": "likert", "type": "select_multiple"}),
        ("appearance_wrong_type", 9, {"appearance": "quick", "type": "select_multiple"}),
        ("appearance_conflict", 10, {"first": "likert", "second": "columns-3"}),
        ("appearance_conflict", 11, {"first": "month-year", "second": "year"}),
        ("appearance_columns", 12, {"appearance": "columns-12", "limit": "8"}),
        ("appearance_unknown", 13, {"appearance": "sparkly", "type": "select_one"}),
    ]


def test_a_group_drawn_as_one_screen_is_asked_one_question_at_a_time_with_a_warning():
    data = form(["begin_group", "farm", "Farm", "កសិដ្ឋាន", "", "", "", "field-list"],
                row("integer", "hectares", "w2"),
                ["end_group"])
    parsed = xlsform.parse(data)
    assert [q["name"] for q in parsed.questions] == ["hectares"]
    assert [(w.reason, w.row, w.params) for w in parsed.warnings] == [
        ("appearance_ignored", 2, {"appearance": "field-list"}), ("appearance_ignored", 3, {"appearance": "w2"})]
    refused = form(["begin_group", "farm", "Farm", "កសិដ្ឋាន", "", "", "", "likert"], row("integer", "h", ""),
                   ["end_group"])
    assert problems(refused) == [("appearance_group", 2, {"appearance": "likert"})]


def test_appearance_names_are_split_on_spaces_outside_parentheses():
    assert xlsform.appearance_names(" minimal  search('a b', \"c d\")\tquick minimal") == [
        "minimal", "search('a b', \"c d\")", "quick"]
    assert xlsform.appearance_names(None) == []


def test_choices_share_rows_as_far_as_a_phone_is_wide():
    assert choice_rows(["Yes", "No"], None) == [[0], [1]]
    assert choice_rows(["Disagree", "Unsure", "Agree"], "likert") == [[0, 1, 2]]
    assert choice_rows(["មិនយល់ស្រប", "មិនប្រាកដ", "យល់ស្រប"], "likert") == [[0, 1, 2]]
    # A scale too wide for one row is laid out in equal columns rather than cut short.
    assert choice_rows(["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"], "likert") == [
        [0], [1], [2], [3], [4]]
    assert choice_rows(["Poor", "Fair", "Good", "Very good", "Excellent"], "likert") == [[0, 1, 2], [3, 4]]
    crops = ["Rice", "Vegetables", "Fruit trees", "Fish", "Pigs", "Chickens"]
    assert choice_rows(crops, "columns") == [[0, 1], [2, 3], [4, 5]]
    assert choice_rows(crops, "columns", 1) == [[0], [1], [2], [3], [4], [5]]
    assert choice_rows(crops, "pack") == [[0, 1], [2, 3], [4, 5]]
    assert choice_rows(["1", "2", "3", "4", "5", "6", "7"], "pack") == [[0, 1, 2, 3, 4], [5, 6]]


# ---------------------------------------------------------------- in the chat


async def test_a_form_with_unsupported_appearances_is_refused_listing_each_row_and_appearance(bot, telegram, db, clock):
    coordinator, _sokha, _dara = await people(db, telegram, clock)
    await coordinator.command("newsurvey")
    await coordinator.send_document(form(row("select_one yes_no", "a", "likert"),
                                         row("select_one crops", "b", "minimal autocomplete"),
                                         row("date", "c", "islamic")), "form.xlsx", XLSX)
    where = en("Sheet “{sheet}”, row {row}")
    assert coordinator.last.text == "\n".join([
        "❌ <b>" + en("This form can't be used yet.") + "</b> " + en("Please correct these rows and send the file again:"),
        "",
        "• <b>" + where.format(sheet="survey", row="3") + ":</b> " + en(
            "The appearance “{appearance}” needs a form screen (ODK Collect or Enketo) and can't be shown in a "
            "chat.").format(appearance="autocomplete"),
        "• <b>" + where.format(sheet="survey", row="4") + ":</b> " + en(
            "The “{appearance}” calendar is not supported: members type dates as day/month/year.").format(
            appearance="islamic"),
    ])


async def test_appearances_shape_the_questions_members_answer(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await coordinator.command("newsurvey")
    await coordinator.send_document(form(
        row("select_one agree", "view", "likert"),
        row("select_multiple crops", "crops", "columns-2"),
        row("text", "phone", "numbers"),
        row("integer", "area", "thousands-sep"),
        row("date", "since", "month-year"),
        row("date", "founded", "year"),
    ), "form.xlsx", XLSX)
    assert coordinator.messages[-2].text.startswith("✅ ")
    await send_and_deliver(bot, db, coordinator)

    await sokha.press("▶ " + km("Start"))
    # The likert scale in one row; the crops two to a row, then Done on its own.
    assert [[b["text"] for b in r] for r in sokha.last.buttons()] == [["មិនយល់ស្រប", "មិនប្រាកដ", "យល់ស្រប"]]
    await sokha.press("យល់ស្រប")
    assert [len(r) for r in sokha.last.buttons()] == [2, 2, 2, 1, 1]
    await sokha.press("⬜ ស្រូវ")
    await sokha.press("⬜ ត្រី")
    await sokha.press("✅ " + km("Done"))
    assert km("Type your answer using digits only, for example 012345678.") in sokha.last.text
    await sokha.send("ដប់ពីរ")
    assert sokha.last.text == km("Please type digits only (0–9), for example 012345678.")
    await sokha.send_voice(4)
    assert sokha.last.text == km("Please type digits only (0–9), for example 012345678.")
    await sokha.send("០១២ ៣៤៥ ៦៧៨")
    await sokha.send("១២៥០០")
    assert recorded(sokha, km.number(12500))
    assert km("Type the month and year as month/year, for example 12/2024.") in sokha.last.text
    await sokha.send("១៣/២០២៣")
    assert sokha.last.text == km("Please type the month and year as month/year, for example 12/2024.")
    await sokha.send("០៣/២០២៣")
    assert recorded(sokha, "មីនា " + as_typed(km, 2023))
    await sokha.send("២០១៩")
    assert recorded(sokha, as_typed(km, 2019))
    assert await answers_of(db, 501) == {"view": "agree", "crops": ["rice", "fish"], "phone": "012345678",
                                         "area": 12500, "since": "2023-03-01", "founded": "2019-01-01"}

    await dara.press("▶ " + en("Start"))
    assert [[b["text"] for b in r] for r in dara.last.buttons()] == [["Disagree", "Unsure", "Agree"]]
    await dara.press("Unsure")
    await dara.press("⬜ Vegetables")
    await dara.press("✅ " + en("Done"))
    await dara.send("12a")
    assert dara.last.text == en("Please type digits only (0–9), for example 012345678.")
    await dara.send("0977 123 456")
    await dara.send("1500")
    assert recorded(dara, "1,500")
    await dara.send("2024-11")
    assert recorded(dara, "November 2024")
    await dara.send("24")
    assert dara.last.text == en("Please type a year with four digits, for example 2024.")
    await dara.send("2010")
    answers = await answers_of(db, 502)
    assert (answers["phone"], answers["since"], answers["founded"]) == ("0977123456", "2024-11-01", "2010-01-01")


def test_a_whole_number_without_thousands_sep_is_shown_as_typed():
    from handlers.surveys.words import answer_text

    assert answer_text({"type": "integer"}, 2024, en) == "2024"
    assert answer_text({"type": "integer", "grouped": True}, 2024, en) == "2,024"
    assert answer_text({"type": "decimal"}, 12500.5, km) == as_typed(km, 12500.5)
    assert surveys.parse_typed({"type": "text", "digits": True}, "០០៧") == "007"


# ---------------------------------------------------------------- long labels and ratings, as members see them

CONSENT_EN = " ".join(f"Paragraph {i}: your answers stay with the network & are never sold; <b>no</b> names are "
                      "published without your agreement." for i in range(60))
CONSENT_KM = "\n\n".join(f"កថាខណ្ឌទី {i}៖ ចម្លើយរបស់អ្នកនៅជាមួយបណ្តាញ ហើយមិនត្រូវបានលក់ឡើយ។ "
                         "គ្មានឈ្មោះណាមួយត្រូវបានផ្សព្វផ្សាយដោយគ្មានការយល់ព្រមពីអ្នកទេ។" for i in range(60))
AGREE_EN = "Having read all of the above, do you agree to take part? " * 60
AGREE_KM = "បន្ទាប់ពីបានអានខាងលើទាំងអស់ តើអ្នកយល់ព្រមចូលរួមទេ? " * 70


def _compact(text: str) -> str:
    return "".join(text.split())


async def test_a_long_consent_note_comes_in_parts_markup_shown_as_written_and_the_survey_goes_on(
        bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    assert min(len(CONSENT_EN), len(CONSENT_KM)) > 6000 and min(len(AGREE_EN), len(AGREE_KM)) > 3400
    await coordinator.command("newsurvey")
    await coordinator.send_document(workbook([
        ["note", "consent", CONSENT_EN, CONSENT_KM],
        ["select_one yes_no", "agree", AGREE_EN, AGREE_KM, "yes"],
        ["range", "useful", "How useful?", "មានប្រយោជន៍ប៉ុណ្ណា?", "yes", "", "", "start=1 end=5"],
    ], header=[*HEADER, "parameters"]), "consent.xlsx", XLSX)
    await send_and_deliver(bot, db, coordinator)
    for member, _, label, agree, yes in ((sokha, km, CONSENT_KM, AGREE_KM, "បាទ/ចាស"),
                                         (dara, en, CONSENT_EN, AGREE_EN, "Yes")):
        before = len(member.messages)
        await member.press("▶ " + _("Start"))
        parts = member.messages[before:]
        assert len(parts) >= 3 and [m.has_inline_keyboard for m in parts] == [False] * (len(parts) - 1) + [True]
        assert parts[0].plain_text.startswith("📋 consent\n\n")
        assert _compact("".join(m.plain_text for m in parts)) == _compact("📋 consent" + label)
        if member is dara:
            assert "&lt;b&gt;no&lt;/b&gt;" in parts[0].text  # the form's markup, shown as written
        before = len(member.messages)
        await member.press(_("Next") + " ▶")
        assert len(member.messages) - before >= 2
        assert _compact(agree) in _compact("".join(m.plain_text for m in member.messages[before:]))
        assert member.last.button_texts()[0] == yes
        await member.press(yes)
        assert member.messages[-2].plain_text.endswith("\n✅ " + yes)  # the long question's last part, answered
        assert member.last.button_texts()[:5] == (["១", "២", "៣", "៤", "៥"] if _ is km else ["1", "2", "3", "4", "5"])
    assert (await answers_of(db, 501))["agree"] == "yes"


def test_a_label_too_long_to_read_in_a_chat_is_refused_with_its_length_and_the_limit():
    data = workbook([["note", "terms", "T" * 10_500, "ល" * 10_500]])
    assert problems(data) == [("label_too_long", 2, {"length": "10500", "limit": "10000"})]


def test_long_text_is_cut_where_a_reader_pauses_and_never_inside_a_khmer_letter():
    from handlers.surveys.screens import split_text

    assert split_text("One. Two. Three.", 10) == ["One. Two.", "Three."]
    assert split_text("First paragraph.\n\nSecond one.", 20) == ["First paragraph.", "Second one."]
    khmer = "ស្រូវ" * 10  # no space to cut at: cut between clusters, not after the coeng (្) or before a vowel sign
    parts = split_text(khmer, 12)
    assert "".join(parts) == khmer and all(len(p) <= 12 for p in parts)
    assert all(not p.endswith("\u17d2") and unicodedata.category(p[0]) not in ("Mn", "Mc") for p in parts)


async def test_ratings_in_khmer_use_khmer_digits_and_store_the_number(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await coordinator.command("newsurvey")
    await coordinator.send_document(workbook([
        ["range", "useful", "How useful?", "មានប្រយោជន៍ប៉ុណ្ណា?", "yes", "", "", "start=1 end=5"],
        ["text", "why", "Why?", "ហេតុអ្វី?"],
    ], header=[*HEADER, "parameters"]), "rating.xlsx", XLSX)
    await send_and_deliver(bot, db, coordinator)
    await sokha.press("▶ " + km("Start"))
    assert sokha.last.button_texts()[:5] == ["១", "២", "៣", "៤", "៥"]
    assert km("Choose a number from {low} to {high}.").format(low="១", high="៥") in sokha.last.text
    await sokha.press("៤")
    await dara.press("▶ " + en("Start"))
    assert dara.last.button_texts()[:5] == ["1", "2", "3", "4", "5"]
    assert en("Choose a number from {low} to {high}.").format(low="1", high="5") in dara.last.text
    await dara.press("4")
    assert (await answers_of(db, 501))["useful"] == 4 == (await answers_of(db, 502))["useful"]
