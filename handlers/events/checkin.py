"""Check-in at the venue: the QR poster members scan, coordinators checking people in, and walk-ins."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler, filters

from bot import event_text, forms
from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.models import Draft, Member
from bot.services import checkins, drafts
from bot.services.checkins import Outcome
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS
from handlers.ui import deeplinks
from handlers.ui import drafts as draft_inputs
from handlers.ui.answers import add_presses, on_press
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, coordinator_only, is_coordinator, keyboard, load_member, reply
import handlers.events.callbacks as on
import handlers.events.inplace as inplace
from handlers.events.checkin_screens import (
    cancel_button,
    checked_in_screen,
    done_button,
    event_choice,
    menu_screen,
    poster_png,
    refusal_text,
    search_results_screen,
    walkin_gender_screen,
    walkin_organisation_screen,
    walkin_recorded_screen,
    walkin_stakeholder_screen,
)
from handlers.events.forms import VenueForm
from handlers.events.inplace import show

SEARCH = "checkin_search"
WALKIN = "walkin"


# ---------------------------------------------------------------- members scanning the QR code


@deeplinks.on(r"ci_[\w-]{8,40}")
async def check_in_by_qr(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Checks the member in when they scan the event's QR code, or says why not (too early, too late, not valid)."""
    async with context.unit_of_work() as session:
        result = await checkins.check_in_by_token(session, payload, member_id=member.id, now=context.now())
    _ = translator(member.language)
    if result.outcome == Outcome.INVALID:
        await reply(update, _("That link is not valid or has expired."))
        return
    title = esc(event_text.title(result.event, _.language))
    if result.outcome == Outcome.CHECKED_IN:
        await reply(update, _("✅ You are checked in to {title}. Welcome!").format(title=title))
    elif result.outcome == Outcome.ALREADY:
        await reply(update, _("You are already checked in to {title}.").format(title=title))
    else:
        await reply(update, refusal_text(result, _))


# ---------------------------------------------------------------- choosing the event, the poster


@coordinator_only
async def choose_event(update: Update, context: AppContext, _: Translator) -> None:
    """Lists published events (upcoming and recent) for the coordinator to check people in to."""
    async with context.services.db.session() as session:
        events = await checkins.events_open_to_coordinators(session, context.now())
    await reply(update, *event_choice(
        events, on.CHECKIN_EVENT, _, prompt=_("Choose the event to check people in to:"),
        empty=_("There are no published events to check people in to. Create one with /newevent.")))


@on_press(on.CHECKIN_EVENT)
@coordinator_only
async def event_menu(update: Update, context: AppContext, _: Translator) -> None:
    """Shows the chosen event with its count so far, and what the coordinator can do."""
    event_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        event = await checkins.coordinator_event(session, event_id, context.now())
        count = await checkins.count(session, event_id) if event else 0
    if event is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *menu_screen(event, count, _))


@on_press(on.POSTER)
@coordinator_only
async def send_poster(update: Update, context: AppContext, _: Translator) -> None:
    """Sends the check-in QR poster as a document, so it prints sharp."""
    async with context.services.db.session() as session:
        event = await checkins.coordinator_event(session, int(context.match.group(1)), context.now())
    if event is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    png = await asyncio.to_thread(poster_png, event, context.bot.username)
    await update.effective_chat.send_document(
        InputFile(png, filename=f"checkin-poster-{event.id}.png"),
        caption=_("Print this poster and put it up at the entrance. Members scan the code with their phone to "
                  "check in; newcomers register first."))


# ---------------------------------------------------------------- the coordinator's forms at the venue


async def _open_venue_form(update: Update, context: AppContext, _: Translator, kind: str,
                           step: str) -> str | None:
    """Starts a coordinator's form at the venue (the search, or a walk-in) for an event whose check-in is
    open, dropping the other one. Returns the event's title (escaped), or None after saying why not."""
    me = await load_member(context, update.effective_user.id)
    if me is None or me.registered_at is None or me.step is not None:
        # Typed answers reach these forms only for registered members (registration takes them otherwise).
        await update.callback_query.answer()
        await reply(update, _("Please finish registering with /start first."))
        return None
    event_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        window = await checkins.coordinator_window(session, event_id, context.now())
        if window.outcome == Outcome.OPEN:
            await drafts.discard(session, me.telegram_id, WALKIN if kind == SEARCH else SEARCH)
            await drafts.begin(session, me.telegram_id, kind, step=step, data=asdict(VenueForm(event_id)),
                               now=context.now())
    if window.outcome == Outcome.INVALID:
        await answer_stale(update, _)
        return None
    await update.callback_query.answer()
    if window.outcome != Outcome.OPEN:
        await reply(update, refusal_text(window, _))
        return None
    return esc(event_text.title(window.event, _.language))


