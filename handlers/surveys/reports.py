"""Results made from plain data and a translator: the list of surveys and polls, the counts per
question, the charts and the Kobo-style export.
"""

from __future__ import annotations

from datetime import datetime

from bot import charts, xlsform
from bot.i18n import LANGUAGES, Translator
from bot.models import Poll, Survey
from bot.services import polls, surveys
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
import handlers.surveys.callbacks as routes
from handlers.surveys.words import MESSAGE_LIMIT, STATUS_WORDS, choice_label, packed, short_label, survey_title, text_in
from handlers.ui.callbacks import Route
from handlers.ui.common import button, keyboard

RESULTS_PAGE = 8


def listed_label(item, _: Translator) -> str:
    """A survey or a poll, and the day it went out (two surveys may well have the same title)."""
    if isinstance(item, Survey):
        return dated("📋", survey_title(item, _.language), surveys.went_out(item), _)
    return dated("📊", item.question_km if _.language == "km" else item.question_en, surveys.went_out(item), _)


def dated(icon: str, title: str, moment: datetime, _: Translator) -> str:
    """'📋 Post-workshop feedback · 13/12/2024'."""
    return f"{icon} {title[:50]} · {_.date(moment, surveys.LOCAL_ZONE, 'short')}"


def paging(route: Route, offset: int, more: bool, _: Translator) -> list:
    """◀ Newer and Older ▶, as far as there is something to go to."""
    row = []
    if offset > 0:
        row.append(button("◀ " + _("Newer"), route.data(max(offset - RESULTS_PAGE, 0))))
    if more:
        row.append(button(_("Older") + " ▶", route.data(offset + RESULTS_PAGE)))
    return row


def results_list_screen(items: list, offset: int, older: bool, unsent: int, _: Translator) -> tuple[str, object]:
    """One page of the surveys and polls with results, newest first, and the button to the unsent drafts."""
    rows = [[button(listed_label(item, _), (routes.RESULTS if isinstance(item, Survey) else routes.POLL_RESULTS)
                    .data(item.id))] for item in items]
    rows.append(paging(routes.RESULTS_PAGE, offset, older, _))
    if unsent:
        rows.append([button("📝 " + _("Not sent yet ({count})").format(count=_.number(unsent)),
                            routes.UNSENT.data(0))])
    if items or offset:
        return _("Which results would you like to see?"), keyboard(rows)
    if unsent:
        return _("No survey or poll has been sent yet."), keyboard(rows)
    return _("There are no surveys or polls yet. Create one with /newsurvey or /poll."), None


def unsent_screen(found: list[Survey], offset: int, _: Translator) -> tuple[str, object]:
    """A page of the surveys not sent yet (`found` holds one more when an older page follows); each opens its
    screen."""
    rows = [[button(dated("📋", survey_title(s, _.language), s.created_at, _), routes.BACK.data(s.id))]
            for s in found[:RESULTS_PAGE]]
    rows.append(paging(routes.UNSENT, offset, len(found) > RESULTS_PAGE, _))
    rows.append([button("◀ " + _("Results"), routes.RESULTS_PAGE.data(0))])
    text = _("Surveys not sent yet. Open one to choose who gets it and send it.") if found else _(
        "There is no survey waiting to be sent.")
    return text, keyboard(rows)


def results_keyboard(survey: Survey, _: Translator) -> object:
    """Under a survey's results: its charts, its export in each language and, while it is open, closing it."""
    rows = [[button("📊 " + _("Charts"), routes.CHARTS.data(survey.id))],
            [button("📥 " + _("Excel in {language}").format(language=LANGUAGE_NAMES[code]),
                    routes.EXPORT.data(survey.id, code)) for code in LANGUAGES]]
    if survey.status in (surveys.OPEN, surveys.SCHEDULED):
        rows.append([button("🔒 " + _("Close the survey"), routes.manage("end", survey.id))])
    return keyboard(rows)


def _percent(_: Translator, part: int, whole: int) -> str:
    return _.percent(part / whole) if whole else "—"


def _breakdown_label(kind: str, key: str, _: Translator) -> str:
    labels = GENDERS if kind == "gender" else STAKEHOLDERS
    return _(labels[key]) if key in labels else _("Not given")


def _tally_line(question: dict, tally: surveys.Tally, _: Translator) -> str:
    if question["type"] in ("integer", "decimal", "rating"):
        mean = tally.mean
        return _("mean {mean}").format(mean=_.number(round(mean, 2))) if mean is not None else "—"
    return " · ".join(f"{esc(choice_label(question, c['name'], _.language))} {_.number(tally.counts[c['name']])}"
                      for c in question["choices"] if tally.counts[c["name"]])


