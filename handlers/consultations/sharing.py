"""Coordinators export a consultation's inputs and ask members for theirs."""

from __future__ import annotations

from telegram import InputFile, Update

from bot import exports
from bot.context import AppContext
from bot.services import consultations, groups, outbox
from bot.text import esc
from handlers.ui.common import answer_stale, button, coordinator_and_translator as require_coordinator, keyboard, show
from handlers.consultations.loading import zone_of
from handlers.consultations.screens import ask_content, export_table
from handlers.ui.people import shorten


async def export(update: Update, context: AppContext) -> None:
    """Sends every input of the consultation as a spreadsheet."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    consultation_id = int(context.match.group(1))
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


async def ask(update: Update, context: AppContext) -> None:
    """Says how many members would be asked for input, then asks them through the outbox when confirmed."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    sending, consultation_id = context.match.group(1) == "askgo", int(context.match.group(2))
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        consultation = await consultations.get(session, consultation_id)
        count = 0
        if consultation is not None and consultations.is_open(consultation, now):
            query = consultations.invitees(consultation, asked_by=me)
            count = await groups.count_query(session, query)
            if sending and count:
                delivery = await outbox.create(session, kind=consultations.ASK_KIND, content=ask_content(consultation),
                                               send_at=now, created_by=me, ref_id=consultation_id, status_chat_id=me,
                                               status_language=_.language, now=now)
                await outbox.add_query(session, delivery, query)
    if consultation is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    back = [button("◀ " + _("Back"), f"csa:view:{consultation_id}")]
    if not consultations.is_open(consultation, now):
        await show(update, _("This consultation is closed. Reopen it before asking for input."), keyboard([back]))
    elif count == 0:
        await show(update, _("There is no one to ask: everyone it is meant for has been asked already."), keyboard([back]))
    elif not sending:
        who = (_.ngettext("Ask {count} attendee of the event for input?", "Ask {count} attendees of the event for input?", count)
               if consultation.event_id else
               _.ngettext("Ask {count} member for input?", "Ask {count} members for input?", count))
        await show(update, who.format(count=_.number(count)),
                   keyboard([[button("📣 " + _("Send"), f"csa:askgo:{consultation_id}")], back]))
    else:
        context.services.delivery.wake()
        await show(update, _("The requests are on their way. I will report here when they have been delivered."),
                   keyboard([back]))
