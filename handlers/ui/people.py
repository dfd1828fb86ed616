"""What the working-group and consultation screens share: a coordinator who can type, voice notes, people's
profiles, and the questions of a form that asks for one text in English and in Khmer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import event_text
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Event, Member
from bot.services import groups
from bot.services.groups import InvalidInput
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS, province_label
from handlers.common import button, coordinator_and_translator as require_coordinator, keyboard, reply

log = logging.getLogger(__name__)

PREVIEW_MAX = 150


async def require_typing_coordinator(update: Update, context: AppContext) -> tuple[Member, Translator] | None:
    """A coordinator who can answer typed questions (typed text reaches only registered people)."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return None
    member, _ = allowed
    if member is None or member.registered_at is None or member.step is not None:
        if update.callback_query:
            await update.callback_query.answer()
        await reply(update, _("Please finish registering with /start first, so I can take your typed answers."))
        return None
    return member, _


def invalid_text(error: InvalidInput, _: Translator) -> str:
    """Why typed or sent input was refused, in the person's language."""
    if error.reason == "too_long":
        return _("That is too long. Please keep it under {limit} characters.").format(limit=_.number(error.limit))
    if error.reason == "voice_too_long":
        return _("That voice note is longer than {minutes} minutes. Please record a shorter one.").format(
            minutes=_.number(error.limit // 60))
    if error.reason == "voice_too_big":
        return _("That voice note is larger than {size} MB. Please record a shorter one.").format(
            size=_.number(error.limit // (1024 * 1024)))
    if error.reason == "too_many":
        return _("That is too many themes. Please give at most {limit}.").format(limit=_.number(error.limit))
    if error.reason == "date":
        return _("I could not read that date. Please type it like 13/12/2024 17:00.")
    if error.reason == "past":
        return _("That time has already passed. Please give a later one.")
    if error.reason == "choice":
        return _("Please choose one of the buttons.")
    return _("That was empty. Please type some text.")


@dataclass(frozen=True)
class Voice:
    file_id: str
    seconds: int
    size: int | None


def voice_of(update: Update) -> Voice | None:
    """The voice note in a message, if it carries one."""
    voice = update.message.voice if update.message else None
    if voice is None:
        return None
    # Read from the raw object: the `duration` attribute is changing type across library versions.
    seconds = voice.to_dict().get("duration") or 0
    return Voice(voice.file_id, int(seconds), voice.file_size)


def duration(seconds: int | None) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def shorten(text: str, limit: int = PREVIEW_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def profile_parts(_: Translator, *, name: str | None, gender: str | None, stakeholder: str | None,
                  organisation: str | None, province: str | None = None, phone: str | None = None) -> str:
    """Name, gender, stakeholder type, organisation, province and phone on one line (escaped; phone for coordinators)."""
    parts = [f"<b>{esc(name or _('(no name)'))}</b>"]
    if gender in GENDERS:
        parts.append(_(GENDERS[gender]))
    if stakeholder in STAKEHOLDERS:
        parts.append(_(STAKEHOLDERS[stakeholder]))
    if organisation:
        parts.append(esc(organisation))
    if province:
        parts.append(esc(province_label(province, _.language, _)))
    if phone:
        parts.append("📞 " + esc(phone))
    return " · ".join(parts)


def member_summary(member: Member | None, _: Translator) -> str:
    if member is None:
        return _("(a member who deleted their data)")
    return profile_parts(_, name=member.name, gender=member.gender, stakeholder=member.stakeholder,
                         organisation=member.organisation, province=member.province, phone=member.phone)


def event_label(event: Event, _: Translator) -> str:
    """An event as a button label: its title and day."""
    day = _.date(event.starts_at, event_text.zone(event), "short")
    return shorten(f"{event_text.title(event, _.language)} · {day}", 60)


async def send_voice_note(context: AppContext, chat_id: int, file_id: str, caption: str) -> bool:
    """Sends a stored voice note to a coordinator; False if Telegram no longer has it."""
    try:
        await context.bot.send_voice(chat_id, file_id, caption=caption)
        return True
    except BadRequest as exc:
        log.info("voice note could not be sent: %s", exc)
        return False


@dataclass(frozen=True)
class Pair:
    """A text asked in English then in Khmer; either may be skipped and the other used for both."""

    field: str
    limit: int
    multiline: bool
    required: bool
    ask: str  # the question, with {limit}
    ask_km: str


def pair_for(pairs_: tuple[Pair, ...], step: str | None) -> Pair | None:
    for pair in pairs_:
        if step in (f"{pair.field}_en", f"{pair.field}_km"):
            return pair
    return None


def pair_screen(pair: Pair, step: str, data: dict, _: Translator, prefix: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one language of a pair, with skip / same-for-both / cancel buttons as they apply."""
    rows = []
    if step.endswith("_en"):
        text = _(pair.ask).format(limit=_.number(pair.limit))
        label = _("Skip English: I will write it in Khmer") if pair.required else _("Skip")
        rows.append([button(label, f"{prefix}:skip:{step}")])
    else:
        english = data.get(f"{pair.field}_en") or ""
        text = _(pair.ask_km).format(limit=_.number(pair.limit))
        if english:
            text = _("English: {text}").format(text=f"<b>{esc(shorten(english, 300))}</b>") + "\n\n" + text
            rows.append([button(_("Use the English for both"), f"{prefix}:same:{step}")])
        elif not pair.required:
            rows.append([button(_("Skip"), f"{prefix}:skip:{step}")])
    rows.append([button(_("Cancel"), f"{prefix}:cancel")])
    return text, keyboard(rows)


def pair_clean(pair: Pair, text: str | None) -> str:
    if pair.multiline:
        return groups.clean_text(text, pair.limit)
    return groups.clean_single_line(text, pair.limit)


def pair_next(step: str) -> str | None:
    """After the English comes the Khmer; after the Khmer, whatever the form asks next (None)."""
    return step[:-3] + "_km" if step.endswith("_en") else None


def pair_value(pair: Pair, step: str, data: dict, action: str) -> str | None:
    """The value a skip / same button stands for; None if that button does not apply at this step."""
    english = data.get(f"{pair.field}_en") or ""
    if action == "same" and step.endswith("_km") and english:
        return english
    if action == "skip" and step.endswith("_en"):
        return ""
    if action == "skip" and step.endswith("_km") and not english and not pair.required:
        return ""
    return None
