"""/results: the surveys and polls with results, the unsent drafts, and one survey's counts, charts and
export.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot import exports
from bot.context import AppContext
from bot.i18n import LANGUAGES, Translator, translator
from bot.models import Survey
from bot.services import surveys
from bot.text import esc
from bot.vocab import LANGUAGE_NAMES
import handlers.surveys.callbacks as routes
from handlers.ui.common import answer_stale, button, keyboard, reply, require_coordinator, show
from handlers.surveys.reports import (
    RESULTS_PAGE,
    dated,
    export_table,
    listed_label,
    paging,
    question_chart,
    results_messages,
)
from handlers.surveys.words import short_label, survey_title


async def results_menu(update: Update, context: AppContext) -> None:
    """Lists the surveys sent and the polls, newest first, a page at a time; unsent drafts are a button away."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await reply(update, *await _results_screen(context, 0, _))


async def results_page(update: Update, context: AppContext) -> None:
    """Shows newer or older surveys and polls in place of the list pressed on."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    await update.callback_query.answer()
    await show(update, *await _results_screen(context, int(context.match.group(1)), _))


async def _results_screen(context: AppContext, offset: int, _: Translator) -> tuple[str, object]:
    async with context.services.db.session() as session:
        items, older = await surveys.with_results(session, offset=offset, limit=RESULTS_PAGE)
        unsent = await surveys.count_unsent(session)
    rows = [[button(listed_label(item, _), (routes.RESULTS if isinstance(item, Survey) else routes.POLL_RESULTS).data(item.id))]
            for item in items]
    rows.append(paging(routes.RESULTS_PAGE, offset, older, _))
    if unsent:
        rows.append([button("📝 " + _("Not sent yet ({count})").format(count=_.number(unsent)), routes.UNSENT.data(0))])
    if items or offset:
        return _("Which results would you like to see?"), keyboard(rows)
    if unsent:
        return _("No survey or poll has been sent yet."), keyboard(rows)
    return _("There are no surveys or polls yet. Create one with /newsurvey or /poll."), None


async def unsent_surveys(update: Update, context: AppContext) -> None:
    """Lists the surveys not sent yet, newest first; each opens its screen, to choose who gets it and send it."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    offset = int(context.match.group(1))
    async with context.services.db.session() as session:
        found = await surveys.unsent(session, offset=offset, limit=RESULTS_PAGE + 1)
    await update.callback_query.answer()
    rows = [[button(dated("📋", survey_title(s, _.language), s.created_at, _), routes.BACK.data(s.id))]
            for s in found[:RESULTS_PAGE]]
    rows.append(paging(routes.UNSENT, offset, len(found) > RESULTS_PAGE, _))
    rows.append([button("◀ " + _("Results"), routes.RESULTS_PAGE.data(0))])
    text = _("Surveys not sent yet. Open one to choose who gets it and send it.") if found else _(
        "There is no survey waiting to be sent.")
    await show(update, text, keyboard(rows))


async def survey_results(update: Update, context: AppContext) -> None:
    """Shows response counts, the response rate and every question's results, with chart and export buttons."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    survey_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        survey = await surveys.get(session, survey_id)
        outcome = await surveys.results(session, survey) if survey and survey.status != surveys.DRAFT else None
    if outcome is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    rows = [[button("📊 " + _("Charts"), routes.CHARTS.data(survey_id))],
            [button("📥 " + _("Excel in {language}").format(language=LANGUAGE_NAMES[code]), routes.EXPORT.data(survey_id, code))
             for code in LANGUAGES]]
    if survey.status in (surveys.OPEN, surveys.SCHEDULED):
        rows.append([button("🔒 " + _("Close the survey"), routes.manage("end", survey_id))])
    messages = results_messages(outcome, _)
    for text in messages[:-1]:
        await reply(update, text)
    await reply(update, messages[-1], keyboard(rows))


async def send_charts(update: Update, context: AppContext) -> None:
    """Sends a chart per closed-choice question (choices and ratings), labels in the coordinator's language."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    async with context.services.db.session() as session:
        survey = await surveys.get(session, int(context.match.group(1)))
        outcome = await surveys.results(session, survey) if survey and survey.status != surveys.DRAFT else None
    if outcome is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    closed = [r for r in outcome.questions if r.question["type"] in ("select_one", "select_multiple", "rating")]
    if not closed or outcome.complete == 0:
        await reply(update, _("There is nothing to chart yet: no finished response to a question with choices."))
        return
    for result in closed:
        image = await asyncio.to_thread(question_chart, result, survey_title(outcome.survey, _.language), _)
        await update.effective_chat.send_photo(InputFile(image, filename=f"survey-{outcome.survey.id}.png"),
                                               caption=esc(short_label(result.question, _.language)))


async def send_export(update: Update, context: AppContext) -> None:
    """Sends the responses as an XLSX in the layout Kobo users know, labels in the chosen language."""
    _ = await require_coordinator(update, context)
    if _ is None:
        return
    survey_id, language = int(context.match.group(1)), context.match.group(2)
    async with context.services.db.session() as session:
        survey = await surveys.get(session, survey_id)
        found = await surveys.records(session, survey_id) if survey and survey.status != surveys.DRAFT else None
    if found is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    labels = translator(language)
    headers, rows = export_table(survey, found, language, context.bot.username, labels)
    data = exports.workbook(survey.form_id or "data", headers, rows)
    stamp = context.now().astimezone(surveys.LOCAL_ZONE).strftime("%Y-%m-%d")
    name = (survey.form_id or f"survey-{survey.id}")[:60]
    await update.effective_chat.send_document(
        InputFile(data, filename=f"{name}-{stamp}-{language}.xlsx"),
        caption=_.ngettext("{count} response", "{count} responses", len(rows)).format(count=_.number(len(rows))))
