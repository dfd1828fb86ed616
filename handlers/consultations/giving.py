"""Members (or a table's note-taker) give their inputs by theme, see them and delete them."""

from __future__ import annotations

from dataclasses import asdict

from telegram import Update

import handlers.consultations.callbacks as to
from bot.context import AppContext
from bot.i18n import N_, Translator, translator
from bot.models import Draft, Member
from bot.services import consultations
from bot.services import drafts as draft_store
from bot.services.consultations import InputRefused, Refused
from bot.services.groups import InvalidInput
from bot.text import esc
from handlers.consultations.forms import INPUT, InputForm
from handlers.consultations.loading import member_view
from handlers.consultations.screens import LINK_PREFIX, member_screen, mine_screen, theme_prompt
from handlers.ui import deeplinks
from handlers.ui.answers import Said, chose, on_press, on_said, show_or_stale
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, registered_only, reply, show


@deeplinks.on(LINK_PREFIX + r"\d{1,9}")
async def open_link(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Opens a consultation from its link or QR code."""
    _ = translator(member.language)
    loaded = await member_view(context, int(payload[len(LINK_PREFIX):]))
    if loaded is None:
        await reply(update, _("That link is not valid or has expired."))
        return
    await reply(update, *member_screen(*loaded, _))


@on_press(to.VIEW)
@registered_only
async def view(update: Update, context: AppContext, member: Member) -> None:
    """Shows the consultation's question and themes (own input, or a discussion table's notes)."""
    _ = translator(member.language)
    table, consultation_id = chose(context.match, "table")
    loaded = await member_view(context, consultation_id)
    await show_or_stale(update, _, member_screen(*loaded, _, table=table) if loaded else None)


@on_press(to.THEME)
@registered_only
async def choose_theme(update: Update, context: AppContext, member: Member) -> None:
    """Asks for the input under the chosen theme; a closed consultation says so and asks nothing."""
    table, consultation_id, theme_id = chose(context.match, "tt")
    answers = InputForm(consultation_id, theme_id, table)
    async with context.unit_of_work() as session:
        consultation = await consultations.get(session, answers.consultation_id)
        theme = await consultations.theme(session, consultation.id, answers.theme_id) if consultation else None
        is_open = consultation is not None and consultations.is_open(consultation, context.now())
        if theme is not None and is_open:
            await draft_store.begin(session, member.telegram_id, INPUT, step="input", data=asdict(answers),
                                    now=context.now())
    _ = translator(member.language)
    if theme is not None and not is_open:
        await update.callback_query.answer(_("This consultation is closed. Thank you for your interest."),
                                           show_alert=True)
        return
    await show_or_stale(update, _, theme_prompt(theme, answers.table, _) if theme else None)


@on_said(INPUT, N_("Please type your input or record a voice note."))
async def take_input(update: Update, context: AppContext, draft: Draft, member: Member, _: Translator,
                     given: Said) -> None:
    """Saves a typed or spoken input under the chosen theme, then offers the themes again for another one."""
    answers = draft_store.read(draft, InputForm)
    saved = refused = None
    try:
        async with context.unit_of_work() as session:
            try:
                saved = await consultations.add_input(
                    session, consultation_id=answers.consultation_id, theme_id=answers.theme_id,
                    submitted_by=update.effective_user.id, member=member, text=given.text,
                    voice_file_id=given.voice_file_id, voice_seconds=given.voice_seconds,
                    table_notes=bool(answers.table), now=context.now())
            except InputRefused as exc:
                refused = exc.reason
            await draft_store.discard(session, update.effective_user.id, INPUT)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    if refused == Refused.CLOSED:
        await reply(update, _("This consultation is closed. Thank you for your interest."))
        return
    consultation, found, is_open, zone = await member_view(context, answers.consultation_id)
    if refused is not None:
        await reply(update, _("That theme is no longer there. Please choose another one."))
    else:
        theme = next(t for t in found if t.id == saved.theme_id)
        await reply(update, _("Thank you! Your input under “{theme}” was saved.").format(
            theme=esc(consultations.label(theme, _.language))))
    await reply(update, *member_screen(consultation, found, is_open, zone, _, table=bool(answers.table)))


@on_press(to.CANCEL_INPUT)
@registered_only
async def cancel_input(update: Update, context: AppContext, member: Member) -> None:
    """Leaves the input unwritten and goes back to the themes."""
    async with context.unit_of_work() as session:
        await draft_store.discard(session, member.telegram_id, INPUT)
    loaded = await member_view(context, *to.CANCEL_INPUT.ints(context.match))
    _ = translator(member.language)
    await show_or_stale(update, _, member_screen(*loaded, _) if loaded else None)


async def _mine_screen(context: AppContext, consultation_id: int, telegram_id: int, _):
    """The person's own inputs to the consultation (None once it is gone)."""
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None:
            return None
        mine = await consultations.inputs_by(session, consultation_id, telegram_id)
        found = {t.id: t for t in await consultations.themes(session, consultation_id)}
    return mine_screen(consultation, mine, found, _)


@on_press(to.MINE)
@registered_only
async def show_mine(update: Update, context: AppContext, member: Member) -> None:
    """Lists the inputs the person gave to this consultation."""
    _ = translator(member.language)
    consultation_id, = to.MINE.ints(context.match)
    await show_or_stale(update, _, await _mine_screen(context, consultation_id, member.telegram_id, _))


@on_press(to.DELETE_MINE)
@registered_only
async def delete_mine(update: Update, context: AppContext, member: Member) -> None:
    """Deletes one of the person's own inputs; anyone else's stays untouched."""
    input_id, = to.DELETE_MINE.ints(context.match)
    async with context.unit_of_work() as session:
        deleted = await consultations.delete_own(session, input_id, member.telegram_id)
    _ = translator(member.language)
    if deleted is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Deleted."))
    await show(update, *await _mine_screen(context, deleted.consultation_id, member.telegram_id, _))
