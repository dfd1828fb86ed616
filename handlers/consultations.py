"""Consultations: members (or a table's note-taker) give needs by theme; coordinators sort, merge and export them.

Callback data: `cs:*` are members' buttons, `csa:*` coordinators' (checked on the server every time).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import event_text, exports
from bot.config import LOCAL_ZONE
from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Consultation, ConsultationInput, ConsultationTheme, Draft, Event, Member
from bot.services import consultations, groups, outbox
from bot.services import drafts as draft_store
from bot.services.consultations import InputRefused, Refused
from bot.services.groups import InvalidInput
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
from handlers import deeplinks, drafts
from handlers.common import (
    answer_stale,
    button,
    keyboard,
    load_member,
    registered_member as _registered,
    reply,
    show,
    tr,
)
from handlers.groups import (
    Pair,
    duration,
    event_label,
    invalid_text,
    member_summary,
    pair_clean,
    pair_for,
    pair_next,
    pair_screen,
    pair_value,
    require_coordinator,
    require_typing_coordinator,
    send_voice_note,
    shorten,
    voice_of,
)

NEW, INPUT = "consult_new", "consult_input"
LINK_PREFIX = "cs_"

# The ready-made themes for an agroecology policy consultation; each is stored in English and Khmer.
POLICY_THEMES = (
    N_("Capacity building"),
    N_("Market linkage"),
    N_("Studies and research"),
    N_("Access to finance"),
    N_("Insurance"),
    N_("Certification"),
    N_("Education curricula"),
    N_("Extension services"),
    N_("Land and water"),
    N_("Seeds"),
)
QUESTION_PAIR = Pair(
    "question", consultations.QUESTION_MAX, True, True,
    N_("What question do you want to ask, in English? For example: “What support do farmers need most for "
       "agroecology?” (Up to {limit} characters.)"),
    N_("Now the question in Khmer. (Up to {limit} characters.)"),
)


def policy_themes() -> list[tuple[str, str]]:
    km = translator("km")
    return [(label, km(label)) for label in POLICY_THEMES]


def member_link(bot_username: str, consultation_id: int) -> str:
    """The link (or QR code) that opens the consultation in the bot, registering a newcomer first."""
    return f"https://t.me/{bot_username}?start={LINK_PREFIX}{consultation_id}"


def voice_link(bot_username: str, input_id: int) -> str:
    """The export's link to a voice note: it plays it for coordinators only."""
    return f"https://t.me/{bot_username}?start={consultations.VOICE_PREFIX}{input_id}"


def zone_of(event: Event | None, context: AppContext) -> ZoneInfo:
    return event_text.zone(event) if event is not None else context.settings.tz


# ---------------------------------------------------------------- member screens


def closing_line(consultation: Consultation, zone: ZoneInfo, _: Translator) -> str:
    if consultation.closes_at is None:
        return ""
    return _("Open until {time}.").format(time=_.datetime(consultation.closes_at, zone, "short"))


