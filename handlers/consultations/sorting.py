"""Coordinators manage a consultation: open or close it, read its inputs by theme, move, merge and listen."""

from __future__ import annotations

from telegram import Update

import handlers.consultations.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Member
from bot.services import consultations
from bot.text import esc
from handlers.consultations.loading import admin_view, zone_of
from handlers.consultations.screens import input_screen, list_screen, merge_screen, move_screen, theme_page_screen
from handlers.consultations.screens import themes_screen
from handlers.ui import deeplinks
from handlers.ui.answers import show_or_stale
from handlers.ui.common import answer_stale, coordinator_only, reply, show
from handlers.ui.people import send_voice_note


@coordinator_only
async def list_consultations(update: Update, context: AppContext, _: Translator) -> None:
    """Lists recent consultations (/consult opens each one's screen, /inputs goes straight to its inputs)."""
    to_inputs = bool(update.message and (update.message.text or "").startswith("/inputs"))
    async with context.services.db.session() as session:
        found = await consultations.recent(session)
    now = context.now()
    open_ids = {c.id for c in found if consultations.is_open(c, now)}
    if update.callback_query:
        await update.callback_query.answer()
    await show(update, *list_screen(found, open_ids, to_inputs, _))


@coordinator_only
async def view_admin(update: Update, context: AppContext, _: Translator) -> None:
    """The coordinator's screen of one consultation."""
    consultation_id, = to.MANAGE.ints(context.match)
    await show_or_stale(update, _, await admin_view(context, consultation_id, _))


@coordinator_only
async def set_open(update: Update, context: AppContext, _: Translator) -> None:
    """Closes a consultation to input, or reopens it."""
    action, consultation_id = context.match.groups()
    opening = action == "open"
    async with context.unit_of_work() as session:
        consultation = await consultations.get(session, int(consultation_id))
        if consultation is not None:
            await consultations.set_open(session, consultation, opening, context.now())
    screen = await admin_view(context, int(consultation_id), _) if consultation else None
    await show_or_stale(update, _, screen, _("It is open again.") if opening else _("It is closed."))


@coordinator_only
async def grouped(update: Update, context: AppContext, _: Translator) -> None:
    """Inputs counted by theme (duplicates merged away), with a button per theme."""
    consultation_id, = to.BY_THEME.ints(context.match)
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        found = await consultations.counts(session, consultation_id) if consultation else []
    await show_or_stale(update, _, themes_screen(consultation, found, _) if consultation else None)


@coordinator_only
async def theme_page(update: Update, context: AppContext, _: Translator) -> None:
    """The inputs under one theme, ten at a time, each with a button to open it."""
    consultation_id, theme_id, page = to.THEME_PAGE.ints(context.match)
    async with context.services.db.session() as session:
        theme = await consultations.theme(session, consultation_id, theme_id)
        found = await consultations.theme_inputs(session, consultation_id, theme_id) if theme else []
    await show_or_stale(update, _, theme_page_screen(theme, found, page, _) if theme else None)


async def _input_screen(context: AppContext, input_id: int, _: Translator):
    """One input's screen (None once it is gone), its time in the zone of the consultation's event."""
    async with context.services.db.session() as session:
        found = await consultations.input_details(session, input_id)
    return input_screen(found, zone_of(found.event, context), _) if found else None


@coordinator_only
async def view_input(update: Update, context: AppContext, _: Translator) -> None:
    """One input in full: text or voice, who sent it, when, and what can be done with it."""
    input_id, = to.INPUT.ints(context.match)
    await show_or_stale(update, _, await _input_screen(context, input_id, _))


@coordinator_only
async def pick_theme(update: Update, context: AppContext, _: Translator) -> None:
    """Offers the consultation's other themes to move an input to."""
    input_id, = to.MOVE.ints(context.match)
    async with context.services.db.session() as session:
        item = await consultations.get_input(session, input_id)
        found = await consultations.themes(session, item.consultation_id) if item else []
    await show_or_stale(update, _, move_screen(item, found, _) if item else None)


@coordinator_only
async def pick_duplicate(update: Update, context: AppContext, _: Translator) -> None:
    """Offers the other inputs under the same theme, to merge this one into."""
    input_id, = to.MERGE.ints(context.match)
    async with context.services.db.session() as session:
        item = await consultations.get_input(session, input_id)
        found = await consultations.theme_inputs(session, item.consultation_id, item.theme_id) if item else []
    await show_or_stale(update, _, merge_screen(item, found, _) if item else None)


@coordinator_only
async def move(update: Update, context: AppContext, _: Translator) -> None:
    """Moves an input (with its merged duplicates) to another theme of the same consultation."""
    input_id, theme_id = to.MOVE_TO.ints(context.match)
    async with context.unit_of_work() as session:
        moved = await consultations.move(session, input_id, theme_id, context.now())
    await show_or_stale(update, _, await _input_screen(context, input_id, _) if moved else None, _("Moved."))


@coordinator_only
async def merge(update: Update, context: AppContext, _: Translator) -> None:
    """Merges a duplicate into the input it repeats; it keeps the link and stops counting."""
    input_id, into_id = to.MERGE_INTO.ints(context.match)
    async with context.unit_of_work() as session:
        merged = await consultations.merge(session, input_id, into_id, context.now())
    await show_or_stale(update, _, await _input_screen(context, input_id, _) if merged else None, _("Merged."))


@coordinator_only
async def unmerge(update: Update, context: AppContext, _: Translator) -> None:
    """Counts a merged input on its own again."""
    input_id, = to.UNMERGE.ints(context.match)
    async with context.unit_of_work() as session:
        done = await consultations.unmerge(session, input_id, context.now())
    await show_or_stale(update, _, await _input_screen(context, input_id, _) if done else None)


async def _send_input_voice(context: AppContext, chat_id: int, input_id: int, _: Translator) -> bool | None:
    """Sends an input's voice note to a coordinator; None if there is no such voice note."""
    async with context.services.db.session() as session:
        found = await consultations.input_with_member(session, input_id)
    if found is None or not found[0].voice_file_id:
        return None
    item, member = found
    name = member.name if member and member.name else _("(a member who deleted their data)")
    caption = _("Input #{number} from {name}").format(number=item.id, name=esc(name))
    return await send_voice_note(context, chat_id, item.voice_file_id, caption)


@coordinator_only
async def listen(update: Update, context: AppContext, _: Translator) -> None:
    """Plays an input's voice note to the coordinator."""
    input_id, = to.LISTEN.ints(context.match)
    sent = await _send_input_voice(context, update.effective_user.id, input_id, _)
    if sent is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if not sent:
        await reply(update, _("Telegram no longer has that voice note."))


@deeplinks.on(consultations.VOICE_PREFIX + r"\d{1,9}")
@coordinator_only
async def voice_from_export(update: Update, context: AppContext, _: Translator, member: Member, payload: str) -> None:
    """The export's voice link: plays the voice note for a coordinator, and for no one else."""
    sent = await _send_input_voice(context, update.effective_user.id, int(payload[len(consultations.VOICE_PREFIX):]), _)
    if sent is None:
        await reply(update, _("That link is not valid or has expired."))
    elif not sent:
        await reply(update, _("Telegram no longer has that voice note."))
