"""Policy briefs: a coordinator uploads a finished brief with a title and summary in each language and
pushes it to an audience at a chosen time; members get it again with /briefs and react with one tap."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.delivery import render_markup
from bot.models import Draft
from bot.models.briefs import Brief
from bot.services import briefs, coordinators, drafts, members
from bot.services.audience import Audience
from bot.services.briefs import InvalidBrief
from bot.text import esc
from handlers.ui import drafts as draft_input
from handlers.ui.audience_picker import pattern
from handlers.ui.composer import press_audience, show_audience, typed_send_time
from handlers.ui.common import answer_stale, button, keyboard, load_member, reply, require_coordinator, show, tr

KIND = "brief"
QUESTION = "brief_question"
HEADING = N_("Who should receive the brief?")
PICKER = "br:aud"
# The questions of the composer, in order, with the key each answer is stored under.
STEPS = ("file", "title_en", "title_km", "summary_en", "summary_km")


def title(brief: Brief, language: str) -> str:
    return (brief.title_km if language == "km" else brief.title_en) or brief.title_en


def caption(data: dict, language: str) -> str:
    """The brief's caption in one language: bold title, then the summary (user text escaped)."""
    heading = data.get(f"title_{language}") or data["title_en"]
    summary = data.get(f"summary_{language}") or data.get("summary_en", "")
    return f"<b>{esc(heading)}</b>" + (f"\n\n{esc(summary)}" if summary else "")


def content(brief_id: int, data: dict) -> dict[str, dict]:
    """The brief for the outbox, in every language, with the two reaction buttons."""
    result = {}
    for language in LANGUAGES:
        _ = translator(language)
        result[language] = {
            "document": data["file_id"], "text": caption(data, language),
            "buttons": [[["👍 " + _("Useful"), f"br:useful:{brief_id}"],
                         ["❓ " + _("I have a question"), f"br:ask:{brief_id}"]]],
        }
    return result


def _prompt(step: str, _: Translator) -> tuple[str, object]:
    cancel = [button(_("Cancel"), "br:discard")]
    prompts = {
        "file": (_("Send the finished brief as a PDF or DOCX document."), [cancel]),
        "title_en": (_("Type the brief's title in English."), [cancel]),
        "title_km": (_("Type the brief's title in Khmer."), [[button(_("Use the English title"), "br:same")], cancel]),
        "summary_en": (_("Type a short summary in English (a few sentences)."), [cancel]),
        "summary_km": (_("Type the summary in Khmer."), [[button(_("Use the English summary"), "br:same")], cancel]),
    }
    text, rows = prompts[step]
    return text, keyboard(rows)


REASONS = {
    "file_type": N_("Please send a PDF or DOCX file."),
    "file_size": N_("That file is too large: at most 20 MB."),
    "empty": N_("That was empty. Please type some text."),
    "too_long": N_("That is too long. Please keep it under {limit} characters."),
}


async def start(update: Update, context: AppContext) -> None:
    """Starts a new brief."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step="file", now=context.now())
    await reply(update, *_prompt("file", _))


def _value(step: str, update: Update) -> str:
    """Reads and checks the answer to one composer question; raises InvalidBrief."""
    message = update.message
    if step == "file":
        document = message.document
        if document is None:
            raise InvalidBrief("file_type")
        briefs.check_file(document.file_name, document.file_size)
        return document.file_id
    limit = briefs.TITLE_MAX if step.startswith("title") else briefs.SUMMARY_MAX
    return briefs.clean_text(message.text or "", limit, multiline=step.startswith("summary"))


@draft_input.on_input(KIND)
async def take_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the file, a title, a summary or the send time, one at a time."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    if draft.step == "when":
        await _take_time(update, context, _)
        return
    try:
        value = _value(draft.step, update)
    except InvalidBrief as exc:
        limit = briefs.TITLE_MAX if draft.step.startswith("title") else briefs.SUMMARY_MAX
        await reply(update, _(REASONS[exc.reason]).format(limit=_.number(limit)))
        return
    extra = {"file_name": update.message.document.file_name} if draft.step == "file" else {}
    await _store(update, context, draft.step, value, _, **extra)


async def _store(update: Update, context: AppContext, step: str, value: str, _: Translator, **extra) -> None:
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is None or draft.step != step:
            return
        following = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else None
        key = "file_id" if step == "file" else step
        drafts.advance(draft, step=following, now=context.now(), **{key: value}, **extra)
        if following is None:
            draft.data = {**draft.data, "audience": Audience().to_json()}
    if following is not None:
        await reply(update, *_prompt(following, _))
    else:
        await _show_picker(update, context, Audience(), _, new=True)


async def begin_with_file(update: Update, context: AppContext, _: Translator, data: dict, audience: Audience) -> None:
    """Starts a brief from a file the bot made (an event report) with its titles and summaries, at the audience
    step. `data` holds file_id, file_name, title_en, title_km, summary_en and summary_km."""
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step=None, now=context.now(),
                           data={**data, "audience": audience.to_json()})
    await _show_picker(update, context, audience, _, new=True)


async def same_as_english(update: Update, context: AppContext) -> None:
    """Uses the English title or summary for Khmer readers too."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step not in ("title_km", "summary_km"):
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    english = draft.data[draft.step.replace("_km", "_en")]
    await _store(update, context, draft.step, english, _)


