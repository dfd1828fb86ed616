"""/newbrief: a coordinator uploads a finished brief with a title and summary in each language and pushes it to
an audience, now or at a chosen time (members' reading and reactions: reactions.py)."""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator
from bot.models import Draft
from bot.services import briefs, drafts
from bot.services.audience import Audience
from bot.services.briefs import BriefForm, InvalidBrief
import handlers.outreach.callbacks as cb
from handlers.outreach.forms import BriefAnswers
import handlers.outreach.screens as screens
from handlers.ui import drafts as draft_input
from handlers.ui import schedule
from handlers.ui.bilingual import invalid_text, pair_clean, pair_for, pair_next, pair_pressed, pair_start
from handlers.ui.common import coordinator_only, load_member, reply, tr
from handlers.ui.composer import composer

KIND = briefs.DRAFT_KIND
COMPOSER = composer(KIND, cb.BRIEF_PICKER, N_("Who should receive the brief?"))
# The composer asks for the file, then the title and the summary in the coordinator's language and then the
# other (screens.BRIEF_PAIRS); each text is stored in the form field of the step's name.


def _complete(draft: Draft) -> bool:
    return bool(drafts.read(draft, BriefForm).file_id)


async def _queue(session: AsyncSession, draft: Draft, order: schedule.Order) -> int:
    answers = drafts.read(draft, BriefForm)
    brief, count = await briefs.create(session, answers, sender=order.sender, send_at=order.send_at, now=order.now)
    await briefs.set_content(session, brief, screens.brief_content(brief.id, answers))
    return count


SENDING = schedule.Sending(kind=KIND, send=cb.BRIEF_SEND, later=cb.BRIEF_LATER, complete=_complete, queue=_queue,
                           sending=screens.brief_sending, scheduled=screens.brief_scheduled)


@coordinator_only
async def start(update: Update, context: AppContext, _: Translator) -> None:
    """Starts a new brief: the file, then its title and summary in the coordinator's language and the other."""
    answers = BriefAnswers(first=_.language)
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step="file", data=asdict(answers),
                           now=context.now())
    await reply(update, *screens.brief_prompt("file", answers, _))


def _answer(step: str, update: Update, answers: BriefAnswers) -> BriefAnswers:
    """The form with the answer to one composer question; raises InvalidBrief."""
    message = update.message
    if step == "file":
        document = message.document
        if document is None:
            raise InvalidBrief("file_type")
        briefs.check_file(document.file_name, document.file_size)
        return replace(answers, file_id=document.file_id, file_name=document.file_name)
    return replace(answers, **{step: pair_clean(pair_for(screens.BRIEF_PAIRS, step), message.text)})


@SENDING.takes_input
async def take_input(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes the file, a title, a summary or the send time, one at a time."""
    try:
        answered = _answer(draft.step, update, BriefAnswers())
    except InvalidBrief as exc:
        refusal = screens.BRIEF_REFUSALS.get(exc.reason)
        await reply(update, _(refusal) if refusal else invalid_text(exc, _))
        return
    await _store(update, context, draft.step, answered, _)


def _following(step: str, answers: BriefAnswers) -> str | None:
    """The question after `step`: the title after the file, then the texts' second languages and the summary;
    None after the last (the audience comes next)."""
    if step == "file":
        return pair_start(screens.BRIEF_PAIRS[0], answers.first)
    return pair_next(screens.BRIEF_PAIRS, step, answers)


async def _store(update: Update, context: AppContext, step: str, answered: BriefAnswers, _: Translator) -> None:
    """Keeps the answer to `step` (the fields `answered` has for it) and asks the next question, or shows the
    audience picker after the last one."""
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is None or draft.step != step:
            return
        fields = ("file_id", "file_name") if step == "file" else (step,)
        answers = replace(drafts.read(draft, BriefAnswers), **{f: getattr(answered, f) for f in fields})
        following = _following(step, answers)
        if following is None:
            answers = replace(answers, audience=Audience().to_json())
        drafts.write(draft, answers, step=following, now=context.now())
    if following is not None:
        await reply(update, *screens.brief_prompt(following, answers, _))
    else:
        await COMPOSER.show_audience(update, context, Audience(), _, new=True)


async def _chosen(update: Update, context: AppContext, step: str, value: str) -> None:
    """A title or summary given for both languages with its button."""
    await update.callback_query.answer()
    _ = tr(await load_member(context, update.effective_user.id), update)
    await _store(update, context, step, replace(BriefAnswers(), **{step: value}), _)


same_for_both = pair_pressed(KIND, BriefAnswers, screens.BRIEF_PAIRS, _chosen)


@coordinator_only
async def pick(update: Update, context: AppContext, _: Translator) -> None:
    """Chooses the audience; when done, shows the brief as members will get it, and when to send it."""
    done = await COMPOSER.press(update, context, _)
    if done is None:
        return
    draft, sizes = done
    answers = drafts.read(draft, BriefForm)
    for language in LANGUAGES:
        if sizes.get(language):
            await context.bot.send_document(update.effective_chat.id, answers.file_id,
                                            caption=screens.caption(answers, language), parse_mode=ParseMode.HTML)
    await reply(update, *screens.brief_confirm_screen(sum(sizes.values()), SENDING.buttons(_), _))


@coordinator_only
async def discard(update: Update, context: AppContext, _: Translator) -> None:
    """Throws the unfinished brief away."""
    await draft_input.cancel_form(update, context, KIND, said=lambda _: _("The brief was discarded. Nothing was sent."))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("newbrief", start, filters=filters.ChatType.PRIVATE))
    for handler, route in ((same_for_both, cb.BRIEF_TEXT.choose), (same_for_both, cb.BRIEF_SAME),
                           (pick, cb.BRIEF_PICKER), (discard, cb.BRIEF_DISCARD)):
        app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))
    for handler in SENDING.handlers():
        app.add_handler(handler)
