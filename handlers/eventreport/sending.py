"""The event report: both languages, as Word and PDF files, written from what the bot collected (attendance,
working-group interest, surveys with members' own words, consultation inputs, organisations). It goes by itself
to the event's coordinators within a minute of the event's end, and on request with /eventreport; the
coordinator reviews it and may push the PDF as a brief, to the event's attendees or to any audience.

Callback data: `erp:ev:{event}` makes the report, `erp:br:{event}:a|m` starts the brief (attendees / members).
Job: `erp:due`, the leader's check for events that have ended (rebuilt at start, from the rows of
bot.services.eventreport).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import InputFile, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import charts, event_text, posters, reportdocs, reportpdf
from bot.context import AppContext, Services
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Event
from bot.reportdocs import Bullets, Heading, Panel, Paragraph, Part, Picture, Table
from bot.services import attendance, briefs as brief_service, consultations, drafts, eventreport, groups, members
from bot.services import surveys
from bot.services.audience import Audience
from bot.services.eventreport import EventReport, SurveyOutcome
from bot.text import esc
from bot.vocab import GENDERS
from handlers import system
from handlers.ui import composer
from handlers.ui.common import answer_stale, button, keyboard, reply, require_coordinator
from handlers.events.attendance import donor_sentence, group_keys, group_label
from handlers.events.checkin import event_button_label
from handlers.surveys.reports import chart_bars
from handlers.surveys.words import survey_title, text_in

log = logging.getLogger("sahakor.eventreport")

KIND = "eventreport"
DUE_JOB = "erp:due"
# How often the leader looks for events that have ended: the report is out within a minute of the end.
CHECK_EVERY = timedelta(seconds=30)
_LOCK_KEY = "eventreport:lock"
TEXTS_SHOWN = 40
FACTS_SHOWN = 3
CHARTED = ("select_one", "select_multiple", "rating")
NUMERIC = ("integer", "decimal", "rating")
CHART_WIDTH = 0.56
TITLE = N_("Event report")
SECTIONS = {
    "summary": N_("Summary"),
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


def _counted(count: int, total: int, _: Translator) -> str:
    """'12 (40%)'."""
    return f"{_.number(count)} ({_share(count, total, _)})"


def _breakdown(report: EventReport, dimension: str, heading: str, _: Translator) -> Table:
    counts = report.attendance.checked_in.by(dimension)
    total = report.attendance.checked_in.total
    keys = [key for key in group_keys(report.attendance, dimension, _) if counts[key]]
    return Table([heading, _("Attendees"), _("Share")],
                 [[group_label(dimension, key, _), _.number(counts[key]), _share(counts[key], total, _)]
                  for key in keys])


def survey_fact(outcome: SurveyOutcome, _: Translator) -> str:
    """'Post-workshop feedback: 12 responses', and whether answers are still coming in."""
    count = outcome.results.complete
    name = survey_title(outcome.survey, _.language)
    if outcome.collecting:
        return _.ngettext("{survey}: {count} response so far; still collecting answers.",
                          "{survey}: {count} responses so far; still collecting answers.", count).format(
            survey=name, count=_.number(count))
    return _.ngettext("{survey}: {count} response.", "{survey}: {count} responses.", count).format(
        survey=name, count=_.number(count))


def summary_blocks(report: EventReport, _: Translator) -> list:
    """The first page: who came (with the gender table donors ask for) and the event's results in a few lines."""
    tally = report.attendance
    blocks = []
    if tally.checked_in.total:
        blocks += [
            Paragraph(donor_sentence(tally.checked_in.total, tally.women, _), strong=True),
            Paragraph(_("Checked in: {count} (members: {members}, walk-ins: {walkins})").format(
                count=_.number(tally.checked_in.total), members=_.number(tally.checked_in.total - tally.walkins),
                walkins=_.number(tally.walkins))),
            _breakdown(report, "gender", _("Gender"), _),
        ]
    facts = [interest_sentence(item, _) for item in report.interest[:FACTS_SHOWN]]
    facts += [survey_fact(outcome, _) for outcome in report.results]
    inputs = sum(need.count for need in report.needs)
    if inputs:
        facts.append(_.ngettext("{count} input to the consultation.", "{count} inputs to the consultation.",
                                inputs).format(count=_.number(inputs)))
    if report.organisations:
        count = len(report.organisations)
        facts.append(_.ngettext("{count} organisation took part.", "{count} organisations took part.",
                                count).format(count=_.number(count)))
    if facts:
        blocks.append(Bullets(facts))
    return [Heading(_(SECTIONS["summary"])), *blocks] if blocks else []


