"""The coordinator's view of a mass send: one status message, edited in place, then the delivery report."""

from __future__ import annotations

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.db import Database
from bot.delivery import Call
from bot.i18n import Translator, translator
from bot.services import broadcasts
from bot.services.outbox import BLOCKED, CANCELLED, FAILED, SENT, Progress
from bot.text import esc

BAR_WIDTH = 12


def progress_bar(fraction: float) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * BAR_WIDTH)
    return "▓" * filled + "░" * (BAR_WIDTH - filled)


def render(progress: Progress, _: Translator, *, final: bool) -> str:
    """The status text: a progress bar while sending; delivered, blocked and failed with reasons at the end."""
    total = max(progress.total, 1)
    if not final:
        return "\n".join([
            _("Sending… {done} of {total}").format(done=_.number(progress.done), total=_.number(progress.total)),
            f"{progress_bar(progress.done / total)} {_.percent(progress.done / total)}",
        ])
    lines = [
        "<b>" + _("Delivery report") + "</b>",
        _("Delivered: {count}").format(count=_.number(progress.by_status[SENT])),
        _("Blocked the bot or left Telegram: {count}").format(count=_.number(progress.by_status[BLOCKED])),
        _("Failed: {count}").format(count=_.number(progress.by_status[FAILED])),
    ]
    if progress.by_status[CANCELLED]:
        lines.append(_("Cancelled before sending: {count}").format(count=_.number(progress.by_status[CANCELLED])))
    for reason, count in progress.errors.most_common(5):
        lines.append(f"• {esc(reason)} ({_.number(count)})")
    return "\n".join(lines)


def make_progress_hook(db: Database, bot: Bot):
    """Builds the worker's progress callback: it edits the coordinator's status message at most every few seconds.

    Every request goes through the worker's `call`, so it is paced with the mass sends and retried: a 429
    delays the delivery report, never drops it.
    """

    async def report(delivery_id: int, final: bool, call: Call) -> None:
        async with db.session() as session:
            watched = await broadcasts.status(session, delivery_id)
        if watched is None:
            return
        delivery, progress = watched
        text = render(progress, translator(delivery.status_language), final=final)
        if delivery.status_message_id is not None:
            try:
                await call(lambda: bot.edit_message_text(text, chat_id=delivery.status_chat_id,
                                                         message_id=delivery.status_message_id,
                                                         parse_mode=ParseMode.HTML))
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
        message = await call(lambda: bot.send_message(delivery.status_chat_id, text, parse_mode=ParseMode.HTML))
        async with db.session() as session:
            await broadcasts.keep_status_message(session, delivery_id, message.message_id)

    return report
