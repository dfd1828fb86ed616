"""/results: the surveys and polls with results, the unsent drafts, and one survey's counts, charts and
export.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot import exports
from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.models import Survey
from bot.services import surveys
from bot.text import esc
import handlers.surveys.callbacks as routes
from handlers.surveys.inputs import coordinator_press
from handlers.surveys.reports import (
    RESULTS_PAGE,
    export_table,
    question_chart,
    results_keyboard,
    results_list_screen,
    results_messages,
    unsent_screen,
)
from handlers.surveys.words import short_label, survey_title
from handlers.ui.answers import on_press
from handlers.ui.common import coordinator_only, reply, show


@coordinator_only
async def results_menu(update: Update, context: AppContext, _: Translator) -> None:
    """Lists the surveys sent and the polls, newest first, a page at a time; unsent drafts are a button away."""
    await reply(update, *await _results_list(context, 0, _))


@on_press(routes.RESULTS_PAGE, routes.RESULTS_PAGE_BEFORE)
@coordinator_only
async def results_page(update: Update, context: AppContext, _: Translator) -> None:
    """Shows newer or older surveys and polls in place of the list pressed on."""
    await update.callback_query.answer()
    await show(update, *await _results_list(context, int(context.match.group(1)), _))


async def _results_list(context: AppContext, offset: int, _: Translator) -> tuple[str, object]:
    async with context.services.db.session() as session:
        items, older = await surveys.with_results(session, offset=offset, limit=RESULTS_PAGE)
        unsent = await surveys.count_unsent(session)
    return results_list_screen(items, offset, older, unsent, _)


@on_press(routes.UNSENT, routes.UNSENT_BEFORE)
@coordinator_only
async def unsent_surveys(update: Update, context: AppContext, _: Translator) -> None:
    """Lists the surveys not sent yet, newest first; each opens its screen, to choose who gets it and send it."""
    offset = int(context.match.group(1))
    async with context.services.db.session() as session:
        found = await surveys.unsent(session, offset=offset, limit=RESULTS_PAGE + 1)
    await update.callback_query.answer()
    await show(update, *unsent_screen(found, offset, _))


@on_press(routes.RESULTS, routes.RESULTS_BEFORE)
@coordinator_press(surveys.results_of)
async def survey_results(update: Update, context: AppContext, _: Translator, outcome: surveys.Results) -> None:
    """Shows response counts, the response rate and every question's results, with chart and export buttons."""
    *messages, last = results_messages(outcome, _)
    for text in messages:
        await reply(update, text)
    await reply(update, last, results_keyboard(outcome.survey, _))


@on_press(routes.CHARTS, routes.CHARTS_BEFORE)
@coordinator_press(surveys.results_of)
async def send_charts(update: Update, context: AppContext, _: Translator, outcome: surveys.Results) -> None:
    """Sends a chart per closed-choice question (choices and ratings), labels in the coordinator's language."""
    closed = [r for r in outcome.questions if r.question["type"] in ("select_one", "select_multiple", "rating")]
    if not closed or outcome.complete == 0:
        await reply(update, _("There is nothing to chart yet: no finished response to a question with choices."))
        return
    for result in closed:
        image = await asyncio.to_thread(question_chart, result, survey_title(outcome.survey, _.language), _)
        await update.effective_chat.send_photo(InputFile(image, filename=f"survey-{outcome.survey.id}.png"),
                                               caption=esc(short_label(result.question, _.language)))


@on_press(routes.EXPORT, routes.EXPORT_BEFORE)
@coordinator_press(surveys.records_of)
async def send_export(update: Update, context: AppContext, _: Translator,
                      found: tuple[Survey, list[surveys.Record]]) -> None:
    """Sends the responses as an XLSX in the layout Kobo users know, labels in the chosen language."""
    survey, records = found
    language = context.match.group(2)
    headers, rows = export_table(survey, records, language, context.bot.username, translator(language))
    data = exports.workbook(survey.form_id or "data", headers, rows)
    stamp = context.now().astimezone(surveys.LOCAL_ZONE).strftime("%Y-%m-%d")
    name = (survey.form_id or f"survey-{survey.id}")[:60]
    await update.effective_chat.send_document(
        InputFile(data, filename=f"{name}-{stamp}-{language}.xlsx"),
        caption=_.ngettext("{count} response", "{count} responses", len(rows)).format(count=_.number(len(rows))))
