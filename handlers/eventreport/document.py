"""The event report as a document: the report in one language (its parts, the summary first), and both
languages written as Word and PDF files. Pure: the collected report, a translator and the time in; blocks and
bytes out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bot import charts, event_text, reportdocs, reportpdf
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.reportdocs import Bullets, Heading, Panel, Paragraph, Part, Picture, Table
from bot.services import consultations, eventreport, groups, surveys
from bot.services.eventreport import EventReport, SurveyOutcome
from bot.vocab import GENDERS
from handlers.ui.tallies import answer_bars, counted, donor_sentence, groups_seen, share, survey_title, text_in

TEXTS_SHOWN = 40
FACTS_SHOWN = 3
CHARTED = ("select_one", "select_multiple", "rating")
NUMERIC = ("integer", "decimal", "rating")
CHART_WIDTH = 0.56
TITLE = N_("Event report")
SECTIONS = {
    "summary": N_("Summary"),
    "purpose": N_("Purpose"),
    "agenda": N_("Agenda"),
    "attendance": N_("Attendance"),
    "groups": N_("Working groups"),
    "surveys": N_("Survey results"),
    "needs": N_("Consultation inputs by theme"),
    "organisations": N_("Participating organisations"),
}


@dataclass(frozen=True)
class Files:
    name: str
    docx: bytes
    pdf: bytes


def _label(label: str, value: str, _: Translator) -> str:
    """'Venue: Cambodiana Hotel', with the language's own colon."""
    return _("{label}: {count}").format(label=label, count=value)


def _breakdown(report: EventReport, dimension: str, heading: str, _: Translator) -> Table:
    counts = report.attendance.checked_in.by(dimension)
    total = report.attendance.checked_in.total
    return Table([heading, _("Attendees"), _("Share")],
                 [[label, _.number(counts[key]), share(counts[key], total, _)]
                  for key, label in groups_seen(counts, dimension, _)])


def survey_fact(outcome: SurveyOutcome, _: Translator) -> str:
    """'Post-workshop feedback: 12 responses', and whether answers are still coming in."""
    count = outcome.results.complete
    name = survey_title(outcome.survey, _.language)
    if outcome.collecting:
        return _.ngettext("{survey}: {count} response so far; still collecting answers.",
                          "{survey}: {count} responses so far; still collecting answers.", count).format(
            survey=name, count=_.number(count))
    return _.ngettext("{survey}: {count} response.", "{survey}: {count} responses.", count).format(
        survey=name, count=_.number(count))


def summary_blocks(report: EventReport, _: Translator) -> list:
    """The first page: who came (with the gender table donors ask for) and the event's results in a few lines."""
    tally = report.attendance
    blocks = []
    if tally.checked_in.total:
        blocks += [
            Paragraph(donor_sentence(tally.checked_in.total, tally.women, _), strong=True),
            Paragraph(_("Checked in: {count} (members: {members}, walk-ins: {walkins})").format(
                count=_.number(tally.checked_in.total), members=_.number(tally.checked_in.total - tally.walkins),
                walkins=_.number(tally.walkins))),
            _breakdown(report, "gender", _("Gender"), _),
        ]
    facts = [interest_sentence(item, _) for item in report.interest[:FACTS_SHOWN]]
    facts += [survey_fact(outcome, _) for outcome in report.results]
    inputs = sum(need.count for need in report.needs)
    if inputs:
        facts.append(_.ngettext("{count} input to the consultation.", "{count} inputs to the consultation.",
                                inputs).format(count=_.number(inputs)))
    if report.organisations:
        count = len(report.organisations)
        facts.append(_.ngettext("{count} organisation took part.", "{count} organisations took part.",
                                count).format(count=_.number(count)))
    if facts:
        blocks.append(Bullets(facts))
    return [Heading(_(SECTIONS["summary"])), *blocks] if blocks else []


def purpose_blocks(report: EventReport, _: Translator) -> list:
    text = event_text.description(report.event, _.language).strip()
    if not text:
        return []
    return [Heading(_(SECTIONS["purpose"])), *[Paragraph(line) for line in text.splitlines() if line.strip()]]


