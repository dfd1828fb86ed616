"""Uploading real forms written by others: every problem listed in one answer, each with its sheet, row and a
reason in the coordinator's language; and what such forms hold that is not a problem at all (formulas with a
stored value, .xls files, sheets formatted far beyond their rows, a lone sheet with another name, `string`,
no form_title)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from bot.i18n import translator
from bot.services import surveys
from bot.text import esc
from bot.xlsform import rows as xlsform_rows
from handlers.surveys.words import PROBLEMS, WARNINGS
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import seed_members
from tests.helpers_surveys import HEADER, XLSX, YES_NO, latest_survey, send_and_deliver, workbook

XLS = "application/vnd.ms-excel"
CHOICES_HEADER = ["list_name", "name", "label::English (en)", "label::Khmer (km)"]


async def coordinator_in(language: str, db, telegram, clock):
    """The coordinator, reading the bot in `language`, and their translator."""
    await seed_members(db, telegram, clock, 1, start_id=COORDINATOR_ID, language=language, name="Coordinator")
    return telegram.user(COORDINATOR_ID, "Coordinator"), translator(language)


async def upload(coordinator, data: bytes, filename: str = "form.xlsx", mime: str = XLSX) -> str:
    """/newsurvey, then the file: everything the bot answered (one message, or several for a long list)."""
    await coordinator.command("newsurvey")
    before = len(coordinator.messages)
    await coordinator.send_document(data, filename, mime)
    return "\n".join(m.text for m in coordinator.messages[before:])


def line(_, reason: str, sheet: str | None = None, row: int | None = None, **values) -> str:
    """A problem's line as the coordinator reads it."""
    text = esc(_(PROBLEMS.get(reason) or WARNINGS[reason]).format(sheet=sheet, **values))
    if row is None:
        return f"• {text}"
    return "• <b>" + esc(_("Sheet “{sheet}”, row {row}").format(sheet=sheet, row=_.number(row))) + f":</b> {text}"


