"""/newevent's buttons before the preview: continuing or restarting, reusing a text for both languages,
skipping a question, confirming the time, choosing reminders and the audience."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.services import drafts, events
from bot.services.audience import Audience
from handlers.ui import audience_picker
from handlers.ui.answers import on_press
from handlers.ui.bilingual import pair_press, pressed_choice
from handlers.ui.common import answer_stale, coordinator_only, load_member
import handlers.events.callbacks as on
from handlers.events.forms import EventForm
from handlers.events.inplace import drop_buttons, show
from handlers.events.new import arrive, audience_screen, begin, go_on
from handlers.events.screens import (
    INVALID,
    KEEPABLE,
    KIND,
    REMINDER_PRESETS,
    TEXTS,
    next_step,
    reminders_screen,
    split,
)
from handlers.events.shared import alert

# Whether a button applies to the question the draft is on, and the answers it gives to that question.
Applies = Callable[[str, EventForm], bool]
Answer = Callable[[str, EventForm], EventForm]


def _unchanged(step: str, form: EventForm) -> EventForm:
    return form


async def advance(update: Update, context: AppContext, _: Translator, applies: Applies,
                  answer: Answer = _unchanged, *, to: str | None = None, note: str = "") -> None:
    """Answers the draft's question with a button: stores the answers, closes the pressed question and asks the
    next one (or question `to`); `note` is said first if an answer changed."""
    now, uid = context.now(), update.effective_user.id
    changed = False
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, uid, KIND)
        form = drafts.read(draft, EventForm)
        ok = draft is not None and draft.step is not None and applies(draft.step, form)
        if ok:
            after = answer(draft.step, form)
            changed = after != form
            drafts.write(draft, after, step=to or next_step(draft.step, after), now=now)
            await arrive(session, draft, uid, now)
    await go_on(update, context, draft if ok else None, _, note if changed else "")


def _on(*steps: str) -> Applies:
    return lambda step, form: step in steps


def _keepable(step: str, form: EventForm) -> bool:
    return bool(form.editing) and split(step)[0] in KEEPABLE


def _text_press(action: str, named: str | None, base: str = "") -> tuple[Applies, Answer]:
    """A title's or description's skip / same-for-both button (see `pair_press`); `base`: only for that text."""

    def answer(step: str, form: EventForm) -> EventForm | None:
        if base and split(step)[0] != base:
            return None
        return pair_press(TEXTS, step, form, action, named)

    return (lambda step, form: answer(step, form) is not None), answer


def _without_late_deadline(step: str, form: EventForm) -> EventForm:
    """Removes an answer deadline that a new start has left after it."""
    return replace(form, rsvp_deadline=None) if events.drop_deadline_if_late(asdict(form)) else form


SKIPS: dict[str, Answer] = {
    "location": lambda step, form: replace(form, latitude=None, longitude=None),
    "capacity": lambda step, form: replace(form, capacity=None),
    "deadline": lambda step, form: replace(form, rsvp_deadline=None),
    "agenda": lambda step, form: replace(form, agenda=""),
}


@on_press(on.RESUME)
@coordinator_only
async def resume(update: Update, context: AppContext, _: Translator) -> None:
    """Continues an unfinished event at the question it was on."""
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    await go_on(update, context, draft if draft is not None and draft.step is not None else None, _)


@on_press(on.RESTART)
@coordinator_only
async def restart(update: Update, context: AppContext, _: Translator) -> None:
    """Drops an unfinished event and starts a new one."""
    member = await load_member(context, update.effective_user.id)
    if member is None or member.registered_at is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    await begin(update, context, member, _)


@on_press(on.TEXT.choose, on.BOTH)
@coordinator_only
async def same_or_skip(update: Update, context: AppContext, _: Translator) -> None:
    """Uses the title or description in the first language for the other one too, or skips the description
    (then there is none in either language)."""
    await advance(update, context, _, *_text_press(*pressed_choice(context.match)))


@on_press(on.SKIP)
@coordinator_only
async def skip(update: Update, context: AppContext, _: Translator) -> None:
    """No description (a button sent before descriptions were skipped like every text), map location, seat limit,
    deadline or agenda."""
    what = context.match.group(1)
    if what == "desc":
        await advance(update, context, _, *_text_press("skip", None, "description"))
    elif what in SKIPS:
        await advance(update, context, _, _on(what), SKIPS[what])
    else:
        await answer_stale(update, _)


@on_press(on.TIME)
@coordinator_only
async def confirm_time(update: Update, context: AppContext, _: Translator) -> None:
    """The date and time are right (a deadline now after the start goes), or are to be typed again."""
    if context.match.group(1) == "fix":
        await advance(update, context, _, _on("time_ok"), to="start")
        return
    await advance(update, context, _, _on("time_ok"), _without_late_deadline,
                  note=_("The answer deadline was no longer before the start, so it was removed."))


@on_press(on.REMINDERS)
@coordinator_only
async def reminders_chosen(update: Update, context: AppContext, _: Translator) -> None:
    """No reminders, or Done: the reminders still to come are kept, and the next question follows."""
    now, none = context.now(), context.match.group(1) == "none"

    def chosen(step: str, form: EventForm) -> EventForm:
        upcoming = [] if none else events.upcoming_reminders(form.reminder_minutes, form.start, now)
        return replace(form, reminder_minutes=upcoming)

    await advance(update, context, _, _on("reminders"), chosen)


@on_press(on.REMINDER)
@coordinator_only
async def toggle_reminder(update: Update, context: AppContext, _: Translator) -> None:
    """Adds or removes a preset reminder time and redraws the reminders screen in place."""
    minutes, now = int(context.match.group(1)), context.now()
    outcome = "stale"
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        form = drafts.read(draft, EventForm)
        if draft is not None and draft.step == "reminders" and minutes in REMINDER_PRESETS:
            chosen = set(events.upcoming_reminders(form.reminder_minutes, form.start, now))
            if minutes not in chosen and len(chosen) >= events.REMINDERS_MAX:
                outcome = "full"
            else:
                outcome = "ok"
                form = replace(form, reminder_minutes=sorted(chosen ^ {minutes}, reverse=True))
                drafts.write(draft, form, step="reminders", now=now)
    if outcome == "stale":
        await answer_stale(update, _)
    elif outcome == "full":
        await alert(update, _(INVALID["too_many_reminders"]).format(limit=_.number(events.REMINDERS_MAX)))
    else:
        await update.callback_query.answer()
        await show(update, *reminders_screen(form, now, _))


@on_press(on.KEEP)
@coordinator_only
async def keep(update: Update, context: AppContext, _: Translator) -> None:
    """Leaves a part corrected from the preview as it was."""
    await advance(update, context, _, _keepable)


@on_press(on.AUDIENCE)
@coordinator_only
async def choose_audience(update: Update, context: AppContext, _: Translator) -> None:
    """A press on the audience picker: toggles a value and redraws it in place, or moves on when done."""
    choice = None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        form = drafts.read(draft, EventForm)
        if draft is not None and draft.step == "audience":
            choice = audience_picker.parse(on.AUDIENCE, update.callback_query.data, Audience.from_json(form.audience))
            if choice is not None and not choice.done:
                form = replace(form, audience=choice.audience.to_json())
                drafts.write(draft, form, step="audience", now=context.now())
    if choice is None:
        await answer_stale(update, _)
    elif choice.done:
        await advance(update, context, _, _on("audience"))
    else:
        await update.callback_query.answer()
        await show(update, *await audience_screen(context, form, _, choice.view))

