"""Briefs as members read them: /briefs to get a recent one again, one tap to say it was useful, a typed
question for the coordinators; and the coordinators reading those questions."""

from __future__ import annotations

from dataclasses import asdict

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.delivery import render_markup
from bot.i18n import Translator
from bot.models import Draft, Member
from bot.services import briefs, coordinators, drafts, members
from bot.services.briefs import InvalidBrief, form_of
from bot.text import esc
import handlers.outreach.callbacks as cb
import handlers.outreach.screens as screens
from handlers.outreach.forms import QuestionForm
from handlers.ui import drafts as draft_input
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, coordinator_only, load_member, registered_only, reply, tr

QUESTION = "brief_question"


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
    await reply(update, *screens.briefs_screen(recent, reactions, _, context.settings.tz))


@registered_only
async def get_again(update: Update, context: AppContext, member: Member) -> None:
    """Sends a brief again, with its summary in the member's language."""
    brief_id, = cb.BRIEF_GET.ints(context.match)
    async with context.services.db.session() as session:
        brief = await briefs.available(session, brief_id, context.now())
    if brief is None:
        await answer_stale(update, tr(member, update))
        return
    await update.callback_query.answer()
    piece = screens.brief_content(brief.id, form_of(brief))[member.language]
    await context.bot.send_document(update.effective_chat.id, piece["document"], caption=piece["text"],
                                    parse_mode=ParseMode.HTML, reply_markup=render_markup(piece["buttons"]))


@registered_only
async def useful(update: Update, context: AppContext, member: Member) -> None:
    """Records a one-tap 'useful'."""
    brief_id, = cb.BRIEF_USEFUL.ints(context.match)
    async with context.unit_of_work() as session:
        brief = await briefs.get(session, brief_id)
        new = brief is not None and await briefs.react_useful(session, brief, member, context.now())
    _ = tr(member, update)
    if brief is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Thank you for your feedback!") if new else _("You already said so. Thank you!"))


@registered_only
async def ask(update: Update, context: AppContext, member: Member) -> None:
    """Asks the member to type their question about the brief."""
    brief_id, = cb.BRIEF_ASK.ints(context.match)
    async with context.unit_of_work() as session:
        brief = await briefs.get(session, brief_id)
        if brief is not None:
            await drafts.begin(session, member.telegram_id, QUESTION, step="question",
                               data=asdict(QuestionForm(brief.id)), now=context.now())
    _ = tr(member, update)
    if brief is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, _("Please type your question about “{title}”. The coordinators will read it.").format(
        title=esc(screens.title(brief, member.language))))


@draft_input.on_input(QUESTION)
async def take_question(update: Update, context: AppContext, draft: Draft) -> None:
    """Stores a member's question about a brief."""
    async with context.unit_of_work() as session:
        member = await members.get(session, update.effective_user.id)
        brief = await briefs.get(session, drafts.read(draft, QuestionForm).brief_id)
        error = None
        try:
            if brief is None or update.message.text is None:
                raise InvalidBrief("empty")
            await briefs.ask(session, brief, member, update.message.text, context.now())
            await drafts.discard(session, member.telegram_id, QUESTION)
        except InvalidBrief as exc:
            error = exc
    _ = tr(member, update)
    if error:
        await reply(update, invalid_text(error, _))
        return
    await reply(update, _("Thank you! Your question was sent to the coordinators."))


@coordinator_only
async def show_questions(update: Update, context: AppContext, _: Translator) -> None:
    """Shows coordinators the questions members asked about a brief."""
    brief_id, = cb.BRIEF_QUESTIONS.ints(context.match)
    async with context.services.db.session() as session:
        brief = await briefs.get(session, brief_id)
        questions = (await briefs.reactions(session, brief.id))[1] if brief else []
    if brief is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, screens.questions_text(brief, questions, _, context.settings.tz))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("briefs", list_briefs, filters=filters.ChatType.PRIVATE))
    for handler, route in ((get_again, cb.BRIEF_GET), (useful, cb.BRIEF_USEFUL), (ask, cb.BRIEF_ASK),
                           (show_questions, cb.BRIEF_QUESTIONS)):
        app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))
