"""The audience step shared by the coordinators' composers (/broadcast, /newbrief): the picker kept in
the composer's draft, and what pressing it does."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts
from bot.services.audience import Audience, size
from bot.services.events import InvalidInput, parse_start
from handlers.ui.audience_picker import parse, picker_screen
from handlers.ui.common import answer_stale, reply, show


async def show_audience(update: Update, context: AppContext, audience: Audience, _: Translator, *, prefix: str,
                        heading: str, view: str = "main", new: bool = False) -> None:
    """Shows the picker with the audience's size, as a new message or in place of the pressed one."""
    async with context.services.db.session() as session:
        sizes = await size(session, audience)
    text, markup = picker_screen(audience, _, prefix, sizes, view=view, heading=heading)
    await (reply(update, text, markup) if new else show(update, text, markup))


async def press_audience(update: Update, context: AppContext, _: Translator, *, kind: str, prefix: str,
                         heading: str) -> tuple[Draft, dict[str, int]] | None:
    """Applies a press on a composer's picker and stores the audience in its draft.

    Returns the draft and the audience size per language once the coordinator is done with an audience
    that has members; otherwise shows what comes next (the picker again, or why) and returns None.
    """
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, kind)
    current = Audience.from_json(draft.data.get("audience")) if draft and draft.step is None else None
    choice = parse(prefix, update.callback_query.data, current) if current is not None else None
    if choice is None:
        await answer_stale(update, _)
        return None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, kind)
        drafts.advance(draft, step=None, now=context.now(), audience=choice.audience.to_json())
        sizes = await size(session, choice.audience)
    await update.callback_query.answer()
    if not choice.done:
        await show_audience(update, context, choice.audience, _, prefix=prefix, heading=heading, view=choice.view)
        return None
    if sum(sizes.values()) == 0:
        await show(update, _("No member matches this audience. Please choose another one."))
        await show_audience(update, context, choice.audience, _, prefix=prefix, heading=heading, new=True)
        return None
    return draft, sizes


async def typed_send_time(update: Update, context: AppContext, _: Translator) -> datetime | None:
    """The send time a coordinator typed (Khmer digits accepted), or None after saying what is wrong with it."""
    try:
        return parse_start(update.message.text or "", context.settings.tz, context.now())
    except InvalidInput as exc:
        await reply(update, _("That time has already passed. Please type a time in the future.")
                    if exc.reason == "past" else _("Please type the date and time like this: 13/12/2024 08:30."))
        return None