async def _show_picker(update: Update, context: AppContext, audience: Audience, _: Translator, *,
                       view: str = "main", new: bool = False) -> None:
    await show_audience(update, context, audience, _, prefix=PICKER, heading=_(HEADING), view=view, new=new)


async def pick(update: Update, context: AppContext) -> None:
    """Chooses the audience; when done, shows the brief as members will get it, and when to send it."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    done = await press_audience(update, context, _, kind=KIND, prefix=PICKER, heading=_(HEADING))
    if done is None:
        return
    draft, sizes = done
    for language in LANGUAGES:
        if sizes.get(language):
            piece = content(0, draft.data)[language]
            await context.bot.send_document(update.effective_chat.id, piece["document"], caption=piece["text"],
                                            parse_mode=ParseMode.HTML)
    total = sum(sizes.values())
    rows = [[button("📤 " + _("Send now"), "br:send"), button("🕒 " + _("Schedule"), "br:later")],
            [button(_("Cancel"), "br:discard")]]
    await reply(update, _.ngettext("Send this brief to {count} member?", "Send this brief to {count} members?",
                                   total).format(count=_.number(total)), keyboard(rows))


async def ask_time(update: Update, context: AppContext) -> None:
    """Asks when the brief should go out."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step is None and "file_id" in draft.data
        if ok:
            drafts.advance(draft, step="when", now=context.now())
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("When should it be sent? Type the date and time, for example 13/12/2024 08:30."))


async def _take_time(update: Update, context: AppContext, _: Translator) -> None:
    when = await typed_send_time(update, context, _)
    if when is not None:
        await _push(update, context, _, when)


