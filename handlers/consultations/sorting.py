"""Coordinators manage a consultation: open or close it, read its inputs by theme, move, merge and listen."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.models import Member
from bot.services import consultations
from bot.text import esc
from handlers.ui import deeplinks
from handlers.ui.common import (
    answer_stale,
    button,
    coordinator_and_translator as require_coordinator,
    keyboard,
    reply,
    show,
)
from handlers.consultations.loading import admin_view, zone_of
from handlers.consultations.screens import body, sender_line
from handlers.ui.people import send_voice_note, shorten


async def list_consultations(update: Update, context: AppContext) -> None:
    """Lists recent consultations (/consult opens each one's screen, /inputs goes straight to its inputs)."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    to_inputs = bool(update.message and (update.message.text or "").startswith("/inputs"))
    async with context.services.db.session() as session:
        found = await consultations.recent(session)
    lines = ["<b>" + _("Consultations") + "</b>", ""]
    lines.append(_("Choose one.") if found else _("There are no consultations yet."))
    now = context.now()
    rows = []
    for c in found:
        mark = "" if consultations.is_open(c, now) else "🔒 "
        target = f"csa:g:{c.id}" if to_inputs else f"csa:view:{c.id}"
        rows.append([button(shorten(mark + consultations.question(c, _.language), 60), target)])
    rows.append([button("➕ " + _("New consultation"), "csa:new")])
    if update.callback_query:
        await update.callback_query.answer()
    await show(update, "\n".join(lines), keyboard(rows))


async def view_admin(update: Update, context: AppContext) -> None:
    """The coordinator's screen of one consultation."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    screen = await admin_view(context, int(context.match.group(1)), _)
    if screen is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *screen)


async def set_open(update: Update, context: AppContext) -> None:
    """Closes a consultation to input, or reopens it."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    opening, consultation_id = context.match.group(1) == "open", int(context.match.group(2))
    async with context.unit_of_work() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is not None:
            await consultations.set_open(session, consultation, opening, context.now())
    if consultation is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("It is open again.") if opening else _("It is closed."))
    await show(update, *await admin_view(context, consultation_id, _))


async def grouped(update: Update, context: AppContext) -> None:
    """Inputs counted by theme (duplicates merged away), with a button per theme."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    consultation_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        found = await consultations.counts(session, consultation_id) if consultation else []
    if consultation is None:
        await answer_stale(update, _)
        return
    total = sum(c.count for c in found)
    lines = [f"<b>{esc(consultations.question(consultation, _.language))}</b>", "",
             "<b>" + _.ngettext("{count} input, by theme:", "{count} inputs, by theme:", total).format(
                 count=_.number(total)) + "</b>"]
    rows = []
    for c in sorted(found, key=lambda c: (-c.count, c.theme.position)):
        name = consultations.label(c.theme, _.language)
        lines.append("• " + _("{label}: {count}").format(label=esc(name), count=_.number(c.count)))
        rows.append([button(shorten(f"{name} ({_.number(c.count)})", 60), f"csa:t:{consultation_id}:{c.theme.id}:0")])
    rows.append([button("📥 " + _("Export (XLSX)"), f"csa:x:{consultation_id}"),
                 button("◀ " + _("Back"), f"csa:view:{consultation_id}")])
    await update.callback_query.answer()
    await show(update, "\n".join(lines), keyboard(rows))


async def theme_page(update: Update, context: AppContext) -> None:
    """The inputs under one theme, ten at a time, each with a button to open it."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    consultation_id, theme_id, page = (int(context.match.group(i)) for i in (1, 2, 3))
    async with context.services.db.session() as session:
        theme = await consultations.theme(session, consultation_id, theme_id)
        found = await consultations.theme_inputs(session, consultation_id, theme_id) if theme else []
    if theme is None:
        await answer_stale(update, _)
        return
    size = consultations.PAGE_SIZE
    shown = found[page * size:(page + 1) * size]
    lines = ["<b>" + _("{label}: {count}").format(label=esc(consultations.label(theme, _.language)),
                                                   count=_.number(len(found))) + "</b>", ""]
    if not found:
        lines.append(_("No input under this theme yet."))
    for item, member in shown:
        lines.append(f"<b>#{item.id}</b> {body(item, _, 160)}")
        lines.append("    — " + sender_line(item, member, _))
    buttons = [button(f"#{item.id}", f"csa:i:{item.id}") for item, _m in shown]
    rows = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    nav = []
    if page > 0:
        nav.append(button("◀ " + _("Previous"), f"csa:t:{consultation_id}:{theme_id}:{page - 1}"))
    if (page + 1) * size < len(found):
        nav.append(button(_("More") + " ▶", f"csa:t:{consultation_id}:{theme_id}:{page + 1}"))
    rows.append(nav)
    rows.append([button("◀ " + _("All themes"), f"csa:g:{consultation_id}")])
    await update.callback_query.answer()
    await show(update, "\n".join(lines), keyboard(rows))


