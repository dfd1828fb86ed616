"""/broadcast: a coordinator composes an announcement in English and Khmer, picks the audience, previews
it as each language group will see it, and sends it now or later through the outbox; /broadcasts lists
them and cancels a scheduled one."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.delivery import render_markup
from bot.i18n import LANGUAGES, N_, Translator
from bot.models import Delivery, Draft
from bot.services import drafts, outbox
from bot.services.audience import Audience
from handlers.ui import drafts as draft_input
from handlers.ui.audience_picker import pattern
from handlers.ui.composer import press_audience, show_audience, typed_send_time
from handlers.ui.common import answer_stale, button, keyboard, reply, require_coordinator, show

KIND = "broadcast"
# Language names as words inside a sentence (the buttons use each language's own name).
LANGUAGE_WORDS = {"en": N_("English"), "km": N_("Khmer")}
HEADING = N_("Who should receive it?")
PICKER = "bc:aud"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def _piece_from(message: Message) -> dict | str:
    """The announcement in one language from what the coordinator sent, or the reason it can't be used."""
    if message.photo:
        piece = {"photo": message.photo[-1].file_id, "text": message.caption_html or ""}
        limit = CAPTION_LIMIT
    elif message.document:
        piece = {"document": message.document.file_id, "text": message.caption_html or ""}
        limit = CAPTION_LIMIT
    elif message.text:
        piece = {"text": message.text_html}
        limit = TEXT_LIMIT
    else:
        return "unsupported"
    plain = message.caption or message.text or ""
    if not plain.strip() and "photo" not in piece and "document" not in piece:
        return "empty"
    if len(plain) > limit:
        return "caption_too_long" if limit == CAPTION_LIMIT else "too_long"
    return piece


def _content(data: dict) -> dict[str, dict]:
    """Each language's version; with one version only, everyone gets that one."""
    given = {code: data[code] for code in LANGUAGES if data.get(code)}
    if len(given) == 1:
        only = next(iter(given.values()))
        return {code: only for code in LANGUAGES}
    return given


def _ask_text(language: str, data: dict, _: Translator) -> tuple[str, object]:
    name = _(LANGUAGE_WORDS[language])
    text = _("Send the announcement in {language}: a text, or a photo or document with a caption.").format(
        language=name)
    rows = []
    if language == "en":
        rows.append([button(_("Write it in Khmer only"), "bc:skip:en")])
    elif data.get("en"):
        rows.append([button(_("Send the English text to everyone"), "bc:skip:km")])
    rows.append([button(_("Cancel"), "bc:discard")])
    return text, keyboard(rows)


async def start(update: Update, context: AppContext) -> None:
    """Starts composing a broadcast."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.begin(session, update.effective_user.id, KIND, step="en", data={}, now=context.now())
    await reply(update, *_ask_text("en", draft.data, _))


@draft_input.on_input(KIND)
async def take_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a language version of the text, or a typed send time."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    if draft.step == "when":
        await _take_time(update, context, draft, _)
        return
    piece = _piece_from(update.message)
    if isinstance(piece, str):
        reasons = {
            "unsupported": _("Please send a text, a photo or a document."),
            "empty": _("That was empty. Please type some text."),
            "too_long": _("That is too long: Telegram allows {limit} characters in a message.").format(
                limit=_.number(TEXT_LIMIT)),
            "caption_too_long": _("That caption is too long: Telegram allows {limit} characters under a photo "
                                  "or document.").format(limit=_.number(CAPTION_LIMIT)),
        }
        await reply(update, reasons[piece])
        return
    language = draft.step
    async with context.unit_of_work() as session:
        current = await drafts.get(session, update.effective_user.id, KIND)
        if current is None or current.step != language:
            return
        await _advance(session, current, language, piece, context)
    await _show_next(update, context, current, _)


async def _advance(session, draft: Draft, language: str, piece: dict | None, context: AppContext) -> None:
    values = {language: piece}
    next_step = "km" if language == "en" else None
    drafts.advance(draft, step=next_step, now=context.now(), **values)
    if next_step is None:
        draft.data = {**draft.data, "audience": Audience().to_json()}


async def _show_next(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    if draft.step in LANGUAGES:
        await reply(update, *_ask_text(draft.step, draft.data, _))
        return
    await _show_picker(update, context, Audience.from_json(draft.data.get("audience")), _, new=True)


async def skip_language(update: Update, context: AppContext) -> None:
    """Leaves one language out: the other version then goes to everyone."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    language = context.match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step == language and (language == "en" or draft.data.get("en"))
        if ok:
            await _advance(session, draft, language, None, context)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _show_next(update, context, draft, _)


