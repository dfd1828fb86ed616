"""Members answering a survey: starting it, pressing buttons, typing answers and sending voice notes,
changing answers, and the list of their surveys.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.models import Draft, Member
from bot.services import drafts, surveys
from bot.services.surveys import Status, Step
import handlers.surveys.callbacks as routes
from handlers.surveys.forms import Answering
from handlers.surveys.screens import (
    already_answered,
    answered_record,
    change_keyboard,
    invalid_text,
    label_parts,
    member_surveys_screen,
    question_messages,
    question_screen,
    thanks_screen,
    unavailable_text,
    voice_caption,
)
from handlers.surveys.words import ANSWER, TYPED
from handlers.ui.answers import on_press
from handlers.ui import deeplinks
from handlers.ui import drafts as draft_input
from handlers.ui.common import answer_stale, is_coordinator, load_member, reply, tr
from handlers.ui.people import voice_of


async def _registered(update: Update, context: AppContext) -> Member | None:
    """The member pressing or typing, if registered; otherwise says to register first."""
    member = await load_member(context, update.effective_user.id)
    if member is not None and member.registered_at is not None:
        return member
    _ = tr(member, update)
    if update.callback_query:
        await update.callback_query.answer(_("Please register first: send /start."), show_alert=True)
    else:
        await reply(update, _("Please register first: send /start."))
    return None


async def _member_of(update: Update, context: AppContext, step: Step) -> Member | None:
    """The member acting: found with their response; otherwise looked up (saying to register if they are not)."""
    if step.member is not None:
        return step.member
    return await _registered(update, context)


async def _present(update: Update, context: AppContext, step: Step, _: Translator) -> None:
    """Sends the question the member is on (remembering its message, to close it once answered by typing),
    or the thanks when they are done."""
    if step.response is None or step.response.current is None:
        await reply(update, *thanks_screen(step, _))
        return
    texts, markup = question_messages(step, _)
    for text in texts[:-1]:
        await update.effective_chat.send_message(text)
    message = await update.effective_chat.send_message(texts[-1], reply_markup=markup)
    async with context.services.db.session() as session:
        await surveys.remember_message(session, step, message.message_id)


async def _retire(update: Update, context: AppContext, message_id: int | None) -> None:
    """Takes the buttons off the question message the member last got (it is about to be sent again)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id=update.effective_chat.id, message_id=message_id,
                                                    reply_markup=None)
    except BadRequest:
        pass


async def _close_typed_question(update: Update, context: AppContext, message_id: int | None, step: Step,
                                _: Translator) -> None:
    """Turns the question just answered by typing into a record of the answer, without its buttons."""
    if message_id is None or step.asked is None:
        return
    question = step.survey.questions[step.asked]
    try:
        await context.bot.edit_message_text(answered_record(question, step.answers.get(question["name"]), _),
                                            chat_id=update.effective_chat.id, message_id=message_id)
    except BadRequest:
        pass


