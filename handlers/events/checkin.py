"""Check-in at the venue: the QR poster members scan, coordinators checking people in, and walk-ins."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import event_text, posters
from bot.context import AppContext
from bot.i18n import N_, Translator, translator
from bot.models import Draft, Event, Member
from bot.services import checkins, drafts, members
from bot.services.checkins import Outcome, Result
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS
from handlers.ui import deeplinks
from handlers.ui import drafts as draft_inputs
from handlers.ui.common import (
    answer_stale,
    button,
    coordinator_and_translator as require_coordinator,
    is_coordinator,
    keyboard,
    load_member,
    pairs,
    reply,
    tr,
)
import handlers.events.inplace as inplace
from handlers.events.inplace import show

SEARCH = "checkin_search"
WALKIN = "walkin"
SCAN_TO_CHECK_IN = N_("Scan to check in")
INVALID_INPUT = {
    "empty": N_("That was empty. Please type some text."),
    "too_long": N_("That is too long. Please keep it under {limit} characters."),
    "choice": N_("Please choose one of the buttons."),
}
BUTTON_TEXT_MAX = 60
EVENT_LABEL_MAX = 40


# ---------------------------------------------------------------- shared by the coordinator screens


def event_button_label(event: Event, _: Translator) -> str:
    """'Policy Dialogue Workshop · 13 Dec 2024' for a list of events."""
    title = posters.shorten(event_text.title(event, _.language), EVENT_LABEL_MAX)
    return f"{title} · {_.date(event.starts_at, event_text.zone(event), 'medium')}"


def event_heading(event: Event, _: Translator) -> str:
    lines = [f"<b>{esc(event_text.title(event, _.language))}</b>", "🗓 " + event_text.when(event, _)]
    if event.venue:
        lines.append("📍 " + esc(event.venue))
    return "\n".join(lines)


def checked_in_line(count: int, _: Translator) -> str:
    return _.ngettext("{count} person checked in so far.", "{count} people checked in so far.", count).format(
        count=_.number(count))


def refusal_text(result: Result, _: Translator) -> str:
    """Why a check-in did not happen, for a member or a coordinator."""
    if result.outcome == Outcome.NOT_OPEN:
        return _("Check-in for {title} opens at {time}.").format(
            title=esc(event_text.title(result.event, _.language)),
            time=event_text.moment(result.opens_at, result.event, _))
    if result.outcome == Outcome.CLOSED:
        return _("Check-in for {title} has closed.").format(title=esc(event_text.title(result.event, _.language)))
    return _("This event is no longer open for check-in.")


def invalid_input_text(reason: str, limit: int, _: Translator) -> str:
    return _(INVALID_INPUT[reason]).format(limit=_.number(limit))


def done_button(_: Translator, *, keep: bool = False) -> list:
    """Done ends searching or adding walk-ins; under a confirmation (`keep`) it leaves the confirmation readable."""
    return [button(_("Done"), "ci:done:keep" if keep else "ci:done")]


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


async def choose_event(update: Update, context: AppContext) -> None:
    """Lists published events (upcoming and recent) for the coordinator to check people in to."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    async with context.services.db.session() as session:
        events = await checkins.events_open_to_coordinators(session, context.now())
    if not events:
        await reply(update, _("There are no published events to check people in to. Create one with /newevent."))
        return
    rows = [[button(event_button_label(event, _), f"ci:ev:{event.id}")] for event in events]
    await reply(update, _("Choose the event to check people in to:"), keyboard(rows))


async def event_menu(update: Update, context: AppContext) -> None:
    """Shows the chosen event with its count so far, and what the coordinator can do."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    event_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        event = await checkins.coordinator_event(session, event_id, context.now())
        count = await checkins.count(session, event_id) if event else 0
    if event is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    text = "\n\n".join([event_heading(event, _), checked_in_line(count, _), _("What would you like to do?")])
    await show(update, text, keyboard([
        [button("🖨 " + _("QR poster"), f"ci:qr:{event.id}")],
        [button("🔎 " + _("Check someone in"), f"ci:find:{event.id}")],
        [button("➕ " + _("Add a walk-in"), f"ci:walk:{event.id}")],
    ]))


def checkin_link(bot_username: str, event: Event) -> str:
    return f"https://t.me/{bot_username}?start={checkins.TOKEN_PREFIX}{event.checkin_token}"


def poster_png(event: Event, bot_username: str) -> bytes:
    """The printable poster, in Khmer and English whatever the coordinator's language."""
    km, en = translator("km"), translator("en")
    titles = list(dict.fromkeys([event_text.title(event, "km"), event_text.title(event, "en")]))
    details = [event_text.when(event, km), event_text.when(event, en), event.venue]
    return posters.qr_poster(checkin_link(bot_username, event), titles=titles, details=[d for d in details if d],
                             instructions=list(dict.fromkeys([km(SCAN_TO_CHECK_IN), en(SCAN_TO_CHECK_IN)])))