def question_result_lines(number: int, result: surveys.QuestionResult, _: Translator) -> list[str]:
    """One question's counts and percentages (or mean), then by gender and by stakeholder type."""
    question, overall = result.question, result.overall
    lines = [f"<b>{_.number(number)}. {esc(short_label(question, _.language))}</b>"]
    kind = question["type"]
    answered = _.ngettext("{count} answer", "{count} answers", overall.answered).format(count=_.number(overall.answered))
    if kind in ("select_one", "select_multiple", "rating"):
        options = ([(c["name"], text_in(c["label"], _.language)) for c in question["choices"]] if kind != "rating"
                   else [(v, _.number(v)) for v in xlsform.rating_values(question)])
        for key, label in options:
            count = overall.counts[key]
            lines.append(f"• {esc(label)} — {_.number(count)} ({_percent(_, count, overall.answered)})")
    if kind in ("integer", "decimal", "rating"):
        mean = overall.mean
        lines.append(_("Mean: {mean}").format(mean=_.number(round(mean, 2)) if mean is not None else "—"))
    if kind in ("text", "date"):
        voices = _.ngettext("{count} voice note", "{count} voice notes", result.voice_notes).format(
            count=_.number(result.voice_notes)) if result.voice_notes else ""
        lines.append(answered + (f" · {voices}" if voices else "") + " — " + _("see the Excel export."))
    else:
        lines.append(answered)
    if kind != "text" and kind != "date" and overall.answered:
        for kind_name, groups, heading in (("gender", result.by_gender, _("By gender")),
                                           ("stakeholder", result.by_stakeholder, _("By stakeholder type"))):
            parts = [f"{esc(_breakdown_label(kind_name, key, _))} ({_.number(t.answered)}): {_tally_line(question, t, _)}"
                     for key, t in sorted(groups.items(), key=lambda kv: -kv[1].answered)]
            lines.append(f"<i>{heading}:</i> " + "; ".join(parts))
    return lines


def results_messages(outcome: surveys.Results, _: Translator) -> list[str]:
    """The results as one or more messages, each under Telegram's length limit."""
    survey = outcome.survey
    head = [f"📊 <b>{esc(survey_title(survey, _.language))}</b>",
            _("Status: {status}").format(status=_(STATUS_WORDS[survey.status])),
            _("Sent to {sent} · {complete} responses ({rate}) · {started} started but not finished").format(
                sent=_.number(outcome.sent), complete=_.number(outcome.complete),
                rate=_percent(_, outcome.complete, outcome.sent), started=_.number(outcome.in_progress))]
    blocks = ["\n".join(head)]
    for number, result in enumerate(outcome.questions, start=1):
        blocks.append("\n".join(question_result_lines(number, result, _)))
    messages, current = [], ""
    for block in blocks:
        if current and len(current) + len(block) + 2 > MESSAGE_LIMIT:
            messages.append(current)
            current = ""
        if len(block) > MESSAGE_LIMIT:  # one question's results alone: in parts, line by line
            *whole, current = packed(block.split("\n"))
            messages += whole
        else:
            current = f"{current}\n\n{block}" if current else block
    messages.append(current)
    return messages


def chart_bars(question: dict, tally: surveys.Tally, _: Translator) -> list[charts.Bar]:
    if question["type"] == "rating":
        options = [(v, _.number(v)) for v in xlsform.rating_values(question)]
    else:
        options = [(c["name"], text_in(c["label"], _.language)) for c in question["choices"]]
    return [charts.Bar(label, tally.counts[key], f"{_.number(tally.counts[key])} ({_percent(_, tally.counts[key], tally.answered)})")
            for key, label in options]


def question_chart(result: surveys.QuestionResult, subtitle: str, _: Translator) -> bytes:
    """A bar chart of one closed-choice question: all answers, then women and men."""
    question = result.question
    panels = [(_("All answers ({count})").format(count=_.number(result.overall.answered)),
               chart_bars(question, result.overall, _))]
    for gender in ("woman", "man"):
        tally = result.by_gender.get(gender)
        if tally is not None and tally.answered:
            panels.append((_("{group} ({count})").format(group=_(GENDERS[gender]), count=_.number(tally.answered)),
                           chart_bars(question, tally, _)))
    return charts.bar_chart(title=short_label(question, _.language),
                                    subtitle=subtitle, panels=panels)


def _kobo_time(moment: datetime | None) -> str | None:
    """A time as Kobo writes it: local ISO 8601 with the offset."""
    if moment is None:
        return None
    local = moment.astimezone(surveys.LOCAL_ZONE)
    return local.strftime("%Y-%m-%dT%H:%M:%S.000") + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]