async def _show_picker(update: Update, context: AppContext, audience: Audience, _: Translator, *,
                       view: str = "main", new: bool = False) -> None:
    await show_audience(update, context, audience, _, prefix=PICKER, heading=_(HEADING), view=view, new=new)


async def pick(update: Update, context: AppContext) -> None:
    """Toggles a segment of the audience, or moves on to the preview when done."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    done = await press_audience(update, context, _, kind=KIND, prefix=PICKER, heading=_(HEADING))
    if done is None:
        return
    draft, sizes = done
    await _preview(update, context, draft, sizes, _)


async def _send_piece(context: AppContext, chat_id: int, piece: dict) -> None:
    markup = render_markup(piece.get("buttons"))
    if piece.get("photo"):
        await context.bot.send_photo(chat_id, piece["photo"], caption=piece.get("text") or None,
                                     parse_mode=ParseMode.HTML, reply_markup=markup)
    elif piece.get("document"):
        await context.bot.send_document(chat_id, piece["document"], caption=piece.get("text") or None,
                                        parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        await context.bot.send_message(chat_id, piece["text"], parse_mode=ParseMode.HTML, reply_markup=markup)


async def _preview(update: Update, context: AppContext, draft: Draft, sizes: dict[str, int], _: Translator) -> None:
    """Shows the announcement exactly as each language group will get it, then the send buttons."""
    content = _content(draft.data)
    chat_id = update.effective_chat.id
    for language in LANGUAGES:
        count = sizes.get(language, 0)
        if not count:
            continue
        await reply(update, "👁 " + _.ngettext("Preview for {language} ({count} member):",
                                               "Preview for {language} ({count} members):", count).format(
            language=_(LANGUAGE_WORDS[language]), count=_.number(count)))
        await _send_piece(context, chat_id, content[language])
    total = sum(sizes.values())
    rows = [[button("📤 " + _("Send now"), "bc:send"), button("🕒 " + _("Schedule"), "bc:later")],
            [button("👥 " + _("Change the audience"), "bc:audience"), button(_("Cancel"), "bc:discard")]]
    await reply(update, _.ngettext("Send this to {count} member?", "Send this to {count} members?", total).format(
        count=_.number(total)), keyboard(rows))


async def change_audience(update: Update, context: AppContext) -> None:
    """Goes back to the audience picker from the preview."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step is not None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _show_picker(update, context, Audience.from_json(draft.data.get("audience")), _)


async def ask_time(update: Update, context: AppContext) -> None:
    """Asks when to send it."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step is None
        if ok:
            drafts.advance(draft, step="when", now=context.now())
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("When should it be sent? Type the date and time, for example 13/12/2024 08:30."),
               keyboard([[button(_("Cancel"), "bc:discard")]]))


async def _take_time(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    when = await typed_send_time(update, context, _)
    if when is not None:
        await _send(update, context, _, when)


async def send_now(update: Update, context: AppContext) -> None:
    """Sends the broadcast now."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await _send(update, context, _, None)