def acting(action: Callable[..., Awaitable[Step]]) -> Callable[..., Awaitable[None]]:
    """A member's press that does `action` (begin or edit) on the survey or response in its data, pointing their
    typed input at it: the handler is called as `handler(update, context, step, _)` with the outcome and the
    member's translator, unless the member is not registered (they are told to register first)."""

    def decorate(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @functools.wraps(handler)
        async def act(update: Update, context: AppContext) -> None:
            now = context.now()
            async with context.unit_of_work() as session:
                step = await action(session, int(context.match.group(1)), update.effective_user.id, now)
                await surveys.hold_focus(session, step, now)
            member = await _member_of(update, context, step)
            if member is not None:
                await handler(update, context, step, translator(member.language))

        return act

    return decorate


@on_press(routes.START)
@acting(surveys.begin)
async def start_survey(update: Update, context: AppContext, step: Step, _: Translator) -> None:
    """Starts the survey from its invitation, or resumes it at the question the member was on."""
    if step.status in (Status.NOT_FOUND, Status.NOT_SENT, Status.CLOSED):
        await update.callback_query.answer(unavailable_text(step, _), show_alert=True)
        return
    await update.callback_query.answer()
    if step.status is Status.DONE:
        await reply(update, already_answered(step, _), change_keyboard(step, _))
        return
    await _present(update, context, step, _)


@on_press(routes.CHANGE)
@acting(surveys.edit)
async def change_answers(update: Update, context: AppContext, step: Step, _: Translator) -> None:
    """Takes a member who finished back to the first question to change their answers."""
    if step.status is not Status.OK:
        await update.callback_query.answer(unavailable_text(step, _), show_alert=True)
        return
    await update.callback_query.answer()
    await clear_buttons(update)
    await _present(update, context, step, _)


_ACTIONS = {"c": surveys.choose, "t": surveys.toggle}
_MOVES = {"d": surveys.done, "s": surveys.skip, "n": surveys.proceed, "b": surveys.back}


@on_press(routes.ANSWER)
async def on_answer_button(update: Update, context: AppContext) -> None:
    """A choice, tick, Done, Skip, Next or Back on the question being asked; anything else changes nothing."""
    action, rid, index, choice = routes.answer_press(context.match)
    if (action in routes.WITH_CHOICE) != (choice is not None):
        member = await _registered(update, context)
        if member is not None:
            await answer_stale(update, translator(member.language))
        return
    telegram_id, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        if action in _ACTIONS:
            step = await _ACTIONS[action](session, rid, telegram_id, index, choice, now)
        else:
            step = await _MOVES[action](session, rid, telegram_id, index, now)
        in_place = action == "t" or (_asks_with_buttons(step) and (step.response.current == index
                                                                   or _one_message_each(step, index)))
        await surveys.hold_focus(session, step, now, message_id=_pressed_message_id(update) if in_place else None)
    member = await _member_of(update, context, step)
    if member is None:
        return
    _ = translator(member.language)
    if await _refused(update, step, _):
        return
    await update.callback_query.answer()
    if in_place:
        await _ask_in_place(update, context, step, _)
        return
    question = step.survey.questions[index]
    if action == "b":
        await clear_buttons(update)
    else:
        await _mark_answered(update, answered_record(question, step.answers.get(question["name"]), _))
    await _present(update, context, step, _)


async def _refused(update: Update, step: Step, _: Translator) -> bool:
    """Tells the member why their press changed nothing (gone, closed, no longer asked, or not fitting)."""
    query = update.callback_query
    if step.status in (Status.NOT_FOUND, Status.CLOSED):
        await query.answer(unavailable_text(step, _), show_alert=True)
        if step.status is Status.CLOSED:
            await clear_buttons(update)
        return True
    if step.status is Status.STALE:
        await answer_stale(update, _)
        return True
    if step.status is Status.INVALID:
        await query.answer(invalid_text(step, _), show_alert=True)
        return True
    return False


def _asks_with_buttons(step: Step) -> bool:
    """Whether the member is now on a question answered with buttons (or a note)."""
    return step.status is Status.OK and step.question is not None and step.question["type"] not in TYPED


def _one_message_each(step: Step, index: int) -> bool:
    """Whether the question pressed on and the one the member is now on each fit one message, so that the
    second can take the first's place (a long one comes as new messages, below the parts of the other)."""
    _ = translator(step.member.language if step.member else None)
    return all(len(label_parts(q, _)) == 1 for q in (step.survey.questions[index], step.question))


def _pressed_message_id(update: Update) -> int | None:
    message = update.callback_query.message
    return message.message_id if message is not None else None


async def _ask_in_place(update: Update, context: AppContext, step: Step, _: Translator) -> None:
    """Shows the question the member is now on in the message they pressed (a tick redraws the same question)."""
    text, markup = question_screen(step, _)
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            await _present(update, context, step, _)


async def clear_buttons(update: Update) -> None:
    """Takes the buttons off the pressed message (an old question can't be answered from there)."""
    try:
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass


async def _mark_answered(update: Update, text: str) -> None:
    try:
        await update.callback_query.edit_message_text(text, reply_markup=None)
    except BadRequest:
        await clear_buttons(update)


async def _typed_step(session, update: Update, rid: int, now: datetime) -> Step:
    """The typed answer or voice note, taken by the service."""
    voice = voice_of(update)
    if voice is not None:
        return await surveys.answer_voice(session, rid, update.effective_user.id, voice.file_id, voice.seconds, now)
    return await surveys.answer_typed(session, rid, update.effective_user.id, update.message.text, now)


@draft_input.on_input(ANSWER)
async def take_answer(update: Update, context: AppContext, draft: Draft) -> None:
    """A typed answer or a voice note for the question being asked."""
    if update.message.voice is None and update.message.text is None:
        member = await _registered(update, context)
        if member is not None:
            _ = translator(member.language)
            await reply(update, _("Please answer with the buttons or by typing text."))
        return
    focus, now = drafts.read(draft, Answering), context.now()
    async with context.unit_of_work() as session:
        step = await _typed_step(session, update, focus.response_id, now)
        await surveys.hold_focus(session, step, now)
        if step.status in (Status.NOT_FOUND, Status.CLOSED):
            await drafts.discard(session, update.effective_user.id, ANSWER)
    member = await _member_of(update, context, step)
    if member is None:
        return
    _ = translator(member.language)
    if step.status in (Status.NOT_FOUND, Status.CLOSED):
        await reply(update, unavailable_text(step, _))
    elif step.status is Status.DONE:
        await reply(update, already_answered(step, _))
    elif step.status is Status.INVALID:
        await reply(update, invalid_text(step, _))
        if step.reason in ("buttons", "no_voice"):
            # The question again below the reason, its buttons moved from the older message.
            await _retire(update, context, focus.message_id)
            await _present(update, context, step, _)
    else:
        await _close_typed_question(update, context, focus.message_id, step, _)
        await _present(update, context, step, _)


async def my_surveys(update: Update, context: AppContext) -> None:
    """Lists the open surveys sent to the member, with where they stand in each."""
    member = await _registered(update, context)
    if member is None:
        return
    async with context.services.db.session() as session:
        found = await surveys.for_member(session, member.id, context.now())
    await reply(update, *member_surveys_screen(found, translator(member.language)))


@deeplinks.on(r"sv_voice_\d{1,9}")
async def play_voice(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Sends a member's voice-note answer to a coordinator who opened its link from the export."""
    _ = translator(member.language)
    if not await is_coordinator(context, member.telegram_id):
        await reply(update, _("This link is for coordinators only."))
        return
    async with context.services.db.session() as session:
        found = await surveys.voice_answer(session, int(payload.removeprefix("sv_voice_")))
    if found is None:
        await reply(update, _("That link is not valid or has expired."))
        return
    await update.effective_chat.send_voice(found[0].voice_file_id, caption=voice_caption(*found, _))
