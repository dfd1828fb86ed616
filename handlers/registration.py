"""Registration: language, consent, then one question at a time, a summary, and the welcome."""

from __future__ import annotations

import logging

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import config
from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Member
from bot.services import members
from bot.services.members import InvalidAnswer
from bot.text import clean_line, esc
from bot.vocab import (
    ABROAD,
    ABROAD_LABEL,
    GENDERS,
    LANGUAGE_NAMES,
    PROFILE_STEPS,
    PROVINCES,
    STAKEHOLDERS,
    Step,
    find_provinces,
    province_label,
)
from handlers import deeplinks, drafts, menus
from handlers.common import answer_stale, button, keyboard, load_member, pairs, reply, show, tr

log = logging.getLogger("sahakor")

PROVINCES_PER_PAGE = 10
# Members see dates in the configured TIMEZONE; events carry their own zone.
DEFAULT_ZONE = config.LOCAL_ZONE
FIELD_LABELS = {
    Step.NAME: N_("Name"),
    Step.GENDER: N_("Gender"),
    Step.STAKEHOLDER: N_("Stakeholder type"),
    Step.ORGANISATION: N_("Organisation"),
    Step.PROVINCE: N_("Province"),
    Step.PHONE: N_("Phone"),
}


# ---------------------------------------------------------------- screens


GREETING = N_("Welcome to Sahakor, the network's assistant. Please choose your language.")


def language_screen() -> tuple[str, object]:
    """The first screen, in both languages, since we don't know the member's yet."""
    text = "\n\n".join(translator(code)(GREETING) for code in LANGUAGES)
    return text, keyboard([[button(LANGUAGE_NAMES[code], f"lang:{code}") for code in LANGUAGES]])


def consent_screen(_: Translator) -> tuple[str, object]:
    text = _(
        "<b>Before we start</b>\n"
        "To register you, Sahakor stores your name, gender, stakeholder type, organisation, province "
        "and, if you choose to share it, your phone number.\n\n"
        "Only the network's coordinators can see these details; other members never see them.\n\n"
        "You can see and correct them at any time with /profile, and delete them with /delete.\n\n"
        "Do you agree?"
    )
    return text, keyboard([[button(_("Yes, I agree"), "reg:consent:yes"), button(_("No, thanks"), "reg:consent:no")]])


def _keep_row(member: Member, _: Translator) -> list:
    return [button(_("Keep as it is"), "reg:keep")] if member.editing else []


def name_screen(member: Member, _: Translator, suggestion: str | None) -> tuple[str, object]:
    if suggestion:
        text = _("What is your name? Type it, or press the button to use the name on your Telegram profile.")
        rows = [[button(_("Use “{name}”").format(name=suggestion), "reg:name:profile")]]
    else:
        text = _("What is your name? Please type it.")
        rows = []
    return text, keyboard([*rows, _keep_row(member, _)])


def gender_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("What is your gender? Coordinators only use it for counts, such as “41 attendees including 10 women”.")
    return text, keyboard([*pairs([button(_(label), f"reg:gender:{code}") for code, label in GENDERS.items()]),
                           _keep_row(member, _)])


def stakeholder_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("Which of these describes you best?")
    rows = [[button(_(label), f"reg:stake:{code}")] for code, label in STAKEHOLDERS.items()]
    return text, keyboard([*rows, _keep_row(member, _)])


def organisation_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("Which organisation, farmer group or cooperative are you part of? Type its name, or skip.")
    skip = _("Remove my organisation") if member.editing else _("Skip")
    return text, keyboard([[button(skip, "reg:org:skip")], _keep_row(member, _)])


