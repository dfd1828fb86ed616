"""Outreach's screens: text and buttons from plain data and a translator, and nothing else (no database, no
Telegram calls)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Delivery
from bot.models.briefs import Brief
from bot.services import briefs, outbox
from bot.services.briefs import BriefForm, Question, form_of
from bot.services.outbox import Progress
from bot.text import esc
import handlers.outreach.callbacks as cb
from handlers.outreach.forms import BriefAnswers, BroadcastForm
from handlers.ui.bilingual import LANGUAGE_WORDS, Pair, pair_for, pair_screen, title_pair
from handlers.ui.common import button, keyboard

QUESTIONS_SHOWN = 30

# ---------------------------------------------------------------- broadcasts


def ask_text_screen(language: str, answers: BroadcastForm, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Asks for the announcement in one language, with the way to leave that language out."""
    text = _("Send the announcement in {language}: a text, or a photo or document with a caption.").format(
        language=_(LANGUAGE_WORDS[language]))
    rows = []
    if language == "en":
        rows.append([button(_("Write it in Khmer only"), cb.BROADCAST_SKIP.data("en"))])
    elif answers.en:
        rows.append([button(_("Send the English text to everyone"), cb.BROADCAST_SKIP.data("km"))])
    rows.append([button(_("Cancel"), cb.BROADCAST_DISCARD.data())])
    return text, keyboard(rows)


def piece_refused(reason: str, _: Translator, *, text_limit: int, caption_limit: int) -> str:
    """Why a message cannot be the announcement."""
    return {
        "unsupported": _("Please send a text, a photo or a document."),
        "empty": _("That was empty. Please type some text."),
        "too_long": _("That is too long: Telegram allows {limit} characters in a message.").format(
            limit=_.number(text_limit)),
        "caption_too_long": _("That caption is too long: Telegram allows {limit} characters under a photo "
                              "or document.").format(limit=_.number(caption_limit)),
    }[reason]


def preview_heading(language: str, count: int, _: Translator) -> str:
    return "👁 " + _.ngettext("Preview for {language} ({count} member):",
                              "Preview for {language} ({count} members):", count).format(
        language=_(LANGUAGE_WORDS[language]), count=_.number(count))


