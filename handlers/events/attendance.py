"""The attendance report: counts with breakdowns, the sentence donors expect, the attendee list and a chart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import event_text, exports, posters
from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.services import attendance
from bot.services.attendance import Attendee, Report
from bot.text import esc
from bot.vocab import GENDERS, RSVP_ANSWERS, STAKEHOLDERS, Step, province_label
from handlers.ui.common import answer_stale, coordinator_only, reply
from handlers.ui.tallies import NONE, counted, donor_sentence, share
import handlers.events.callbacks as on
from handlers.events.checkin_screens import event_choice
from handlers.ui.fields import FIELD_LABELS

MESSAGE_LIMIT = 4000
DIMENSIONS = (
    ("gender", N_("By gender")),
    ("stakeholder", N_("By stakeholder type")),
    ("province", N_("By province")),
)
METHODS = {"qr": N_("QR code"), "manual": N_("Checked in by a coordinator"), "walkin": N_("Walk-in")}
WAITLISTED = N_("Waitlisted")


def group_label(dimension: str, key: str | None, _: Translator) -> str:
    """A breakdown group as the coordinator reads it; a dash where it is unknown (a walk-in's province)."""
    if dimension == "gender":
        return _(GENDERS[key]) if key in GENDERS else NONE
    if dimension == "stakeholder":
        return _(STAKEHOLDERS[key]) if key in STAKEHOLDERS else NONE
    return province_label(key, _.language, _) or NONE


def group_keys(report: Report, dimension: str, _: Translator) -> list[str | None]:
    """Every group seen in any count, in the order of the choices (provinces by name), unknown last."""
    tallies = (report.invited, report.going, report.maybe, report.no, report.waitlisted, report.checked_in)
    seen = {key for tally in tallies for key, n in tally.by(dimension).items() if n}
    order = {"gender": list(GENDERS), "stakeholder": list(STAKEHOLDERS)}.get(dimension)
    if order is None:
        order = sorted((k for k in seen if k), key=lambda k: group_label(dimension, k, _))
    known = [k for k in order if k in seen]
    return known + [k for k in seen if k not in known]


def rate_text(showed_up: int, going: int, _: Translator) -> str:
    rate = Report.rate(showed_up, going)
    return NONE if rate is None else _.percent(rate)


def summary_text(report: Report, _: Translator) -> str:
    event = report.event
    members_in = report.checked_in.total - report.walkins
    if report.going.total:
        show_up = _("Show-up rate: {rate} ({came} of the {going} who said Going)").format(
            rate=rate_text(report.showed_up.total, report.going.total, _), came=_.number(report.showed_up.total),
            going=_.number(report.going.total))
    else:
        show_up = _("Show-up rate: — (no one said Going)")
    others = [code for code in LANGUAGES if code != _.language]
    sentences = [donor_sentence(report.checked_in.total, report.women, translator(code))
                 for code in [_.language, *others]]
    return "\n".join([
        "<b>" + _("Attendance report") + "</b>",
        f"<b>{esc(event_text.title(event, _.language))}</b>",
        "🗓 " + event_text.when(event, _),
        "",
        _("Invited: {count}").format(count=_.number(report.invited.total)),
        _("Going: {going} · Maybe: {maybe} · Can't go: {no} · Waitlisted: {waitlisted}").format(
            going=_.number(report.going.total), maybe=_.number(report.maybe.total), no=_.number(report.no.total),
            waitlisted=_.number(report.waitlisted.total)),
        _("Checked in: {count} (members: {members}, walk-ins: {walkins})").format(
            count=_.number(report.checked_in.total), members=_.number(members_in), walkins=_.number(report.walkins)),
        show_up,
        "",
        "<b>" + _("For your reports:") + "</b>",
        *sentences,
    ])


def breakdown_lines(report: Report, dimension: str, heading: str, _: Translator) -> list[str]:
    lines = [f"<b>{_(heading)}</b>"]
    total = report.checked_in.total
    for key in group_keys(report, dimension, _):
        came = report.checked_in.by(dimension)[key]
        going = report.going.by(dimension)[key]
        lines.append(_(
            "{group}: invited {invited} · going {going} · maybe {maybe} · can't go {no} · waitlisted {waitlisted} · "
            "checked in {checked_in} ({share}) · show-up {rate}").format(
            group=f"<b>{esc(group_label(dimension, key, _))}</b>",
            invited=_.number(report.invited.by(dimension)[key]), going=_.number(going),
            maybe=_.number(report.maybe.by(dimension)[key]), no=_.number(report.no.by(dimension)[key]),
            waitlisted=_.number(report.waitlisted.by(dimension)[key]), checked_in=_.number(came),
            share=share(came, total, _),
            rate=rate_text(report.showed_up.by(dimension)[key], going, _)))
    return [*lines, ""]


def chunks(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Messages under Telegram's length limit, split between lines (each line's HTML is balanced)."""
    messages, current = [], ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = line
        current = candidate
    messages.append(current)
    return [message.strip() for message in messages if message.strip()]


def rsvp_label(attendee: Attendee, _: Translator) -> str:
    if attendee.waitlisted:
        return _(WAITLISTED)
    return _(RSVP_ANSWERS[attendee.rsvp][1]) if attendee.rsvp in RSVP_ANSWERS else ""


def attendee_workbook(report: Report, _: Translator) -> bytes:
    """The attendee list: members and walk-ins, with the phone numbers coordinators may see."""
    tz = event_text.zone(report.event)
    headers = [_(FIELD_LABELS[step]) for step in FIELD_LABELS] + [_("RSVP answer"), _("Check-in method"),
                                                                  _("Checked in at")]
    rows = []
    for person in report.attendees:
        fields = {
            Step.NAME: person.name,
            Step.GENDER: group_label("gender", person.gender, _) if person.gender else "",
            Step.STAKEHOLDER: group_label("stakeholder", person.stakeholder, _) if person.stakeholder else "",
            Step.ORGANISATION: person.organisation or "",
            Step.PROVINCE: province_label(person.province, _.language, _),
            Step.PHONE: person.phone or "",
        }
        rows.append([fields[step] for step in FIELD_LABELS] + [
            rsvp_label(person, _), _(METHODS.get(person.method, person.method)),
            person.checked_in_at.astimezone(tz)])
    return exports.workbook(_("Attendees"), headers, rows)


def _bars(report: Report, dimension: str, _: Translator) -> list[posters.Bar]:
    total = report.checked_in.total
    counts = report.checked_in.by(dimension)
    keys = [k for k in group_keys(report, dimension, _) if counts[k]]
    return [posters.Bar(group_label(dimension, k, _), counts[k], counted(counts[k], total, _)) for k in keys]


def attendance_chart(report: Report, _: Translator) -> bytes:
    """Attendees by gender and by stakeholder type, labelled in the coordinator's language."""
    return posters.attendance_chart(
        title=event_text.title(report.event, _.language),
        subtitle=donor_sentence(report.checked_in.total, report.women, _),
        panels=[(_("Attendees by gender"), _bars(report, "gender", _)),
                (_("Attendees by stakeholder type"), _bars(report, "stakeholder", _))],
    )


@coordinator_only
async def choose_event(update: Update, context: AppContext, _: Translator) -> None:
    """Lists published events, latest first, for the coordinator to pick one."""
    async with context.services.db.session() as session:
        events = await attendance.events_for_report(session)
    await reply(update, *event_choice(events, on.ATTENDANCE, _, prompt=_("Choose the event for the attendance report:"),
                                      empty=_("There are no published events yet.")))


@coordinator_only
async def send_report(update: Update, context: AppContext, _: Translator) -> None:
    """Sends the counts and breakdowns, then the attendee list (XLSX) and a chart (PNG) as documents."""
    async with context.services.db.session() as session:
        report = await attendance.report(session, int(context.match.group(1)))
    if report is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    # The summary stands alone, so it can be forwarded as it is; the breakdowns follow.
    await reply(update, summary_text(report, _))
    lines = []
    for dimension, heading in DIMENSIONS:
        lines += breakdown_lines(report, dimension, heading, _)
    for text in chunks(lines):
        await reply(update, text)
    if not report.attendees:
        await reply(update, _("No one has checked in yet, so there is no attendee list or chart."))
        return
    await _send_files(update, report, _)


async def _send_files(update: Update, report: Report, _: Translator) -> None:
    stamp = report.event.starts_at.astimezone(event_text.zone(report.event)).strftime("%Y-%m-%d")
    name = f"attendance-{report.event.id}-{stamp}"
    workbook = await asyncio.to_thread(attendee_workbook, report, _)
    await update.effective_chat.send_document(InputFile(workbook, filename=f"{name}.xlsx"), caption=_("Attendee list"))
    chart = await asyncio.to_thread(attendance_chart, report, _)
    await update.effective_chat.send_document(InputFile(chart, filename=f"{name}.png"), caption=_("Attendance chart"))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", choose_event, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(send_report, pattern=on.ATTENDANCE.pattern))