def purpose_blocks(report: EventReport, _: Translator) -> list:
    text = event_text.description(report.event, _.language).strip()
    if not text:
        return []
    return [Heading(_(SECTIONS["purpose"])), *[Paragraph(line) for line in text.splitlines() if line.strip()]]


def agenda_blocks(report: EventReport, _: Translator) -> list:
    lines = [line.strip() for line in (report.event.agenda or "").splitlines() if line.strip()]
    return [Heading(_(SECTIONS["agenda"])), Bullets(lines)] if lines else []


def attendance_blocks(report: EventReport, _: Translator) -> list:
    """Attendees by stakeholder type: a chart, and beside it the same split by gender."""
    tally = report.attendance
    if not tally.checked_in.total:
        return []
    counts = tally.checked_in.by("stakeholder")
    keys = [key for key in group_keys(tally, "stakeholder", _) if counts[key]]
    crossed = Counter((person.stakeholder, person.gender) for person in tally.attendees)
    genders = [g for g in GENDERS if any(crossed[key, g] for key in keys)]
    total = tally.checked_in.total
    bars = [charts.Bar(group_label("stakeholder", key, _), counts[key], _counted(counts[key], total, _))
            for key in keys]
    table = Table([_("Stakeholder type"), *[_(GENDERS[g]) for g in genders], _("Attendees")],
                  [[group_label("stakeholder", key, _), *[_.number(crossed[key, g]) for g in genders],
                    _.number(counts[key])] for key in keys])
    chart = Picture(charts.compact_chart(bars), _("Attendees by stakeholder type"), width=CHART_WIDTH, caption=False)
    return [Heading(_(SECTIONS["attendance"])), Heading(_("Attendees by stakeholder type"), level=2),
            Panel(chart, table)]


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


def gender_table(result, bars: list[charts.Bar], _: Translator) -> Table:
    """The answers to one question split by the respondents' gender, as a small table."""
    question = result.question
    genders = [g for g in GENDERS if g in ("woman", "man") or g in result.by_gender]
    empty = surveys.Tally()
    rows = []
    by_gender = {g: chart_bars(question, result.by_gender.get(g, empty), _) for g in genders}
    for index, bar in enumerate(bars):
        rows.append([bar.label, *[_.number(by_gender[g][index].value) for g in genders]])
    return Table([_("Answer"), *[_(GENDERS[g]) for g in genders]], rows)


def _texts(texts: list[str], voice_notes: int, _: Translator) -> list[str]:
    items = texts[:TEXTS_SHOWN]
    if len(texts) > TEXTS_SHOWN:
        items.append(_("…and {count} more.").format(count=_.number(len(texts) - TEXTS_SHOWN)))
    if voice_notes:
        items.append(_.ngettext("{count} voice note", "{count} voice notes", voice_notes).format(
            count=_.number(voice_notes)))
    return items


def question_blocks(result, outcome: SurveyOutcome, _: Translator) -> list:
    """One question: a compact chart with its gender table, the mean of numbers, or what people wrote."""
    question, overall = result.question, result.overall
    kind = question["type"]
    label = text_in(question["label"], _.language)
    texts = outcome.texts.get(question["name"], [])
    if kind in eventreport.TEXT_TYPES and (texts or result.voice_notes):
        return [Heading(label, level=3), Bullets(_texts(texts, result.voice_notes, _))]
    if not overall.answered or kind not in CHARTED + NUMERIC:
        return []
    blocks = [Heading(label, level=3)]
    if kind in CHARTED:
        bars = chart_bars(question, overall, _)
        blocks.append(Panel(Picture(charts.compact_chart(bars), label, width=CHART_WIDTH, caption=False),
                            gender_table(result, bars, _)))
    if kind in NUMERIC and overall.mean is not None:
        blocks.append(Paragraph(_("Mean: {mean}").format(mean=_.number(round(overall.mean, 2)))))
    return blocks


