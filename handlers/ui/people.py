"""What the working-group and consultation screens share: a coordinator who can type, voice notes, people's
profiles and events as button labels.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.error import BadRequest

from bot import event_text
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Event, Member
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS, province_label
from handlers.ui.common import coordinator_only, load_member, reply

log = logging.getLogger(__name__)

PREVIEW_MAX = 150


def typing_coordinator_only(handler: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
    """Lets only a coordinator who can answer typed questions start a form (typed text reaches only registered
    people): anyone else is refused as by `coordinator_only`, an unregistered coordinator is asked to finish
    registering. The handler is called as `handler(update, context, member, _, *rest)`."""

    @coordinator_only
    async def checked(update: Update, context: AppContext, _: Translator, *rest):
        member = await load_member(context, update.effective_user.id)
        if member is None or member.registered_at is None or member.step is not None:
            if update.callback_query:
                await update.callback_query.answer()
            await reply(update, _("Please finish registering with /start first, so I can take your typed answers."))
            return None
        return await handler(update, context, member, _, *rest)

    return functools.wraps(handler)(checked)


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
