"""Registration's answers, typed or pressed: stored one at a time, each followed by the next question."""

from __future__ import annotations

from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.models import Member
from bot.services import members
from bot.services.members import InvalidAnswer
from bot.text import clean_line
from bot.vocab import PROFILE_STEPS, Step, find_provinces
from handlers.ui.common import load_member, reply, show, tr
from handlers.registration.flow import profile_name, screen_for, stale_press
from handlers.registration.screens import invalid_text, phone_screen
from handlers.ui.fields import FIELD_LABELS, field_value


async def store_answer(update: Update, context: AppContext, step: Step, value: str | None) -> None:
    """Stores one answer and shows what comes next; an invalid answer changes nothing and says why."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        error = None
        if member is None:
            error = "stale"
        else:
            try:
                await members.answer(session, member, step, value, context.now())
            except InvalidAnswer as exc:
                error = exc.reason
    await report_answer(update, member, step, error)


async def report_answer(update: Update, member: Member | None, step: Step, error: str | None) -> None:
    """Says why an answer was refused, or shows the next question."""
    _ = tr(member, update)
    query = update.callback_query
    if error == "stale" and query is not None:
        await stale_press(update, member, step)
        return
    if error is not None:
        if query is not None:
            await query.answer(invalid_text(error, step, _), show_alert=True)
        else:
            # The text says to use the buttons, so the phone question's come with it: the member may be typing
            # an earlier answer again because the phone question never reached them.
            markup = phone_screen(member, _)[1] if step == Step.PHONE else None
            await reply(update, invalid_text(error, step, _), markup)
        return
    if query is not None:
        await query.answer()
    await _after_answer(update, member, step, _)


async def _after_answer(update: Update, member: Member, step: Step, _: Translator) -> None:
    text, markup = screen_for(member, update, _)
    if step == Step.PHONE:
        # The phone question came with a reply keyboard; take it away before going on.
        await reply(update, _("Thank you."), ReplyKeyboardRemove())
        await reply(update, text, markup)
    elif update.callback_query is not None and isinstance(markup, ReplyKeyboardMarkup):
        # A reply keyboard can't replace inline buttons in place: keep the answer, ask anew below.
        await show(update, f"<b>{_(FIELD_LABELS[step])}:</b> {field_value(member, step, _)}")
        await reply(update, text, markup)
    elif update.callback_query is not None:
        await show(update, text, markup)
    else:
        await reply(update, text, markup)


async def on_button_answer(update: Update, context: AppContext) -> None:
    """Stores an answer given with a button (gender, stakeholder type, province, ...)."""
    kind, value = context.match.group(1), context.match.group(2)
    if kind == "name":
        step, value = Step.NAME, profile_name(update) or ""
    else:
        step = {"gender": Step.GENDER, "stake": Step.STAKEHOLDER, "prov": Step.PROVINCE, "org": Step.ORGANISATION}[kind]
        if kind == "org":
            value = None
    await store_answer(update, context, step, value)


async def keep_field(update: Update, context: AppContext) -> None:
    """Leaves the field being edited as it was and goes back to the summary or profile."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        if member is not None and member.editing:
            await members.cancel_edit(session, member, context.now())
            ok = True
        else:
            ok = False
    _ = tr(member, update)
    if not ok:
        if update.callback_query:
            # Keep belongs to a question reopened from the summary: back at the summary (or registered), the
            # member has gone past it.
            await stale_press(update, member, PROFILE_STEPS[-1])
        return
    if update.callback_query:
        await update.callback_query.answer()
        await show(update, *screen_for(member, update, _))
    else:
        await reply(update, _("Nothing was changed."), ReplyKeyboardRemove())
        await reply(update, *screen_for(member, update, _))


def typed_answer(member: Member, text: str) -> tuple[Step, str | None] | None:
    """What a typed text answers at the member's current question, or None if it answers nothing."""
    _ = translator(member.language)
    step = Step(member.step) if member.step else None
    if step in (Step.NAME, Step.ORGANISATION):
        return step, text
    if step == Step.PROVINCE:
        found = find_provinces(clean_line(text))
        return (step, found[0]) if len(found) == 1 else None
    if step == Step.PHONE:
        if text.strip() in (_("Skip"), _("Remove my phone number")):
            return step, None
        if text.strip() == _("Keep as it is") and member.editing:
            return None
        return step, text
    return None


async def on_contact(update: Update, context: AppContext) -> None:
    """Stores the member's own phone number from Telegram's share-contact button; refuses anyone else's."""
    contact = update.message.contact
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if member is None or member.step != Step.PHONE:
        await reply(update, _("I was not expecting a contact. Send /help to see what I can do."))
        return
    if contact.user_id != update.effective_user.id:
        await reply(update, _("Please share your own phone number with the button below, not someone else's contact."))
        return
    await store_answer(update, context, Step.PHONE, contact.phone_number)
