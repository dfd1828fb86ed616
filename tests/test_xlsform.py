"""Reading XLSForms and evaluating their skip logic: what is supported, and every way a form is refused."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from bot import skiplogic, xlsform
from bot.skiplogic import ExpressionError
from examples import make_feedback_form
from tests.helpers_surveys import HEADER, problems, workbook

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "post_workshop_feedback.xlsx"


# ---------------------------------------------------------------- the expression evaluator


@pytest.mark.parametrize(("expression", "values", "expected"), [
    ("${q} = 'x'", {"q": "x"}, True),
    ("${q} = 'x'", {"q": "y"}, False),
    ("${q} != 'x'", {}, True),
    ("${n} > 3", {"n": 4}, True),
    ("${n} > 3", {}, False),  # unanswered is NaN: never greater
    ("${n} != 3", {}, True),
    ("${n} >= 3 and ${n} <= 5", {"n": 5}, True),
    ("${n} < 2 or ${n} > 8", {"n": 5}, False),
    ("not(${q} = 'x')", {"q": "x"}, False),
    ("selected(${m}, 'b')", {"m": ["a", "b"]}, True),
    ("selected(${m}, 'c')", {"m": ["a", "b"]}, False),
    ("not(selected(${m}, 'c')) and (${q} = 'x' or ${n} > 10)", {"m": ["a"], "q": "x", "n": 1}, True),
    ("count-selected(${m}) <= 2", {"m": ["a", "b", "c"]}, False),
    ("${q} = ''", {}, True),
    ("${n} = 2.5", {"n": 2.5}, True),
    ("${n} > -1", {"n": 0}, True),
    ("${d} <= today()", {"d": date(2024, 12, 13)}, True),
    ("${d} > date('2024-12-01')", {"d": date(2024, 12, 13)}, True),
    ("true() and not(false())", {}, True),
])
def test_expressions_follow_xpath_as_odk_collect_applies_it(expression, values, expected):
    node = skiplogic.parse(expression)
    assert skiplogic.evaluate(node, values, today=date(2024, 12, 20)) is expected


def test_constraints_read_the_answer_being_checked_as_dot():
    node = skiplogic.parse(". >= 1 and . <= 50 and string-length(.) < 3")
    assert skiplogic.evaluate(node, {}, current=12) is True
    assert skiplogic.evaluate(node, {}, current=0) is False
    assert skiplogic.evaluate(node, {}, current=51) is False


@pytest.mark.parametrize(("expression", "reason"), [
    ("", "empty"),
    ("${q} = ", "incomplete"),
    ("${q} + 1 > 2", "unexpected"),
    ("regex(., '[a-z]+')", "function"),
    ("__import__('os')", "function"),
    ("${q} = 'x' ; drop", "unexpected"),
    ("(${q} = 'x'", "incomplete"),
    ("1 < 2 < 3", "chained"),
    ("selected(${q})", "arguments"),
    ("selected(${q}, ${r})", "selected_value"),
    ("(" * 40 + "1" + ")" * 40, "too_deep"),
    ("${q} = '" + "x" * 2000 + "'", "too_long"),
])
def test_unsupported_or_broken_expressions_are_refused_with_a_reason(expression, reason):
    with pytest.raises(ExpressionError) as caught:
        skiplogic.parse(expression)
    assert caught.value.reason == reason


def test_expressions_report_the_questions_they_read():
    node = skiplogic.parse("selected(${a}, 'x') and ${b} > 1 or ${a} = 'y'")
    assert skiplogic.references(node) == ["a", "b"]


# ---------------------------------------------------------------- the example form


def test_the_example_form_is_the_one_the_script_makes_and_reads_in_both_languages():
    regenerated = io.BytesIO()
    make_feedback_form.build().save(regenerated)
    assert [q["name"] for q in xlsform.parse(regenerated.getvalue()).questions] == [
        q["name"] for q in xlsform.parse(EXAMPLE.read_bytes()).questions]

    form = xlsform.parse(EXAMPLE.read_bytes())
    assert form.title == {"en": "Post-workshop feedback", "km": "មតិយោបល់ក្រោយសិក្ខាសាលា"}
    assert form.meta == ["start", "end"] and form.warnings == []
    kinds = {q["name"]: q["type"] for q in form.questions}
    assert kinds == {"welcome": "note", "usefulness": "rating", "attended_before": "select_one",
                     "times_before": "integer", "useful_sessions": "select_multiple", "other_session": "text",
                     "join_group": "select_one", "join_reason": "text", "travel_hours": "decimal",
                     "facilitation": "rating", "suggestions": "text"}
    times = form.questions[3]
    assert times["relevant"] == ["${attended_before} = 'yes'"] and times["required"] is True
    assert times["constraint_message"] == {"en": "Please type a number from 1 to 50.", "km": "សូមវាយលេខពី ១ ដល់ ៥០។"}
    assert times["row"] == 7
    assert form.questions[1]["range"] == {"start": 1, "end": 5, "step": 1}
    assert form.questions[2]["choices"][0] == {"name": "yes", "label": {"en": "Yes", "km": "បាទ/ចាស"}}
    assert form.questions[2]["layout"] == "columns"  # its appearance: Yes and No side by side


def test_groups_are_opened_up_and_their_relevance_applies_to_each_question_inside():
    data = workbook([
        ["select_one yes_no", "farmer", "Farmer?", "កសិករ?", "yes"],
        ["begin_group", "farm", "Farm", "កសិដ្ឋាន", "", "${farmer} = 'yes'"],
        ["integer", "hectares", "Hectares", "ហិកតា", "", "", ". > 0"],
        ["end_group"],
    ])
    form = xlsform.parse(data)
    assert [q["name"] for q in form.questions] == ["farmer", "hectares"]
    assert form.questions[1]["relevant"] == ["${farmer} = 'yes'"]


def test_a_form_with_english_labels_only_is_accepted_with_a_warning():
    data = workbook([["text", "name_q", "Your village?"]], header=["type", "name", "label"], choices=None)
    form = xlsform.parse(data)
    assert form.questions[0]["label"] == {"en": "Your village?", "km": "Your village?"}
    data = workbook([["text", "q", "Village?", ""]], choices=None)
    form = xlsform.parse(data)
    assert [(w.reason, w.params) for w in form.warnings] == [("missing_language", {"language": "km", "count": "1"})]


# ---------------------------------------------------------------- refused forms


def test_unsupported_types_columns_and_repeats_are_listed_by_row_never_dropped():
    data = workbook([
        ["geopoint", "where", "Where?", "នៅឯណា?"],
        ["text", "ok", "Fine", "ល្អ"],
        ["begin_repeat", "kids", "Children", "កូន"],
        ["text", "kid", "Name", "ឈ្មោះ"],
        ["end_repeat"],
        ["calculate", "calc", "", "", "", "", "", "1 + 1"],
        ["select_one yes_no or_other", "pick", "Pick", "ជ្រើស"],
    ], header=[*HEADER, "calculation"])
    found = problems(data)
    assert ("unsupported_type", 2, {"type": "geopoint"}) in found
    assert ("repeat", 4, {}) in found
    assert ("unsupported_type", 7, {"type": "calculate"}) in found
    assert ("or_other", 8, {}) in found


def test_wrong_sheet_names_are_refused_with_the_sheets_found():
    data = workbook([["text", "q", "Q", "ស"]], sheet="Questions", extra_sheets=["Notes"])
    assert problems(data) == [("no_survey_sheet", None, {"sheets": "Questions, choices, Notes"})]


def test_a_name_used_twice_is_refused_on_the_copy_naming_the_first_use():
    data = workbook([["text", "q", "Q", "ស"], ["text", "q", "Again", "ម្តងទៀត"]])
    assert problems(data) == [("duplicate_name", 3, {"name": "q", "first": "2"})]


def test_relevance_in_a_circle_is_named_once_and_a_forward_reference_by_row():
    data = workbook([
        ["text", "a", "A", "ក", "", "${b} = 'x'"],
        ["text", "b", "B", "ខ", "", "${a} = 'y'"],
        ["text", "c", "C", "គ", "", "${c} = 'z'"],
        ["text", "d", "D", "ឃ", "", "${e} = 'z'"],
        ["text", "e", "E", "ង"],
    ])
    assert problems(data) == [
        ("relevant_cycle", 2, {"names": "a,b", "rows": "2,3"}),
        ("relevant_self", 4, {"name": "c"}),
        ("forward_reference", 5, {"column": "relevant", "name": "e"}),
    ]


def test_skip_logic_comparing_with_a_choice_that_does_not_exist_is_refused():
    data = workbook([
        ["select_one yes_no", "a", "A", "ក", "yes"],
        ["text", "b", "B", "ខ", "", "${a} = 'yess'"],
        ["text", "c", "C", "គ", "", "selected(${a}, 'maybe')"],
        ["text", "d", "D", "ឃ", "", "regex(${a}, 'y')"],
    ])
    assert problems(data) == [
        ("not_a_choice", 3, {"column": "relevant", "name": "a", "value": "yess"}),
        ("not_a_choice", 4, {"column": "relevant", "name": "a", "value": "maybe"}),
        ("expression", 5, {"column": "relevant", "error": "function", "detail": "regex"}),
    ]


def test_formulas_without_a_stored_value_and_huge_cells_are_refused_by_cell():
    # openpyxl stores no value for the formulas it writes, as a workbook never opened in Excel.
    data = workbook([["text", "a", "=HYPERLINK(\"http://x\",\"A\")", "ក"], ["text", "b", "B" * 22_000, "ខ"]])
    assert problems(data) == [
        ("formula_without_value", 2, {"cells": "C2"}),
        ("huge_cell", 3, {"cell": "C3", "length": "22000", "limit": "20000"}),
    ]


def test_ten_thousand_rows_are_refused_before_the_reader_runs():
    data = workbook([["integer", f"q{i}", f"Q{i}", f"ស{i}"] for i in range(10_000)])
    assert problems(data) == [("too_many_rows", None, {"count": "10000", "limit": "300"})]


def test_a_range_too_wide_for_buttons_is_refused():
    data = workbook([["range", "r", "Rate", "វាយតម្លៃ", "", "", "", "start=0 end=100 step=1"]],
                    header=[*HEADER, "parameters"])
    assert problems(data) == [("range", 2, {"limit": "11"})]


def test_files_that_are_not_workbooks_or_unpack_to_far_more_are_refused():
    assert problems(b"MZ\x90\x00 not a zip") == [("not_workbook", None, {})]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert problems(bomb.getvalue()) == [("unpacked_size", None, {"limit": "20"})]
    assert problems(b"x" * (xlsform.MAX_FILE_BYTES + 1)) == [("file_size", None, {"limit": "1024"})]
