"""Where a member is in registration: the screen they are on, and what a press of an old button means."""

from __future__ import annotations

import logging

from telegram import Update

from bot.i18n import Translator, translator
from bot.models import Member
from bot.services import members
from bot.services.members import InvalidAnswer
from bot.text import clean_line
from bot.vocab import PROFILE_STEPS, Step
from handlers.ui.common import answer_stale, reply, show, tr
from handlers.registration.screens import question_screen

log = logging.getLogger("sahakor")


def profile_name(update: Update) -> str | None:
    """The name on the member's Telegram profile, if it makes an acceptable name."""
    user = update.effective_user
    full = clean_line(" ".join(p for p in (user.first_name, user.last_name) if p))
    try:
        return members.clean_name(full)
    except InvalidAnswer:
        return None


def screen_for(member: Member, update: Update, _: Translator) -> tuple[str, object]:
    """The screen for the question the member is on."""
    suggestion = profile_name(update) if member.step == Step.NAME else None
    return question_screen(member, _, suggestion)


async def show_current(update: Update, member: Member, *, new_message: bool = False) -> None:
    """Shows the member the screen for where they are (in place of a pressed message if possible)."""
    _ = translator(member.language)
    text, markup = screen_for(member, update, _)
    if new_message or update.callback_query is None:
        await reply(update, text, markup)
    else:
        await show(update, text, markup)


# The screens of registration in the order they come.
ORDER = (Step.CONSENT, *PROFILE_STEPS, Step.SUMMARY)


def moved_past(member: Member | None, step: Step) -> bool:
    """Whether the member has answered the `step` screen and gone on: a press of its buttons then comes from
    a screen whose next question never reached them, not from someone else's or a made-up button."""
    if member is None or member.consented_at is None:
        return False
    if member.registered_at is not None or member.editing:
        return True  # a question reopened from the summary comes after the summary
    return member.step in ORDER and ORDER.index(Step(member.step)) > ORDER.index(step)


async def stale_press(update: Update, member: Member | None, step: Step) -> None:
    """A button of a screen the member already answered shows them the screen they are on now; any other
    button no longer in use says so."""
    if not moved_past(member, step):
        await answer_stale(update, tr(member, update))
        return
    log.info("user %s pressed a button of the %s screen again; shown the one they are on", member.telegram_id, step)
    await update.callback_query.answer()
    await show_current(update, member)