def broadcast_confirm_screen(total: int, buttons: list, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question after the preview: send now or later (`buttons`), change the audience, or cancel."""
    rows = [buttons, [button("👥 " + _("Change the audience"), cb.BROADCAST_AUDIENCE.data()),
                      button(_("Cancel"), cb.BROADCAST_DISCARD.data())]]
    return _.ngettext("Send this to {count} member?", "Send this to {count} members?", total).format(
        count=_.number(total)), keyboard(rows)


def broadcast_sending(_: Translator, count: int) -> str:
    return _.ngettext("Sending to {count} member…", "Sending to {count} members…", count).format(
        count=_.number(count))


def broadcast_scheduled(_: Translator, time: str, count: int) -> str:
    return _.ngettext("Scheduled for {time}, to {count} member. Send /broadcasts to see or cancel it.",
                      "Scheduled for {time}, to {count} members. Send /broadcasts to see or cancel it.",
                      count).format(time=time, count=_.number(count))


def broadcasts_screen(recent: list[tuple[Delivery, Progress]], _: Translator, tz) -> tuple[str, object]:
    """Recent and scheduled broadcasts with their delivery counts; a button to cancel each scheduled one."""
    if not recent:
        return _("No broadcasts yet. Send /broadcast to write one."), None
    lines, rows = ["<b>" + _("Broadcasts") + "</b>"], []
    for delivery, progress in recent:
        state = {
            "scheduled": _("scheduled for {time}").format(time=_.datetime(delivery.send_at, tz)),
            "sending": _("sending"),
            "done": _("sent"),
            "cancelled": _("cancelled"),
        }[delivery.status]
        lines.append(_("#{number} · {state} · delivered {sent} of {total}").format(
            number=delivery.id, state=state, sent=_.number(progress.by_status[outbox.SENT]),
            total=_.number(progress.total)))
        if delivery.status == "scheduled":
            rows.append([button("✖ " + _("Cancel #{number}").format(number=delivery.id),
                                cb.BROADCAST_CANCEL.data(delivery.id))])
    return "\n".join(lines), keyboard(rows) if rows else None


# ---------------------------------------------------------------- briefs


BRIEF_PAIRS = (
    title_pair("title", briefs.TITLE_MAX, N_("Type the brief's title in {language}.")),
    Pair("summary", briefs.SUMMARY_MAX, True, True, N_("Type a short summary in {language} (a few sentences)."),
         N_("Type the summary in {language}, or press the button to use the same summary in both languages.")),
)


def brief_prompt(step: str, answers: BriefAnswers, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The composer's question at one step, with Cancel (and, in the second language, the first's text for
    both)."""
    pair = pair_for(BRIEF_PAIRS, step)
    if pair is not None:
        return pair_screen(pair, step, answers, _, cb.BRIEF_TEXT)
    return _("Send the finished brief as a PDF or DOCX document."), keyboard(
        [[button(_("Cancel"), cb.BRIEF_DISCARD.data())]])


BRIEF_REFUSALS = {
    "file_type": N_("Please send a PDF or DOCX file."),
    "file_size": N_("That file is too large: at most 20 MB."),
}


def caption(form: BriefForm, language: str) -> str:
    """The brief's caption in one language: bold title, then the summary (user text escaped)."""
    summary = form.summary(language)
    return f"<b>{esc(form.title(language))}</b>" + (f"\n\n{esc(summary)}" if summary else "")


def brief_content(brief_id: int, form: BriefForm) -> dict[str, dict]:
    """The brief for the outbox, in every language, with the two reaction buttons."""
    result = {}
    for language in LANGUAGES:
        _ = translator(language)
        result[language] = {
            "document": form.file_id, "text": caption(form, language),
            "buttons": [[["👍 " + _("Useful"), cb.BRIEF_USEFUL.data(brief_id)],
                         ["❓ " + _("I have a question"), cb.BRIEF_ASK.data(brief_id)]]],
        }
    return result


def brief_confirm_screen(total: int, buttons: list, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    rows = [buttons, [button(_("Cancel"), cb.BRIEF_DISCARD.data())]]
    return _.ngettext("Send this brief to {count} member?", "Send this brief to {count} members?", total).format(
        count=_.number(total)), keyboard(rows)


def brief_sending(_: Translator, count: int) -> str:
    return _.ngettext("Sending the brief to {count} member…", "Sending the brief to {count} members…",
                      count).format(count=_.number(count))


def brief_scheduled(_: Translator, time: str, count: int) -> str:
    return _.ngettext("The brief will be sent on {time} to {count} member.",
                      "The brief will be sent on {time} to {count} members.", count).format(
        time=time, count=_.number(count))


def title(brief: Brief, language: str) -> str:
    return form_of(brief).title(language)


def briefs_screen(recent: list[Brief], reactions: dict, _: Translator, tz) -> tuple[str, object]:
    """Recent briefs with a button to get each again; for coordinators (`reactions` given per brief), how
    members reacted and a button to read their questions."""
    if not recent:
        return _("No briefs have been shared yet."), None
    lines = ["<b>" + _("Recent briefs") + "</b>"]
    rows = []
    for brief in recent:
        line = f"• {esc(title(brief, _.language))} ({_.date(brief.send_at, tz, 'medium')})"
        if brief.id in reactions:
            counts, questions = reactions[brief.id]
            line += " — " + _("useful: {useful} · questions: {questions}").format(
                useful=_.number(counts["useful"]), questions=_.number(len(questions)))
            if questions:
                rows.append([button("❓ " + title(brief, _.language)[:40], cb.BRIEF_QUESTIONS.data(brief.id))])
        lines.append(line)
        rows.append([button("📄 " + title(brief, _.language)[:50], cb.BRIEF_GET.data(brief.id))])
    return "\n".join(lines), keyboard(rows)


def questions_text(brief: Brief, questions: list[Question], _: Translator, tz) -> str:
    """The questions members asked about a brief, the latest ones, with who asked and when."""
    lines = ["<b>" + esc(title(brief, _.language)) + "</b>"]
    for q in questions[-QUESTIONS_SHOWN:]:
        who = esc(q.member_name) + (f" ({esc(q.organisation)})" if q.organisation else "")
        lines.append(f"\n{who}, {_.datetime(q.asked_at, tz, 'short')}:\n{esc(q.text)}")
    return "\n".join(lines)[:4000]
