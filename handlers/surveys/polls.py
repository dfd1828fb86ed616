"""/poll: a coordinator sends a quick question as a native Telegram poll, in each member's language;
answers are counted from poll_answer updates; the coordinator sees the results and closes the poll.

Callback data: `pl:*` composing and closing, `rs:pl:<id>` / `rs:pc:<id>` results and chart.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, PollAnswerHandler, filters

from bot import charts
from bot.context import AppContext, Services
from bot.i18n import N_, Translator
from bot.models import Draft, Poll
from bot.services import drafts, polls
from bot.services.audience import Audience, size
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS
import handlers.surveys.callbacks as routes
from handlers.ui import drafts as draft_input
from handlers import system
from handlers.ui.audience_picker import describe, parse, pattern, picker_screen
from handlers.ui.common import answer_stale, button, keyboard, reply, require_coordinator, show

log = logging.getLogger("sahakor.polls")

KIND = "poll"
PICKER = "pl:aud"
STOP_JOB = "pl:stop"
INVALID = {
    "empty": N_("That was empty. Please type some text."),
    "lines": N_("Please write at most two lines: English, then Khmer."),
    "question_long": N_("The question is too long: Telegram allows at most {limit} characters."),
    "option_format": N_("Please write each option on its own line as: English | Khmer"),
    "option_long": N_("An option is too long: Telegram allows at most {limit} characters."),
    "option_count": N_("A poll needs between {low} and {high} options."),
    "option_repeated": N_("Two options are the same. Please make each one different."),
}


def question_of(poll: Poll, language: str) -> str:
    return poll.question_km if language == "km" else poll.question_en


def _invalid(reason: str, _: Translator) -> str:
    limit = polls.QUESTION_MAX if reason == "question_long" else polls.OPTION_MAX
    return _(INVALID[reason]).format(limit=_.number(limit), low=_.number(polls.OPTIONS_MIN),
                                     high=_.number(polls.OPTIONS_MAX))


def _cancel_row(_: Translator) -> list:
    return [button(_("Cancel"), routes.POLL_CANCEL.data())]


async def start(update: Update, context: AppContext) -> None:
    """Starts a quick poll: first the question."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step="question", now=context.now())
    await reply(update, _("Type the poll question: English on the first line, Khmer on the second (optional). "
                          "At most {limit} characters each.").format(limit=_.number(polls.QUESTION_MAX)),
                keyboard([_cancel_row(_)]))