FormInput = Callable[[Update, AppContext, Translator, Draft], Awaitable[None]]


def typed_by_coordinator(kind: str) -> Callable[[FormInput], Callable[[Update, AppContext, Draft], Awaitable[None]]]:
    """Takes what is typed into a coordinator's form at the venue: from someone who is no longer a coordinator,
    the form is dropped and the refusal of `coordinator_only` follows. The handler is called as
    `handler(update, context, _, draft)`."""

    def decorate(handler: FormInput) -> Callable[[Update, AppContext, Draft], Awaitable[None]]:
        guarded = coordinator_only(handler)

        @functools.wraps(handler)
        async def checked(update: Update, context: AppContext, draft: Draft) -> None:
            if not await is_coordinator(context, update.effective_user.id):
                async with context.unit_of_work() as session:
                    await drafts.discard(session, update.effective_user.id, kind)
            await guarded(update, context, draft)

        return checked

    return decorate


def _typed_text(update: Update) -> str | None:
    return update.message.text if update.message else None


# ---------------------------------------------------------------- checking a member in by name or phone


@on_press(on.FIND)
@coordinator_only
async def start_search(update: Update, context: AppContext, _: Translator) -> None:
    """Asks for the name or phone number of the person to check in."""
    title = await _open_venue_form(update, context, _, SEARCH, "query")
    if title is not None:
        await reply(update, _("Type the name or phone number of the person to check in to {title}.").format(
            title=title), keyboard([done_button(_)]))


@draft_inputs.on_input(SEARCH)
@typed_by_coordinator(SEARCH)
async def search_members(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Shows up to ten members whose name or phone matches what the coordinator typed, as buttons."""
    text = _typed_text(update)
    if text is None:
        await reply(update, _("Please answer with the buttons or by typing text."))
        return
    event_id = drafts.read(draft, VenueForm).event_id
    async with context.services.db.session() as session:
        event = await checkins.coordinator_event(session, event_id, context.now())
        try:
            found, more = await checkins.search(session, event_id, text) if event else ([], False)
            error = None
        except forms.Invalid as exc:
            error = exc
    if event is None:
        await reply(update, _("This event is no longer open for check-in."))
    elif error:
        await reply(update, invalid_text(error, _))
    else:
        await reply(update, *search_results_screen(event_id, text, found, more, _))


@on_press(on.CHECK_IN)
@coordinator_only
async def check_in_member(update: Update, context: AppContext, _: Translator) -> None:
    """Checks in the member the coordinator pressed, once; says so if they already were."""
    event_id, member_id = on.CHECK_IN.ints(context.match)
    async with context.unit_of_work() as session:
        result, member = await checkins.check_in_by_coordinator(session, event_id, member_id,
                                                                by=update.effective_user.id, now=context.now())
        count = await checkins.count(session, event_id) if result.event else 0
        if result.outcome in (Outcome.CHECKED_IN, Outcome.ALREADY):
            # The next name typed searches this event again.
            await drafts.begin(session, update.effective_user.id, SEARCH, step="query",
                               data=asdict(VenueForm(event_id)), now=context.now())
    if result.outcome == Outcome.INVALID:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if result.outcome not in (Outcome.CHECKED_IN, Outcome.ALREADY):
        await reply(update, refusal_text(result, _))
        return
    # A new message, so the list stays for checking in someone else from the same search.
    await reply(update, *checked_in_screen(member.name or "", result.outcome == Outcome.ALREADY, count, _))


# ---------------------------------------------------------------- walk-ins without Telegram


@on_press(on.WALKIN)
@coordinator_only
async def start_walkin(update: Update, context: AppContext, _: Translator) -> None:
    """Asks for the walk-in's name."""
    title = await _open_venue_form(update, context, _, WALKIN, "name")
    if title is not None:
        text = _("Adding a walk-in to {title}. What is the person's name? Please type it.").format(title=title)
        await reply(update, text, keyboard([cancel_button(_)]))


@draft_inputs.on_input(WALKIN)
@typed_by_coordinator(WALKIN)
async def walkin_input(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes the walk-in's typed name or organisation; anything else gets a word on what is expected."""
    text, form = _typed_text(update), drafts.read(draft, VenueForm)
    if draft.step == "gender":
        await reply(update, _("Please choose one of the buttons."), walkin_gender_screen(form.event_id, form.name, _)[1])
    elif draft.step == "stakeholder":
        await reply(update, _("Please choose one of the buttons."),
                    walkin_stakeholder_screen(form.event_id, form.name, _)[1])
    elif text is None:
        await reply(update, _("Please answer with the buttons or by typing text."))
    elif draft.step == "name":
        await _take_walkin_name(update, context, text, _)
    elif draft.step == "organisation":
        await _save_walkin(update, context, form.event_id, text, _)


async def _take_walkin_name(update: Update, context: AppContext, text: str, _: Translator) -> None:
    try:
        name = checkins.clean_walkin_name(text)
    except forms.Invalid as exc:
        await reply(update, invalid_text(exc, _))
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, WALKIN)
        asked = draft is not None and draft.step == "name"
        if asked:
            form = replace(drafts.read(draft, VenueForm), name=name)
            drafts.write(draft, form, step="gender", now=context.now())
    if asked:
        await reply(update, *walkin_gender_screen(form.event_id, name, _))


async def _walkin_choice(update: Update, context: AppContext, _: Translator, step: str, choices: dict,
                         next_step: str) -> None:
    """Stores a gender or stakeholder button for the walk-in being added; a stale or forged one changes nothing."""
    event_id, value = int(context.match.group(1)), context.match.group(2)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, WALKIN)
        form = drafts.read(draft, VenueForm)
        ok = (draft is not None and draft.step == step and form.event_id == event_id and value in choices
              and await checkins.coordinator_event(session, event_id, context.now()) is not None)
        if ok:
            form = replace(form, **{step: value})
            drafts.write(draft, form, step=next_step, now=context.now())
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    screen = walkin_stakeholder_screen if next_step == "stakeholder" else walkin_organisation_screen
    await show(update, *screen(event_id, form.name, _))


