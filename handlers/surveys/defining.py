"""Coordinators define a survey: upload an XLSForm (or take the example) or build a short one in the
chat, question by question.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot import resources, xlsform
from bot.context import AppContext
from bot.models import Draft
from bot.services import drafts, surveys
import handlers.surveys.callbacks as routes
from handlers.ui import drafts as draft_input
from handlers.ui.common import answer_stale, button, keyboard, reply, require_coordinator, show
from handlers.surveys.answering import clear_buttons
from handlers.surveys.managing import manage_screen
from handlers.surveys.screens import builder_screen, two_lines, upload_prompt
from handlers.surveys.words import BUILDER, BUILDER_INVALID, UPLOAD, packed, problem_line, problems_messages


EXAMPLE = resources.folder("examples") / "post_workshop_feedback.xlsx"


async def new_survey(update: Update, context: AppContext) -> None:
    """Asks the coordinator for an XLSForm, or offers to build a short survey in the chat."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, BUILDER)
        await drafts.begin(session, update.effective_user.id, UPLOAD, step="file", now=context.now())
    await reply(update, *upload_prompt(_))


async def send_example(update: Update, context: AppContext) -> None:
    """Sends the example post-workshop feedback form to start from."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        InputFile(EXAMPLE.read_bytes(), filename=EXAMPLE.name),
        caption=_("The example post-workshop feedback form. Change it in Excel or LibreOffice and send it back."))


async def cancel_new(update: Update, context: AppContext) -> None:
    """Drops the survey being uploaded or built."""
    if await require_coordinator(update, context) is not None:
        await draft_input.cancel_form(update, context, UPLOAD, BUILDER)


@draft_input.on_input(UPLOAD)
async def take_form(update: Update, context: AppContext, draft: Draft) -> None:
    """Reads an uploaded XLSForm: the survey is saved as a draft, or every problem is listed by row."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    document = update.message.document
    if document is None or not (document.file_name or "").lower().endswith(xlsform.EXTENSIONS):
        await reply(update, _("Please send the form as an Excel file (.xlsx or .xls), as a document."))
        return
    if (document.file_size or 0) > xlsform.MAX_FILE_BYTES:
        for text in problems_messages([xlsform.Problem("file_size", None, "", (
                ("limit", str(xlsform.MAX_FILE_BYTES // 1024)),))], _):
            await reply(update, text)
        return
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    try:
        # pyxform and openpyxl are synchronous: read the workbook off the event loop.
        form = await asyncio.to_thread(xlsform.parse, data, document.file_name)
    except xlsform.InvalidForm as exc:
        for text in problems_messages(exc.problems, _):
            await reply(update, text)
        return
    async with context.unit_of_work() as session:
        survey = await surveys.create(session, title=form.title, questions=form.questions, meta=form.meta,
                                      source="xlsform", form_id=form.form_id, version=form.version,
                                      created_by=update.effective_user.id, now=context.now())
        await drafts.discard(session, update.effective_user.id, UPLOAD)
        screen = await manage_screen(session, survey, _)
    head = "✅ " + _("The form was read. Questions to answer: {count}.").format(
        count=_.number(surveys.asked_count(form.questions)))
    notes = [problem_line(w, _) for w in form.warnings]
    for text in packed([head, "", *notes] if notes else [head]):
        await reply(update, text)
    await reply(update, *screen)


# ---------------------------------------------------------------- building a short survey in the chat


async def build_new(update: Update, context: AppContext) -> None:
    """Starts a short survey in the chat: first its title."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, UPLOAD)
        await drafts.begin(session, update.effective_user.id, BUILDER, step="title", data={"questions": []},
                           now=context.now())
    await update.callback_query.answer()
    await reply(update, _("Type the survey's title:") + " " + two_lines(_),
                keyboard([[button(_("Cancel"), routes.CANCEL_NEW.data())]]))


async def build_kind(update: Update, context: AppContext) -> None:
    """Sets the kind of the next question and asks for its text."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    kind = context.match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        ok = draft is not None and draft.step == "kind" and len(
            draft.data.get("questions", [])) < surveys.BUILDER_MAX_QUESTIONS
        if ok:
            drafts.advance(draft, step="question", now=context.now(), kind=kind)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await clear_buttons(update)
    await reply(update, _("Type the question:") + " " + two_lines(_),
                keyboard([[button(_("Cancel"), routes.CANCEL_NEW.data())]]))


@draft_input.on_input(BUILDER)
async def take_builder_text(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the title, a question or its options, as typed."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    text = update.message.text
    if text is None or draft.step == "kind":
        await reply(update, _("Please use the buttons."))
        return
    try:
        if draft.step == "options":
            value = surveys.clean_options(text)
        else:
            value = surveys.clean_title(text)
    except surveys.InvalidInput as exc:
        low, high = surveys.BUILDER_OPTIONS
        limit = xlsform.MAX_CHOICE_LABEL if exc.reason == "option_long" else surveys.TITLE_MAX
        await reply(update, _(BUILDER_INVALID[exc.reason]).format(limit=_.number(limit), low=_.number(low),
                                                                  high=_.number(high)))
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        data = dict(draft.data)
        if draft.step == "title":
            drafts.advance(draft, step="kind", now=context.now(), title=value)
        elif draft.step == "question" and data.get("kind") == "select_one":
            drafts.advance(draft, step="options", now=context.now(), label=value)
        else:
            label = data.get("label") if draft.step == "options" else value
            options = value if draft.step == "options" else None
            questions = [*data.get("questions", []),
                         surveys.built_question(len(data.get("questions", [])), data["kind"], label, options)]
            drafts.advance(draft, step="kind", now=context.now(), questions=questions)
        step, data = draft.step, dict(draft.data)
    if step == "options":
        await reply(update, _("Type the options, one per line, as: English | Khmer (the Khmer part is optional)."),
                    keyboard([[button(_("Cancel"), routes.CANCEL_NEW.data())]]))
    else:
        await reply(update, *builder_screen(data, _))


async def build_finish(update: Update, context: AppContext) -> None:
    """Saves the survey built in the chat as a draft, ready to be sent."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, BUILDER)
        if draft is None or draft.step != "kind" or not draft.data.get("questions"):
            survey = None
        else:
            survey = await surveys.create(session, title=draft.data["title"], questions=draft.data["questions"],
                                          source="chat", created_by=update.effective_user.id, now=context.now())
            await drafts.discard(session, update.effective_user.id, BUILDER)
            screen = await manage_screen(session, survey, _)
    if survey is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *screen)