async def _send(update: Update, context: AppContext, _: Translator, when) -> None:
    """Turns the draft into an outbox delivery, in one transaction; a second press finds no draft."""
    now = context.now()
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ready = draft is not None and draft.step in (None, "when")
        if ready:
            delivery = await outbox.create(
                session, kind="broadcast", content=_content(draft.data), send_at=when or now,
                created_by=update.effective_user.id, status_chat_id=update.effective_chat.id,
                status_language=_.language, now=now)
            count = await outbox.add_audience(session, delivery, Audience.from_json(draft.data.get("audience")))
            await drafts.discard(session, update.effective_user.id, KIND)
    if not ready:
        if update.callback_query:
            await answer_stale(update, _)
        return
    if update.callback_query:
        await update.callback_query.answer()
    if when is None:
        # The worker posts the status message itself and edits it as it goes.
        await _confirm(update, _.ngettext("Sending to {count} member…", "Sending to {count} members…", count).format(
            count=_.number(count)))
        context.services.delivery.wake()
    else:
        await reply(update, _.ngettext(
            "Scheduled for {time}, to {count} member. Send /broadcasts to see or cancel it.",
            "Scheduled for {time}, to {count} members. Send /broadcasts to see or cancel it.", count).format(
            time=_.datetime(when, context.settings.tz), count=_.number(count)))


async def _confirm(update: Update, text: str) -> None:
    """Replaces the send buttons with what happened, so they can't be pressed again."""
    await (show(update, text) if update.callback_query else reply(update, text))


async def discard(update: Update, context: AppContext) -> None:
    """Throws the draft away."""
    if await require_coordinator(update, context) is not None:
        await draft_input.cancel_form(update, context, KIND,
                                      said=lambda _: _("The announcement was discarded. Nothing was sent."))


async def list_broadcasts(update: Update, context: AppContext) -> None:
    """Lists recent and scheduled broadcasts with their delivery counts; scheduled ones can be cancelled."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        recent = await outbox.recent(session, kind="broadcast", limit=10)
        progress = {d.id: await outbox.progress(session, d.id) for d in recent}
    if not recent:
        await reply(update, _("No broadcasts yet. Send /broadcast to write one."))
        return
    tz = context.settings.tz
    lines, rows = ["<b>" + _("Broadcasts") + "</b>"], []
    for d in recent:
        p = progress[d.id]
        state = {
            "scheduled": _("scheduled for {time}").format(time=_.datetime(d.send_at, tz)),
            "sending": _("sending"),
            "done": _("sent"),
            "cancelled": _("cancelled"),
        }[d.status]
        lines.append(_("#{number} · {state} · delivered {sent} of {total}").format(
            number=d.id, state=state, sent=_.number(p.by_status[outbox.SENT]), total=_.number(p.total)))
        if d.status == "scheduled":
            rows.append([button("✖ " + _("Cancel #{number}").format(number=d.id), f"bc:cancel:{d.id}")])
    await reply(update, "\n".join(lines), keyboard(rows) if rows else None)


async def cancel_scheduled(update: Update, context: AppContext) -> None:
    """Cancels a scheduled broadcast before it goes out."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    delivery_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        delivery = await session.get(Delivery, delivery_id)
        ok = delivery is not None and delivery.kind == "broadcast" and delivery.status == "scheduled"
        if ok:
            await outbox.cancel(session, delivery_id, context.now())
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Cancelled."))
    await show(update, _("Broadcast #{number} was cancelled. Nothing was sent.").format(number=delivery_id))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("broadcast", start, filters=private))
    app.add_handler(CommandHandler("broadcasts", list_broadcasts, filters=private))
    app.add_handler(CallbackQueryHandler(skip_language, pattern=r"^bc:skip:(en|km)$"))
    app.add_handler(CallbackQueryHandler(pick, pattern=pattern(PICKER)))
    app.add_handler(CallbackQueryHandler(change_audience, pattern=r"^bc:audience$"))
    app.add_handler(CallbackQueryHandler(ask_time, pattern=r"^bc:later$"))
    app.add_handler(CallbackQueryHandler(send_now, pattern=r"^bc:send$"))
    app.add_handler(CallbackQueryHandler(discard, pattern=r"^bc:discard$"))
    app.add_handler(CallbackQueryHandler(cancel_scheduled, pattern=r"^bc:cancel:(\d{1,9})$"))