def export_table(survey: Survey, records: list[surveys.Record], language: str, bot_username: str,
                 _: Translator) -> tuple[list[str], list[list]]:
    """The Kobo layout: a row per response, a column per question name, choice labels in `language`."""
    questions = [q for q in survey.questions if q["type"] != "note"]
    voiced = {name for r in records for name, a in r.answers.items() if a.voice_file_id}
    headers = list(survey.meta)
    for q in questions:
        headers.append(q["name"])
        if q["type"] == "select_multiple":
            headers += [f"{q['name']}/{c['name']}" for c in q["choices"]]
        if q["name"] in voiced:
            headers.append(f"{q['name']}_URL")
    headers += ["_member_name", "_gender", "_stakeholder", "_organisation", "_province", "_language",
                "_id", "_submission_time", "_index"]
    rows = []
    for index, record in enumerate(records, start=1):
        response, member = record.response, record.member
        meta = {"start": _kobo_time(response.started_at), "end": _kobo_time(response.completed_at),
                "today": response.completed_at.astimezone(surveys.LOCAL_ZONE).date().isoformat()}
        row: list = [meta[m] for m in survey.meta]
        for q in questions:
            answer = record.answers.get(q["name"])
            row += _export_cells(q, answer, language, bot_username, q["name"] in voiced, _)
        row += [member.name if member else None,
                _(GENDERS[member.gender]) if member and member.gender in GENDERS else None,
                _(STAKEHOLDERS[member.stakeholder]) if member and member.stakeholder in STAKEHOLDERS else None,
                member.organisation if member else None,
                province_label(member.province, language, _) or None if member else None,
                LANGUAGE_NAMES.get(member.language) if member else None,
                response.id, response.completed_at.strftime("%Y-%m-%dT%H:%M:%S"), index]
        rows.append(row)
    return headers, rows


def _export_cells(question: dict, answer, language: str, bot_username: str, voiced: bool, _: Translator) -> list:
    value = answer.value if answer is not None else None
    kind = question["type"]
    if kind == "select_one":
        cells = [choice_label(question, value, language) if value is not None else None]
    elif kind == "select_multiple":
        chosen = value or []
        cells = [", ".join(choice_label(question, n, language) for n in chosen) if answer is not None else None]
        cells += [(1 if c["name"] in chosen else 0) if answer is not None else None for c in question["choices"]]
    elif answer is not None and answer.voice_file_id:
        cells = [_("Voice note")]
    else:
        cells = [value]
    if voiced:
        cells.append(f"https://t.me/{bot_username}?start=sv_voice_{answer.id}" if answer is not None
                     and answer.voice_file_id else None)
    return cells


# ---------------------------------------------------------------- quick polls


def poll_question(poll: Poll, language: str) -> str:
    return poll.question_km if language == "km" else poll.question_en


def poll_results_text(outcome: polls.PollResults, _: Translator) -> str:
    """Votes per option with percentages, the response rate, and the breakdown by gender and stakeholder type."""
    poll = outcome.poll
    status = _("Open") if poll.status == polls.OPEN else _("Closed")
    rate = _.percent(outcome.rate) if outcome.rate is not None else "—"
    lines = [f"📊 <b>{esc(poll_question(poll, _.language))}</b>", _("Status: {status}").format(status=status),
             _("Sent to {sent} · {voters} answered ({rate})").format(
                 sent=_.number(outcome.sent), voters=_.number(outcome.voters), rate=rate), ""]
    for index, option in enumerate(poll.options):
        count = outcome.counts[index]
        lines.append(f"• {esc(option[_.language])} — {_.number(count)} ({_percent(_, count, outcome.voters)})")
    for kind, groups, voters, heading in (
            ("gender", outcome.by_gender, outcome.voters_by_gender, _("By gender")),
            ("stakeholder", outcome.by_stakeholder, outcome.voters_by_stakeholder, _("By stakeholder type"))):
        if not groups:
            continue
        lines += ["", f"<i>{heading}</i>"]
        for key, counts in sorted(groups.items(), key=lambda kv: -voters[kv[0]]):
            parts = " · ".join(f"{esc(poll.options[i][_.language])} {_.number(counts[i])}"
                               for i in range(len(poll.options)) if counts[i])
            lines.append(f"{esc(_breakdown_label(kind, key, _))} ({_.number(voters[key])}): {parts}")
    return "\n".join(lines)


def poll_results_screen(outcome: polls.PollResults, _: Translator) -> tuple[str, object]:
    """The results with buttons for the chart and, while the poll is open, for closing it."""
    poll = outcome.poll
    rows = [[button("📊 " + _("Chart"), routes.POLL_CHART.data(poll.id))]]
    if poll.status == polls.OPEN:
        rows.append([button("🔒 " + _("Close the poll"), routes.POLL_CLOSE.data(poll.id))])
    return poll_results_text(outcome, _), keyboard(rows)


def poll_chart(outcome: polls.PollResults, _: Translator) -> bytes:
    """A bar chart of the votes: all answers, then women and men."""
    poll = outcome.poll

    def bars(counts, total) -> list[charts.Bar]:
        return [charts.Bar(option[_.language], counts[i], f"{_.number(counts[i])} ({_percent(_, counts[i], total)})")
                for i, option in enumerate(poll.options)]

    panels = [(_("All answers ({count})").format(count=_.number(outcome.voters)), bars(outcome.counts, outcome.voters))]
    for gender in ("woman", "man"):
        if outcome.voters_by_gender[gender]:
            panels.append((_("{group} ({count})").format(group=_(GENDERS[gender]),
                                                         count=_.number(outcome.voters_by_gender[gender])),
                           bars(outcome.by_gender[gender], outcome.voters_by_gender[gender])))
    return charts.bar_chart(title=poll_question(poll, _.language), subtitle=_("Quick poll"), panels=panels)
