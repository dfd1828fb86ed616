"""What is left after every feature had its chance: typed text, other messages and unknown buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.i18n import translator
from bot.services import members
from bot.services.members import InvalidAnswer
from bot.vocab import Step
from handlers.ui import drafts
from handlers.ui.common import answer_stale, load_member, reply, tr
from handlers.registration.answers import keep_field, report_answer, typed_answer
from handlers.registration.flow import show_current
from handlers.registration.screens import language_screen, province_screen


async def on_text(update: Update, context: AppContext) -> None:
    """Takes a typed answer for the question the member is on, or explains what to do instead."""
    text = update.message.text or ""
    # One transaction reads the member and stores the answer: typing is most of registration.
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        answer = typed_answer(member, text) if member is not None else None
        error = None
        if answer is None:
            # Not a registration answer: the conversation it belongs to (a survey, say) records it with its effect.
            context.record_later()
        else:
            try:
                await members.answer(session, member, *answer, context.now())
            except InvalidAnswer as exc:
                error = exc.reason
    if answer is not None:
        await report_answer(update, member, answer[0], error)
        return
    if member is None:
        await reply(update, *language_screen())
        return
    _ = translator(member.language)
    step = Step(member.step) if member.step else None
    if step == Step.PROVINCE:
        await reply(update, _("I could not find that province. Please choose it from the list."))
        await reply(update, *province_screen(member, _))
    elif step == Step.PHONE:
        await keep_field(update, context)
    elif step is None:
        if not await drafts.dispatch(update, context):
            await reply(update, _("I did not understand that. Send /help to see what I can do."))
    else:
        await reply(update, _("Please choose one of the buttons."))
        await show_current(update, member, new_message=True)


async def on_other_message(update: Update, context: AppContext) -> None:
    """Answers stickers, photos and the like where text or a button was expected."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if member is None:
        await reply(update, *language_screen())
        return
    if member.step:
        await reply(update, _("Please answer with the buttons or by typing text."))
        await show_current(update, member, new_message=True)
    elif not await drafts.dispatch(update, context):
        await reply(update, _("I did not understand that. Send /help to see what I can do."))


async def unknown_button(update: Update, context: AppContext) -> None:
    """Answers a button whose data no handler recognises (from an old message, or made up)."""
    member = await load_member(context, update.effective_user.id)
    await answer_stale(update, tr(member, update))