async def send_poster(update: Update, context: AppContext) -> None:
    """Sends the check-in QR poster as a document, so it prints sharp."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
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


# ---------------------------------------------------------------- checking a member in by name or phone


async def _typing_allowed(update: Update, member: Member | None, _: Translator) -> bool:
    """Typed answers reach these conversations only for registered members (registration takes them otherwise)."""
    if member is not None and member.registered_at is not None and member.step is None:
        return True
    await update.callback_query.answer()
    await reply(update, _("Please finish registering with /start first."))
    return False


async def _open_venue_form(update: Update, context: AppContext, kind: str, step: str) -> tuple[str, Translator] | None:
    """Starts a coordinator's form at the venue (the search, or a walk-in) for an event whose check-in is
    open, dropping the other one. Returns the event's title (escaped) and the coordinator's translator,
    or None after saying why not."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return None
    me, _ = allowed
    if not await _typing_allowed(update, me, _):
        return None
    event_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        window = await checkins.coordinator_window(session, event_id, context.now())
        if window.outcome == Outcome.OPEN:
            await drafts.discard(session, me.telegram_id, WALKIN if kind == SEARCH else SEARCH)
            await drafts.begin(session, me.telegram_id, kind, step=step, data={"event_id": event_id},
                               now=context.now())
    if window.outcome == Outcome.INVALID:
        await answer_stale(update, _)
        return None
    await update.callback_query.answer()
    if window.outcome != Outcome.OPEN:
        await reply(update, refusal_text(window, _))
        return None
    return esc(event_text.title(window.event, _.language)), _


async def start_search(update: Update, context: AppContext) -> None:
    """Asks for the name or phone number of the person to check in."""
    opened = await _open_venue_form(update, context, SEARCH, "query")
    if opened is not None:
        title, _ = opened
        await reply(update, _("Type the name or phone number of the person to check in to {title}.").format(
            title=title), keyboard([done_button(_)]))


def result_label(match: checkins.Match) -> str:
    member = match.member
    label = member.name or ""
    if member.organisation:
        label += " · " + member.organisation
    return ("✅ " if match.checked_in else "") + posters.shorten(label, BUTTON_TEXT_MAX)


@draft_inputs.on_input(SEARCH)
async def search_members(update: Update, context: AppContext, draft: Draft) -> None:
    """Shows up to ten members whose name or phone matches what the coordinator typed, as buttons."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    text = update.message.text if update.message else None
    if not await is_coordinator(context, update.effective_user.id):
        async with context.unit_of_work() as session:
            await drafts.discard(session, update.effective_user.id, SEARCH)
        await reply(update, _("This command is for coordinators only."))
        return
    if text is None:
        await reply(update, _("Please answer with the buttons or by typing text."))
        return
    event_id = int(draft.data["event_id"])
    async with context.services.db.session() as session:
        event = await checkins.coordinator_event(session, event_id, context.now())
        try:
            found, more = await checkins.search(session, event_id, text) if event else ([], False)
            error = None
        except members.InvalidAnswer as exc:
            error = exc.reason
    if event is None:
        await reply(update, _("This event is no longer open for check-in."))
        return
    if error:
        await reply(update, invalid_input_text(error, checkins.QUERY_MAX, _))
        return
    await reply(update, *search_results_screen(event_id, text, found, more, _))


def search_results_screen(event_id: int, query: str, found: list[checkins.Match], more: bool,
                          _: Translator) -> tuple[str, object]:
    shown = esc(query.strip())
    if not found:
        text = _("No member matches “{query}”. Try another spelling or a phone number, or add the person as a "
                 "walk-in.").format(query=shown)
        return text, keyboard([[button("➕ " + _("Add a walk-in"), f"ci:walk:{event_id}")], done_button(_)])
    text = _.ngettext("{count} member matches “{query}”. Press a name to check them in.",
                      "{count} members match “{query}”. Press a name to check them in.",
                      len(found)).format(count=_.number(len(found)), query=shown)
    if more:
        text += "\n" + _("Only the first {count} are shown; type more of the name to narrow the search.").format(
            count=_.number(len(found)))
    rows = [[button(result_label(match), f"ci:m:{event_id}:{match.member.id}")] for match in found]
    return text, keyboard([*rows, done_button(_)])


async def check_in_member(update: Update, context: AppContext) -> None:
    """Checks in the member the coordinator pressed, once; says so if they already were."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    event_id, member_id = int(context.match.group(1)), int(context.match.group(2))
    async with context.unit_of_work() as session:
        result, member = await checkins.check_in_by_coordinator(session, event_id, member_id,
                                                                by=update.effective_user.id, now=context.now())
        count = await checkins.count(session, event_id) if result.event else 0
        if result.outcome in (Outcome.CHECKED_IN, Outcome.ALREADY):
            # The next name typed searches this event again.
            await drafts.begin(session, update.effective_user.id, SEARCH, step="query", data={"event_id": event_id},
                               now=context.now())
    if result.outcome == Outcome.INVALID:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if result.outcome not in (Outcome.CHECKED_IN, Outcome.ALREADY):
        await reply(update, refusal_text(result, _))
        return
    name = esc(member.name or "")
    first = (_("✅ {name} is checked in.") if result.outcome == Outcome.CHECKED_IN
             else _("{name} was already checked in.")).format(name=name)
    text = "\n".join([first, checked_in_line(count, _), "", _("Type another name or phone number, or press Done.")])
    # A new message, so the list stays for checking in someone else from the same search.
    await reply(update, text, keyboard([done_button(_, keep=True)]))


