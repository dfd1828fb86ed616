"""/eventreport: the report of an event in both languages, as Word and PDF files, written from what the bot
collected (attendance, working-group interest, surveys, consultation inputs, organisations); the coordinator
reviews it and may push the PDF as a brief, to the event's attendees or to any audience.

Callback data: `erp:ev:{event}` makes the report, `erp:br:{event}:a|m` starts the brief (attendees / members).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import event_text, posters, reportdocs
from bot.app import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Event
from bot.reportdocs import Bullets, Heading, Paragraph, Part, Picture, Table
from bot.services import attendance, briefs as brief_service, consultations, drafts, eventreport, groups
from bot.services.audience import Audience
from bot.services.eventreport import EventReport
from bot.text import esc
from bot.vocab import GENDERS
from handlers import briefs
from handlers.attendance_report import attendance_chart, donor_sentence, group_keys, group_label
from handlers.checkin import event_button_label
from handlers.common import answer_stale, button, keyboard, reply, require_coordinator
from handlers.surveys import choice_label, question_chart, survey_title, text_in

KIND = "eventreport"
TEXTS_SHOWN = 40
CHARTED = ("select_one", "select_multiple", "rating")
NUMERIC = ("integer", "decimal", "rating")
TITLE = N_("Event report")
SECTIONS = {
    "purpose": N_("Purpose"),
    "agenda": N_("Agenda"),
    "attendance": N_("Attendance"),
    "groups": N_("Working groups"),
    "surveys": N_("Survey results"),
    "needs": N_("Consultation inputs by theme"),
    "organisations": N_("Participating organisations"),
}


@dataclass(frozen=True)
class Files:
    name: str
    docx: bytes
    pdf: bytes


# ---------------------------------------------------------------- the report in one language


def _label(label: str, value: str, _: Translator) -> str:
    """'Venue: Cambodiana Hotel', with the language's own colon."""
    return _("{label}: {count}").format(label=label, count=value)


def _share(count: int, total: int, _: Translator) -> str:
    return _.percent(count / total) if total else "—"


def purpose_blocks(report: EventReport, _: Translator) -> list:
    text = event_text.description(report.event, _.language).strip()
    if not text:
        return []
    return [Heading(_(SECTIONS["purpose"])), *[Paragraph(line) for line in text.splitlines() if line.strip()]]


def agenda_blocks(report: EventReport, _: Translator) -> list:
    lines = [line.strip() for line in (report.event.agenda or "").splitlines() if line.strip()]
    return [Heading(_(SECTIONS["agenda"])), Bullets(lines)] if lines else []


def _breakdown(report: EventReport, dimension: str, heading: str, _: Translator) -> Table:
    counts = report.attendance.checked_in.by(dimension)
    total = report.attendance.checked_in.total
    keys = [key for key in group_keys(report.attendance, dimension, _) if counts[key]]
    return Table([heading, _("Attendees"), _("Share")],
                 [[group_label(dimension, key, _), _.number(counts[key]), _share(counts[key], total, _)]
                  for key in keys])


def attendance_blocks(report: EventReport, _: Translator) -> list:
    tally = report.attendance
    if not tally.checked_in.total:
        return []
    members = tally.checked_in.total - tally.walkins
    return [
        Heading(_(SECTIONS["attendance"])),
        Paragraph(donor_sentence(tally.checked_in.total, tally.women, _), strong=True),
        Paragraph(_("Checked in: {count} (members: {members}, walk-ins: {walkins})").format(
            count=_.number(tally.checked_in.total), members=_.number(members), walkins=_.number(tally.walkins))),
        _breakdown(report, "gender", _("Gender"), _),
        _breakdown(report, "stakeholder", _("Stakeholder type"), _),
        Picture(attendance_chart(tally, _), _("Attendance chart")),
    ]


def interest_sentence(item: eventreport.GroupInterestCount, _: Translator) -> str:
    """'14 people expressed interest in the Policy Working Group, 6 of them women.'"""
    return _.ngettext("{count} person expressed interest in the {group}.",
                      "{count} people expressed interest in the {group}, {women} of them women.",
                      item.stage.total).format(count=_.number(item.stage.total),
                                               group=groups.name(item.group, _.language),
                                               women=_.number(item.stage.women))


