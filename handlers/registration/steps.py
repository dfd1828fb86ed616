"""Registration's steps: /start, the language, consent, reopening a field, and the welcome."""

from __future__ import annotations

from telegram import ReplyKeyboardMarkup, Update
from telegram.ext import Application

from bot.context import AppContext
from bot.i18n import translator
from bot.models import Member
from bot.services import members
from bot.services.members import InvalidAnswer
from bot.text import esc
from bot.vocab import LANGUAGE_NAMES, Step
from handlers.ui import deeplinks
from handlers.ui import menus
from handlers.ui.common import load_member, reply, show, tr
from handlers.registration.flow import screen_for, show_current, stale_press
from handlers.registration.screens import consent_screen, help_text, language_screen, profile_screen, province_screen


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
