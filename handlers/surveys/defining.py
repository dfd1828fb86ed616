"""Coordinators define a survey: upload an XLSForm (or take the example) or build a short one in the
chat, question by question.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace

from telegram import Document, InputFile, Update

from bot import resources, xlsform
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts, surveys
import handlers.surveys.callbacks as routes
from handlers.surveys.answering import clear_buttons
from handlers.surveys.forms import Builder
from handlers.surveys.managing import manage_screen
from handlers.surveys.screens import ask_builder_text, builder_screen, form_read_messages, upload_prompt
from handlers.surveys.inputs import finished_form, typed_lines
from handlers.surveys.words import BUILDER, BUILDER_INVALID, UPLOAD, problems_messages
from handlers.ui import drafts as draft_input
from handlers.ui.answers import cancel_button, on_press, show_or_stale
from handlers.ui.common import answer_stale, coordinator_only, reply

EXAMPLE = resources.folder("examples") / "post_workshop_feedback.xlsx"


@coordinator_only
async def new_survey(update: Update, context: AppContext, _: Translator) -> None:
    """Asks the coordinator for an XLSForm, or offers to build a short survey in the chat."""
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, BUILDER)
        await drafts.begin(session, update.effective_user.id, UPLOAD, step="file", now=context.now())
    await reply(update, *upload_prompt(_))


@on_press(routes.EXAMPLE)
@coordinator_only
async def send_example(update: Update, context: AppContext, _: Translator) -> None:
    """Sends the example post-workshop feedback form to start from."""
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        InputFile(EXAMPLE.read_bytes(), filename=EXAMPLE.name),
        caption=_("The example post-workshop feedback form. Change it in Excel or LibreOffice and send it back."))


# Drops the survey being uploaded or built.
cancel_new = on_press(routes.CANCEL_NEW)(cancel_button(UPLOAD, BUILDER))


@draft_input.on_input(UPLOAD)
@coordinator_only
async def take_form(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Reads an uploaded XLSForm: the survey is saved as a draft, or every problem is listed by row."""
    form = await _read_form(update, context, _)
    if form is None:
        return
    async with context.unit_of_work() as session:
        survey = await surveys.create(session, title=form.title, questions=form.questions, meta=form.meta,
                                      source="xlsform", form_id=form.form_id, version=form.version,
                                      created_by=update.effective_user.id, now=context.now())
        await drafts.discard(session, update.effective_user.id, UPLOAD)
        screen = await manage_screen(session, survey, _)
    for text in form_read_messages(form, _):
        await reply(update, text)
    await reply(update, *screen)


async def _read_form(update: Update, context: AppContext, _: Translator) -> xlsform.Form | None:
    """The form in the document sent; None after saying why it can't be used (every problem, row by row)."""
    document = update.message.document
    if document is None or not (document.file_name or "").lower().endswith(xlsform.EXTENSIONS):
        await reply(update, _("Please send the form as an Excel file (.xlsx or .xls), as a document."))
        return None
    try:
        return await _parse(context, document)
    except xlsform.InvalidForm as exc:
        for text in problems_messages(exc.problems, _):
            await reply(update, text)
        return None


async def _parse(context: AppContext, document: Document) -> xlsform.Form:
    """Reads the workbook sent (a file too large is refused before it is fetched); raises InvalidForm."""
    if (document.file_size or 0) > xlsform.MAX_FILE_BYTES:
        raise xlsform.InvalidForm([xlsform.problem("file_size", None, "", limit=xlsform.MAX_FILE_BYTES // 1024)])
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    # pyxform and openpyxl are synchronous: read the workbook off the event loop.
    return await asyncio.to_thread(xlsform.parse, data, document.file_name)


# ---------------------------------------------------------------- building a short survey in the chat


@on_press(routes.BUILD)
@coordinator_only
async def build_new(update: Update, context: AppContext, _: Translator) -> None:
    """Starts a short survey in the chat: first its title."""
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, UPLOAD)
        await drafts.begin(session, update.effective_user.id, BUILDER, step="title", data=asdict(Builder()),
                           now=context.now())
    await update.callback_query.answer()
    await reply(update, *ask_builder_text("title", _))


@on_press(routes.BUILD_KIND)
@coordinator_only
async def build_kind(update: Update, context: AppContext, _: Translator) -> None:
    """Sets the kind of the next question and asks for its text."""
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        answers = drafts.read(draft, Builder)
        ok = draft is not None and draft.step == "kind" and len(answers.questions) < surveys.BUILDER_MAX_QUESTIONS
        if ok:
            drafts.write(draft, replace(answers, kind=context.match.group(1)), step="question", now=context.now())
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await clear_buttons(update)
    await reply(update, *ask_builder_text("question", _))


@draft_input.on_input(BUILDER)
@coordinator_only
async def take_builder_text(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes the title, a question or its options, as typed."""
    use_buttons = _("Please use the buttons.")
    if draft.step == "kind":
        await reply(update, use_buttons)
        return
    clean = surveys.clean_options if draft.step == "options" else surveys.clean_title
    value = await typed_lines(update, _, clean, BUILDER_INVALID, surveys.BUILDER_OPTIONS, use_buttons)
    if value is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        answers, step = built(drafts.read(draft, Builder), draft.step, value)
        drafts.write(draft, answers, step=step, now=context.now())
    await reply(update, *(ask_builder_text(step, _) if step == "options" else builder_screen(answers, _)))


def built(answers: Builder, step: str, value) -> tuple[Builder, str]:
    """The survey being built once the answer to `step` is in, and what to ask next: a question of choices
    is followed by its options, anything else by the kind of the next question."""
    if step == "title":
        return replace(answers, title=value), "kind"
    if step == "question" and answers.kind == "select_one":
        return replace(answers, label=value), "options"
    label, options = (answers.label, value) if step == "options" else (value, None)
    question = surveys.built_question(len(answers.questions), answers.kind, label, options)
    return replace(answers, questions=[*answers.questions, question]), "kind"


@on_press(routes.BUILD_FINISH)
@coordinator_only
async def build_finish(update: Update, context: AppContext, _: Translator) -> None:
    """Saves the survey built in the chat as a draft, ready to be sent."""
    me = update.effective_user.id
    async with context.unit_of_work() as session:
        answers = await finished_form(session, me, BUILDER, Builder, "kind", lambda built: bool(built.questions))
        screen = None
        if answers is not None:
            survey = await surveys.create(session, title=answers.title, questions=answers.questions, source="chat",
                                          created_by=me, now=context.now())
            screen = await manage_screen(session, survey, _)
    await show_or_stale(update, _, screen)