def group_blocks(report: EventReport, _: Translator) -> list:
    if not report.interest:
        return []
    genders = [g for g in GENDERS if any(item.stage.by_gender[g] for item in report.interest)]
    table = Table([_(SECTIONS["groups"]), *[_(GENDERS[g]) for g in genders]],
                  [[groups.name(item.group, _.language), *[_.number(item.stage.by_gender[g]) for g in genders]]
                   for item in report.interest])
    return [Heading(_(SECTIONS["groups"])), Bullets([interest_sentence(item, _) for item in report.interest]), table]


def _choice_lines(question: dict, tally, _: Translator) -> list[str]:
    if question["type"] == "rating":
        keys = sorted(tally.counts, key=float)
        labels = {key: _.number(key) for key in keys}
    else:
        keys = [choice["name"] for choice in question.get("choices", [])]
        labels = {key: choice_label(question, key, _.language) for key in keys}
    return [f"{labels[key]} — {_.number(tally.counts[key])} ({_share(tally.counts[key], tally.answered, _)})"
            for key in keys if tally.counts[key]]


def question_blocks(result, survey_name: str, _: Translator) -> list:
    question, overall = result.question, result.overall
    kind = question["type"]
    if not overall.answered or kind not in CHARTED + NUMERIC:
        return []
    label = text_in(question["label"], _.language)
    blocks = [Heading(label, level=2)]
    if kind in CHARTED:
        blocks.append(Bullets(_choice_lines(question, overall, _)))
    if kind in NUMERIC and overall.mean is not None:
        blocks.append(Paragraph(_("Mean: {mean}").format(mean=_.number(round(overall.mean, 2)))))
    if kind in CHARTED:
        blocks.append(Picture(question_chart(result, survey_name, _), label))
    return blocks


def survey_blocks(report: EventReport, _: Translator) -> list:
    blocks = []
    for outcome in report.results:
        name = survey_title(outcome.survey, _.language)
        blocks += [Heading(name, level=2), Paragraph(_(
            "Sent to {sent} · {complete} responses ({rate}) · {started} started but not finished").format(
            sent=_.number(outcome.sent), complete=_.number(outcome.complete),
            rate=_share(outcome.complete, outcome.sent, _), started=_.number(outcome.in_progress)))]
        for result in outcome.questions:
            blocks += question_blocks(result, name, _)
    return [Heading(_(SECTIONS["surveys"])), *blocks] if blocks else []


def need_blocks(report: EventReport, _: Translator) -> list:
    if not report.needs:
        return []
    blocks = [Heading(_(SECTIONS["needs"]))]
    blocks += [Paragraph(consultations.question(c, _.language), strong=True) for c in report.questions]
    for need in report.needs:
        blocks.append(Heading(_("{group} ({count})").format(group=need.label(_.language), count=_.number(need.count)),
                              level=2))
        items = need.texts[:TEXTS_SHOWN]
        if len(need.texts) > TEXTS_SHOWN:
            items.append(_("…and {count} more.").format(count=_.number(len(need.texts) - TEXTS_SHOWN)))
        if need.voice_notes:
            items.append(_.ngettext("{count} voice note", "{count} voice notes", need.voice_notes).format(
                count=_.number(need.voice_notes)))
        blocks.append(Bullets(items))
    return blocks


def organisation_blocks(report: EventReport, _: Translator) -> list:
    if not report.organisations:
        return []
    return [Heading(_(SECTIONS["organisations"])), Bullets(
        [_("{group} ({count})").format(group=o.name, count=_.number(o.people)) for o in report.organisations])]


def report_part(report: EventReport, _: Translator, now: datetime) -> Part:
    """The whole report in one language; sections with nothing in them are left out."""
    event = report.event
    lines = [_(TITLE), _label(_("Date and time"), event_text.when(event, _), _)]
    if event.venue:
        lines.append(_label(_("Venue"), event.venue, _))
    blocks = []
    for section in (purpose_blocks, agenda_blocks, attendance_blocks, group_blocks, survey_blocks, need_blocks,
                    organisation_blocks):
        blocks += section(report, _)
    blocks.append(Paragraph(_("Prepared by Sahakor on {date}.").format(
        date=_.date(now, event_text.zone(event)))))
    return Part(_.language, event_text.title(event, _.language), lines, blocks)


def languages_from(first: str) -> list[str]:
    """The coordinator's language first, then the other."""
    return [first, *[code for code in LANGUAGES if code != first]]


def report_parts(report: EventReport, first: str, now: datetime) -> list[Part]:
    return [report_part(report, translator(code), now) for code in languages_from(first)]