def book(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with these sheets, rows as given (the first row of each is its header)."""
    workbook_ = Workbook()
    workbook_.remove(workbook_.active)
    for name, rows in sheets.items():
        sheet = workbook_.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook_.save(buffer)
    return buffer.getvalue()


def with_stored_values(data: bytes, sheet_number: int, values: dict[str, tuple[str, str]]) -> bytes:
    """The workbook as Excel saves it: each formula cell (e.g. "E2") with the value it last gave, as (type, value).
    openpyxl writes formulas without one, as a workbook never opened in Excel."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    path = f"xl/worksheets/sheet{sheet_number}.xml"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == path:
                xml = content.decode()
                for cell, (kind, value) in values.items():
                    xml, found = re.subn(rf'<c r="{cell}"><f>(.*?)</f><v\s*/?>(?:</v>)?',
                                         rf'<c r="{cell}" t="{kind}"><f>\1</f><v>{value}</v>', xml)
                    assert found == 1, cell
                content = xml.encode()
            out.writestr(item, content)
    return target.getvalue()


def no_placeholder_left(text: str) -> bool:
    return re.search(r"\{\w+\}", text) is None


# ---------------------------------------------------------------- every problem, in one answer


EVERY_PROBLEM = workbook([
    ["select_one yes_no", "has_loan", "Do you have a loan?", "តើអ្នកមានប្រាក់កម្ចីទេ?", "yes", "${loan_amount} > 0"],
    ["integer", "loan_amount", "How much?", "ប៉ុន្មាន?", "", "${has_loan} = 'yes'"],
    ["text", "has_loan", "Again", "ម្តងទៀត"],
    ["select_one colours", "colour", "Colour?", "ពណ៌?"],
    ["select_multiple crops", "crop", "Crops?", "ដំណាំ?"],
    ["image", "photo", "A photo of the farm", "រូបថតកសិដ្ឋាន"],
    ["select_one yes_no or_other", "sex", "Sex?", "ភេទ?"],
    ["text", "sex_detail", "Which?", "មួយណា?", "", "${sex} = 'other'"],
    ["select_one yes_no or specify other", "group", "Group?", "ក្រុម?"],
], choices=[*YES_NO, ["yes_no", "maybe", "", ""]])


@pytest.mark.parametrize("language", ["en", "km"])
async def test_every_problem_of_a_form_is_listed_at_once_by_sheet_and_row_in_the_coordinators_language(
        bot, telegram, db, clock, language):
    coordinator, _ = await coordinator_in(language, db, telegram, clock)
    text = await upload(coordinator, EVERY_PROBLEM)
    expected = [
        line(_, "relevant_cycle", "survey", 2,
             questions=", ".join(_("“{name}” (row {row})").format(name=name, row=_.number(row))
                                 for name, row in (("has_loan", 2), ("loan_amount", 3)))),
        line(_, "duplicate_name", "survey", 4, name="has_loan", first=_.number(2)),
        line(_, "missing_list", "survey", 5, list="colours"),
        line(_, "missing_list", "survey", 6, list="crops"),
        line(_, "unsupported_type", "survey", 7, type="image"),  # as written, not pyxform's "photo"
        line(_, "or_other", "survey", 8),
        line(_, "or_other", "survey", 10),
        line(_, "choice_no_label", "choices", 4, list="yes_no", choice="maybe"),
    ]
    assert text.split("\n")[2:] == expected
    assert no_placeholder_left(text)
    for english in ("List name not in choices sheet", "must be unique", "unexpected", "photo"):
        assert english not in text
    async with db.session() as session:
        assert await surveys.unsent(session, offset=0, limit=5) == []


async def test_pyxform_problems_are_found_past_each_other_and_a_message_it_has_alone_is_quoted_as_a_detail(
        bot, telegram, db, clock):
    coordinator, _ = await coordinator_in("km", db, telegram, clock)
    data = workbook([
        ["text", "notes", "Notes", "កំណត់ចំណាំ", "", "", "rows=many"],
        ["begin_group", "farm", "Farm", "កសិដ្ឋាន"],
        ["text", "crop", "Crop of ${farmer}?", "ដំណាំរបស់ ${farmer}?"],
        ["end_group"],
        ["end_group"],
    ], header=[*HEADER[:6], "parameters"])
    text = await upload(coordinator, data)
    assert text.split("\n")[2:] == [
        line(_, "pyxform", "survey", 2, detail="Parameter rows must have an integer value."),
        line(_, "unknown_reference", "survey", 4, column="label", name="farmer"),
        line(_, "unmatched_end", "survey", 6, kind="group"),
    ]


# ---------------------------------------------------------------- sizes: filled cells only, said in full


@pytest.mark.parametrize("language", ["en", "km"])
async def test_an_oversized_form_says_the_sheet_the_count_and_the_limit_and_names_formula_cells(
        bot, telegram, db, clock, language):
    coordinator, _ = await coordinator_in(language, db, telegram, clock)
    header = HEADER + [f"extra_{i}" for i in range(54)]
    survey = [header] + [["text", f"q{i}", f"Q{i}", f"ស{i}"] for i in range(301)]
    choices = [CHOICES_HEADER, *YES_NO, ["yes_no", "=CONCATENATE(\"may\",\"be\")", "Maybe", "ប្រហែល"]]
    text = await upload(coordinator, book({"survey": survey, "choices": choices}))
    assert text.split("\n")[2:] == [
        line(_, "too_many_rows", sheet="survey", count=_.number(301), limit=_.number(300)),
        line(_, "too_many_columns", sheet="survey", count=_.number(61), limit=_.number(60)),
        line(_, "formula_without_value", "choices", 4, cells="B4"),
    ]
    assert no_placeholder_left(text)


async def test_a_sheet_formatted_to_its_last_row_with_a_stray_header_far_right_counts_its_filled_cells(
        bot, telegram, db, clock):
    coordinator, _ = await coordinator_in("en", db, telegram, clock)
    survey = book({"survey": [HEADER] + [["text", f"q{i}", f"Question {i}", f"សំណួរ {i}"] for i in range(82)]})
    from openpyxl import load_workbook

    formatted = load_workbook(io.BytesIO(survey))
    sheet = formatted["survey"]
    sheet.cell(row=1_048_576, column=1).font = Font(bold=True)  # formatting down to the sheet's last row
    sheet.cell(row=1, column=200).value = "notes"
    buffer = io.BytesIO()
    formatted.save(buffer)
    text = await upload(coordinator, buffer.getvalue())
    assert text.startswith("✅ " + _("The form was read. Questions to answer: {count}.").format(count=_.number(82)))
    assert len((await latest_survey(db)).questions) == 82


# ---------------------------------------------------------------- forms as others write them


async def test_formulas_are_read_by_the_value_excel_stored(bot, telegram, db, clock):
    coordinator, _ = await coordinator_in("en", db, telegram, clock)
    data = book({
        "survey": [HEADER, ["text", "village", "Village", "ភូមិ", "=TRUE()"], ["note", "thanks", "=C2", "=D2"]],
        "settings": [["form_title", "version"], ["Village visit", '=TEXT(NOW(),"yyyymmddhhmm")']],
    })
    data = with_stored_values(data, 1, {"E2": ("b", "1"), "C3": ("str", "Village"), "D3": ("str", "ភូមិ")})
    data = with_stored_values(data, 2, {"B2": ("str", "202412011530")})
    text = await upload(coordinator, data)
    assert text.startswith("✅ ")
    survey = await latest_survey(db)
    assert survey.form_version == "202412011530" and survey.title_en == "Village visit"
    village, thanks = survey.questions
    assert village["required"] is True
    assert thanks["label"] == {"en": "Village", "km": "ភូមិ"}


async def test_an_xls_workbook_is_read_as_pyxform_reads_it(bot, telegram, db, clock):
    import xlwt  # writes .xls in the test itself, as Excel 97-2003 does

    coordinator, _ = await coordinator_in("en", db, telegram, clock)

    def xls(survey: list[list]) -> bytes:
        workbook_ = xlwt.Workbook()
        for name, rows in (("survey", survey), ("choices", [CHOICES_HEADER, *YES_NO]),
                           ("settings", [["form_title::English (en)", "form_title::Khmer (km)"],
                                         ["Seed fair", "ពិព័រណ៍គ្រាប់ពូជ"]])):
            sheet = workbook_.add_sheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    sheet.write(r, c, value)
        buffer = io.BytesIO()
        workbook_.save(buffer)
        return buffer.getvalue()

    text = await upload(coordinator, xls([HEADER, ["select_one colours", "colour", "Colour?", "ពណ៌?"]]),
                        "seed_fair.xls", XLS)
    assert text.split("\n")[2:] == [line(_, "missing_list", "survey", 2, list="colours")]
    text = await upload(coordinator, xls([HEADER, ["select_one yes_no", "came", "Did you come?", "តើអ្នកបានមកទេ?"],
                                          ["integer", "seeds", "How many kinds?", "ប៉ុន្មានប្រភេទ?"]]),
                        "seed_fair.xls", XLS)
    assert text.startswith("✅ ")
    survey = await latest_survey(db)
    assert (survey.title_en, survey.title_km) == ("Seed fair", "ពិព័រណ៍គ្រាប់ពូជ")
    assert [(q["name"], q["type"]) for q in survey.questions] == [("came", "select_one"), ("seeds", "integer")]


@pytest.mark.parametrize("language", ["en", "km"])
async def test_choice_problems_are_said_once_per_choice_on_the_choices_sheet_even_with_upper_case_headers(
        bot, telegram, db, clock, language):
    coordinator, _ = await coordinator_in(language, db, telegram, clock)
    data = book({
        "survey": [["TYPE", "NAME", "LABEL::English (en)", "LABEL::Khmer (km)"],
                   ["select_one agree", "food", "Was the food good?", "តើម្ហូបឆ្ងាញ់ទេ?"],
                   ["select_one agree", "venue", "Was the venue good?", "តើទីកន្លែងល្អទេ?"],
                   ["geopoint", "where", "Where are you?", "តើអ្នកនៅឯណា?"]],
        "choices": [["LIST_NAME", "NAME", "LABEL::English (en)", "LABEL::Khmer (km)"],
                    ["agree", "yes", "", ""], ["agree", "no", "", ""], ["agree", "unsure", "Unsure", "មិនប្រាកដ"]],
    })
    text = await upload(coordinator, data)
    assert text.split("\n")[2:] == [
        line(_, "unsupported_type", "survey", 4, type="geopoint"),
        line(_, "choice_no_label", "choices", 2, list="agree", choice="yes"),
        line(_, "choice_no_label", "choices", 3, list="agree", choice="no"),
    ]


async def test_a_table_list_group_is_asked_one_question_at_a_time_without_rows_pyxform_makes_up(
        bot, telegram, db, clock):
    coordinator, _ = await coordinator_in("en", db, telegram, clock)
    data = workbook([
        ["begin_group", "rating", "Rate the sessions", "វាយតម្លៃវគ្គ", "", "", "table-list"],
        ["select_one yes_no", "panel", "Policy panel", "វគ្គគោលនយោបាយ", "yes"],
        ["select_one yes_no", "stories", "Farmers' stories", "បទពិសោធន៍កសិករ", "yes"],
        ["end_group"],
    ], header=[*HEADER[:6], "appearance"])
    text = await upload(coordinator, data)
    assert line(_, "appearance_ignored", "survey", 2, appearance="table-list") in text
    assert [q["name"] for q in (await latest_survey(db)).questions] == ["panel", "stories"]


async def test_a_lone_sheet_named_otherwise_is_the_survey_string_is_text_and_the_file_names_the_survey(
        bot, telegram, db, clock):
    coordinator, _ = await coordinator_in("en", db, telegram, clock)
    member = telegram.user((await seed_members(db, telegram, clock, 1, start_id=501, language="km"))[0], "Sokha")
    data = book({"Sheet1": [["type", "name", "label"], ["string", "village", "Your village?"]]})
    text = await upload(coordinator, data, "Village census 2024.xlsx")
    assert text.startswith("✅ ")
    survey = await latest_survey(db)
    assert (survey.title_en, survey.title_km, survey.form_id) == (
        "Village census 2024", "Village census 2024", "village_census_2024")
    assert survey.questions[0]["type"] == "text"
    await send_and_deliver(bot, db, coordinator)
    assert member.last.text.startswith("📋 <b>Village census 2024</b>")
    await coordinator.command("results")
    assert coordinator.last.button_texts()[0].startswith("📋 Village census 2024 · ")


# ---------------------------------------------------------------- pyxform's words, recognised


@pytest.mark.parametrize(("code", "context", "expected"), [
    ("NAMES_001", {"row": 5, "value": "q"}, ("name_used_twice", 5, "survey", {"name": "q"})),
    ("NAMES_006", {"row": 7}, ("choice_no_name", 7, "choices", {})),
    ("NAMES_007", {"row": 8}, ("choice_duplicate", 8, "choices", {})),
    ("NAMES_008", {"row": 3, "sheet": "survey", "column": "name"}, ("bad_name", 3, "survey", {})),
    ("SURVEY_001", {"row": 9, "type": "group", "name": "g"}, ("unmatched_end", 9, "survey", {"kind": "group"})),
    ("SURVEY_002", {"row": 4, "type": "repeat", "name": "r"}, ("unmatched_begin", 4, "survey", {"kind": "repeat"})),
    ("PYREF_003", {"row": 6, "sheet": "survey", "column": "hint", "q": "x"},
     ("unknown_reference", 6, "survey", {"column": "hint", "name": "x"})),
    ("PYREF_001", {"row": 6, "sheet": "choices", "column": "label"},
     ("bad_reference", 6, "choices", {"column": "label"})),
    ("SURVEY_004", {"row": 2}, ("bad_parameters", 2, "survey", {})),
    ("HEADER_003", {"sheet_name": "survey", "missing": "'name'"},
     ("missing_columns", None, "survey", {"columns": "name"})),
    ("HEADER_002", {"sheet_name": "choices", "other": "label", "header": "caption"},
     ("same_column", None, "choices", {"first": "label", "second": "caption"})),
])
def test_pyxform_messages_are_recognised_with_their_sheet_and_row(code, context, expected):
    from pyxform.errors import ErrorCode

    found = xlsform_rows.translate(ErrorCode[code].value.format(**context))
    assert (found.reason, found.row, found.sheet, found.params) == expected
    assert found.reason in PROBLEMS