@draft_input.on_input(KIND)
async def take_text(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the question, then the options; then shows who will get it."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    text = update.message.text
    if text is None:
        await reply(update, _("Please type text."))
        return
    try:
        value = polls.clean_question(text) if draft.step == "question" else polls.clean_options(text)
    except polls.InvalidPoll as exc:
        await reply(update, _invalid(exc.reason, _))
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft.step == "question":
            drafts.advance(draft, step="options", now=context.now(), question=value)
        else:
            drafts.advance(draft, step=None, now=context.now(), options=value, audience={})
            sizes = await size(session, Audience())
    if draft.step == "options":
        await reply(update, _("Type the options, one per line, as: English | Khmer (the Khmer part is optional). "
                              "Between {low} and {high} options of at most {limit} characters.").format(
            low=_.number(polls.OPTIONS_MIN), high=_.number(polls.OPTIONS_MAX), limit=_.number(polls.OPTION_MAX)),
            keyboard([_cancel_row(_)]))
    else:
        await reply(update, *picker_screen(Audience(), _, PICKER, sizes, heading=_("Who should receive the poll?")))


def preview(data: dict, audience: Audience, members: int, _: Translator) -> tuple[str, object]:
    lines = []
    for language in ("en", "km"):
        lines.append(f"📊 <b>{esc(data['question'][language])}</b>")
        lines += [f"• {esc(option[language])}" for option in data["options"]]
        lines.append("")
    lines.append("👥 " + esc(describe(audience, _)) + " · " + _.ngettext(
        "{count} member", "{count} members", members).format(count=_.number(members)))
    return "\n".join(lines), keyboard([[button("📤 " + _("Send the poll"), routes.POLL_SEND.data())], _cancel_row(_)])


async def pick_audience(update: Update, context: AppContext) -> None:
    """Toggles the poll's audience; Done shows the preview."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ready = draft is not None and "options" in draft.data and draft.step is None
        choice = parse(PICKER, update.callback_query.data, Audience.from_json(draft.data.get("audience"))) \
            if ready else None
        if choice is not None:
            drafts.advance(draft, step=None, now=context.now(), audience=choice.audience.to_json())
            sizes = await size(session, choice.audience)
            data = dict(draft.data)
    if choice is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if not choice.done:
        await show(update, *picker_screen(choice.audience, _, PICKER, sizes, view=choice.view,
                                          heading=_("Who should receive the poll?")))
    elif sum(sizes.values()) == 0:
        await show(update, _("No member matches this audience. Please choose another one."))
        await reply(update, *picker_screen(choice.audience, _, PICKER, sizes, heading=_("Who should receive the poll?")))
    else:
        await show(update, *preview(data, choice.audience, sum(sizes.values()), _))


async def send(update: Update, context: AppContext) -> None:
    """Sends the poll through the outbox: one native poll per member, in their language."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        poll = None
        if draft is not None and draft.step is None and "options" in draft.data:
            poll = await polls.create(session, question=draft.data["question"], options=draft.data["options"],
                                      audience=Audience.from_json(draft.data.get("audience")),
                                      created_by=update.effective_user.id, now=context.now(),
                                      status_chat_id=update.effective_chat.id, status_language=_.language)
            await drafts.discard(session, update.effective_user.id, KIND)
    if poll is None:
        await answer_stale(update, _)
        return
    context.services.delivery.wake()
    await update.callback_query.answer()
    await show(update, _("📤 The poll is on its way. See the answers with /results."))


async def cancel(update: Update, context: AppContext) -> None:
    """Drops the poll being composed."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, KIND)
    await update.callback_query.answer()
    await show(update, _("Cancelled. Nothing was sent."))


async def on_poll_answer(update: Update, context: AppContext) -> None:
    """Counts a member's vote on the poll message sent to them (votes from anyone else are ignored)."""
    answer = update.poll_answer
    if answer.user is None:
        return
    async with context.unit_of_work() as session:
        outcome = await polls.vote(session, telegram_poll_id=answer.poll_id, user_id=answer.user.id,
                                   option_ids=list(answer.option_ids), now=context.now())
    if outcome is polls.Vote.IGNORED:
        log.info("poll answer to %s from user %s ignored", answer.poll_id, answer.user.id)


# ---------------------------------------------------------------- results and closing


def _label(kind: str, key: str, _: Translator) -> str:
    labels = GENDERS if kind == "gender" else STAKEHOLDERS
    return _(labels[key]) if key in labels else _("Not given")


def results_text(outcome: polls.PollResults, _: Translator) -> str:
    """Votes per option with percentages, the response rate, and the breakdown by gender and stakeholder type."""
    poll = outcome.poll
    status = _("Open") if poll.status == polls.OPEN else _("Closed")
    rate = _.percent(outcome.rate) if outcome.rate is not None else "—"
    lines = [f"📊 <b>{esc(question_of(poll, _.language))}</b>", _("Status: {status}").format(status=status),
             _("Sent to {sent} · {voters} answered ({rate})").format(
                 sent=_.number(outcome.sent), voters=_.number(outcome.voters), rate=rate), ""]
    for index, option in enumerate(poll.options):
        count = outcome.counts[index]
        share = _.percent(count / outcome.voters) if outcome.voters else "—"
        lines.append(f"• {esc(option[_.language])} — {_.number(count)} ({share})")
    for kind, groups, voters, heading in (
            ("gender", outcome.by_gender, outcome.voters_by_gender, _("By gender")),
            ("stakeholder", outcome.by_stakeholder, outcome.voters_by_stakeholder, _("By stakeholder type"))):
        if not groups:
            continue
        lines += ["", f"<i>{heading}</i>"]
        for key, counts in sorted(groups.items(), key=lambda kv: -voters[kv[0]]):
            parts = " · ".join(f"{esc(poll.options[i][_.language])} {_.number(counts[i])}"
                               for i in range(len(poll.options)) if counts[i])
            lines.append(f"{esc(_label(kind, key, _))} ({_.number(voters[key])}): {parts}")
    return "\n".join(lines)


async def show_results(update: Update, context: AppContext) -> None:
    """Shows a poll's results with buttons for the chart and for closing it."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        poll = await polls.get(session, int(context.match.group(1)))
        outcome = await polls.results(session, poll) if poll else None
    if outcome is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    rows = [[button("📊 " + _("Chart"), routes.POLL_CHART.data(poll.id))]]
    if poll.status == polls.OPEN:
        rows.append([button("🔒 " + _("Close the poll"), routes.POLL_CLOSE.data(poll.id))])
    await reply(update, results_text(outcome, _), keyboard(rows))


def chart(outcome: polls.PollResults, _: Translator) -> bytes:
    poll = outcome.poll

    def bars(counts, total) -> list[charts.Bar]:
        return [charts.Bar(option[_.language], counts[i],
                            f"{_.number(counts[i])} ({_.percent(counts[i] / total) if total else '—'})")
                for i, option in enumerate(poll.options)]

    panels = [(_("All answers ({count})").format(count=_.number(outcome.voters)), bars(outcome.counts, outcome.voters))]
    for gender in ("woman", "man"):
        if outcome.voters_by_gender[gender]:
            panels.append((_("{group} ({count})").format(group=_(GENDERS[gender]),
                                                         count=_.number(outcome.voters_by_gender[gender])),
                           bars(outcome.by_gender[gender], outcome.voters_by_gender[gender])))
    return charts.bar_chart(title=question_of(poll, _.language), subtitle=_("Quick poll"), panels=panels)


async def send_chart(update: Update, context: AppContext) -> None:
    """Sends the poll's results as a bar chart, labels in the coordinator's language."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        poll = await polls.get(session, int(context.match.group(1)))
        outcome = await polls.results(session, poll) if poll else None
    if outcome is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    image = await asyncio.to_thread(chart, outcome, _)
    await update.effective_chat.send_photo(InputFile(image, filename=f"poll-{poll.id}.png"),
                                           caption=esc(question_of(poll, _.language)))


async def close(update: Update, context: AppContext) -> None:
    """Closes the poll: answers stop counting, and every poll message is closed in Telegram."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        poll = await polls.close(session, int(context.match.group(1)), context.now())
    if poll is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("The poll is closed."))
    schedule_stops(context.application)
    await reply(update, _("🔒 The poll is closed; its messages are being closed in Telegram. "
                          "Later answers are not counted."))


def _services(application: Application) -> Services:
    return application.bot_data["services"]


def schedule_stops(application: Application) -> None:
    """Closes the poll messages of closed polls in the background (one API call each)."""
    if application.job_queue is None or application.job_queue.get_jobs_by_name(STOP_JOB):
        return
    application.job_queue.run_once(_stop_job, when=0, name=STOP_JOB)


async def _stop_job(context: AppContext) -> None:
    await stop_messages(context.application)


async def stop_messages(application: Application) -> int:
    """Calls stopPoll on every poll message of a closed poll that is still open; returns how many were handled."""
    services = _services(application)
    handled = 0
    while True:
        async with services.db.session() as session:
            batch = await polls.to_stop(session)
        if not batch:
            return handled
        for message in batch:
            try:
                await application.bot.stop_poll(message.chat_id, message.message_id)
            except (BadRequest, Forbidden) as exc:
                # Already closed, deleted, or the member blocked the bot: nothing left to close.
                log.info("poll message %s not stopped: %s", message.id, exc)
        async with services.db.session() as session:
            await polls.mark_stopped(session, [m.id for m in batch], services.clock.now())
        handled += len(batch)


@system.on_start
async def resume_stops(application: Application) -> None:
    """At start-up: poll messages left open by a restart are closed."""
    schedule_stops(application)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("poll", start, filters=private))
    app.add_handler(CallbackQueryHandler(pick_audience, pattern=pattern(PICKER)))
    app.add_handlers(routes.on_press((routes.POLL_SEND, send), (routes.POLL_CANCEL, cancel),
                                     (routes.POLL_CLOSE, close), (routes.POLL_RESULTS, show_results),
                                     (routes.POLL_CHART, send_chart)))
    app.add_handler(PollAnswerHandler(on_poll_answer))
