"""Registration's screens: text and buttons from a member's details and a translator, and nothing else (no
database, no Telegram calls), so they read the same in a test as in a chat."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot import config
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Member
from bot.services import members
from bot.vocab import (
    ABROAD,
    ABROAD_LABEL,
    GENDERS,
    LANGUAGE_NAMES,
    PROFILE_STEPS,
    PROVINCES,
    STAKEHOLDERS,
    Step,
    province_label,
)
import handlers.registration.callbacks as cb
from handlers.ui.common import button, keyboard, pairs
from handlers.ui.fields import FIELD_LABELS, field_value

PROVINCES_PER_PAGE = 10
# Members see dates in the configured TIMEZONE; events carry their own zone.
DEFAULT_ZONE = config.LOCAL_ZONE


GREETING = N_("Welcome to Sahakor, the network's assistant. Please choose your language.")


def language_screen() -> tuple[str, object]:
    """The first screen, in both languages, since we don't know the member's yet."""
    text = "\n\n".join(translator(code)(GREETING) for code in LANGUAGES)
    return text, keyboard([[button(LANGUAGE_NAMES[code], cb.LANGUAGE.data(code)) for code in LANGUAGES]])


def consent_screen(_: Translator) -> tuple[str, object]:
    text = _(
        "<b>Before we start</b>\n"
        "To register you, Sahakor stores your name, gender, stakeholder type, organisation, province "
        "and, if you choose to share it, your phone number.\n\n"
        "Only the network's coordinators can see these details; other members never see them.\n\n"
        "You can see and correct them at any time with /profile, and delete them with /delete.\n\n"
        "Do you agree?"
    )
    return text, keyboard([[button(_("Yes, I agree"), cb.CONSENT.data("yes")), button(_("No, thanks"), cb.CONSENT.data("no"))]])


def _keep_row(member: Member, _: Translator) -> list:
    return [button(_("Keep as it is"), cb.KEEP.data())] if member.editing else []


def name_screen(member: Member, _: Translator, suggestion: str | None) -> tuple[str, object]:
    if suggestion:
        text = _("What is your name? Type it, or press the button to use the name on your Telegram profile.")
        rows = [[button(_("Use “{name}”").format(name=suggestion), cb.ANSWER.data("name", "profile"))]]
    else:
        text = _("What is your name? Please type it.")
        rows = []
    return text, keyboard([*rows, _keep_row(member, _)])


def gender_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("What is your gender? Coordinators only use it for counts, such as “41 attendees including 10 women”.")
    return text, keyboard([*pairs([button(_(label), cb.ANSWER.data("gender", code)) for code, label in GENDERS.items()]),
                           _keep_row(member, _)])


def stakeholder_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("Which of these describes you best?")
    rows = [[button(_(label), cb.ANSWER.data("stake", code))] for code, label in STAKEHOLDERS.items()]
    return text, keyboard([*rows, _keep_row(member, _)])


def organisation_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("Which organisation, farmer group or cooperative are you part of? Type its name, or skip.")
    skip = _("Remove my organisation") if member.editing else _("Skip")
    return text, keyboard([[button(skip, cb.ANSWER.data("org", "skip"))], _keep_row(member, _)])


def province_screen(member: Member, _: Translator, page: int = 0) -> tuple[str, object]:
    codes = sorted(PROVINCES, key=lambda c: province_label(c, _.language, _))
    pages = max(1, -(-len(codes) // PROVINCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = codes[page * PROVINCES_PER_PAGE:(page + 1) * PROVINCES_PER_PAGE]
    rows = pairs([button(province_label(code, _.language, _), cb.ANSWER.data("prov", code)) for code in shown])
    nav = []
    if page > 0:
        nav.append(button("◀ " + _("Previous"), cb.PROVINCE_PAGE.data(page - 1)))
    if page < pages - 1:
        nav.append(button(_("More") + " ▶", cb.PROVINCE_PAGE.data(page + 1)))
    rows.append(nav)
    rows.append([button(_(ABROAD_LABEL), cb.ANSWER.data("prov", ABROAD))])
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


def profile_lines(member: Member, _: Translator) -> str:
    lines = [f"<b>{_(FIELD_LABELS[step])}:</b> {field_value(member, step, _)}" for step in PROFILE_STEPS]
    lines.append(f"<b>{_('Language')}:</b> {LANGUAGE_NAMES[member.language]}")
    return "\n".join(lines)


def edit_buttons(_: Translator) -> list[list]:
    return pairs([button("✏️ " + _(FIELD_LABELS[step]), cb.EDIT.data(step.value)) for step in PROFILE_STEPS])


def summary_screen(member: Member, _: Translator) -> tuple[str, object]:
    text = _("Please check your details:") + "\n\n" + profile_lines(member, _) + "\n\n" + _(
        "Tap a field to correct it, or confirm.")
    return text, keyboard([*edit_buttons(_), [button("✅ " + _("Confirm"), cb.CONFIRM.data())]])


def profile_screen(member: Member, _: Translator) -> tuple[str, object]:
    status = _("You receive announcements.") if member.receives_announcements else _(
        "You have paused announcements. Send /start to receive them again.")
    since = _("Member since {date}.").format(date=_.date(member.registered_at, DEFAULT_ZONE)) if member.registered_at else ""
    text = _("<b>Your profile</b>") + "\n\n" + profile_lines(member, _) + "\n\n" + "\n".join(filter(None, [since, status]))
    rows = [*edit_buttons(_), [button("🌐 " + _("Language"), cb.LANGUAGE_MENU.data()),
             button("🗑 " + _("Delete my data"), cb.DELETE.data())]]
    return text, keyboard(rows)


def delete_screen(_: Translator) -> tuple[str, object]:
    """The question before a member's data is deleted for good."""
    text = _("Delete all your data? Your name, gender, stakeholder type, organisation, province and phone "
             "number will be removed, and you will no longer be a member. This cannot be undone.")
    return text, keyboard([[button(_("Yes, delete my data"), cb.DELETE_ANSWER.data("yes")),
                           button(_("No, keep it"), cb.DELETE_ANSWER.data("no"))]])


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


# The screens that need no more than the member (the province list opens at its first page).
_SCREENS = {
    Step.GENDER: gender_screen,
    Step.STAKEHOLDER: stakeholder_screen,
    Step.ORGANISATION: organisation_screen,
    Step.PROVINCE: province_screen,
    Step.PHONE: phone_screen,
    Step.SUMMARY: summary_screen,
}


def question_screen(member: Member, _: Translator, suggestion: str | None = None) -> tuple[str, object]:
    """The screen for the question the member is on; `suggestion` is the name offered on the name question."""
    step = Step(member.step) if member.step else None
    if step == Step.LANGUAGE:
        return language_screen()
    if step == Step.CONSENT:
        return consent_screen(_)
    if step == Step.NAME:
        return name_screen(member, _, suggestion)
    return _SCREENS.get(step, profile_screen)(member, _)


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