# ---------------------------------------------------------------- walk-ins without Telegram


async def start_walkin(update: Update, context: AppContext) -> None:
    """Asks for the walk-in's name."""
    opened = await _open_venue_form(update, context, WALKIN, "name")
    if opened is not None:
        title, _ = opened
        text = _("Adding a walk-in to {title}. What is the person's name? Please type it.").format(title=title)
        await reply(update, text, keyboard([[button(_("Cancel"), "ci:done")]]))


def walkin_gender_screen(event_id: int, name: str, _: Translator) -> tuple[str, object]:
    buttons = [button(_(label), f"ci:wg:{event_id}:{code}") for code, label in GENDERS.items()]
    return (_("What is {name}'s gender?").format(name=esc(name)),
            keyboard([*pairs(buttons), [button(_("Cancel"), "ci:done")]]))


def walkin_stakeholder_screen(event_id: int, name: str, _: Translator) -> tuple[str, object]:
    rows = [[button(_(label), f"ci:ws:{event_id}:{code}")] for code, label in STAKEHOLDERS.items()]
    return (_("Which of these describes {name} best?").format(name=esc(name)),
            keyboard([*rows, [button(_("Cancel"), "ci:done")]]))


def walkin_organisation_screen(event_id: int, name: str, _: Translator) -> tuple[str, object]:
    text = _("Which organisation, farmer group or cooperative is {name} part of? Type its name, or skip.").format(
        name=esc(name))
    return text, keyboard([[button(_("Skip"), f"ci:wo:{event_id}")], [button(_("Cancel"), "ci:done")]])


@draft_inputs.on_input(WALKIN)
async def walkin_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the walk-in's typed name or organisation; anything else gets a word on what is expected."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    text = update.message.text if update.message else None
    if not await is_coordinator(context, update.effective_user.id):
        async with context.unit_of_work() as session:
            await drafts.discard(session, update.effective_user.id, WALKIN)
        await reply(update, _("This command is for coordinators only."))
        return
    event_id, name = int(draft.data["event_id"]), draft.data.get("name", "")
    if draft.step == "gender":
        await reply(update, _("Please choose one of the buttons."), walkin_gender_screen(event_id, name, _)[1])
    elif draft.step == "stakeholder":
        await reply(update, _("Please choose one of the buttons."), walkin_stakeholder_screen(event_id, name, _)[1])
    elif text is None:
        await reply(update, _("Please answer with the buttons or by typing text."))
    elif draft.step == "name":
        await _take_walkin_name(update, context, event_id, text, _)
    elif draft.step == "organisation":
        await _save_walkin(update, context, event_id, text, _)


async def _take_walkin_name(update: Update, context: AppContext, event_id: int, text: str, _: Translator) -> None:
    try:
        name = members.clean_name(text)
    except members.InvalidAnswer as exc:
        await reply(update, invalid_input_text(exc.reason, members.NAME_MAX, _))
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, WALKIN)
        asked = draft is not None and draft.step == "name"
        if asked:
            drafts.advance(draft, step="gender", now=context.now(), name=name)
    if asked:
        await reply(update, *walkin_gender_screen(event_id, name, _))


