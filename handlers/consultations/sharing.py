"""Coordinators export a consultation's inputs and ask members for theirs."""

from __future__ import annotations

from telegram import InputFile, Update

import handlers.consultations.callbacks as to
from bot import exports
from bot.context import AppContext
from bot.i18n import Translator
from bot.services import consultations
from bot.text import esc
from handlers.consultations.loading import zone_of
from handlers.consultations.screens import ask_content, ask_screen, export_table
from handlers.ui.answers import chose, on_press
from handlers.ui.common import answer_stale, coordinator_only, show
from handlers.ui.people import shorten


@on_press(to.EXPORT)
@coordinator_only
async def export(update: Update, context: AppContext, _: Translator) -> None:
    """Sends every input of the consultation as a spreadsheet."""
    consultation_id, = to.EXPORT.ints(context.match)
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        rows = await consultations.export_rows(session, consultation_id) if consultation else []
        event = await consultations.event_of(session, consultation) if consultation else None
    if consultation is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    zone = zone_of(event, context)
    headers, table = export_table(rows, zone, context.bot.username, _)
    data = exports.workbook(_("Inputs"), headers, table)
    stamp = context.now().astimezone(zone).strftime("%Y-%m-%d")
    await update.effective_chat.send_document(InputFile(data, filename=f"consultation-{consultation_id}-{stamp}.xlsx"),
                                              caption=esc(shorten(consultations.question(consultation, _.language), 200)))


@on_press(to.ASK)
@coordinator_only
async def ask(update: Update, context: AppContext, _: Translator) -> None:
    """Says how many members would be asked for input, then asks them through the outbox when confirmed."""
    sending, consultation_id = chose(context.match, "askgo")
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        consultation = await consultations.get(session, consultation_id)
        count = 0 if consultation is None else await consultations.ask_for_input(
            session, consultation, send=sending, content=ask_content(consultation), by=me, report_in=_.language, now=now)
    if consultation is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    is_open = consultations.is_open(consultation, now)
    if is_open and count and sending:
        context.services.delivery.wake()
    await show(update, *ask_screen(consultation, is_open, count, sending, _))
