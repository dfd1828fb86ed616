"""Coordinators open a consultation: the question in both languages, the themes, the event and a closing time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import AppContext
from bot.models import Consultation, Draft, Event
from bot.services import consultations, events, groups
from bot.services import drafts as draft_store
from bot.services.groups import InvalidInput
from handlers.ui import drafts
from handlers.ui.common import answer_stale, coordinator_and_translator as require_coordinator, load_member, reply, tr
from handlers.consultations.loading import admin_view, zone_of
from handlers.consultations.screens import NEW, QUESTION_PAIR, form_screen, policy_themes
from handlers.ui.people import require_typing_coordinator
from handlers.ui.bilingual import invalid_text, pair_clean, pair_for, pair_next, pair_value


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
    recent: list[Event] = []
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, NEW)
        if draft is None or draft.step != step:
            draft = None
        else:
            following = _next_step(step)
            draft_store.advance(draft, step=following, now=context.now(), **{step: value})
            if following == "event":
                recent = await groups.recent_events(session)
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
        await reply(update, *form_screen(draft.step, draft.data, recent, _))
        return
    await reply(update, _("The consultation is open."))
    await reply(update, *await admin_view(context, opened.id, _))


async def _open(session, draft: Draft, me: int, context: AppContext) -> Consultation:
    data = draft.data
    themes = [tuple(t) for t in data["themes"]]
    event_id = data.get("event") or None
    if event_id is not None and await events.get(session, event_id) is None:
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
        event = await events.get(session, draft.data["event"]) if draft.data.get("event") else None
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