def agenda_blocks(report: EventReport, _: Translator) -> list:
    lines = [line.strip() for line in (report.event.agenda or "").splitlines() if line.strip()]
    return [Heading(_(SECTIONS["agenda"])), Bullets(lines)] if lines else []


def attendance_blocks(report: EventReport, _: Translator) -> list:
    """Attendees by stakeholder type: a chart, and beside it the same split by gender."""
    tally = report.attendance
    if not tally.checked_in.total:
        return []
    counts = tally.checked_in.by("stakeholder")
    seen = groups_seen(counts, "stakeholder", _)
    crossed = Counter((person.stakeholder, person.gender) for person in tally.attendees)
    genders = [g for g in GENDERS if any(crossed[key, g] for key, _label in seen)]
    total = tally.checked_in.total
    bars = [charts.Bar(label, counts[key], counted(counts[key], total, _)) for key, label in seen]
    table = Table([_("Stakeholder type"), *[_(GENDERS[g]) for g in genders], _("Attendees")],
                  [[label, *[_.number(crossed[key, g]) for g in genders], _.number(counts[key])]
                   for key, label in seen])
    chart = Picture(charts.compact_chart(bars), _("Attendees by stakeholder type"), width=CHART_WIDTH, caption=False)
    return [Heading(_(SECTIONS["attendance"])), Heading(_("Attendees by stakeholder type"), level=2),
            Panel(chart, table)]


def interest_sentence(item: eventreport.GroupInterestCount, _: Translator) -> str:
    """'14 people expressed interest in the Policy Working Group, 6 of them women.'"""
    return _.ngettext("{count} person expressed interest in the {group}.",
                      "{count} people expressed interest in the {group}, {women} of them women.",
                      item.stage.total).format(count=_.number(item.stage.total),
                                               group=groups.name(item.group, _.language),
                                               women=_.number(item.stage.women))


def group_blocks(report: EventReport, _: Translator) -> list:
    if not report.interest:
        return []
    genders = [g for g in GENDERS if any(item.stage.by_gender[g] for item in report.interest)]
    table = Table([_(SECTIONS["groups"]), *[_(GENDERS[g]) for g in genders]],
                  [[groups.name(item.group, _.language), *[_.number(item.stage.by_gender[g]) for g in genders]]
                   for item in report.interest])
    return [Heading(_(SECTIONS["groups"])), Bullets([interest_sentence(item, _) for item in report.interest]), table]


def gender_table(result, bars: list[charts.Bar], _: Translator) -> Table:
    """The answers to one question split by the respondents' gender, as a small table."""
    question = result.question
    genders = [g for g in GENDERS if g in ("woman", "man") or g in result.by_gender]
    empty = surveys.Tally()
    rows = []
    by_gender = {g: answer_bars(question, result.by_gender.get(g, empty), _) for g in genders}
    for index, bar in enumerate(bars):
        rows.append([bar.label, *[_.number(by_gender[g][index].value) for g in genders]])
    return Table([_("Answer"), *[_(GENDERS[g]) for g in genders]], rows)


def _texts(texts: list[str], voice_notes: int, _: Translator) -> list[str]:
    items = texts[:TEXTS_SHOWN]
    if len(texts) > TEXTS_SHOWN:
        items.append(_("…and {count} more.").format(count=_.number(len(texts) - TEXTS_SHOWN)))
    if voice_notes:
        items.append(_.ngettext("{count} voice note", "{count} voice notes", voice_notes).format(
            count=_.number(voice_notes)))
    return items


