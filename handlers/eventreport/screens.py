"""The event report's messages: the list of events to report on, the summary sent with the files and its brief
buttons, and the brief the report makes. Pure: plain data and a translator in, text and buttons out."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import event_text, posters
from bot.i18n import LANGUAGES, Translator, translator
from bot.models import Event
from bot.services import briefs
from bot.services.eventreport import EventReport
from bot.text import esc
import handlers.eventreport.callbacks as cb
from handlers.eventreport.document import TITLE, languages_from
from handlers.eventreport.forms import ReportBrief
from handlers.ui.common import button, keyboard
from handlers.ui.tallies import donor_sentence, event_label


def events_screen(events: list[Event], _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """Published events, latest first, to write the report of one."""
    if not events:
        return _("There are no published events yet."), None
    rows = [[button(event_label(event, _), cb.EVENT.data(event.id))] for event in events]
    return _("Choose the event to write the report of:"), keyboard(rows)


def file_caption(report: EventReport, _: Translator) -> str:
    return f"<b>{esc(event_text.title(report.event, _.language))}</b>"


def report_brief(report: EventReport, file_id: str, file_name: str) -> ReportBrief:
    """The brief composer's answers: the PDF, 'Report: <title>' and the donor sentence, in each language."""
    titles, summaries = {}, {}
    for code in LANGUAGES:
        _ = translator(code)
        heading = _("Report: {title}").format(title=event_text.title(report.event, code))
        titles[code] = posters.shorten(heading, briefs.TITLE_MAX)
        summaries[code] = donor_sentence(report.attendance.checked_in.total, report.attendance.women, _)
    return ReportBrief(file_id=file_id, file_name=file_name, title_en=titles["en"], title_km=titles["km"],
                       summary_en=summaries["en"], summary_km=summaries["km"], event_id=report.event.id)


def summary_text(report: EventReport, _: Translator, *, ended: bool = False) -> str:
    """What comes after the files: the event, the donor sentence in both languages, and what to do next."""
    tally = report.attendance
    sentences = [donor_sentence(tally.checked_in.total, tally.women, translator(code))
                 for code in languages_from(_.language)]
    lines = ["🏁 " + _("The event has ended. Here is its report.")] if ended else []
    return "\n".join([
        *lines, f"<b>{_(TITLE)}</b>", f"<b>{esc(event_text.title(report.event, _.language))}</b>",
        "🗓 " + event_text.when(report.event, _), "", *sentences, "",
        _("The report is in Khmer and English, in one Word file and one PDF. Check it; you can then send the PDF "
          "as a brief."),
    ])


def brief_buttons(event_id: int, attendees: int, _: Translator) -> InlineKeyboardMarkup:
    rows = []
    if attendees:
        rows.append([button("📣 " + _("Send the report as a brief to the attendees"), cb.BRIEF.data(event_id, "a"))])
    rows.append([button("📣 " + _("Send the report as a brief to other members"), cb.BRIEF.data(event_id, "m"))])
    return keyboard(rows)


def attendees_audience_note(event: Event, _: Translator) -> str:
    return _("The audience is set to the members who checked in at {event}. You can narrow it down below, then "
             "press Done.").format(event=f"<b>{esc(event_text.title(event, _.language))}</b>")
