"""/eventreport: a coordinator picks an event and gets its report as Word and PDF files, then may push the PDF
as a brief, to the event's attendees or to any audience. (The report also goes by itself to the event's
coordinators when it ends: automatic.py.)"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from telegram import InputFile, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.i18n import Translator
from bot.services import attendance, briefs, drafts, eventreport
from bot.services.audience import Audience
import handlers.eventreport.callbacks as cb
import handlers.eventreport.screens as screens
from handlers.eventreport.document import Files, render
from handlers.eventreport.forms import ReportBrief
from handlers.ui import composer
from handlers.ui.common import answer_stale, coordinator_only, reply

KIND = "eventreport"


async def send_files(bot, chat_id: int, files: Files, caption: str, sent: dict[str, str] | None = None) -> str:
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


@coordinator_only
async def choose_event(update: Update, context: AppContext, _: Translator) -> None:
    """Lists published events, latest first, for the coordinator to pick one."""
    async with context.services.db.session() as session:
        events = await attendance.events_for_report(session)
    await reply(update, *screens.events_screen(events, _))


@coordinator_only
async def send_report(update: Update, context: AppContext, _: Translator) -> None:
    """Writes the report, sends it as Word and PDF files, then a short summary with the brief buttons."""
    event_id, = cb.EVENT.ints(context.match)
    async with context.services.db.session() as session:
        report = await eventreport.collect(session, event_id, context.now())
        attendees = await eventreport.attendee_member_ids(session, event_id) if report else []
    if report is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await update.effective_chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    files = await asyncio.to_thread(render, report, _.language, context.now())
    pdf_id = await send_files(context.bot, update.effective_chat.id, files, screens.file_caption(report, _))
    # Kept after sending: the brief needs the file id Telegram gave the PDF.
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step=None, now=context.now(),
                           data=asdict(screens.report_brief(report, pdf_id, f"{files.name}.pdf")))
    await reply(update, screens.summary_text(report, _), screens.brief_buttons(event_id, len(attendees), _))


@coordinator_only
async def push_as_brief(update: Update, context: AppContext, _: Translator) -> None:
    """Starts the brief composer with the report's PDF, titles and summary, at the audience step."""
    event_id, target = int(context.match.group(1)), context.match.group(2)
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        attendees = await eventreport.attendee_member_ids(session, event_id)
        event = await eventreport.event(session, event_id)
    kept = drafts.read(draft, ReportBrief)
    if draft is None or kept.event_id != event_id or (target == "a" and not attendees):
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    audience = Audience(member_ids=frozenset(attendees)) if target == "a" else Audience()
    if target == "a":
        await reply(update, screens.attendees_audience_note(event, _))
    await composer.open_at_audience(briefs.DRAFT_KIND, update, context, _, kept.answers(), audience)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("eventreport", choose_event, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(send_report, pattern=cb.EVENT.pattern))
    app.add_handler(CallbackQueryHandler(push_as_brief, pattern=cb.BRIEF.pattern))
