"""Coordinator commands: member counts and export, and managing coordinators.

Buttons: `coord:invite` creates an invitation link, `coord:remove:{telegram id}` takes the role back.
"""

from __future__ import annotations

from telegram import InputFile, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import exports
from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.models import Member
from bot.services import coordinators, members
from bot.services.members import Breakdown
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
from handlers.ui import deeplinks
from handlers.ui import menus
from handlers.ui.callbacks import Route
from handlers.ui.common import answer_stale, button, coordinator_only, keyboard, reply, show
from handlers.ui.fields import FIELD_LABELS, field_text

INVITE = Route("coord", "invite")
REMOVE = Route("coord", "remove", r"(\d{1,19})")


def _counts_line(_: Translator, counter, labels) -> str:
    return " · ".join(f"{labels(key)} {_.number(count)}" for key, count in counter.most_common())


def members_text(stats: Breakdown, _: Translator) -> str:
    """Member counts by gender, stakeholder type, province and language, and who cannot be reached."""
    return "\n".join([
        "<b>" + _.ngettext("{count} registered member", "{count} registered members", stats.total).format(
            count=_.number(stats.total)) + "</b>",
        "",
        "<b>" + _("By gender") + ":</b> " + _counts_line(_, stats.by_gender, lambda k: _(GENDERS.get(k, k))),
        "<b>" + _("By stakeholder type") + ":</b> " + _counts_line(
            _, stats.by_stakeholder, lambda k: _(STAKEHOLDERS.get(k, k))),
        "<b>" + _("By province") + ":</b> " + _counts_line(
            _, stats.by_province, lambda k: province_label(k, _.language, _) or "—"),
        "<b>" + _("By language") + ":</b> " + _counts_line(_, stats.by_language, lambda k: LANGUAGE_NAMES.get(k, k)),
        "",
        _("Paused announcements: {paused} · Unreachable (blocked the bot): {unreachable}").format(
            paused=_.number(stats.opted_out), unreachable=_.number(stats.unreachable)),
    ])


def members_workbook(rows: list[Member], _: Translator, tz) -> bytes:
    """The member list as a spreadsheet, one member a row."""
    headers = [_(FIELD_LABELS[step]) for step in FIELD_LABELS] + [
        _("Language"), _("Registered at"), _("Receives announcements"), _("Reachable"), _("Telegram ID")]
    table = [[*(field_text(m, step, _) for step in FIELD_LABELS), LANGUAGE_NAMES.get(m.language, m.language),
              m.registered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
              _("Yes") if m.receives_announcements else _("No"), _("Yes") if m.reachable else _("No"), m.telegram_id]
             for m in rows]
    return exports.workbook(_("Members"), headers, table)


@coordinator_only
async def show_members(update: Update, context: AppContext, _: Translator) -> None:
    """Sends member counts by gender, stakeholder type, province and language, and the list as XLSX."""
    async with context.services.db.session() as session:
        stats = await members.breakdown(session)
        rows = await members.registered(session)
    if stats.total == 0:
        await reply(update, _("No one has registered yet."))
        return
    await reply(update, members_text(stats, _))
    tz = context.settings.tz
    stamp = context.now().astimezone(tz).strftime("%Y-%m-%d")
    await update.effective_chat.send_document(InputFile(members_workbook(rows, _, tz), filename=f"members-{stamp}.xlsx"),
                                              caption=_("Member list"))


def coordinators_screen(listing: list[tuple[int, Member | None]], configured: frozenset[int], me_id: int,
                        _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The coordinators, with a button to remove each one added in the chat (not oneself), and one to invite."""
    lines = ["<b>" + _("Coordinators") + "</b>", ""]
    rows = []
    for telegram_id, member in listing:
        name = esc(member.name) if member and member.name else _("(not registered yet)")
        note = " — " + _("set in the bot's settings") if telegram_id in configured else ""
        lines.append(f"• {name} <code>{telegram_id}</code>{note}")
        if telegram_id not in configured and telegram_id != me_id:
            label = member.name if member and member.name else str(telegram_id)
            rows.append([button("✖ " + _("Remove {name}").format(name=label[:40]), REMOVE.data(telegram_id))])
    lines += ["", _("To add a coordinator, create an invitation link and send it to them.")]
    rows.append([button("➕ " + _("Create an invitation link"), INVITE.data())])
    return "\n".join(lines), keyboard(rows)


async def _coordinators(context: AppContext, me_id: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    configured = context.settings.coordinator_ids
    async with context.services.db.session() as session:
        listing = await coordinators.listing(session, configured)
    return coordinators_screen(listing, configured, me_id, _)


@coordinator_only
async def show_coordinators(update: Update, context: AppContext, _: Translator) -> None:
    """Lists coordinators with buttons to invite a new one or remove one."""
    await reply(update, *await _coordinators(context, update.effective_user.id, _))


@coordinator_only
async def invite(update: Update, context: AppContext, _: Translator) -> None:
    """Creates a single-use link that makes whoever opens it a coordinator."""
    async with context.unit_of_work() as session:
        payload = await coordinators.create_invite(session, created_by=update.effective_user.id, now=context.now())
    await update.callback_query.answer()
    link = f"https://t.me/{context.bot.username}?start={payload}"
    await reply(update, _("Send this link to the new coordinator. It works once, within 7 days:") + f"\n{esc(link)}")


@coordinator_only
async def remove(update: Update, context: AppContext, _: Translator) -> None:
    """Takes the coordinator role back from someone added in the chat."""
    telegram_id, = REMOVE.ints(context.match)
    if telegram_id == update.effective_user.id or telegram_id in context.settings.coordinator_ids:
        await answer_stale(update, _)
        return
    async with context.unit_of_work() as session:
        removed = await coordinators.remove(session, telegram_id)
        former = await members.get(session, telegram_id)
    if not removed:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Removed."))
    await menus.set_chat_menu(context.bot, telegram_id, former.language if former else "en", coordinator=False)
    await show(update, *await _coordinators(context, update.effective_user.id, _))


@deeplinks.on(coordinators.INVITE_PREFIX + r"[\w-]{8,40}")
async def redeem(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Makes the registered member who opened a valid invitation link a coordinator."""
    async with context.unit_of_work() as session:
        ok = await coordinators.redeem_invite(session, payload, telegram_id=member.telegram_id, now=context.now())
    _ = translator(member.language)
    if not ok:
        await reply(update, _("That invitation link is not valid: it was already used or has expired."))
        return
    await menus.set_chat_menu(context.bot, member.telegram_id, member.language, coordinator=True)
    await reply(update, _("You are now a coordinator. Send /help to see your commands."))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("members", show_members, filters=private))
    app.add_handler(CommandHandler("coordinators", show_coordinators, filters=private))
    app.add_handler(CallbackQueryHandler(invite, pattern=INVITE.pattern))
    app.add_handler(CallbackQueryHandler(remove, pattern=REMOVE.pattern))