async def _walkin_choice(update: Update, context: AppContext, step: str, choices: dict, next_step: str) -> None:
    """Stores a gender or stakeholder button for the walk-in being added; a stale or forged one changes nothing."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    event_id, value = int(context.match.group(1)), context.match.group(2)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, WALKIN)
        ok = (draft is not None and draft.step == step and draft.data.get("event_id") == event_id
              and value in choices and await checkins.coordinator_event(session, event_id, context.now()) is not None)
        if ok:
            drafts.advance(draft, step=next_step, now=context.now(), **{step: value})
            name = draft.data["name"]
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    screen = walkin_stakeholder_screen if next_step == "stakeholder" else walkin_organisation_screen
    await show(update, *screen(event_id, name, _))


async def walkin_gender(update: Update, context: AppContext) -> None:
    """Stores the walk-in's gender and asks for their stakeholder type."""
    await _walkin_choice(update, context, "gender", GENDERS, "stakeholder")


async def walkin_stakeholder(update: Update, context: AppContext) -> None:
    """Stores the walk-in's stakeholder type and asks for their organisation."""
    await _walkin_choice(update, context, "stakeholder", STAKEHOLDERS, "organisation")


async def walkin_skip_organisation(update: Update, context: AppContext) -> None:
    """Records the walk-in without an organisation."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    await _save_walkin(update, context, int(context.match.group(1)), None, _)


async def _save_walkin(update: Update, context: AppContext, event_id: int, organisation: str | None,
                       _: Translator) -> None:
    """Records the walk-in and ends the conversation; bad input or a stale button changes nothing."""
    query = update.callback_query
    error, result = None, None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, WALKIN)
        if draft is None or draft.step != "organisation" or draft.data.get("event_id") != event_id:
            error = "stale"
        else:
            try:
                walkin = checkins.clean_walkin(draft.data["name"], draft.data["gender"], draft.data["stakeholder"],
                                               organisation)
            except members.InvalidAnswer as exc:
                error = exc.reason
            else:
                result = await checkins.add_walkin(session, event_id, walkin, by=update.effective_user.id,
                                                   now=context.now())
                await drafts.discard(session, update.effective_user.id, WALKIN)
                count = await checkins.count(session, event_id)
    if error == "stale":
        if query is not None:
            await answer_stale(update, _)
        return
    if query is not None:
        await query.answer()
    if error:
        await reply(update, invalid_input_text(error, members.ORGANISATION_MAX, _))
        return
    if result.outcome != Outcome.CHECKED_IN:
        await reply(update, refusal_text(result, _))
        return
    text = "\n".join([_("✅ Walk-in {name} is recorded.").format(name=esc(walkin.name)), checked_in_line(count, _)])
    await reply(update, text, keyboard([
        [button("➕ " + _("Add another walk-in"), f"ci:walk:{event_id}")],
        [button("🔎 " + _("Check someone in"), f"ci:find:{event_id}")],
        done_button(_, keep=True),
    ]))


async def finish(update: Update, context: AppContext) -> None:
    """Ends searching or adding a walk-in. Pressed under a question, the question gives way to "Closed"; under a
    confirmation ("✅ … is checked in"), the confirmation stays and "Closed" follows it."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, SEARCH)
        await drafts.discard(session, update.effective_user.id, WALKIN)
    await update.callback_query.answer()
    closed = _("Closed. Send /checkin to check in more people.")
    if context.match.group(1):
        await inplace.drop_buttons(update)
        await reply(update, closed)
    else:
        await show(update, closed)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("checkin", choose_event, filters=private))
    app.add_handler(CallbackQueryHandler(event_menu, pattern=r"^ci:ev:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(send_poster, pattern=r"^ci:qr:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(start_search, pattern=r"^ci:find:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(check_in_member, pattern=r"^ci:m:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(start_walkin, pattern=r"^ci:walk:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(walkin_gender, pattern=r"^ci:wg:(\d{1,9}):(\w{1,20})$"))
    app.add_handler(CallbackQueryHandler(walkin_stakeholder, pattern=r"^ci:ws:(\d{1,9}):(\w{1,20})$"))
    app.add_handler(CallbackQueryHandler(walkin_skip_organisation, pattern=r"^ci:wo:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(finish, pattern=r"^ci:done(:keep)?$"))