@on_press(on.WALKIN_GENDER)
@coordinator_only
async def walkin_gender(update: Update, context: AppContext, _: Translator) -> None:
    """Stores the walk-in's gender and asks for their stakeholder type."""
    await _walkin_choice(update, context, _, "gender", GENDERS, "stakeholder")


@on_press(on.WALKIN_STAKEHOLDER)
@coordinator_only
async def walkin_stakeholder(update: Update, context: AppContext, _: Translator) -> None:
    """Stores the walk-in's stakeholder type and asks for their organisation."""
    await _walkin_choice(update, context, _, "stakeholder", STAKEHOLDERS, "organisation")


@on_press(on.WALKIN_NO_ORGANISATION)
@coordinator_only
async def walkin_skip_organisation(update: Update, context: AppContext, _: Translator) -> None:
    """Records the walk-in without an organisation."""
    await _save_walkin(update, context, int(context.match.group(1)), None, _)


async def _record_walkin(session, uid: int, event_id: int, organisation: str | None, now) -> tuple:
    """Records the walk-in of the coordinator's form and ends it: (result, walk-in, count); (None, …) when the
    form is not waiting for the organisation of this event. Raises forms.Invalid for a bad organisation."""
    draft = await drafts.get(session, uid, WALKIN)
    form = drafts.read(draft, VenueForm)
    if draft is None or draft.step != "organisation" or form.event_id != event_id:
        return None, None, 0
    walkin = checkins.clean_walkin(form.name, form.gender, form.stakeholder, organisation)
    result = await checkins.add_walkin(session, event_id, walkin, by=uid, now=now)
    await drafts.discard(session, uid, WALKIN)
    return result, walkin, await checkins.count(session, event_id)


async def _save_walkin(update: Update, context: AppContext, event_id: int, organisation: str | None,
                       _: Translator) -> None:
    """Records the walk-in and ends the conversation; bad input or a stale button changes nothing."""
    query = update.callback_query
    try:
        async with context.unit_of_work() as session:
            result, walkin, count = await _record_walkin(session, update.effective_user.id, event_id, organisation,
                                                         context.now())
    except forms.Invalid as exc:
        if query is not None:
            await query.answer()
        await reply(update, invalid_text(exc, _))
        return
    if result is None:
        if query is not None:
            await answer_stale(update, _)
        return
    if query is not None:
        await query.answer()
    if result.outcome != Outcome.CHECKED_IN:
        await reply(update, refusal_text(result, _))
        return
    await reply(update, *walkin_recorded_screen(walkin.name, event_id, count, _))


@on_press(on.DONE)
@on_press(on.DONE_KEEP)
@coordinator_only
async def finish(update: Update, context: AppContext, _: Translator) -> None:
    """Ends searching or adding a walk-in. Pressed under a question, the question gives way to "Closed"; under a
    confirmation ("✅ … is checked in"), the confirmation stays and "Closed" follows it."""
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, SEARCH)
        await drafts.discard(session, update.effective_user.id, WALKIN)
    await update.callback_query.answer()
    closed = _("Closed. Send /checkin to check in more people.")
    if context.match.groups():
        await inplace.drop_buttons(update)
        await reply(update, closed)
    else:
        await show(update, closed)



def register(app: Application) -> None:
    app.add_handler(CommandHandler("checkin", choose_event, filters=filters.ChatType.PRIVATE))
    add_presses(app, sys.modules[__name__])
