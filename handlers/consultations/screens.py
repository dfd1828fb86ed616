"""What consultation members and coordinators see: texts, buttons and the export's table, made from plain data
(no I/O).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import event_text
from bot.config import LOCAL_ZONE
from bot.i18n import N_, Translator, translator
from bot.models import Consultation, ConsultationInput, ConsultationTheme, Event, Member
from bot.services import consultations, groups
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
import handlers.consultations.callbacks as to
from handlers.consultations.forms import ConsultationForm
from handlers.ui.bilingual import Pair, in_every_language, pair_screen
from handlers.ui.common import button, keyboard
from handlers.ui.people import duration, event_label, member_summary, shorten

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
    N_("What question do you want to ask, in {language}? For example: “What support do farmers need most for "
       "agroecology?” (Up to {limit} characters.)"),
    N_("Type the question in {language}, or press the button to use the same question in both languages."),
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
        return "\n".join(lines), keyboard([[button("🗂 " + _("My inputs"), to.MINE.data(cid))]])
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
    rows = [[button(consultations.label(t, _.language), to.THEME.data(code, cid, t.id))] for t in themes]
    if table:
        rows.append([button("◀ " + _("My own input"), to.VIEW.data("view", cid))])
    else:
        rows.append([button("📝 " + _("Notes for a discussion table"), to.VIEW.data("table", cid))])
    rows.append([button("🗂 " + _("My inputs"), to.MINE.data(cid))])
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
        rows.append(button(f"🗑 {_.number(number)}", to.DELETE_MINE.data(item.id)))
    markup = [rows[i:i + 4] for i in range(0, len(rows), 4)]
    markup.append([button("◀ " + _("Back"), to.VIEW.data("view", consultation.id))])
    if mine:
        lines += ["", _("Press 🗑 and a number to delete that input.")]
    return "\n".join(lines), keyboard(markup)


def form_screen(step: str, answers: ConsultationForm, events: list[Event],
                _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question the new-consultation form is on."""
    cancel = [button(_("Cancel"), to.FORM.cancel.data())]
    if step.startswith("question_"):
        return pair_screen(QUESTION_PAIR, step, answers, _, to.FORM)
    if step == "themes":
        ready = ", ".join(_(label) for label in POLICY_THEMES)
        text = _("Which themes should inputs be sorted under? Use the ready-made themes for agroecology policy "
                 "({themes}), or type your own, one per line, as “English / Khmer”. A theme in one language is "
                 "used for both. At most {limit}.").format(themes=esc(ready), limit=_.number(consultations.THEMES_MAX))
        return text, keyboard([[button("✅ " + _("Use the agroecology policy themes"), to.FORM_THEMES.data())], cancel])
    if step == "event":
        rows = [[button(event_label(e, _), to.FORM_EVENT.data(e.id))] for e in events]
        rows.append([button(_("No event"), to.FORM_EVENT.data(0))])
        return _("Is this consultation part of an event? Its attendees can then be asked for input, and the needs "
                 "appear with the event."), keyboard([*rows, cancel])
    return (_("When should it stop taking input? Type a date and time like 13/12/2024 17:00 ({zone}), "
              "or choose “No closing time”.").format(zone=esc(_.zone(LOCAL_ZONE))),
            keyboard([[button(_("No closing time"), to.FORM_NO_CLOSING.data())], cancel]))


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
        [button("🗂 " + _("Inputs by theme"), to.BY_THEME.data(cid)), button("📥 " + _("Export (XLSX)"), to.EXPORT.data(cid))],
        [button("📣 " + _("Ask members for input"), to.ASK.data("ask", cid))],
        [button("🔒 " + _("Close it"), to.OPEN_OR_CLOSE.data("close", cid)) if is_open
         else button("🔓 " + _("Reopen it"), to.OPEN_OR_CLOSE.data("open", cid))],
        [button("◀ " + _("All consultations"), to.LIST.data())],
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

    def message(_: Translator) -> dict:
        text = "\n".join(["<b>" + _("We would like to hear from you") + "</b>", "",
                          esc(consultations.question(consultation, _.language)), "",
                          _("Press the button below, choose a theme, then type or record your input.")])
        give = ["💬 " + _("Give my input"), to.VIEW.data("view", consultation.id)]
        return {"text": text, "buttons": [[give]]}

    return in_every_language(message)