async def _input_screen(context: AppContext, input_id: int, _: Translator):
    async with context.services.db.session() as session:
        found = await consultations.input_with_member(session, input_id)
        if found is None:
            return None
        item, member = found
        theme = await consultations.theme(session, item.consultation_id, item.theme_id)
        duplicates = await consultations.duplicates_of(session, item.id)
        consultation = await consultations.get(session, item.consultation_id)
        event = await consultations.event_of(session, consultation)
    zone = zone_of(event, context)
    lines = [f"<b>#{item.id}</b> · {esc(consultations.label(theme, _.language))}", "", body(item, _), "",
             sender_line(item, member, _), _.datetime(item.created_at, zone, "short")]
    if item.merged_into_id:
        lines.append(_("Merged into #{number}: it is not counted.").format(number=item.merged_into_id))
    if duplicates:
        lines.append(_.ngettext("{count} duplicate merged into it.", "{count} duplicates merged into it.",
                                duplicates).format(count=_.number(duplicates)))
    rows = [[button("🔀 " + _("Move to another theme"), f"csa:mv:{item.id}")]]
    if item.merged_into_id:
        rows.append([button("↩ " + _("Undo the merge"), f"csa:um:{item.id}")])
    else:
        rows.append([button("🧩 " + _("Merge into another input"), f"csa:mg:{item.id}")])
    if item.voice_file_id:
        rows.append([button("🔊 " + _("Listen"), f"csa:v:{item.id}")])
    rows.append([button("◀ " + _("Back to the theme"), f"csa:t:{item.consultation_id}:{item.theme_id}:0")])
    return "\n".join(lines), keyboard(rows)


async def view_input(update: Update, context: AppContext) -> None:
    """One input in full: text or voice, who sent it, when, and what can be done with it."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    screen = await _input_screen(context, int(context.match.group(1)), _)
    if screen is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *screen)


async def pick_theme(update: Update, context: AppContext) -> None:
    """Offers the consultation's other themes to move an input to."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    async with context.services.db.session() as session:
        item = await consultations.get_input(session, int(context.match.group(1)))
        found = await consultations.themes(session, item.consultation_id) if item else []
    if item is None:
        await answer_stale(update, _)
        return
    rows = [[button(consultations.label(t, _.language), f"csa:mvt:{item.id}:{t.id}")]
            for t in found if t.id != item.theme_id]
    rows.append([button("◀ " + _("Back"), f"csa:i:{item.id}")])
    await update.callback_query.answer()
    await show(update, _("Move input #{number} to which theme?").format(number=item.id), keyboard(rows))


async def move(update: Update, context: AppContext) -> None:
    """Moves an input (with its merged duplicates) to another theme of the same consultation."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    input_id, theme_id = int(context.match.group(1)), int(context.match.group(2))
    async with context.unit_of_work() as session:
        moved = await consultations.move(session, input_id, theme_id, context.now())
    if moved is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Moved."))
    await show(update, *await _input_screen(context, input_id, _))


async def pick_duplicate(update: Update, context: AppContext) -> None:
    """Offers the other inputs under the same theme, to merge this one into."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    async with context.services.db.session() as session:
        item = await consultations.get_input(session, int(context.match.group(1)))
        found = await consultations.theme_inputs(session, item.consultation_id, item.theme_id) if item else []
    if item is None:
        await answer_stale(update, _)
        return
    others = [(other, m) for other, m in found if other.id != item.id][:20]
    rows = [[button(shorten(f"#{o.id} {o.text or '🎤'}", 60), f"csa:mgi:{item.id}:{o.id}")] for o, _m in others]
    rows.append([button("◀ " + _("Back"), f"csa:i:{item.id}")])
    text = (_("Input #{number} repeats which one? It will stay linked to it and no longer be counted.")
            if others else _("There is no other input under this theme. To merge it with one under another theme, "
                             "move it there first.")).format(number=item.id)
    await update.callback_query.answer()
    await show(update, text, keyboard(rows))


async def merge(update: Update, context: AppContext) -> None:
    """Merges a duplicate into the input it repeats; it keeps the link and stops counting."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    input_id, into_id = int(context.match.group(1)), int(context.match.group(2))
    async with context.unit_of_work() as session:
        merged = await consultations.merge(session, input_id, into_id, context.now())
    if merged is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Merged."))
    await show(update, *await _input_screen(context, input_id, _))


async def unmerge(update: Update, context: AppContext) -> None:
    """Counts a merged input on its own again."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    input_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        done = await consultations.unmerge(session, input_id, context.now())
    if done is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *await _input_screen(context, input_id, _))


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


async def listen(update: Update, context: AppContext) -> None:
    """Plays an input's voice note to the coordinator."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    sent = await _send_input_voice(context, update.effective_user.id, int(context.match.group(1)), _)
    if sent is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if not sent:
        await reply(update, _("Telegram no longer has that voice note."))


@deeplinks.on(consultations.VOICE_PREFIX + r"\d{1,9}")
async def voice_from_export(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """The export's voice link: plays the voice note for a coordinator, and for no one else."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _ = translator(member.language)
    sent = await _send_input_voice(context, update.effective_user.id, int(payload[len(consultations.VOICE_PREFIX):]), _)
    if sent is None:
        await reply(update, _("That link is not valid or has expired."))
    elif not sent:
        await reply(update, _("Telegram no longer has that voice note."))
