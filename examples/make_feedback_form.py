"""Writes examples/post_workshop_feedback.xlsx, the bilingual post-workshop feedback XLSForm.

Run it again after changing the rows below: `python examples/make_feedback_form.py`. What Sahakor reads
from an XLSForm, appearances included, is in examples/README.md.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

OUTPUT = Path(__file__).with_name("post_workshop_feedback.xlsx")

SURVEY_COLUMNS = ["type", "name", "label::English (en)", "label::Khmer (km)", "hint::English (en)",
                  "hint::Khmer (km)", "required", "relevant", "constraint", "constraint_message::English (en)",
                  "constraint_message::Khmer (km)", "parameters", "appearance"]
SURVEY = [
    ["start", "start"],
    ["end", "end"],
    ["note", "welcome",
     "Thank you for taking part in the workshop. These questions take about three minutes.",
     "សូមអរគុណដែលបានចូលរួមសិក្ខាសាលា។ សំណួរទាំងនេះចំណាយពេលប្រហែលបីនាទី។"],
    ["range", "usefulness", "Overall, how useful was the workshop for your work?",
     "ជារួម តើសិក្ខាសាលានេះមានប្រយោជន៍ប៉ុណ្ណាសម្រាប់ការងាររបស់អ្នក?",
     "1 = not useful, 5 = very useful", "១ = មិនមានប្រយោជន៍ ៥ = មានប្រយោជន៍ខ្លាំង", "yes", "", "", "", "",
     "start=1 end=5 step=1", "rating"],
    ["select_one yes_no", "attended_before", "Had you attended an ALiSEA workshop before this one?",
     "តើអ្នកធ្លាប់ចូលរួមសិក្ខាសាលារបស់ ALiSEA ពីមុនដែរឬទេ?", "", "", "yes", "", "", "", "", "", "columns"],
    ["integer", "times_before", "How many ALiSEA workshops had you attended before?",
     "តើអ្នកធ្លាប់ចូលរួមសិក្ខាសាលារបស់ ALiSEA ប៉ុន្មានដងពីមុន?", "", "", "yes",
     "${attended_before} = 'yes'", ". >= 1 and . <= 50", "Please type a number from 1 to 50.",
     "សូមវាយលេខពី ១ ដល់ ៥០។"],
    ["select_multiple sessions", "useful_sessions", "Which sessions were most useful to you?",
     "តើវគ្គណាខ្លះមានប្រយោជន៍បំផុតសម្រាប់អ្នក?", "Choose all that apply.", "ជ្រើសរើសទាំងអស់ដែលត្រូវ។", "yes"],
    ["text", "other_session", "Which other session was useful?", "តើវគ្គផ្សេងទៀតណាដែលមានប្រយោជន៍?",
     "", "", "", "selected(${useful_sessions}, 'other')"],
    ["select_one join", "join_group", "Would you like to join the new Policy Working Group?",
     "តើអ្នកចង់ចូលរួមក្រុមការងារគោលនយោបាយថ្មីដែរឬទេ?", "", "", "yes"],
    ["text", "join_reason", "What would make the working group worth joining for you?",
     "តើអ្វីដែលនឹងធ្វើឱ្យក្រុមការងារនេះមានតម្លៃសម្រាប់អ្នកក្នុងការចូលរួម?",
     "You can also send a voice note.", "អ្នកក៏អាចផ្ញើសារជាសំឡេងបានដែរ។", "", "${join_group} != 'yes'"],
    ["decimal", "travel_hours", "How many hours did you travel to reach the workshop?",
     "តើអ្នកធ្វើដំណើរប៉ុន្មានម៉ោងដើម្បីមកដល់សិក្ខាសាលា?", "For example 2.5", "ឧទាហរណ៍ ២.៥", "",
     "", ". >= 0 and . <= 48", "Please type a number of hours from 0 to 48.", "សូមវាយចំនួនម៉ោងពី ០ ដល់ ៤៨។"],
    ["range", "facilitation", "How would you rate the facilitation?", "តើអ្នកវាយតម្លៃការសម្របសម្រួលយ៉ាងដូចម្តេច?",
     "1 = poor, 5 = excellent", "១ = ខ្សោយ ៥ = ល្អណាស់", "yes", "", "", "", "", "start=1 end=5 step=1"],
    ["text", "suggestions", "What should we improve for the next workshop?",
     "តើយើងគួរកែលម្អអ្វីខ្លះសម្រាប់សិក្ខាសាលាលើកក្រោយ?", "You can also send a voice note.",
     "អ្នកក៏អាចផ្ញើសារជាសំឡេងបានដែរ។", "", "", "", "", "", "", "multiline"],
]
CHOICES = [
    ["yes_no", "yes", "Yes", "បាទ/ចាស"],
    ["yes_no", "no", "No", "ទេ"],
    ["sessions", "policy_panel", "Policy panel with the ministries", "វគ្គពិភាក្សាគោលនយោបាយជាមួយក្រសួង"],
    ["sessions", "farmer_stories", "Farmers' stories", "បទពិសោធន៍របស់កសិករ"],
    ["sessions", "group_work", "Group work by theme", "ការងារក្រុមតាមប្រធានបទ"],
    ["sessions", "market_access", "Markets for agroecological products", "ទីផ្សារសម្រាប់ផលិតផលកសិអេកូឡូស៊ី"],
    ["sessions", "other", "Another session", "វគ្គផ្សេងទៀត"],
    ["join", "yes", "Yes", "បាទ/ចាស"],
    ["join", "maybe", "Maybe later", "ប្រហែលជាពេលក្រោយ"],
    ["join", "no", "No", "ទេ"],
]
SETTINGS = [["form_title::English (en)", "form_title::Khmer (km)", "form_id", "version"],
            ["Post-workshop feedback", "មតិយោបល់ក្រោយសិក្ខាសាលា", "post_workshop_feedback", "2024121301"]]


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[str]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"


def build() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "survey", SURVEY_COLUMNS, SURVEY)
    _sheet(book, "choices", ["list_name", "name", "label::English (en)", "label::Khmer (km)"], CHOICES)
    _sheet(book, "settings", SETTINGS[0], SETTINGS[1:])
    return book


if __name__ == "__main__":
    build().save(OUTPUT)
    print(f"wrote {OUTPUT}")