def render(report: EventReport, first: str, now: datetime) -> Files:
    """Both files (slow: charts and PDF layout); run it in a thread."""
    parts = report_parts(report, first, now)
    title = parts[0].title
    stamp = report.event.starts_at.astimezone(event_text.zone(report.event)).strftime("%Y-%m-%d")
    return Files(f"event-report-{report.event.id}-{stamp}", reportdocs.docx(parts, title=title),
                 reportdocs.pdf(parts, title=title))


# ---------------------------------------------------------------- the brief


def brief_data(report: EventReport, file_id: str, file_name: str) -> dict:
    """The brief composer's answers: the PDF, 'Report: <title>' and the donor sentence, in each language."""
    data = {"event_id": report.event.id, "file_id": file_id, "file_name": file_name}
    for code in LANGUAGES:
        _ = translator(code)
        heading = _("Report: {title}").format(title=event_text.title(report.event, code))
        data[f"title_{code}"] = posters.shorten(heading, brief_service.TITLE_MAX)
        data[f"summary_{code}"] = donor_sentence(report.attendance.checked_in.total, report.attendance.women, _)
    return data


def summary_text(report: EventReport, _: Translator) -> str:
    tally = report.attendance
    sentences = [donor_sentence(tally.checked_in.total, tally.women, translator(code))
                 for code in languages_from(_.language)]
    return "\n".join([
        f"<b>{_(TITLE)}</b>", f"<b>{esc(event_text.title(report.event, _.language))}</b>",
        "🗓 " + event_text.when(report.event, _), "", *sentences, "",
        _("The report is in Khmer and English, in one Word file and one PDF. Check it; you can then send the PDF "
          "as a brief."),
    ])


def brief_buttons(event_id: int, attendees: int, _: Translator):
    rows = []
    if attendees:
        rows.append([button("📣 " + _("Send the report as a brief to the attendees"), f"erp:br:{event_id}:a")])
    rows.append([button("📣 " + _("Send the report as a brief to other members"), f"erp:br:{event_id}:m")])
    return keyboard(rows)


# ---------------------------------------------------------------- handlers


async def choose_event(update: Update, context: AppContext) -> None:
    """Lists published events, latest first, for the coordinator to pick one."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        events = await attendance.events_for_report(session)
    if not events:
        await reply(update, _("There are no published events yet."))
        return
    rows = [[button(event_button_label(event, _), f"erp:ev:{event.id}")] for event in events]
    await reply(update, _("Choose the event to write the report of:"), keyboard(rows))


async def send_report(update: Update, context: AppContext) -> None:
    """Writes the report, sends it as Word and PDF files, then a short summary with the brief buttons."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    event_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        report = await eventreport.collect(session, event_id)
        attendees = await eventreport.attendee_member_ids(session, event_id) if report else []
    if report is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await update.effective_chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    files = await asyncio.to_thread(render, report, _.language, context.now())
    caption = f"<b>{esc(event_text.title(report.event, _.language))}</b>"
    await update.effective_chat.send_document(InputFile(files.docx, filename=f"{files.name}.docx"), caption=caption)
    sent = await update.effective_chat.send_document(InputFile(files.pdf, filename=f"{files.name}.pdf"),
                                                     caption=caption)
    # Kept after sending: the brief needs the file id Telegram gave the PDF.
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step=None, now=context.now(),
                           data=brief_data(report, sent.document.file_id, f"{files.name}.pdf"))
    await reply(update, summary_text(report, _), brief_buttons(event_id, len(attendees), _))


async def push_as_brief(update: Update, context: AppContext) -> None:
    """Starts the brief composer with the report's PDF, titles and summary, at the audience step."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    event_id, target = int(context.match.group(1)), context.match.group(2)
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        attendees = await eventreport.attendee_member_ids(session, event_id)
        event = await session.get(Event, event_id)
    if draft is None or draft.data.get("event_id") != event_id or (target == "a" and not attendees):
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    data = {key: value for key, value in draft.data.items() if key != "event_id"}
    audience = Audience(member_ids=frozenset(attendees)) if target == "a" else Audience()
    if target == "a":
        await reply(update, _("The audience is set to the members who checked in at {event}. You can narrow it "
                              "down below, then press Done.").format(
            event=f"<b>{esc(event_text.title(event, _.language))}</b>"))
    await briefs.begin_with_file(update, context, _, data, audience)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("eventreport", choose_event, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(send_report, pattern=r"^erp:ev:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(push_as_brief, pattern=r"^erp:br:(\d{1,9}):([am])$"))