def member_screen(consultation: Consultation, themes: list[ConsultationTheme], is_open: bool, zone: ZoneInfo,
                  _: Translator, *, table: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The question and its themes; pressing a theme asks for the input (as a table's notes in table mode)."""
    cid = consultation.id
    lines = [f"<b>{esc(consultations.question(consultation, _.language))}</b>", ""]
    if not is_open:
        lines.append(_("This consultation is closed. Thank you for your interest."))
        return "\n".join(lines), keyboard([[button("🗂 " + _("My inputs"), f"cs:mine:{cid}")]])
    if table:
        lines.append(_("You are taking notes for a discussion table: each input is saved as the table's, not as "
                       "your own. Choose a theme."))
    else:
        lines.append(_("Choose a theme, then type your input or record a voice note. You can give as many inputs "
                       "as you like."))
    closing = closing_line(consultation, zone, _)
    if closing:
        lines += ["", closing]
    code = "tt" if table else "t"
    rows = [[button(consultations.label(t, _.language), f"cs:{code}:{cid}:{t.id}")] for t in themes]
    if table:
        rows.append([button("◀ " + _("My own input"), f"cs:view:{cid}")])
    else:
        rows.append([button("📝 " + _("Notes for a discussion table"), f"cs:table:{cid}")])
    rows.append([button("🗂 " + _("My inputs"), f"cs:mine:{cid}")])
    return "\n".join(lines), keyboard(rows)


def mine_screen(consultation: Consultation, mine: list[ConsultationInput], themes: dict[int, ConsultationTheme],
                _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The person's own inputs, each with a delete button."""
    lines = ["<b>" + _("Your inputs") + "</b>", ""]
    rows = []
    if not mine:
        lines.append(_("You have not given any input yet."))
    for number, item in enumerate(mine, start=1):
        theme = consultations.label(themes[item.theme_id], _.language) if item.theme_id in themes else ""
        body = esc(shorten(item.text)) if item.text else "🎤 " + _("voice note ({length})").format(
            length=duration(item.voice_seconds))
        note = " · " + _("table notes") if item.table_notes else ""
        lines.append(f"{_.number(number)}. <i>{esc(theme)}</i>{note}: {body}")
        rows.append(button(f"🗑 {_.number(number)}", f"cs:del:{item.id}"))
    markup = [rows[i:i + 4] for i in range(0, len(rows), 4)]
    markup.append([button("◀ " + _("Back"), f"cs:view:{consultation.id}")])
    if mine:
        lines += ["", _("Press 🗑 and a number to delete that input.")]
    return "\n".join(lines), keyboard(markup)


async def _screen_data(context: AppContext, consultation_id: int):
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None:
            return None
        found = await consultations.themes(session, consultation_id)
        event = await session.get(Event, consultation.event_id) if consultation.event_id else None
    return consultation, found, consultations.is_open(consultation, context.now()), zone_of(event, context)


@deeplinks.on(LINK_PREFIX + r"\d{1,9}")
async def open_link(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Opens a consultation from its link or QR code."""
    _ = translator(member.language)
    loaded = await _screen_data(context, int(payload[len(LINK_PREFIX):]))
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
    loaded = await _screen_data(context, int(context.match.group(2)))
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
    loaded = await _screen_data(context, data["consultation_id"])
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
    loaded = await _screen_data(context, int(context.match.group(1)))
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


# ---------------------------------------------------------------- coordinators: opening one


def form_screen(step: str, data: dict, events: list[Event], _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question the new-consultation form is on."""
    cancel = [button(_("Cancel"), "csa:f:cancel")]
    if step.startswith("question_"):
        return pair_screen(QUESTION_PAIR, step, data, _, "csa:f")
    if step == "themes":
        ready = ", ".join(_(label) for label in POLICY_THEMES)
        text = _("Which themes should inputs be sorted under? Use the ready-made themes for agroecology policy "
                 "({themes}), or type your own, one per line, as “English / Khmer”. A theme in one language is "
                 "used for both. At most {limit}.").format(themes=esc(ready), limit=_.number(consultations.THEMES_MAX))
        return text, keyboard([[button("✅ " + _("Use the agroecology policy themes"), "csa:f:preset")], cancel])
    if step == "event":
        rows = [[button(event_label(e, _), f"csa:f:ev:{e.id}")] for e in events]
        rows.append([button(_("No event"), "csa:f:ev:0")])
        return _("Is this consultation part of an event? Its attendees can then be asked for input, and the needs "
                 "appear with the event."), keyboard([*rows, cancel])
    return (_("When should it stop taking input? Type a date and time like 13/12/2024 17:00 ({zone}), "
              "or choose “No closing time”.").format(zone=esc(_.zone(LOCAL_ZONE))),
            keyboard([[button(_("No closing time"), "csa:f:noclose")], cancel]))


async def new_consultation(update: Update, context: AppContext) -> None:
    """Starts opening a consultation: the question in both languages, the themes, the event and a closing time."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    async with context.unit_of_work() as session:
        await draft_store.begin(session, member.telegram_id, NEW, step="question_en", now=context.now())
    if update.callback_query:
        await update.callback_query.answer()
    await reply(update, "<b>" + _("New consultation") + "</b>")
    await reply(update, *form_screen("question_en", {}, [], _))


def _next_step(step: str) -> str | None:
    if step.startswith("question_"):
        return pair_next(step) or "themes"
    return {"themes": "event", "event": "closes"}.get(step)


async def _form_step(update: Update, context: AppContext, step: str, value) -> None:
    """Stores one answer of the form if the form is really at that question, then asks the next or opens it."""
    me = update.effective_user.id
    opened = None
    events: list[Event] = []
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, NEW)
        if draft is None or draft.step != step:
            draft = None
        else:
            following = _next_step(step)
            draft_store.advance(draft, step=following, now=context.now(), **{step: value})
            if following == "event":
                events = await groups.recent_events(session)
            if following is None:
                opened = await _open(session, draft, me, context)
    _ = tr(await load_member(context, me), update)
    if update.callback_query:
        if draft is None:
            await answer_stale(update, _)
            return
        await update.callback_query.answer()
    if draft is None:
        return
    if opened is None:
        await reply(update, *form_screen(draft.step, draft.data, events, _))
        return
    await reply(update, _("The consultation is open."))
    await reply(update, *await _admin_screen(context, opened.id, _))


async def _open(session, draft: Draft, me: int, context: AppContext) -> Consultation:
    data = draft.data
    themes = [tuple(t) for t in data["themes"]]
    event_id = data.get("event") or None
    if event_id is not None and await session.get(Event, event_id) is None:
        event_id = None
    closes = data.get("closes")
    consultation = await consultations.create(
        session, question_en=data.get("question_en", ""), question_km=data.get("question_km", ""), themes=themes,
        event_id=event_id, closes_at=_from_iso(closes), created_by=me, now=context.now())
    await draft_store.discard(session, me, NEW)
    return consultation


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def _draft_zone(context: AppContext, draft: Draft) -> ZoneInfo:
    """A closing time is read in the chosen event's time zone (Cambodia's when there is no event)."""
    async with context.services.db.session() as session:
        event = await session.get(Event, draft.data["event"]) if draft.data.get("event") else None
    return zone_of(event, context)


@drafts.on_input(NEW)
async def take_form_text(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the typed question, themes or closing time; what does not fit is refused and nothing changes."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    text = update.message.text if update.message else None
    if draft.step == "event":
        await reply(update, _("Please choose one of the buttons."))
        return
    if text is None:
        await reply(update, _("Please type the text, or use the buttons."))
        return
    try:
        if draft.step.startswith("question_"):
            value = pair_clean(QUESTION_PAIR, text)
        elif draft.step == "themes":
            value = consultations.parse_themes(text)
        else:
            value = consultations.parse_closing(text, await _draft_zone(context, draft), context.now()).isoformat()
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    await _form_step(update, context, draft.step, value)


async def form_button(update: Update, context: AppContext) -> None:
    """Skip / same-for-both, the ready-made themes, the event, no closing time, and cancel."""
    if await require_coordinator(update, context) is None:
        return
    action, arg = context.match.group(1), context.match.group(2)
    me = update.effective_user.id
    if action == "cancel":
        await drafts.cancel_form(update, context, NEW)
        return
    if action in ("skip", "same"):
        async with context.services.db.session() as session:
            draft = await draft_store.get(session, me, NEW)
        value = None
        if draft is not None and draft.step == arg and pair_for((QUESTION_PAIR,), arg):
            value = pair_value(QUESTION_PAIR, arg, draft.data, action)
        if value is None:
            await answer_stale(update, tr(await load_member(context, me), update))
            return
        await _form_step(update, context, arg, value)
    elif action == "preset":
        await _form_step(update, context, "themes", policy_themes())
    elif action == "ev":
        await _form_step(update, context, "event", int(arg) or None)
    else:
        await _form_step(update, context, "closes", None)


# ---------------------------------------------------------------- coordinators: managing one


async def _admin_screen(context: AppContext, consultation_id: int, _: Translator):
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None:
            return None
        event = await session.get(Event, consultation.event_id) if consultation.event_id else None
        total = sum(c.count for c in await consultations.counts(session, consultation_id))
    return admin_screen(consultation, event, total, consultations.is_open(consultation, context.now()),
                        zone_of(event, context), context.bot.username, _)


def admin_screen(consultation: Consultation, event: Event | None, total: int, is_open: bool, zone: ZoneInfo,
                 bot_username: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A consultation as coordinators manage it: both questions, the event, whether it is open, the link."""
    cid = consultation.id
    lines = ["<b>" + _("Consultation") + "</b>", esc(consultation.question_en)]
    if consultation.question_km != consultation.question_en:
        lines.append(esc(consultation.question_km))
    lines.append("")
    if event is not None:
        lines.append(_("Event: {event}").format(event=esc(event_text.title(event, _.language))))
    if is_open:
        lines.append(closing_line(consultation, zone, _) or _("Open, with no closing time."))
    else:
        lines.append(_("Closed: it takes no more input."))
    lines.append(_.ngettext("{count} input so far.", "{count} inputs so far.", total).format(count=_.number(total)))
    lines += ["", _("Link for members (share it, or print it as a QR code):"), esc(member_link(bot_username, cid))]
    rows = [
        [button("🗂 " + _("Inputs by theme"), f"csa:g:{cid}"), button("📥 " + _("Export (XLSX)"), f"csa:x:{cid}")],
        [button("📣 " + _("Ask members for input"), f"csa:ask:{cid}")],
        [button("🔒 " + _("Close it"), f"csa:close:{cid}") if is_open
         else button("🔓 " + _("Reopen it"), f"csa:open:{cid}")],
        [button("◀ " + _("All consultations"), "csa:list")],
    ]
    return "\n".join(lines), keyboard(rows)


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
    screen = await _admin_screen(context, int(context.match.group(1)), _)
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
    await show(update, *await _admin_screen(context, consultation_id, _))


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


def sender_line(item: ConsultationInput, member: Member | None, _: Translator) -> str:
    who = member_summary(member, _)
    return ("📝 " + _("Notes of a discussion table, taken by {name}").format(name=who)) if item.table_notes else who


def body(item: ConsultationInput, _: Translator, limit: int | None = None) -> str:
    if item.text:
        return esc(shorten(item.text, limit) if limit else item.text)
    return "🎤 " + _("voice note ({length})").format(length=_.digits(duration(item.voice_seconds)))


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
        theme = await session.get(ConsultationTheme, item.theme_id)
        duplicates = await consultations.duplicates_of(session, item.id)
        consultation = await consultations.get(session, item.consultation_id)
        event = await session.get(Event, consultation.event_id) if consultation.event_id else None
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


def export_table(rows: list[consultations.ExportRow], zone: ZoneInfo, bot_username: str,
                 _: Translator) -> tuple[list[str], list[list]]:
    """The export's header and rows: theme, text, language, who, when (local time), voice link, table notes, merge."""
    headers = ["#", _("Theme"), _("Input"), _("Language"), _("Name"), _("Gender"), _("Stakeholder type"),
               _("Organisation"), _("Province"), _("Time"), _("Voice note"), _("Discussion table notes"),
               _("Merged into")]
    table = []
    for row in rows:
        item, member = row.input, row.member
        table.append([
            item.id, consultations.label(row.theme, _.language), item.text or "",
            LANGUAGE_NAMES.get(item.language, item.language),
            (member.name or "") if member else "",
            _(GENDERS[member.gender]) if member and member.gender in GENDERS else "",
            _(STAKEHOLDERS[member.stakeholder]) if member and member.stakeholder in STAKEHOLDERS else "",
            (member.organisation or "") if member else "",
            province_label(member.province, _.language, _) if member else "",
            item.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            voice_link(bot_username, item.id) if item.voice_file_id else "",
            _("Yes") if item.table_notes else "",
            item.merged_into_id or "",
        ])
    return headers, table


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
        event = await session.get(Event, consultation.event_id) if consultation and consultation.event_id else None
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


def ask_content(consultation: Consultation) -> dict[str, dict]:
    """The request for input members receive, in every language."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = "\n".join(["<b>" + _("We would like to hear from you") + "</b>", "",
                          esc(consultations.question(consultation, language)), "",
                          _("Press the button below, choose a theme, then type or record your input.")])
        content[language] = {"text": text, "buttons": [[["💬 " + _("Give my input"), f"cs:view:{consultation.id}"]]]}
    return content


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


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["consult", "inputs"], list_consultations, filters=private))
    app.add_handler(CallbackQueryHandler(view, pattern=r"^cs:(view|table):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(choose_theme, pattern=r"^cs:(t|tt):(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(cancel_input, pattern=r"^cs:cancel:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(show_mine, pattern=r"^cs:mine:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(delete_mine, pattern=r"^cs:del:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(list_consultations, pattern=r"^csa:list$"))
    app.add_handler(CallbackQueryHandler(new_consultation, pattern=r"^csa:new$"))
    app.add_handler(CallbackQueryHandler(form_button, pattern=r"^csa:f:(skip|same):(\w{1,16})$"))
    app.add_handler(CallbackQueryHandler(form_button, pattern=r"^csa:f:(ev):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(form_button, pattern=r"^csa:f:(cancel|preset|noclose)()$"))
    app.add_handler(CallbackQueryHandler(view_admin, pattern=r"^csa:view:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(set_open, pattern=r"^csa:(open|close):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(grouped, pattern=r"^csa:g:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(theme_page, pattern=r"^csa:t:(\d{1,9}):(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(view_input, pattern=r"^csa:i:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(pick_theme, pattern=r"^csa:mv:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(move, pattern=r"^csa:mvt:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(pick_duplicate, pattern=r"^csa:mg:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(merge, pattern=r"^csa:mgi:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(unmerge, pattern=r"^csa:um:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(listen, pattern=r"^csa:v:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(export, pattern=r"^csa:x:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(ask, pattern=r"^csa:(ask|askgo):(\d{1,9})$"))