def survey_blocks(report: EventReport, _: Translator, now: datetime) -> list:
    blocks = []
    for outcome in report.results:
        results = outcome.results
        blocks.append(Heading(survey_title(outcome.survey, _.language), level=2))
        if outcome.collecting:
            blocks.append(Paragraph(_("Still collecting answers: these are the answers received by {date}.").format(
                date=_.datetime(now, event_text.zone(report.event))), strong=True))
        if results.sent:
            blocks.append(Paragraph(_(
                "Sent to {sent} · {complete} responses ({rate}) · {started} started but not finished").format(
                sent=_.number(results.sent), complete=_.number(results.complete),
                rate=_share(results.complete, results.sent, _), started=_.number(results.in_progress))))
        for result in results.questions:
            blocks += question_blocks(result, outcome, _)
    return [Heading(_(SECTIONS["surveys"])), *blocks] if blocks else []


def need_blocks(report: EventReport, _: Translator) -> list:
    if not report.needs:
        return []
    blocks = [Heading(_(SECTIONS["needs"]))]
    blocks += [Paragraph(consultations.question(c, _.language), strong=True) for c in report.questions]
    for need in report.needs:
        blocks.append(Heading(_("{group} ({count})").format(group=need.label(_.language), count=_.number(need.count)),
                              level=2))
        blocks.append(Bullets(_texts(need.texts, need.voice_notes, _)))
    return blocks


def organisation_blocks(report: EventReport, _: Translator) -> list:
    if not report.organisations:
        return []
    return [Heading(_(SECTIONS["organisations"])), Bullets(
        [_("{group} ({count})").format(group=o.name, count=_.number(o.people)) for o in report.organisations])]


def report_part(report: EventReport, _: Translator, now: datetime) -> Part:
    """The whole report in one language, the summary first; sections with nothing in them are left out."""
    event = report.event
    lines = [_(TITLE), _label(_("Date and time"), event_text.when(event, _), _)]
    if event.venue:
        lines.append(_label(_("Venue"), event.venue, _))
    blocks = []
    for section in (summary_blocks, purpose_blocks, agenda_blocks, attendance_blocks, group_blocks):
        blocks += section(report, _)
    blocks += survey_blocks(report, _, now)
    blocks += need_blocks(report, _) + organisation_blocks(report, _)
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
                 reportpdf.pdf(parts, title=title))


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


def summary_text(report: EventReport, _: Translator, *, ended: bool = False) -> str:
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


def brief_buttons(event_id: int, attendees: int, _: Translator):
    rows = []
    if attendees:
        rows.append([button("📣 " + _("Send the report as a brief to the attendees"), f"erp:br:{event_id}:a")])
    rows.append([button("📣 " + _("Send the report as a brief to other members"), f"erp:br:{event_id}:m")])
    return keyboard(rows)


async def _send_files(bot, chat_id: int, files: Files, caption: str, sent: dict[str, str] | None = None) -> str:
    """Sends the Word file and the PDF (by the file ids Telegram gave them, when they were sent before);
    returns the PDF's file id."""
    file_ids = {}
    for kind, content in (("docx", files.docx), ("pdf", files.pdf)):
        document = (sent or {}).get(kind) or InputFile(content, filename=f"{files.name}.{kind}")
        message = await bot.send_document(chat_id, document, caption=caption, parse_mode=ParseMode.HTML)
        file_ids[kind] = message.document.file_id
    if sent is not None:
        sent.update(file_ids)
    return file_ids["pdf"]


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
        report = await eventreport.collect(session, event_id, context.now())
        attendees = await eventreport.attendee_member_ids(session, event_id) if report else []
    if report is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await update.effective_chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    files = await asyncio.to_thread(render, report, _.language, context.now())
    caption = f"<b>{esc(event_text.title(report.event, _.language))}</b>"
    pdf_id = await _send_files(context.bot, update.effective_chat.id, files, caption)
    # Kept after sending: the brief needs the file id Telegram gave the PDF.
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step=None, now=context.now(),
                           data=brief_data(report, pdf_id, f"{files.name}.pdf"))
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
    data = brief_service.BriefForm(**{key: value for key, value in draft.data.items() if key != "event_id"})
    audience = Audience(member_ids=frozenset(attendees)) if target == "a" else Audience()
    if target == "a":
        await reply(update, _("The audience is set to the members who checked in at {event}. You can narrow it "
                              "down below, then press Done.").format(
            event=f"<b>{esc(event_text.title(event, _.language))}</b>"))
    await composer.open_at_audience(brief_service.DRAFT_KIND, update, context, _, data, audience)


