"""What consultation members and coordinators see: texts, buttons and the export's table, made from plain data
(no I/O).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import event_text
from bot.config import LOCAL_ZONE
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Consultation, ConsultationInput, ConsultationTheme, Event, Member
from bot.services import consultations
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
from handlers.ui.common import button, keyboard
from handlers.ui.people import duration, event_label, member_summary, shorten
from handlers.ui.bilingual import Pair, pair_screen


NEW, INPUT = "consult_new", "consult_input"
LINK_PREFIX = "cs_"

# The ready-made themes for an agroecology policy consultation; each is stored in English and Khmer.
POLICY_THEMES = (
    N_("Capacity building"),
    N_("Market linkage"),
    N_("Studies and research"),
    N_("Access to finance"),
    N_("Insurance"),
    N_("Certification"),
    N_("Education curricula"),
    N_("Extension services"),
    N_("Land and water"),
    N_("Seeds"),
)
QUESTION_PAIR = Pair(
    "question", consultations.QUESTION_MAX, True, True,
    N_("What question do you want to ask, in English? For example: “What support do farmers need most for "
       "agroecology?” (Up to {limit} characters.)"),
    N_("Now the question in Khmer. (Up to {limit} characters.)"),
)


def policy_themes() -> list[tuple[str, str]]:
    km = translator("km")
    return [(label, km(label)) for label in POLICY_THEMES]


def member_link(bot_username: str, consultation_id: int) -> str:
    """The link (or QR code) that opens the consultation in the bot, registering a newcomer first."""
    return f"https://t.me/{bot_username}?start={LINK_PREFIX}{consultation_id}"


def voice_link(bot_username: str, input_id: int) -> str:
    """The export's link to a voice note: it plays it for coordinators only."""
    return f"https://t.me/{bot_username}?start={consultations.VOICE_PREFIX}{input_id}"


def closing_line(consultation: Consultation, zone: ZoneInfo, _: Translator) -> str:
    if consultation.closes_at is None:
        return ""
    return _("Open until {time}.").format(time=_.datetime(consultation.closes_at, zone, "short"))