def province_screen(member: Member, _: Translator, page: int = 0) -> tuple[str, object]:
    codes = sorted(PROVINCES, key=lambda c: province_label(c, _.language, _))
    pages = max(1, -(-len(codes) // PROVINCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = codes[page * PROVINCES_PER_PAGE:(page + 1) * PROVINCES_PER_PAGE]
    rows = pairs([button(province_label(code, _.language, _), f"reg:prov:{code}") for code in shown])
    nav = []
    if page > 0:
        nav.append(button("◀ " + _("Previous"), f"reg:provpage:{page - 1}"))
    if page < pages - 1:
        nav.append(button(_("More") + " ▶", f"reg:provpage:{page + 1}"))
    rows.append(nav)
    rows.append([button(_(ABROAD_LABEL), f"reg:prov:{ABROAD}")])
    text = _("Which province do you live or work in? Choose below or type its name. (Page {page} of {pages})").format(
        page=_.number(page + 1), pages=_.number(pages))
    return text, keyboard([*rows, _keep_row(member, _)])


def phone_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _(
        "Would you like to share your phone number, so coordinators can call you about events? "
        "It is optional. Press the button below to share the number of this Telegram account, "
        "or type a number."
    )
    rows = [[KeyboardButton("📱 " + _("Share my phone number"), request_contact=True)]]
    if member.editing:
        rows.append([KeyboardButton(_("Remove my phone number"))])
        rows.append([KeyboardButton(_("Keep as it is"))])
    else:
        rows.append([KeyboardButton(_("Skip"))])
    return text, ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True, is_persistent=False)


def field_text(member: Member, step: Step, _: Translator) -> str:
    """One profile field as the member reads it (plain text, empty when not given)."""
    if step == Step.GENDER:
        return _(GENDERS[member.gender]) if member.gender in GENDERS else ""
    if step == Step.STAKEHOLDER:
        return _(STAKEHOLDERS[member.stakeholder]) if member.stakeholder in STAKEHOLDERS else ""
    if step == Step.PROVINCE:
        return province_label(member.province, _.language, _)
    return getattr(member, step.value) or ""


def field_value(member: Member, step: Step, _: Translator) -> str:
    """One profile field escaped for an HTML message; a dash when empty."""
    return esc(field_text(member, step, _)) or "—"


def profile_lines(member: Member, _: Translator) -> str:
    lines = [f"<b>{_(FIELD_LABELS[step])}:</b> {field_value(member, step, _)}" for step in PROFILE_STEPS]
    lines.append(f"<b>{_('Language')}:</b> {LANGUAGE_NAMES[member.language]}")
    return "\n".join(lines)


def edit_buttons(_: Translator) -> list[list]:
    return pairs([button("✏️ " + _(FIELD_LABELS[step]), f"reg:edit:{step.value}") for step in PROFILE_STEPS])


def summary_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("Please check your details:") + "\n\n" + profile_lines(member, _) + "\n\n" + _(
        "Tap a field to correct it, or confirm.")
    return text, keyboard([*edit_buttons(_), [button("✅ " + _("Confirm"), "reg:confirm")]])


def profile_screen(member: Member, _: Translator) -> tuple[str, object]:
    status = _("You receive announcements.") if member.receives_announcements else _(
        "You have paused announcements. Send /start to receive them again.")
    since = _("Member since {date}.").format(date=_.date(member.registered_at, DEFAULT_ZONE)) if member.registered_at else ""
    text = _("<b>Your profile</b>") + "\n\n" + profile_lines(member, _) + "\n\n" + "\n".join(filter(None, [since, status]))
    rows = [*edit_buttons(_), [button("🌐 " + _("Language"), "lang:menu"), button("🗑 " + _("Delete my data"), "me:delete")]]
    return text, keyboard(rows)


def help_text(_: Translator, *, coordinator: bool = False) -> str:
    lines = [
        _("Here is what you can do:"),
        "/events — " + _("upcoming events and your answers"),
        "/groups — " + _("working groups you can join"),
        "/surveys — " + _("open surveys for you to answer"),
        "/briefs — " + _("recent policy briefs"),
        "/profile — " + _("see or correct your details"),
        "/language — " + _("change the language"),
        "/stop — " + _("pause announcements"),
        "/start — " + _("resume announcements"),
        "/delete — " + _("delete your data"),
        "/help — " + _("show this help"),
    ]
    if coordinator:
        lines += [
            "",
            _("Coordinator commands:"),
            "/newevent — " + _("create an event and invite members"),
            "/events — " + _("your events, with answers and check-ins"),
            "/checkin — " + _("check people in at an event, or add walk-ins"),
            "/report — " + _("attendance report of an event"),
            "/groups — " + _("working groups: interest, approvals and the funnel"),
            "/newgroup — " + _("create a working group"),
            "/consult — " + _("open a consultation and gather needs by theme"),
            "/inputs — " + _("see, sort and export consultation inputs"),
            "/newsurvey — " + _("create a survey from an XLSForm or in the chat"),
            "/poll — " + _("send a quick poll"),
            "/results — " + _("results of surveys and polls"),
            "/broadcast — " + _("send an announcement to members"),
            "/broadcasts — " + _("scheduled and recent announcements"),
            "/newbrief — " + _("push a finished policy brief"),
            "/members — " + _("member counts and the member list"),
            "/coordinators — " + _("list, add or remove coordinators"),
        ]
    return "\n".join(lines)


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
    step = Step(member.step) if member.step else None
    if step == Step.LANGUAGE:
        return language_screen()
    if step == Step.CONSENT:
        return consent_screen(_)
    if step == Step.NAME:
        return name_screen(member, _, profile_name(update))
    if step == Step.GENDER:
        return gender_screen(member, _)
    if step == Step.STAKEHOLDER:
        return stakeholder_screen(member, _)
    if step == Step.ORGANISATION:
        return organisation_screen(member, _)
    if step == Step.PROVINCE:
        return province_screen(member, _)
    if step == Step.PHONE:
        return phone_screen(member, _)
    if step == Step.SUMMARY:
        return summary_screen(member, _)
    return profile_screen(member, _)


async def show_current(update: Update, member: Member, *, new_message: bool = False) -> None:
    """Shows the member the screen for where they are (in place of a pressed message if possible)."""
    _ = translator(member.language)
    text, markup = screen_for(member, update, _)
    if new_message or update.callback_query is None:
        await reply(update, text, markup)
    else:
        await show(update, text, markup)


INVALID_REASONS = {
    "empty": N_("That was empty. Please type some text."),
    "too_long": N_("That is too long. Please keep it under {limit} characters."),
    "phone": N_("That does not look like a phone number. Please type only digits, for example 012 345 678, or use the buttons."),
    "choice": N_("Please choose one of the buttons."),
    "stale": N_("This button is no longer active."),
    "language": N_("Please choose one of the buttons."),
}


def invalid_text(reason: str, step: Step | None, _: Translator) -> str:
    limit = members.NAME_MAX if step == Step.NAME else members.ORGANISATION_MAX
    return _(INVALID_REASONS[reason]).format(limit=_.number(limit))


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


# ---------------------------------------------------------------- handlers


async def start(update: Update, context: AppContext) -> None:
    """Greets a newcomer with the language screen, resumes a member where they were, or acts on a link."""
    payload = context.args[0] if context.args else None
    async with context.unit_of_work() as session:
        member, created = await members.start(session, telegram_id=update.effective_user.id, payload=payload,
                                              now=context.now(), language=tr(None, update).language)
        resumed = False
        if member.registered_at is not None:
            resumed = not member.receives_announcements
            await members.set_announcements(session, member, True, context.now())
            pending = members.take_payload(member)
    if member.registered_at is None:
        if created or member.step in (Step.LANGUAGE, None):
            text, markup = language_screen()
            await reply(update, text, markup)
        else:
            await show_current(update, member, new_message=True)
        return
    _ = translator(member.language)
    if resumed:
        await reply(update, _("Welcome back! You will receive announcements again."))
    if pending:
        await deeplinks.dispatch(update, context, member, pending)
    elif not resumed:
        await reply(update, _("Welcome back, {name}!").format(name=esc(member.name or "")) + "\n\n" + help_text(_))


async def choose_language(update: Update, context: AppContext) -> None:
    """Stores the chosen language; a newcomer then sees the consent screen."""
    code = context.match.group(1)
    query = update.callback_query
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        if member is None:
            member, _created = await members.start(session, telegram_id=update.effective_user.id, payload=None,
                                                   now=context.now())
        # A second press of the first screen (the consent screen it brought never arrived) is a first one too.
        was_choosing = member.step in (Step.LANGUAGE, Step.CONSENT)
        await members.choose_language(session, member, code, context.now())
    _ = translator(member.language)
    await query.answer(_("Language: {language}").format(language=LANGUAGE_NAMES[code]))
    if was_choosing:
        text, markup = consent_screen(_)
        await show(update, text, markup)
        return
    await menus.refresh_for(context, member)
    if member.registered_at is None:
        await show(update, _("The language is now English.") if code == "en" else _("The language is now Khmer."))
        await show_current(update, member, new_message=True)
    else:
        await show(update, *profile_screen(member, _))


async def language_menu(update: Update, context: AppContext) -> None:
    """Offers the two languages, from /language or the profile's button."""
    text, markup = language_screen()
    if update.callback_query:
        await update.callback_query.answer()
        await show(update, text, markup)
    else:
        await reply(update, text, markup)


async def consent(update: Update, context: AppContext) -> None:
    """Records consent and asks for the name, or, on decline, forgets the newcomer entirely."""
    agreed = context.match.group(1) == "yes"
    query = update.callback_query
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        if member is None or member.step != Step.CONSENT:
            stale = True
        else:
            stale = False
            if agreed:
                await members.give_consent(session, member, context.now())
            else:
                await members.forget(session, member)
    _ = tr(member, update)
    if stale:
        await stale_press(update, member, Step.CONSENT)
        return
    await query.answer()
    if agreed:
        await show(update, *screen_for(member, update, _))
    else:
        await show(update, _("Nothing has been stored. If you change your mind, send /start at any time."))


async def _store_answer(update: Update, context: AppContext, step: Step, value: str | None) -> None:
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
    await _report_answer(update, member, step, error)


async def _report_answer(update: Update, member: Member | None, step: Step, error: str | None) -> None:
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
    await _store_answer(update, context, step, value)


async def province_page(update: Update, context: AppContext) -> None:
    """Turns the page of the province list."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if member is None or member.step != Step.PROVINCE:
        await stale_press(update, member, Step.PROVINCE)
        return
    await update.callback_query.answer()
    await show(update, *province_screen(member, _, int(context.match.group(1))))


async def edit_field(update: Update, context: AppContext) -> None:
    """Reopens one question from the summary or the profile."""
    step = Step(context.match.group(1))
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        error = None
        try:
            if member is None:
                raise InvalidAnswer("stale")
            await members.edit(session, member, step, context.now())
        except InvalidAnswer as exc:
            error = exc.reason
    _ = tr(member, update)
    if error:
        await stale_press(update, member, Step.SUMMARY)
        return
    await update.callback_query.answer()
    text, markup = screen_for(member, update, _)
    if isinstance(markup, ReplyKeyboardMarkup):
        await reply(update, text, markup)
    else:
        await show(update, text, markup)


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


async def confirm(update: Update, context: AppContext) -> None:
    """Completes registration, welcomes the member, then acts on the link they came from."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        stale = member is None or member.step != Step.SUMMARY or member.registered_at is not None
        if not stale:
            payload = await members.confirm(session, member, context.now())
    if stale and member is not None and member.registered_at is not None and not member.editing:
        # Registered already: the welcome of the first press never reached them.
        await update.callback_query.answer()
        await welcome(update, context, member)
        return
    if stale:
        await stale_press(update, member, Step.SUMMARY)
        return
    await update.callback_query.answer()
    await welcome(update, context, member)
    if payload:
        await deeplinks.dispatch(update, context, member, payload)


async def welcome(update: Update, context: AppContext, member: Member) -> None:
    """Welcomes a newly registered member with what they can do, and sets their menu."""
    _ = translator(member.language)
    await show(update, _("Welcome, {name}! You are now registered.").format(name=esc(member.name)) + "\n\n" + help_text(_))
    await menus.refresh_for(context, member)


def _typed_answer(member: Member, text: str) -> tuple[Step, str | None] | None:
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


async def on_text(update: Update, context: AppContext) -> None:
    """Takes a typed answer for the question the member is on, or explains what to do instead."""
    text = update.message.text or ""
    # One transaction reads the member and stores the answer: typing is most of registration.
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        answer = _typed_answer(member, text) if member is not None else None
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
        await _report_answer(update, member, answer[0], error)
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
    await _store_answer(update, context, Step.PHONE, contact.phone_number)


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


def resume_hook(app: Application):
    """After a crash cut off the reply to a member's last update: a member still registering is sent the
    question they are on (the answer they gave is kept)."""
    services = app.bot_data["services"]

    async def resume(update: Update) -> bool:
        chat = update.effective_chat
        if update.effective_user is None or chat is None or chat.type != "private":
            return False
        async with services.db.session() as session:
            member = await members.get(session, update.effective_user.id)
        if member is None or member.registered_at is not None or member.step is None:
            return False
        text, markup = screen_for(member, update, translator(member.language))
        await app.bot.send_message(chat.id, text, reply_markup=markup)
        return True

    return resume


def register(app: Application) -> None:
    app.bot_data["services"].intake.resume_hooks.append(resume_hook(app))
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start, filters=private))
    app.add_handler(CommandHandler("language", language_menu, filters=private))
    app.add_handler(CallbackQueryHandler(language_menu, pattern=r"^lang:menu$"))
    app.add_handler(CallbackQueryHandler(choose_language, pattern=r"^lang:(km|en)$"))
    app.add_handler(CallbackQueryHandler(consent, pattern=r"^reg:consent:(yes|no)$"))
    app.add_handler(CallbackQueryHandler(on_button_answer, pattern=r"^reg:(gender|stake|prov|org|name):(\w{1,20})$"))
    app.add_handler(CallbackQueryHandler(province_page, pattern=r"^reg:provpage:(\d{1,2})$"))
    app.add_handler(CallbackQueryHandler(edit_field, pattern=r"^reg:edit:(name|gender|stakeholder|organisation|province|phone)$"))
    app.add_handler(CallbackQueryHandler(keep_field, pattern=r"^reg:keep$"))
    app.add_handler(CallbackQueryHandler(confirm, pattern=r"^reg:confirm$"))
    app.add_handler(MessageHandler(private & filters.CONTACT, on_contact))


async def unknown_button(update: Update, context: AppContext) -> None:
    """Answers a button whose data no handler recognises (from an old message, or made up)."""
    member = await load_member(context, update.effective_user.id)
    await answer_stale(update, tr(member, update))


def register_fallbacks(app: Application) -> None:
    """Typed text, other messages and unknown buttons, after every feature handler had its chance."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CallbackQueryHandler(unknown_button))
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_other_message))
