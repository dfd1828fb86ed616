"""/broadcast: a coordinator composes an announcement in English and Khmer, picks the audience, previews
it as each language group will see it, and sends it now or later through the outbox; /broadcasts lists
them and cancels a scheduled one."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.delivery import render_markup
from bot.i18n import LANGUAGES, N_, Translator
from bot.models import Draft
from bot.services import broadcasts, drafts
from bot.services.audience import Audience
import handlers.outreach.callbacks as cb
import handlers.outreach.screens as screens
from handlers.outreach.forms import BroadcastForm
from handlers.ui import drafts as draft_input
from handlers.ui import schedule
from handlers.ui.common import answer_stale, coordinator_only, reply, show
from handlers.ui.composer import composer

KIND = broadcasts.KIND
COMPOSER = composer(KIND, cb.BROADCAST_PICKER, N_("Who should receive it?"))
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


async def _queue(session: AsyncSession, draft: Draft, order: schedule.Order) -> int:
    answers = drafts.read(draft, BroadcastForm)
    _delivery, count = await broadcasts.queue(session, kind=KIND, content=answers.content(),
                                              audience=Audience.from_json(answers.audience), sender=order.sender,
                                              send_at=order.send_at, now=order.now)
    return count


SENDING = schedule.Sending(kind=KIND, send=cb.BROADCAST_SEND, later=cb.BROADCAST_LATER, cancel=cb.BROADCAST_DISCARD,
                           queue=_queue, sending=screens.broadcast_sending, scheduled=screens.broadcast_scheduled)


@coordinator_only
async def start(update: Update, context: AppContext, _: Translator) -> None:
    """Starts composing a broadcast."""
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step="en", data={}, now=context.now())
    await reply(update, *screens.ask_text_screen("en", BroadcastForm(), _))


@SENDING.takes_input
async def take_input(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes a language version of the text, or a typed send time."""
    piece = _piece_from(update.message)
    if isinstance(piece, str):
        await reply(update, screens.piece_refused(piece, _, text_limit=TEXT_LIMIT, caption_limit=CAPTION_LIMIT))
        return
    language = draft.step
    async with context.unit_of_work() as session:
        current = await drafts.get(session, update.effective_user.id, KIND)
        if current is None or current.step != language:
            return
        answers = _advance(current, language, piece, context)
    await _show_next(update, context, current.step, answers, _)


def _advance(draft: Draft, language: str, piece: dict | None, context: AppContext) -> BroadcastForm:
    """Stores one language's version; after the Khmer comes the audience, everyone to begin with."""
    answers = replace(drafts.read(draft, BroadcastForm), **{language: piece})
    next_step = "km" if language == "en" else None
    if next_step is None:
        answers = replace(answers, audience=Audience().to_json())
    drafts.write(draft, answers, step=next_step, now=context.now())
    return answers


async def _show_next(update: Update, context: AppContext, step: str | None, answers: BroadcastForm,
                     _: Translator) -> None:
    if step in LANGUAGES:
        await reply(update, *screens.ask_text_screen(step, answers, _))
        return
    await COMPOSER.show_audience(update, context, Audience.from_json(answers.audience), _, new=True)


@coordinator_only
async def skip_language(update: Update, context: AppContext, _: Translator) -> None:
    """Leaves one language out: the other version then goes to everyone."""
    language = context.match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step == language and (
            language == "en" or drafts.read(draft, BroadcastForm).en)
        if ok:
            answers = _advance(draft, language, None, context)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _show_next(update, context, draft.step, answers, _)


@coordinator_only
async def pick(update: Update, context: AppContext, _: Translator) -> None:
    """Toggles a segment of the audience, or moves on to the preview when done."""
    done = await COMPOSER.press(update, context, _)
    if done is not None:
        await _preview(update, context, *done, _)


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
    content = drafts.read(draft, BroadcastForm).content()
    for language in LANGUAGES:
        count = sizes.get(language, 0)
        if count:
            await reply(update, screens.preview_heading(language, count, _))
            await _send_piece(context, update.effective_chat.id, content[language])
    await reply(update, *screens.broadcast_confirm_screen(sum(sizes.values()), SENDING.buttons(_), _))


@coordinator_only
async def change_audience(update: Update, context: AppContext, _: Translator) -> None:
    """Goes back to the audience picker from the preview."""
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step is not None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await COMPOSER.show_audience(update, context, Audience.from_json(drafts.read(draft, BroadcastForm).audience), _)


@coordinator_only
async def discard(update: Update, context: AppContext, _: Translator) -> None:
    """Throws the draft away."""
    await draft_input.cancel_form(update, context, KIND,
                                  said=lambda _: _("The announcement was discarded. Nothing was sent."))


@coordinator_only
async def list_broadcasts(update: Update, context: AppContext, _: Translator) -> None:
    """Lists recent and scheduled broadcasts with their delivery counts; scheduled ones can be cancelled."""
    async with context.services.db.session() as session:
        recent = await broadcasts.recent(session, limit=10)
    await reply(update, *screens.broadcasts_screen(recent, _, context.settings.tz))


@coordinator_only
async def cancel_scheduled(update: Update, context: AppContext, _: Translator) -> None:
    """Cancels a scheduled broadcast before it goes out."""
    delivery_id, = cb.BROADCAST_CANCEL.ints(context.match)
    async with context.unit_of_work() as session:
        cancelled = await broadcasts.cancel_scheduled(session, delivery_id, context.now())
    if not cancelled:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Cancelled."))
    await show(update, _("Broadcast #{number} was cancelled. Nothing was sent.").format(number=delivery_id))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("broadcast", start, filters=private))
    app.add_handler(CommandHandler("broadcasts", list_broadcasts, filters=private))
    for handler, route in ((skip_language, cb.BROADCAST_SKIP), (pick, cb.BROADCAST_PICKER),
                           (change_audience, cb.BROADCAST_AUDIENCE), (discard, cb.BROADCAST_DISCARD),
                           (cancel_scheduled, cb.BROADCAST_CANCEL)):
        app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))
    for handler in SENDING.handlers():
        app.add_handler(handler)
