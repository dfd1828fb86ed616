"""Coordinators open a consultation: the question in both languages, the themes, the event and a closing time."""

from __future__ import annotations

import functools
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

import handlers.consultations.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Consultation, Draft, Event, Member
from bot.services import consultations, events, groups
from bot.services import drafts as draft_store
from bot.services.groups import InvalidInput
from handlers.consultations.forms import NEW, ConsultationForm
from handlers.consultations.loading import admin_view, zone_of
from handlers.consultations.screens import QUESTION_PAIR, form_screen, policy_themes
from handlers.ui import drafts
from handlers.ui.answers import cancel_button, go_on, on_press, take_answer
from handlers.ui.bilingual import invalid_text, pair_clean, pair_next, pair_pressed, pair_start
from handlers.ui.common import coordinator_only, load_member, reply, tr
from handlers.ui.people import typing_coordinator_only


@on_press(to.NEW)
@typing_coordinator_only
async def new_consultation(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    """Starts opening a consultation: the question in both languages, the themes, the event and a closing time."""
    answers, step = ConsultationForm(first=member.language), pair_start(QUESTION_PAIR, member.language)
    async with context.unit_of_work() as session:
        await draft_store.begin(session, member.telegram_id, NEW, step=step, data=asdict(answers), now=context.now())
    if update.callback_query:
        await update.callback_query.answer()
    await reply(update, "<b>" + _("New consultation") + "</b>")
    await reply(update, *form_screen(step, answers, [], _))


def _next_step(answers: ConsultationForm, step: str) -> str | None:
    """The question in both languages (the coordinator's first), then the themes, the event and the closing."""
    if step.startswith("question_"):
        return pair_next((QUESTION_PAIR,), step, answers) or "themes"
    return {"themes": "event", "event": "closes"}.get(step)


async def _form_step(update: Update, context: AppContext, step: str, value) -> None:
    """Stores one answer of the form if the form is really at that question, then asks the next or opens it."""
    me, now = update.effective_user.id, context.now()
    opened = None
    recent: list[Event] = []
    async with context.unit_of_work() as session:
        answers = draft_store.read(await draft_store.get(session, me, NEW), ConsultationForm)
        taken = await take_answer(session, me, NEW, ConsultationForm, step, value,
                                  functools.partial(_next_step, answers), now)
        if taken is not None and taken.step == "event":
            recent = await groups.recent_events(session)
        if taken is not None and taken.step is None:
            opened = await _open(session, taken.answers, me, now)
    _ = await go_on(update, context, taken)
    if _ is None:
        return
    if opened is None:
        await reply(update, *form_screen(taken.step, taken.answers, recent, _))
        return
    await reply(update, _("The consultation is open."))
    await reply(update, *await admin_view(context, _, opened.id))


async def _open(session: AsyncSession, answers: ConsultationForm, me: int, now: datetime) -> Consultation:
    event_id = answers.event or None
    if event_id is not None and await events.get(session, event_id) is None:
        event_id = None
    consultation = await consultations.create(
        session, question_en=answers.question_en, question_km=answers.question_km,
        themes=[tuple(t) for t in answers.themes], event_id=event_id,
        closes_at=datetime.fromisoformat(answers.closes) if answers.closes else None, created_by=me, now=now)
    await draft_store.discard(session, me, NEW)
    return consultation


async def _typed_value(context: AppContext, draft: Draft, text: str):
    """What a typed answer stands for at the form's question; raises InvalidInput when it does not fit. A
    closing time is read in the chosen event's time zone (Cambodia's when there is no event)."""
    if draft.step.startswith("question_"):
        return pair_clean(QUESTION_PAIR, text)
    if draft.step == "themes":
        return consultations.parse_themes(text)
    event_id = draft_store.read(draft, ConsultationForm).event
    async with context.services.db.session() as session:
        event = await events.get(session, event_id) if event_id else None
    return consultations.parse_closing(text, zone_of(event, context), context.now()).isoformat()


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
        value = await _typed_value(context, draft, text)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    await _form_step(update, context, draft.step, value)


form_button = on_press(to.FORM.choose)(pair_pressed(NEW, ConsultationForm, (QUESTION_PAIR,), _form_step))
cancel_form = on_press(to.FORM.cancel)(cancel_button(NEW))


@on_press(to.FORM_THEMES)
@coordinator_only
async def ready_themes(update: Update, context: AppContext, _: Translator) -> None:
    """Uses the ready-made themes for agroecology policy."""
    await _form_step(update, context, "themes", policy_themes())


@on_press(to.FORM_EVENT)
@coordinator_only
async def choose_event(update: Update, context: AppContext, _: Translator) -> None:
    """Makes the consultation part of an event, or of none (0)."""
    event_id, = to.FORM_EVENT.ints(context.match)
    await _form_step(update, context, "event", event_id or None)


@on_press(to.FORM_NO_CLOSING)
@coordinator_only
async def no_closing_time(update: Update, context: AppContext, _: Translator) -> None:
    """Leaves the consultation open until a coordinator closes it."""
    await _form_step(update, context, "closes", None)