async def send_now(update: Update, context: AppContext) -> None:
    """Pushes the brief now."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await _push(update, context, _, None)


async def _push(update: Update, context: AppContext, _: Translator, when) -> None:
    """Stores the brief and queues it, in one transaction; a repeated press finds no draft."""
    now = context.now()
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ready = draft is not None and draft.step in (None, "when") and "file_id" in draft.data
        if ready:
            brief, count = await briefs.create(session, draft.data, content=None, created_by=update.effective_user.id,
                                               send_at=when or now, status_chat_id=update.effective_chat.id,
                                               status_language=_.language, now=now)
            await briefs.set_content(session, brief, content(brief.id, draft.data))
            await drafts.discard(session, update.effective_user.id, KIND)
    if not ready:
        if update.callback_query:
            await answer_stale(update, _)
        return
    if update.callback_query:
        await update.callback_query.answer()
    if when is None:
        # The worker posts the status message itself and edits it as it goes.
        text = _.ngettext("Sending the brief to {count} member…", "Sending the brief to {count} members…",
                          count).format(count=_.number(count))
        await (show(update, text) if update.callback_query else reply(update, text))
        context.services.delivery.wake()
    else:
        await reply(update, _.ngettext("The brief will be sent on {time} to {count} member.",
                                       "The brief will be sent on {time} to {count} members.", count).format(
            time=_.datetime(when, context.settings.tz), count=_.number(count)))


async def discard(update: Update, context: AppContext) -> None:
    """Throws the unfinished brief away."""
    if await require_coordinator(update, context) is not None:
        await draft_input.cancel_form(update, context, KIND,
                                      said=lambda _: _("The brief was discarded. Nothing was sent."))


async def list_briefs(update: Update, context: AppContext) -> None:
    """Members: recent briefs to get again. Coordinators also see how members reacted."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if member is None or member.registered_at is None:
        await reply(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        recent = await briefs.sent(session, context.now())
        coordinator = await coordinators.is_coordinator(session, member.telegram_id, context.settings.coordinator_ids)
        reactions = {b.id: await briefs.reactions(session, b.id) for b in recent} if coordinator else {}
    if not recent:
        await reply(update, _("No briefs have been shared yet."))
        return
    lines = ["<b>" + _("Recent briefs") + "</b>"]
    rows = []
    for brief in recent:
        day = _.date(brief.send_at, context.settings.tz, "medium")
        line = f"• {esc(title(brief, _.language))} ({day})"
        if coordinator:
            counts, questions = reactions[brief.id]
            line += " — " + _("useful: {useful} · questions: {questions}").format(
                useful=_.number(counts["useful"]), questions=_.number(len(questions)))
            if questions:
                rows.append([button("❓ " + title(brief, _.language)[:40], f"br:questions:{brief.id}")])
        lines.append(line)
        rows.append([button("📄 " + title(brief, _.language)[:50], f"br:get:{brief.id}")])
    await reply(update, "\n".join(lines), keyboard(rows))


async def get_again(update: Update, context: AppContext) -> None:
    """Sends a brief again, with its summary in the member's language."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    async with context.services.db.session() as session:
        brief = await briefs.get(session, int(context.match.group(1)))
        available = brief is not None and brief in await briefs.sent(session, context.now(), limit=50)
    if member is None or member.registered_at is None or not available:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    data = {"file_id": brief.file_id, "title_en": brief.title_en, "title_km": brief.title_km,
            "summary_en": brief.summary_en, "summary_km": brief.summary_km}
    piece = content(brief.id, data)[member.language]
    await context.bot.send_document(update.effective_chat.id, piece["document"], caption=piece["text"],
                                    parse_mode=ParseMode.HTML, reply_markup=_markup(piece))


def _markup(piece: dict):
    return render_markup(piece["buttons"])


async def _reacting_member(update: Update, context: AppContext):
    member = await load_member(context, update.effective_user.id)
    async with context.services.db.session() as session:
        brief = await briefs.get(session, int(context.match.group(1)))
    return member, brief


async def useful(update: Update, context: AppContext) -> None:
    """Records a one-tap 'useful'."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        brief = await briefs.get(session, int(context.match.group(1)))
        ok = member is not None and member.registered_at is not None and brief is not None
        new = ok and await briefs.react_useful(session, brief, member, context.now())
    _ = tr(member, update)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Thank you for your feedback!") if new else _("You already said so. Thank you!"))


async def ask(update: Update, context: AppContext) -> None:
    """Asks the member to type their question about the brief."""
    member, brief = await _reacting_member(update, context)
    _ = tr(member, update)
    if member is None or member.registered_at is None or brief is None:
        await answer_stale(update, _)
        return
    async with context.unit_of_work() as session:
        await drafts.begin(session, member.telegram_id, QUESTION, step="question", data={"brief_id": brief.id},
                           now=context.now())
    await update.callback_query.answer()
    await reply(update, _("Please type your question about “{title}”. The coordinators will read it.").format(
        title=esc(title(brief, member.language))))


@draft_input.on_input(QUESTION)
async def take_question(update: Update, context: AppContext, draft: Draft) -> None:
    """Stores a member's question about a brief."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        brief = await briefs.get(session, draft.data.get("brief_id", 0))
        error = None
        try:
            if brief is None or update.message.text is None:
                raise InvalidBrief("empty")
            await briefs.ask(session, brief, member, update.message.text, context.now())
            await drafts.discard(session, member.telegram_id, QUESTION)
        except InvalidBrief as exc:
            error = exc.reason
    _ = tr(member, update)
    if error:
        await reply(update, _(REASONS[error]).format(limit=_.number(briefs.QUESTION_MAX)))
        return
    await reply(update, _("Thank you! Your question was sent to the coordinators."))


async def show_questions(update: Update, context: AppContext) -> None:
    """Shows coordinators the questions members asked about a brief."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        brief = await briefs.get(session, int(context.match.group(1)))
        questions = (await briefs.reactions(session, brief.id))[1] if brief else []
    if brief is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    lines = ["<b>" + esc(title(brief, _.language)) + "</b>"]
    for q in questions[-30:]:
        who = esc(q.member_name) + (f" ({esc(q.organisation)})" if q.organisation else "")
        lines.append(f"\n{who}, {_.datetime(q.asked_at, context.settings.tz, 'short')}:\n{esc(q.text)}")
    await reply(update, "\n".join(lines)[:4000])


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newbrief", start, filters=private))
    app.add_handler(CommandHandler("briefs", list_briefs, filters=private))
    app.add_handler(CallbackQueryHandler(same_as_english, pattern=r"^br:same$"))
    app.add_handler(CallbackQueryHandler(pick, pattern=pattern(PICKER)))
    app.add_handler(CallbackQueryHandler(ask_time, pattern=r"^br:later$"))
    app.add_handler(CallbackQueryHandler(send_now, pattern=r"^br:send$"))
    app.add_handler(CallbackQueryHandler(discard, pattern=r"^br:discard$"))
    app.add_handler(CallbackQueryHandler(get_again, pattern=r"^br:get:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(useful, pattern=r"^br:useful:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(ask, pattern=r"^br:ask:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(show_questions, pattern=r"^br:questions:(\d{1,9})$"))