def question_blocks(result, outcome: SurveyOutcome, _: Translator) -> list:
    """One question: a compact chart with its gender table, the mean of numbers, or what people wrote."""
    question, overall = result.question, result.overall
    kind = question["type"]
    label = text_in(question["label"], _.language)
    texts = outcome.texts.get(question["name"], [])
    if kind in eventreport.TEXT_TYPES and (texts or result.voice_notes):
        return [Heading(label, level=3), Bullets(_texts(texts, result.voice_notes, _))]
    if not overall.answered or kind not in CHARTED + NUMERIC:
        return []
    blocks = [Heading(label, level=3)]
    if kind in CHARTED:
        bars = answer_bars(question, overall, _)
        blocks.append(Panel(Picture(charts.compact_chart(bars), label, width=CHART_WIDTH, caption=False),
                            gender_table(result, bars, _)))
    if kind in NUMERIC and overall.mean is not None:
        blocks.append(Paragraph(_("Mean: {mean}").format(mean=_.number(round(overall.mean, 2)))))
    return blocks


def survey_blocks(report: EventReport, _: Translator, now: datetime) -> list:
    blocks = []
    for outcome in report.results:
        results = outcome.results
        blocks.append(Heading(survey_title(outcome.survey, _.language), level=2))
        if outcome.collecting:
            blocks.append(Paragraph(_("Still collecting answers: these are the answers received by {date}.").format(
                date=_.datetime(now, event_text.zone(report.event))), strong=True))
        if results.sent:
            blocks.append(Paragraph(_(
                "Sent to {sent} · {complete} responses ({rate}) · {started} started but not finished").format(
                sent=_.number(results.sent), complete=_.number(results.complete),
                rate=share(results.complete, results.sent, _), started=_.number(results.in_progress))))
        for result in results.questions:
            blocks += question_blocks(result, outcome, _)
    return [Heading(_(SECTIONS["surveys"])), *blocks] if blocks else []


def need_blocks(report: EventReport, _: Translator) -> list:
    if not report.needs:
        return []
    blocks = [Heading(_(SECTIONS["needs"]))]
    blocks += [Paragraph(consultations.question(c, _.language), strong=True) for c in report.questions]
    for need in report.needs:
        blocks.append(Heading(_("{group} ({count})").format(group=need.label(_.language), count=_.number(need.count)),
                              level=2))
        blocks.append(Bullets(_texts(need.texts, need.voice_notes, _)))
    return blocks


def organisation_blocks(report: EventReport, _: Translator) -> list:
    if not report.organisations:
        return []
    return [Heading(_(SECTIONS["organisations"])), Bullets(
        [_("{group} ({count})").format(group=name, count=_.number(people))
         for name, people in report.organisations.items()])]


def report_part(report: EventReport, _: Translator, now: datetime) -> Part:
    """The whole report in one language, the summary first; sections with nothing in them are left out."""
    event = report.event
    lines = [_(TITLE), _label(_("Date and time"), event_text.when(event, _), _)]
    if event.venue:
        lines.append(_label(_("Venue"), event.venue, _))
    blocks = []
    for section in (summary_blocks, purpose_blocks, agenda_blocks, attendance_blocks, group_blocks):
        blocks += section(report, _)
    blocks += survey_blocks(report, _, now)
    blocks += need_blocks(report, _) + organisation_blocks(report, _)
    blocks.append(Paragraph(_("Prepared by Sahakor on {date}.").format(
        date=_.date(now, event_text.zone(event)))))
    return Part(_.language, event_text.title(event, _.language), lines, blocks)


def languages_from(first: str) -> list[str]:
    """The coordinator's language first, then the other."""
    return [first, *[code for code in LANGUAGES if code != first]]


def report_parts(report: EventReport, first: str, now: datetime) -> list[Part]:
    return [report_part(report, translator(code), now) for code in languages_from(first)]


def render(report: EventReport, first: str, now: datetime) -> Files:
    """Both files (slow: charts and PDF layout); run it in a thread."""
    parts = report_parts(report, first, now)
    title = parts[0].title
    stamp = report.event.starts_at.astimezone(event_text.zone(report.event)).strftime("%Y-%m-%d")
    return Files(f"event-report-{report.event.id}-{stamp}", reportdocs.docx(parts, title=title),
                 reportpdf.pdf(parts, title=title))
