"""Coordinators manage a consultation: open or close it, read its inputs by theme, move, merge and listen."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

import handlers.consultations.callbacks as to
from bot.context import AppContext
from bot.i18n import N_, Translator
from bot.models import ConsultationInput, Member
from bot.services import consultations
from bot.text import esc
from handlers.consultations.loading import admin_view, zone_of
from handlers.consultations.screens import input_screen, list_screen, merge_screen, move_screen, theme_page_screen
from handlers.consultations.screens import themes_screen
from handlers.ui import deeplinks
from handlers.ui.answers import coordinator_view, on_press, open_or_close, show_or_stale
from handlers.ui.callbacks import Route
from handlers.ui.common import answer_stale, coordinator_only, reply, show
from handlers.ui.people import send_voice_note


@on_press(to.LIST)
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


view_admin = on_press(to.MANAGE)(coordinator_view(admin_view))


@on_press(to.OPEN_OR_CLOSE)
@coordinator_only
async def set_open(update: Update, context: AppContext, _: Translator) -> None:
    """Closes a consultation to input, or reopens it."""
    await open_or_close(update, context, _, consultations.get, consultations.set_open, admin_view,
                        (_("It is open again."), _("It is closed.")))


@on_press(to.BY_THEME)
@coordinator_view
async def grouped(context: AppContext, _: Translator, consultation_id: int):
    """Inputs counted by theme (duplicates merged away), with a button per theme."""
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        found = await consultations.counts(session, consultation_id) if consultation else []
    return themes_screen(consultation, found, _) if consultation else None


@on_press(to.THEME_PAGE)
@coordinator_view
async def theme_page(context: AppContext, _: Translator, consultation_id: int, theme_id: int, page: int):
    """The inputs under one theme, ten at a time, each with a button to open it."""
    async with context.services.db.session() as session:
        theme = await consultations.theme(session, consultation_id, theme_id)
        found = await consultations.theme_inputs(session, consultation_id, theme_id) if theme else []
    return theme_page_screen(theme, found, page, _) if theme else None


async def _input_view(context: AppContext, _: Translator, input_id: int):
    """One input in full: text or voice, who sent it, when (in the zone of the consultation's event), and what can
    be done with it; None once it is gone."""
    async with context.services.db.session() as session:
        found = await consultations.input_details(session, input_id)
    return input_screen(found, zone_of(found.event, context), _) if found else None


view_input = on_press(to.INPUT)(coordinator_view(_input_view))


def _about_input(load: Callable[..., Awaitable]) -> Callable[..., Awaitable[None]]:
    """A coordinator's button about one input that shows the screen `load(session, _, item)` makes."""

    async def with_input(context: AppContext, _: Translator, input_id: int):
        async with context.services.db.session() as session:
            item = await consultations.get_input(session, input_id)
            return await load(session, _, item) if item else None

    return coordinator_view(functools.wraps(load)(with_input))


@on_press(to.MOVE)
@_about_input
async def pick_theme(session: AsyncSession, _: Translator, item: ConsultationInput):
    """Offers the consultation's other themes to move an input to."""
    return move_screen(item, await consultations.themes(session, item.consultation_id), _)


@on_press(to.MERGE)
@_about_input
async def pick_duplicate(session: AsyncSession, _: Translator, item: ConsultationInput):
    """Offers the other inputs under the same theme, to merge this one into."""
    return merge_screen(item, await consultations.theme_inputs(session, item.consultation_id, item.theme_id), _)


def _input_change(change, note: str | None = None):
    """The handler of a button that changes an input: `change(session, *values, now)` with the button's values
    (the input's id first); the input is shown again with the note (a msgid), or the button is out of date."""

    @coordinator_only
    async def changed(update: Update, context: AppContext, _: Translator) -> None:
        values = Route.ints(context.match)
        async with context.unit_of_work() as session:
            done = await change(session, *values, context.now())
        screen = await _input_view(context, _, values[0]) if done else None
        await show_or_stale(update, _, screen, _(note) if note else None)

    return changed


# Moves an input (with its merged duplicates) to another theme of the same consultation.
move = on_press(to.MOVE_TO)(_input_change(consultations.move, N_("Moved.")))
# Merges a duplicate into the input it repeats; it keeps the link and stops counting.
merge = on_press(to.MERGE_INTO)(_input_change(consultations.merge, N_("Merged.")))
# Counts a merged input on its own again.
unmerge = on_press(to.UNMERGE)(_input_change(consultations.unmerge))


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


@on_press(to.LISTEN)
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
