"""/newevent's buttons before the preview: continuing or restarting, reusing a text for both languages,
skipping a question, confirming the time, choosing reminders and the audience."""

from __future__ import annotations

import re
from collections.abc import Callable

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts, events
from bot.services.audience import Audience
from handlers.ui import audience_picker
from handlers.ui.common import answer_stale, coordinator_and_translator as _coordinator, reply
import handlers.events.preview as preview
from handlers.events.inplace import show
from handlers.events.new import arrive, ask, audience_screen, begin
from handlers.events.screens import (
    INVALID,
    KEEPABLE,
    KIND,
    PICKER,
    REMINDER_PRESETS,
    next_step,
    other,
    reminders_screen,
    split,
)
from handlers.events.shared import WizardHandler, alert, drop_buttons

Values = Callable[[Draft], dict]


async def advance(update: Update, context: AppContext, _: Translator, allowed: Callable[[Draft], bool],
                   values: Values, *, skip: int = 1, to: str | None = None, note: str = "") -> None:
    """Answers the draft's question with a button: stores `values`, closes the pressed question and asks the
    next one (`skip` questions on, or question `to`); `note` is said first if any value was stored."""
    now, uid = context.now(), update.effective_user.id
    stored = {}
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, uid, KIND)
        ok = draft is not None and draft.step is not None and allowed(draft)
        if ok:
            step = to or draft.step
            for _i in range(0 if to else skip):
                step = next_step(step, draft.data)
            stored = values(draft)
            drafts.advance(draft, step=step, now=now, **stored)
            await arrive(session, draft, uid, now)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    if note and stored:
        await reply(update, note)
    await ask(update, context, draft, _)


def _on(*steps: str) -> Callable[[Draft], bool]:
    return lambda draft: draft.step in steps


def _second_language(draft: Draft) -> bool:
    base, language = split(draft.step)
    return base in ("title", "description") and language == other(draft.data["first"])


def _keepable(draft: Draft) -> bool:
    return bool(draft.data.get("editing")) and split(draft.step)[0] in KEEPABLE


def _without_late_deadline(draft: Draft) -> dict:
    """Removes an answer deadline that a new start has left after it (the values to store, if any)."""
    return {"rsvp_deadline": None} if events.drop_deadline_if_late(dict(draft.data)) else {}


SKIPS = {
    "desc": lambda draft: {"description_en": "", "description_km": ""},
    "location": lambda draft: {"latitude": None, "longitude": None},
    "capacity": lambda draft: {"capacity": None},
    "deadline": lambda draft: {"rsvp_deadline": None},
    "agenda": lambda draft: {"agenda": ""},
}


async def wizard_button(update: Update, context: AppContext) -> None:
    """Every button of /newevent; each checks the draft is on the question the button belongs to."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    data = update.callback_query.data
    for pattern, handler in WIZARD_BUTTONS:
        match = re.fullmatch(pattern, data)
        if match:
            await handler(update, context, member, _, match)
            return
    await answer_stale(update, _)


async def _resume(update, context, member, _, match) -> None:
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    await ask(update, context, draft, _)


async def _restart(update, context, member, _, match) -> None:
    if member is None or member.registered_at is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    await begin(update, context, member, _)


async def _both(update, context, member, _, match) -> None:
    def copy_first(draft: Draft) -> dict:
        base, _language = split(draft.step)
        return {draft.step: draft.data.get(f"{base}_{draft.data['first']}", "")}

    await advance(update, context, _, _second_language, copy_first)


async def _skip(update, context, member, _, match) -> None:
    what = match.group(1)

    def on_its_question(draft: Draft) -> bool:
        if what == "desc":
            return draft.step == f"description_{draft.data['first']}"
        return draft.step == what

    # No description in the first language means none in the other either.
    await advance(update, context, _, on_its_question, SKIPS[what], skip=2 if what == "desc" else 1)


async def _time(update, context, member, _, match) -> None:
    if match.group(1) == "fix":
        await advance(update, context, _, _on("time_ok"), lambda draft: {}, to="start")
        return
    await advance(update, context, _, _on("time_ok"), _without_late_deadline,
                   note=_("The answer deadline was no longer before the start, so it was removed."))


async def _reminders(update, context, member, _, match) -> None:
    """No reminders, or Done: the reminders still to come are kept, and the next question follows."""
    now = context.now()

    def chosen(draft: Draft) -> dict:
        if match.group(1) == "none":
            return {"reminder_minutes": []}
        start = events.from_json("starts_at", draft.data.get("starts_at"))
        return {"reminder_minutes": events.upcoming_reminders(draft.data.get("reminder_minutes"), start, now)}

    await advance(update, context, _, _on("reminders"), chosen)


async def _reminder_toggle(update, context, member, _, match) -> None:
    """Adds or removes a preset reminder time and redraws the reminders screen in place."""
    minutes, now = int(match.group(1)), context.now()
    outcome = "stale"
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None and draft.step == "reminders" and minutes in REMINDER_PRESETS:
            start = events.from_json("starts_at", draft.data.get("starts_at"))
            chosen = set(events.upcoming_reminders(draft.data.get("reminder_minutes"), start, now))
            if minutes not in chosen and len(chosen) >= events.REMINDERS_MAX:
                outcome = "full"
            else:
                outcome = "ok"
                drafts.advance(draft, step="reminders", now=now,
                               reminder_minutes=sorted(chosen ^ {minutes}, reverse=True))
    if outcome == "stale":
        await answer_stale(update, _)
    elif outcome == "full":
        await alert(update, _(INVALID["too_many_reminders"]).format(limit=_.number(events.REMINDERS_MAX)))
    else:
        await update.callback_query.answer()
        await show(update, *reminders_screen(draft.data, now, _))


async def _keep(update, context, member, _, match) -> None:
    await advance(update, context, _, _keepable, lambda draft: {})


async def _audience(update, context, member, _, match) -> None:
    """A press on the audience picker: toggles a value and redraws it in place, or moves on when done."""
    choice = None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None and draft.step == "audience":
            current = Audience.from_json(draft.data.get("audience"))
            choice = audience_picker.parse(PICKER, update.callback_query.data, current)
            if choice is not None and not choice.done:
                drafts.advance(draft, step="audience", now=context.now(), audience=choice.audience.to_json())
    if choice is None:
        await answer_stale(update, _)
    elif choice.done:
        await advance(update, context, _, _on("audience"), lambda draft: {})
    else:
        await update.callback_query.answer()
        await show(update, *await audience_screen(context, draft.data, _, choice.view))


BUTTONS: list[tuple[str, WizardHandler]] = [
    (r"evn:resume", _resume),
    (r"evn:restart", _restart),
    (r"evn:both", _both),
    (r"evn:skip:(desc|location|capacity|deadline|agenda)", _skip),
    (r"evn:time:(ok|fix)", _time),
    # "keep" is the Done of screens sent before times could be chosen.
    (r"evn:rem:(keep|none|done)", _reminders),
    (r"evn:rem:t:(\d{1,6})", _reminder_toggle),
    (r"evn:keep", _keep),
    (re.escape(PICKER) + r":.*", _audience),
]
WIZARD_BUTTONS = BUTTONS + preview.BUTTONS