def member_screen(consultation: Consultation, themes: list[ConsultationTheme], is_open: bool, zone: ZoneInfo,
                  _: Translator, *, table: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The question and its themes; pressing a theme asks for the input (as a table's notes in table mode)."""
    cid = consultation.id
    lines = [f"<b>{esc(consultations.question(consultation, _.language))}</b>", ""]
    if not is_open:
        lines.append(_("This consultation is closed. Thank you for your interest."))
        return "\n".join(lines), keyboard([[button("🗂 " + _("My inputs"), f"cs:mine:{cid}")]])
    if table:
        lines.append(_("You are taking notes for a discussion table: each input is saved as the table's, not as "
                       "your own. Choose a theme."))
    else:
        lines.append(_("Choose a theme, then type your input or record a voice note. You can give as many inputs "
                       "as you like."))
    closing = closing_line(consultation, zone, _)
    if closing:
        lines += ["", closing]
    code = "tt" if table else "t"
    rows = [[button(consultations.label(t, _.language), f"cs:{code}:{cid}:{t.id}")] for t in themes]
    if table:
        rows.append([button("◀ " + _("My own input"), f"cs:view:{cid}")])
    else:
        rows.append([button("📝 " + _("Notes for a discussion table"), f"cs:table:{cid}")])
    rows.append([button("🗂 " + _("My inputs"), f"cs:mine:{cid}")])
    return "\n".join(lines), keyboard(rows)


def mine_screen(consultation: Consultation, mine: list[ConsultationInput], themes: dict[int, ConsultationTheme],
                _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The person's own inputs, each with a delete button."""
    lines = ["<b>" + _("Your inputs") + "</b>", ""]
    rows = []
    if not mine:
        lines.append(_("You have not given any input yet."))
    for number, item in enumerate(mine, start=1):
        theme = consultations.label(themes[item.theme_id], _.language) if item.theme_id in themes else ""
        body = esc(shorten(item.text)) if item.text else "🎤 " + _("voice note ({length})").format(
            length=duration(item.voice_seconds))
        note = " · " + _("table notes") if item.table_notes else ""
        lines.append(f"{_.number(number)}. <i>{esc(theme)}</i>{note}: {body}")
        rows.append(button(f"🗑 {_.number(number)}", f"cs:del:{item.id}"))
    markup = [rows[i:i + 4] for i in range(0, len(rows), 4)]
    markup.append([button("◀ " + _("Back"), f"cs:view:{consultation.id}")])
    if mine:
        lines += ["", _("Press 🗑 and a number to delete that input.")]
    return "\n".join(lines), keyboard(markup)


def form_screen(step: str, data: dict, events: list[Event], _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question the new-consultation form is on."""
    cancel = [button(_("Cancel"), "csa:f:cancel")]
    if step.startswith("question_"):
        return pair_screen(QUESTION_PAIR, step, data, _, "csa:f")
    if step == "themes":
        ready = ", ".join(_(label) for label in POLICY_THEMES)
        text = _("Which themes should inputs be sorted under? Use the ready-made themes for agroecology policy "
                 "({themes}), or type your own, one per line, as “English / Khmer”. A theme in one language is "
                 "used for both. At most {limit}.").format(themes=esc(ready), limit=_.number(consultations.THEMES_MAX))
        return text, keyboard([[button("✅ " + _("Use the agroecology policy themes"), "csa:f:preset")], cancel])
    if step == "event":
        rows = [[button(event_label(e, _), f"csa:f:ev:{e.id}")] for e in events]
        rows.append([button(_("No event"), "csa:f:ev:0")])
        return _("Is this consultation part of an event? Its attendees can then be asked for input, and the needs "
                 "appear with the event."), keyboard([*rows, cancel])
    return (_("When should it stop taking input? Type a date and time like 13/12/2024 17:00 ({zone}), "
              "or choose “No closing time”.").format(zone=esc(_.zone(LOCAL_ZONE))),
            keyboard([[button(_("No closing time"), "csa:f:noclose")], cancel]))


def admin_screen(consultation: Consultation, event: Event | None, total: int, is_open: bool, zone: ZoneInfo,
                 bot_username: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A consultation as coordinators manage it: both questions, the event, whether it is open, the link."""
    cid = consultation.id
    lines = ["<b>" + _("Consultation") + "</b>", esc(consultation.question_en)]
    if consultation.question_km != consultation.question_en:
        lines.append(esc(consultation.question_km))
    lines.append("")
    if event is not None:
        lines.append(_("Event: {event}").format(event=esc(event_text.title(event, _.language))))
    if is_open:
        lines.append(closing_line(consultation, zone, _) or _("Open, with no closing time."))
    else:
        lines.append(_("Closed: it takes no more input."))
    lines.append(_.ngettext("{count} input so far.", "{count} inputs so far.", total).format(count=_.number(total)))
    lines += ["", _("Link for members (share it, or print it as a QR code):"), esc(member_link(bot_username, cid))]
    rows = [
        [button("🗂 " + _("Inputs by theme"), f"csa:g:{cid}"), button("📥 " + _("Export (XLSX)"), f"csa:x:{cid}")],
        [button("📣 " + _("Ask members for input"), f"csa:ask:{cid}")],
        [button("🔒 " + _("Close it"), f"csa:close:{cid}") if is_open
         else button("🔓 " + _("Reopen it"), f"csa:open:{cid}")],
        [button("◀ " + _("All consultations"), "csa:list")],
    ]
    return "\n".join(lines), keyboard(rows)


def sender_line(item: ConsultationInput, member: Member | None, _: Translator) -> str:
    who = member_summary(member, _)
    return ("📝 " + _("Notes of a discussion table, taken by {name}").format(name=who)) if item.table_notes else who


def body(item: ConsultationInput, _: Translator, limit: int | None = None) -> str:
    if item.text:
        return esc(shorten(item.text, limit) if limit else item.text)
    return "🎤 " + _("voice note ({length})").format(length=_.digits(duration(item.voice_seconds)))


def export_table(rows: list[consultations.ExportRow], zone: ZoneInfo, bot_username: str,
                 _: Translator) -> tuple[list[str], list[list]]:
    """The export's header and rows: theme, text, language, who, when (local time), voice link, table notes, merge."""
    headers = ["#", _("Theme"), _("Input"), _("Language"), _("Name"), _("Gender"), _("Stakeholder type"),
               _("Organisation"), _("Province"), _("Time"), _("Voice note"), _("Discussion table notes"),
               _("Merged into")]
    table = []
    for row in rows:
        item, member = row.input, row.member
        table.append([
            item.id, consultations.label(row.theme, _.language), item.text or "",
            LANGUAGE_NAMES.get(item.language, item.language),
            (member.name or "") if member else "",
            _(GENDERS[member.gender]) if member and member.gender in GENDERS else "",
            _(STAKEHOLDERS[member.stakeholder]) if member and member.stakeholder in STAKEHOLDERS else "",
            (member.organisation or "") if member else "",
            province_label(member.province, _.language, _) if member else "",
            item.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            voice_link(bot_username, item.id) if item.voice_file_id else "",
            _("Yes") if item.table_notes else "",
            item.merged_into_id or "",
        ])
    return headers, table


def ask_content(consultation: Consultation) -> dict[str, dict]:
    """The request for input members receive, in every language."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = "\n".join(["<b>" + _("We would like to hear from you") + "</b>", "",
                          esc(consultations.question(consultation, language)), "",
                          _("Press the button below, choose a theme, then type or record your input.")])
        content[language] = {"text": text, "buttons": [[["💬 " + _("Give my input"), f"cs:view:{consultation.id}"]]]}
    return content