def list_screen(found: list[Consultation], open_ids: set[int], to_inputs: bool,
                _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Recent consultations, each opening its screen (or, from /inputs, its inputs by theme)."""
    lines = ["<b>" + _("Consultations") + "</b>", ""]
    lines.append(_("Choose one.") if found else _("There are no consultations yet."))
    rows = []
    for c in found:
        mark = "" if c.id in open_ids else "🔒 "
        target = to.BY_THEME.data(c.id) if to_inputs else to.MANAGE.data(c.id)
        rows.append([button(shorten(mark + consultations.question(c, _.language), 60), target)])
    rows.append([button("➕ " + _("New consultation"), to.NEW.data())])
    return "\n".join(lines), keyboard(rows)


def themes_screen(consultation: Consultation, found: list[consultations.ThemeCount],
                  _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Inputs counted by theme (duplicates merged away), most first, with a button per theme."""
    cid = consultation.id
    total = sum(c.count for c in found)
    lines = [f"<b>{esc(consultations.question(consultation, _.language))}</b>", "",
             "<b>" + _.ngettext("{count} input, by theme:", "{count} inputs, by theme:", total).format(
                 count=_.number(total)) + "</b>"]
    rows = []
    for c in sorted(found, key=lambda c: (-c.count, c.theme.position)):
        name = consultations.label(c.theme, _.language)
        lines.append("• " + _("{label}: {count}").format(label=esc(name), count=_.number(c.count)))
        rows.append([button(shorten(f"{name} ({_.number(c.count)})", 60), to.THEME_PAGE.data(cid, c.theme.id, 0))])
    rows.append([button("📥 " + _("Export (XLSX)"), to.EXPORT.data(cid)), button("◀ " + _("Back"), to.MANAGE.data(cid))])
    return "\n".join(lines), keyboard(rows)


def theme_page_screen(theme: ConsultationTheme, found: list[tuple[ConsultationInput, Member | None]], page: int,
                      _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The inputs under one theme, a page at a time, each with a button to open it."""
    size, cid = consultations.PAGE_SIZE, theme.consultation_id
    shown = found[page * size:(page + 1) * size]
    lines = ["<b>" + _("{label}: {count}").format(label=esc(consultations.label(theme, _.language)),
                                                   count=_.number(len(found))) + "</b>", ""]
    if not found:
        lines.append(_("No input under this theme yet."))
    for item, member in shown:
        lines.append(f"<b>#{item.id}</b> {body(item, _, 160)}")
        lines.append("    — " + sender_line(item, member, _))
    buttons = [button(f"#{item.id}", to.INPUT.data(item.id)) for item, _m in shown]
    rows = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    nav = []
    if page > 0:
        nav.append(button("◀ " + _("Previous"), to.THEME_PAGE.data(cid, theme.id, page - 1)))
    if (page + 1) * size < len(found):
        nav.append(button(_("More") + " ▶", to.THEME_PAGE.data(cid, theme.id, page + 1)))
    rows.append(nav)
    rows.append([button("◀ " + _("All themes"), to.BY_THEME.data(cid))])
    return "\n".join(lines), keyboard(rows)


def input_screen(found: consultations.InputDetails, zone: ZoneInfo, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """One input in full: text or voice, who sent it, when, and what can be done with it."""
    item = found.input
    lines = [f"<b>#{item.id}</b> · {esc(consultations.label(found.theme, _.language))}", "", body(item, _), "",
             sender_line(item, found.member, _), _.datetime(item.created_at, zone, "short")]
    if item.merged_into_id:
        lines.append(_("Merged into #{number}: it is not counted.").format(number=item.merged_into_id))
    if found.duplicates:
        lines.append(_.ngettext("{count} duplicate merged into it.", "{count} duplicates merged into it.",
                                found.duplicates).format(count=_.number(found.duplicates)))
    rows = [[button("🔀 " + _("Move to another theme"), to.MOVE.data(item.id))]]
    if item.merged_into_id:
        rows.append([button("↩ " + _("Undo the merge"), to.UNMERGE.data(item.id))])
    else:
        rows.append([button("🧩 " + _("Merge into another input"), to.MERGE.data(item.id))])
    if item.voice_file_id:
        rows.append([button("🔊 " + _("Listen"), to.LISTEN.data(item.id))])
    rows.append([button("◀ " + _("Back to the theme"), to.THEME_PAGE.data(item.consultation_id, item.theme_id, 0))])
    return "\n".join(lines), keyboard(rows)


def _back_to_input(item: ConsultationInput, _: Translator) -> list:
    return [button("◀ " + _("Back"), to.INPUT.data(item.id))]


def move_screen(item: ConsultationInput, themes: list[ConsultationTheme],
                _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The consultation's other themes, to move an input to."""
    rows = [[button(consultations.label(t, _.language), to.MOVE_TO.data(item.id, t.id))]
            for t in themes if t.id != item.theme_id]
    rows.append(_back_to_input(item, _))
    return _("Move input #{number} to which theme?").format(number=item.id), keyboard(rows)


def merge_screen(item: ConsultationInput, found: list[tuple[ConsultationInput, Member | None]],
                 _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The other inputs under the same theme, to merge this one into."""
    others = [other for other, _m in found if other.id != item.id][:20]
    rows = [[button(shorten(f"#{o.id} {o.text or '🎤'}", 60), to.MERGE_INTO.data(item.id, o.id))] for o in others]
    rows.append(_back_to_input(item, _))
    text = (_("Input #{number} repeats which one? It will stay linked to it and no longer be counted.")
            if others else _("There is no other input under this theme. To merge it with one under another theme, "
                             "move it there first.")).format(number=item.id)
    return text, keyboard(rows)


def theme_prompt(theme: ConsultationTheme, table: bool, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Asks for the input under the chosen theme (as a table's notes in table mode)."""
    text = f"<b>{esc(consultations.label(theme, _.language))}</b>\n" + _(
        "Type your input (up to {limit} characters) or record a voice note (up to {minutes} minutes).").format(
        limit=_.number(consultations.INPUT_MAX), minutes=_.number(groups.VOICE_MAX_SECONDS // 60))
    if table:
        text = "📝 " + _("Notes for a discussion table") + "\n" + text
    return text, keyboard([[button(_("Cancel"), to.CANCEL_INPUT.data(theme.consultation_id))]])


def ask_screen(consultation: Consultation, is_open: bool, count: int, sending: bool,
               _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Where asking members for input stands: closed, nobody to ask, a count to confirm, or on its way."""
    back = [button("◀ " + _("Back"), to.MANAGE.data(consultation.id))]
    if not is_open:
        return _("This consultation is closed. Reopen it before asking for input."), keyboard([back])
    if count == 0:
        return _("There is no one to ask: everyone it is meant for has been asked already."), keyboard([back])
    if sending:
        return (_("The requests are on their way. I will report here when they have been delivered."),
                keyboard([back]))
    who = (_.ngettext("Ask {count} attendee of the event for input?", "Ask {count} attendees of the event for input?",
                      count)
           if consultation.event_id else
           _.ngettext("Ask {count} member for input?", "Ask {count} members for input?", count))
    send = button("📣 " + _("Send"), to.ASK.data("askgo", consultation.id))
    return who.format(count=_.number(count)), keyboard([[send], back])