# ---------------------------------------------------------------- sent by itself when an event ends


def _services(application: Application) -> Services:
    return application.bot_data["services"]


async def send_due(application: Application) -> list[int]:
    """Sends the report of every event that has ended to its coordinators, each once; returns those events."""
    services = _services(application)
    async with application.bot_data[_LOCK_KEY]:
        async with services.db.session() as session:
            claimed = [(row.id, row.event_id) for row in await eventreport.claim_ended(
                session, services.clock.now(), services.settings.coordinator_ids)]
        for send_id, event_id in claimed:
            try:
                await _send_to_coordinators(application, send_id, event_id)
            except Exception:
                # A report that cannot be written must not hold back the others, nor be tried every half minute.
                log.exception("the report of event %s could not be sent", event_id)
                async with services.db.session() as session:
                    await eventreport.finish(session, send_id, services.clock.now())
    if claimed:
        log.info("event reports sent for events %s", [event_id for _id, event_id in claimed])
    return [event_id for _id, event_id in claimed]


async def _send_to_coordinators(application: Application, send_id: int, event_id: int) -> None:
    """Writes the report once per language it opens with, and sends it to each coordinator still waiting."""
    services = _services(application)
    async with services.db.session() as session:
        report = await eventreport.collect(session, event_id, services.clock.now())
        attendees = await eventreport.attendee_member_ids(session, event_id) if report else []
        if report is None:
            await eventreport.finish(session, send_id, services.clock.now())
            return
    written: dict[str, Files] = {}
    uploaded: dict[str, dict[str, str]] = {}
    while True:
        async with services.db.session() as session:
            chat_id = await eventreport.next_recipient(session, send_id, services.clock.now())
            member = await members.get(session, chat_id) if chat_id is not None else None
        if chat_id is None:
            return
        _ = translator(member.language if member else "en")
        if _.language not in written:
            written[_.language] = await asyncio.to_thread(render, report, _.language, services.clock.now())
        async with services.db.session() as session:
            if not await eventreport.take_recipient(session, send_id, chat_id):
                continue
        try:
            await _deliver(application, chat_id, report, written[_.language], uploaded.setdefault(_.language, {}),
                           len(attendees), _)
        except TelegramError as error:
            log.warning("the report of event %s did not reach coordinator %s: %s", event_id, chat_id, error)


async def _deliver(application: Application, chat_id: int, report: EventReport, files: Files, sent: dict[str, str],
                   attendees: int, _: Translator) -> None:
    """The two files, the brief kept ready for the buttons, then the summary with them."""
    services = _services(application)
    caption = f"<b>{esc(event_text.title(report.event, _.language))}</b>"
    pdf_id = await _send_files(application.bot, chat_id, files, caption, sent)
    async with services.db.session() as session:
        await drafts.begin(session, chat_id, KIND, step=None, now=services.clock.now(),
                           data=brief_data(report, pdf_id, f"{files.name}.pdf"))
    await application.bot.send_message(chat_id, summary_text(report, _, ended=True), parse_mode=ParseMode.HTML,
                                       reply_markup=brief_buttons(report.event.id, attendees, _))


async def _check(context: AppContext) -> None:
    await send_due(context.application)


@system.on_start
async def rebuild_jobs(application: Application) -> None:
    """At start-up: reports of events that ended while no process led go out now; then the check every half
    minute."""
    await send_due(application)
    if application.job_queue is None:
        return
    for job in application.job_queue.get_jobs_by_name(DUE_JOB):
        job.schedule_removal()
    application.job_queue.run_repeating(_check, interval=CHECK_EVERY, first=CHECK_EVERY, name=DUE_JOB)


def register(app: Application) -> None:
    app.bot_data[_LOCK_KEY] = asyncio.Lock()
    app.add_handler(CommandHandler("eventreport", choose_event, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(send_report, pattern=r"^erp:ev:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(push_as_brief, pattern=r"^erp:br:(\d{1,9}):([am])$"))
