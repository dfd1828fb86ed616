"""Members (or a table's note-taker) give their inputs by theme, see them and delete them."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.i18n import translator
from bot.models import Draft, Member
from bot.services import consultations, groups
from bot.services import drafts as draft_store
from bot.services.consultations import InputRefused, Refused
from bot.services.groups import InvalidInput
from bot.text import esc
from handlers.ui import deeplinks
from handlers.ui import drafts
from handlers.ui.common import (
    answer_stale,
    button,
    keyboard,
    load_member,
    registered_member as _registered,
    reply,
    show,
    tr,
)
from handlers.consultations.loading import member_view
from handlers.consultations.screens import INPUT, LINK_PREFIX, member_screen, mine_screen
from handlers.ui.people import voice_of
from handlers.ui.bilingual import invalid_text


@deeplinks.on(LINK_PREFIX + r"\d{1,9}")
async def open_link(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Opens a consultation from its link or QR code."""
    _ = translator(member.language)
    loaded = await member_view(context, int(payload[len(LINK_PREFIX):]))
    if loaded is None:
        await reply(update, _("That link is not valid or has expired."))
        return
    consultation, found, is_open, zone = loaded
    await reply(update, *member_screen(consultation, found, is_open, zone, _))


async def view(update: Update, context: AppContext) -> None:
    """Shows the consultation's question and themes (own input, or a discussion table's notes)."""
    member = await _registered(update, context)
    if member is None:
        return
    _ = translator(member.language)
    loaded = await member_view(context, int(context.match.group(2)))
    if loaded is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *member_screen(*loaded, _, table=context.match.group(1) == "table"))


async def choose_theme(update: Update, context: AppContext) -> None:
    """Asks for the input under the chosen theme; a closed consultation says so and asks nothing."""
    member = await _registered(update, context)
    if member is None:
        return
    table = context.match.group(1) == "tt"
    consultation_id, theme_id = int(context.match.group(2)), int(context.match.group(3))
    async with context.unit_of_work() as session:
        consultation = await consultations.get(session, consultation_id)
        theme = await consultations.theme(session, consultation_id, theme_id) if consultation else None
        is_open = consultation is not None and consultations.is_open(consultation, context.now())
        if theme is not None and is_open:
            await draft_store.begin(session, member.telegram_id, INPUT, step="input", now=context.now(),
                                    data={"consultation_id": consultation_id, "theme_id": theme_id, "table": table})
    _ = translator(member.language)
    if theme is None:
        await answer_stale(update, _)
        return
    if not is_open:
        await update.callback_query.answer(_("This consultation is closed. Thank you for your interest."),
                                           show_alert=True)
        return
    await update.callback_query.answer()
    text = f"<b>{esc(consultations.label(theme, _.language))}</b>\n" + _(
        "Type your input (up to {limit} characters) or record a voice note (up to {minutes} minutes).").format(
        limit=_.number(consultations.INPUT_MAX), minutes=_.number(groups.VOICE_MAX_SECONDS // 60))
    if table:
        text = "📝 " + _("Notes for a discussion table") + "\n" + text
    await show(update, text, keyboard([[button(_("Cancel"), f"cs:cancel:{consultation_id}")]]))


@drafts.on_input(INPUT)
async def take_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Saves a typed or spoken input under the chosen theme, then offers the themes again for another one."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    voice = voice_of(update)
    text = update.message.text if update.message else None
    if voice is None and text is None:
        await reply(update, _("Please type your input or record a voice note."))
        return
    data = draft.data
    refused = None
    try:
        seconds = groups.check_voice(voice.seconds, voice.size) if voice else None
        async with context.unit_of_work() as session:
            try:
                saved = await consultations.add_input(
                    session, consultation_id=data["consultation_id"], theme_id=data["theme_id"],
                    submitted_by=update.effective_user.id, member=member, text=text,
                    voice_file_id=voice.file_id if voice else None, voice_seconds=seconds,
                    table_notes=bool(data.get("table")), now=context.now())
            except InputRefused as exc:
                refused = exc.reason
            await draft_store.discard(session, update.effective_user.id, INPUT)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    if refused == Refused.CLOSED:
        await reply(update, _("This consultation is closed. Thank you for your interest."))
        return
    loaded = await member_view(context, data["consultation_id"])
    consultation, found, is_open, zone = loaded
    if refused is not None:
        await reply(update, _("That theme is no longer there. Please choose another one."))
    else:
        theme = next(t for t in found if t.id == saved.theme_id)
        await reply(update, _("Thank you! Your input under “{theme}” was saved.").format(
            theme=esc(consultations.label(theme, _.language))))
    await reply(update, *member_screen(consultation, found, is_open, zone, _, table=bool(data.get("table"))))


async def cancel_input(update: Update, context: AppContext) -> None:
    """Leaves the input unwritten and goes back to the themes."""
    member = await _registered(update, context)
    if member is None:
        return
    async with context.unit_of_work() as session:
        await draft_store.discard(session, member.telegram_id, INPUT)
    _ = translator(member.language)
    loaded = await member_view(context, int(context.match.group(1)))
    if loaded is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *member_screen(*loaded, _))


async def _mine(context: AppContext, consultation_id: int, telegram_id: int):
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None:
            return None
        mine = await consultations.inputs_by(session, consultation_id, telegram_id)
        found = {t.id: t for t in await consultations.themes(session, consultation_id)}
    return consultation, mine, found


async def show_mine(update: Update, context: AppContext) -> None:
    """Lists the inputs the person gave to this consultation."""
    member = await _registered(update, context)
    if member is None:
        return
    _ = translator(member.language)
    loaded = await _mine(context, int(context.match.group(1)), member.telegram_id)
    if loaded is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *mine_screen(*loaded, _))


async def delete_mine(update: Update, context: AppContext) -> None:
    """Deletes one of the person's own inputs; anyone else's stays untouched."""
    member = await _registered(update, context)
    if member is None:
        return
    async with context.unit_of_work() as session:
        deleted = await consultations.delete_own(session, int(context.match.group(1)), member.telegram_id)
    _ = translator(member.language)
    if deleted is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Deleted."))
    await show(update, *mine_screen(*await _mine(context, deleted.consultation_id, member.telegram_id), _))
