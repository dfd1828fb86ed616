"""What working-group members and coordinators see: texts and buttons made from plain data (no I/O)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import event_text
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Event, WorkingGroup
from bot.services import groups
from bot.services.groups import APPROVED, DECLINED, INTERESTED, Person, Stage
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS
from handlers.ui.common import button, keyboard, pairs
from handlers.ui.people import duration, member_summary, profile_parts, shorten
from handlers.ui.bilingual import Pair, pair_for, pair_screen

NEW, EDIT, PAPER, MESSAGE, REASON = "group_new", "group_edit", "group_paper", "group_message", "group_reason"
MESSAGE_MAX = 3500


GROUP_PAIRS = (
    Pair("name", groups.NAME_MAX, False, True,
         N_("What is the working group's name in English? (Up to {limit} characters.)"),
         N_("What is its name in Khmer? (Up to {limit} characters.)")),
    Pair("desc", groups.DESCRIPTION_MAX, True, False,
         N_("Describe the working group in English: what it does and who should join. (Up to {limit} characters.)"),
         N_("Now the description in Khmer. (Up to {limit} characters.)")),
)
STATUS_LINES = {
    INTERESTED: N_("You have expressed interest. A coordinator will look at your request."),
    APPROVED: N_("You are a member of this working group."),
    DECLINED: N_("Your request to join this working group was not accepted."),
}
STATUS_MARKS = {INTERESTED: "⏳", APPROVED: "✅", DECLINED: "✖"}


def group_title(group: WorkingGroup, _: Translator) -> str:
    return esc(groups.name(group, _.language))


def list_screen(found: list[WorkingGroup], mine: dict[int, str], _: Translator, *, coordinator: bool,
                counts: dict[int, int] | None = None) -> tuple[str, InlineKeyboardMarkup | None]:
    """The working groups, with the member's standing in each (and, for coordinators, closed ones and counts)."""
    lines = ["<b>" + _("Working groups") + "</b>", ""]
    rows = []
    if not found:
        lines.append(_("There are no working groups yet."))
    else:
        lines.append(_("Choose a working group to read about it."))
    for group in found:
        mark = STATUS_MARKS.get(mine.get(group.id, ""), "")
        label = groups.name(group, _.language)
        if coordinator:
            count = (counts or {}).get(group.id, 0)
            label = f"{label} ({_.number(count)})" + (" 🔒" if group.status == groups.CLOSED else "")
            rows.append([button(shorten(label, 60), f"grpa:view:{group.id}")])
        else:
            rows.append([button(shorten(f"{mark} {label}".strip(), 60), f"grp:view:{group.id}")])
    if coordinator:
        rows.append([button("➕ " + _("New working group"), "grpa:new")])
    return "\n".join(lines), keyboard(rows) if rows else None


def member_screen(group: WorkingGroup, status: str | None, in_chat: bool, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A group as a member reads it, with what they can do next."""
    lines = [f"<b>{group_title(group, _)}</b>"]
    about = groups.description(group, _.language)
    if about:
        lines += ["", esc(about)]
    rows = []
    if status in STATUS_LINES:
        lines += ["", _(STATUS_LINES[status])]
    if status in (None, groups.WITHDRAWN):
        rows.append([button("🙋 " + _("I'm interested"), f"grp:int:{group.id}")])
    elif status == INTERESTED:
        rows.append([button(_("Withdraw my interest"), f"grp:wd:{group.id}")])
    elif status == APPROVED:
        if group.chat_id is not None and not in_chat:
            rows.append([button("🔗 " + _("Join the group chat"), f"grp:inv:{group.id}")])
        rows.append([button(_("Leave the working group"), f"grp:wd:{group.id}")])
    rows.append([button("◀ " + _("All working groups"), "grp:list")])
    return "\n".join(lines), keyboard(rows)


def coordinator_screen(group: WorkingGroup, funnel: groups.Funnel, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A group as coordinators manage it: both names, the chat, the numbers and every action."""
    lines = [f"<b>{esc(group.name_en)}</b>"]
    if group.name_km != group.name_en:
        lines.append(f"<b>{esc(group.name_km)}</b>")
    about = groups.description(group, _.language)
    if about:
        lines += ["", esc(shorten(about, 600))]
    lines.append("")
    lines.append(_("Status: open, taking interest.") if group.status == groups.OPEN
                 else _("Status: closed to new interest."))
    lines.append(_("Group chat: {title}").format(title=esc(group.chat_title or "—")) if group.chat_id
                 else _("No Telegram group chat is linked yet."))
    lines.append(_("Interested: {interested} · Approved: {approved} · Joined the chat: {joined}").format(
        interested=_.number(funnel.interested.total), approved=_.number(funnel.approved.total),
        joined=_.number(funnel.joined.total)))
    gid = group.id
    rows = [
        [button("👥 " + _("People interested"), f"grpa:list:{gid}:0"), button("📊 " + _("Funnel"), f"grpa:fun:{gid}")],
        [button("✉️ " + _("Message the members"), f"grpa:msg:{gid}")],
        [button("📣 " + _("Ask an event's attendees"), f"grpa:evs:{gid}")],
        [button("📝 " + _("Add a paper sign-up"), f"grpa:paper:{gid}")],
        [button("✏️ " + _("Name"), f"grpa:ename:{gid}"), button("✏️ " + _("Description"), f"grpa:edesc:{gid}")],
        [button("🔗 " + _("Link a group chat"), f"grpa:howlink:{gid}")],
        [button("🔒 " + _("Close the group"), f"grpa:close:{gid}") if group.status == groups.OPEN
         else button("🔓 " + _("Reopen the group"), f"grpa:open:{gid}")],
        [button("◀ " + _("All working groups"), "grp:list")],
    ]
    return "\n".join(lines), keyboard(rows)


def person_lines(number: int, person: Person, _: Translator) -> list[str]:
    interest = person.interest
    if person.member is not None:
        head = member_summary(person.member, _)
    else:
        head = profile_parts(_, name=person.name, gender=person.gender, stakeholder=person.stakeholder,
                             organisation=person.organisation)
    marks = [STATUS_MARKS.get(interest.status, "")]
    if interest.source == "paper":
        marks.append(_("paper sign-up"))
    if interest.in_chat:
        marks.append(_("in the chat"))
    lines = [f"{_.number(number)}. {head}", "    " + " · ".join(m for m in marks if m)]
    if interest.reason_text:
        lines.append("    “" + esc(shorten(interest.reason_text)) + "”")
    elif interest.reason_voice_file_id:
        length = _.digits(duration(interest.reason_voice_seconds))
        lines.append("    🎤 " + _("voice note ({length})").format(length=length))
    return lines


def people_screen(group: WorkingGroup, people: list[Person], total: int, page: int, _: Translator,
                  told: set[int] = frozenset()) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the people interested in a group, with approve / decline / listen buttons for each (a decision the
    member has been told has no button to reverse it)."""
    lines = ["<b>" + _("People interested in the {group}: {count}").format(
        group=group_title(group, _), count=_.number(total)) + "</b>", ""]
    rows = []
    first = page * groups.PAGE_SIZE + 1
    for offset, person in enumerate(people):
        number = first + offset
        lines += person_lines(number, person, _)
        iid = person.interest.id
        row = []
        if person.interest.status == INTERESTED or (person.interest.status == DECLINED and iid not in told):
            row.append(button(f"✅ {_.number(number)}", f"grpa:ok:{group.id}:{iid}:{page}"))
        if person.interest.status == INTERESTED or (person.interest.status == APPROVED and iid not in told):
            row.append(button(f"✖ {_.number(number)}", f"grpa:no:{group.id}:{iid}:{page}"))
        if person.interest.reason_voice_file_id:
            row.append(button(f"🔊 {_.number(number)}", f"grpa:vo:{group.id}:{iid}"))
        rows.append(row)
    if not people:
        lines.append(_("No one has expressed interest yet."))
    else:
        lines += ["", _("✅ approve · ✖ decline · 🔊 listen to a voice reason")]
    nav = []
    if page > 0:
        nav.append(button("◀ " + _("Previous"), f"grpa:list:{group.id}:{page - 1}"))
    if first + len(people) - 1 < total:
        nav.append(button(_("More") + " ▶", f"grpa:list:{group.id}:{page + 1}"))
    rows.append(nav)
    rows.append([button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")])
    return "\n".join(lines), keyboard(rows)


def interest_sentence(group: WorkingGroup, stage: Stage, _: Translator) -> str:
    """The sentence a report needs: '14 people expressed interest in the Policy Working Group, 6 of them women.'"""
    return _.ngettext("{count} person expressed interest in the {group}.",
                      "{count} people expressed interest in the {group}, {women} of them women.",
                      stage.total).format(count=_.number(stage.total), group=group_title(group, _),
                                          women=_.number(stage.women))


def stage_lines(label: str, stage: Stage, _: Translator) -> list[str]:
    genders = " · ".join(f"{_(GENDERS.get(k, k))} {_.number(n)}" for k, n in stage.by_gender.most_common())
    kinds = " · ".join(f"{_(STAKEHOLDERS.get(k, k))} {_.number(n)}" for k, n in stage.by_stakeholder.most_common())
    lines = ["<b>" + _("{label}: {count}").format(label=label, count=_.number(stage.total)) + "</b>"]
    if stage.total:
        lines += ["    " + genders, "    " + kinds]
    return lines


def funnel_screen(group: WorkingGroup, funnel: groups.Funnel, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Interest → approval → joining the chat, by gender and stakeholder type, with the report sentence in each language."""
    lines = ["<b>" + _("Funnel of the {group}").format(group=group_title(group, _)) + "</b>", ""]
    lines += stage_lines("🙋 " + _("Expressed interest"), funnel.interested, _)
    lines += stage_lines("✅ " + _("Approved"), funnel.approved, _)
    lines += stage_lines("💬 " + _("Joined the group chat"), funnel.joined, _)
    lines += ["", "<b>" + _("For the report:") + "</b>"]
    for language in LANGUAGES:
        sentence = interest_sentence(group, funnel.interested, translator(language))
        lines.append(_("{language}: {sentence}").format(language=LANGUAGE_NAMES[language], sentence=sentence))
    return "\n".join(lines), keyboard([[button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")]])


def decision_content(group: WorkingGroup, approved: bool) -> dict[str, dict]:
    """What the member is told about the coordinators' decision, in every language, for the outbox."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        name = f"<b>{group_title(group, _)}</b>"
        buttons = []
        if approved:
            text = _("Good news! Your request to join the {group} was approved. Welcome!").format(group=name)
            if group.chat_id is not None:
                text += "\n\n" + _("Press the button below to get your own invite link to the group's Telegram chat.")
                buttons = [[["🔗 " + _("Join the group chat"), f"grp:inv:{group.id}"]]]
        else:
            text = _("Thank you for your interest in the {group}. The coordinators could not accept your "
                     "request this time.").format(group=name)
        content[language] = {"text": text, "buttons": buttons}
    return content


def notice_content(group: WorkingGroup, count: int, page: int) -> dict[str, dict]:
    """The coordinators' notice of requests waiting for a decision, in every language, with a button to the list."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = _.ngettext("🙋 {count} new request to join the {group} is waiting for your decision.",
                          "🙋 {count} new requests to join the {group} are waiting for your decision.", count).format(
            count=_.number(count), group=f"<b>{group_title(group, _)}</b>")
        see = ["👥 " + _("See the requests"), f"grpa:list:{group.id}:{page}"]
        content[language] = {"text": text, "buttons": [[see]]}
    return content


def chat_linked_content(group: WorkingGroup) -> dict[str, dict]:
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = _("The {group} now has a Telegram chat. Press the button below to get your own invite link.").format(
            group=f"<b>{group_title(group, _)}</b>")
        content[language] = {"text": text, "buttons": [[["🔗 " + _("Join the group chat"), f"grp:inv:{group.id}"]]]}
    return content


def ask_content(group: WorkingGroup, event: Event) -> dict[str, dict]:
    """The invitation an event's attendees receive to show interest in a group."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        lines = [_("Thank you for taking part in {event}.").format(event=f"<b>{esc(event_text.title(event, language))}</b>"),
                 "", f"<b>{group_title(group, _)}</b>"]
        about = groups.description(group, language)
        if about:
            lines.append(esc(about))
        lines += ["", _("Would you like to join this working group?")]
        content[language] = {"text": "\n".join(lines),
                             "buttons": [[["🙋 " + _("I'm interested"), f"grp:int:{group.id}:{event.id}"]]]}
    return content


def message_content(group: WorkingGroup, text: str) -> dict[str, dict]:
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        header = _("Message to the members of the {group}:").format(group=f"<b>{group_title(group, _)}</b>")
        content[language] = {"text": header + "\n\n" + esc(text)}
    return content


def reason_screen(group: WorkingGroup, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Thank you! Your interest in the {group} is noted.").format(group=f"<b>{group_title(group, _)}</b>")
    text += "\n\n" + _("Would you like to tell the coordinators why you want to join? Type a short reason "
                       "(up to {limit} characters) or send a voice note (up to {minutes} minutes).").format(
        limit=_.number(groups.REASON_MAX), minutes=_.number(groups.VOICE_MAX_SECONDS // 60))
    return text, keyboard([[button(_("Skip"), f"grp:skip:{group.id}")]])


def form_screen(kind: str, step: str, data: dict, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question the new-group or edit form is on."""
    pair = pair_for(GROUP_PAIRS, step)
    code = "n" if kind == NEW else "e"
    return pair_screen(pair, step, data, _, f"grpa:f:{code}")


def decline_screen(group: WorkingGroup, person: Person, page: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Asks the coordinator to confirm a decline, saying what the person will be told."""
    text = _("Decline the request of {name} to join the {group}?").format(
        name=f"<b>{esc(person.name or _('(no name)'))}</b>", group=group_title(group, _))
    if person.member is not None:
        text += "\n\n" + _("They will receive a message saying the coordinators could not accept their request. "
                            "Once it has reached them, the decision can't be changed.")
    gid, iid = group.id, person.interest.id
    return text, keyboard([[button("✖ " + _("Yes, decline"), f"grpa:nok:{gid}:{iid}:{page}")],
                           [button("◀ " + _("No, back to the list"), f"grpa:list:{gid}:{page}")]])


def paper_screen(step: str, data: dict, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    cancel = [button(_("Cancel"), "grpa:pp:cancel")]
    if step == "name":
        return _("Paper sign-up: what is the person's name?"), keyboard([cancel])
    if step == "gender":
        rows = pairs([button(_(label), f"grpa:pp:g:{code}") for code, label in GENDERS.items()])
        return _("What is their gender?"), keyboard([*rows, cancel])
    if step == "stakeholder":
        rows = [[button(_(label), f"grpa:pp:s:{code}")] for code, label in STAKEHOLDERS.items()]
        return _("Which stakeholder type are they?"), keyboard([*rows, cancel])
    return (_("Which organisation, farmer group or cooperative are they part of? Type it, or skip."),
            keyboard([[button(_("Skip"), "grpa:pp:o:skip")], cancel]))


def event_ask_screen(group: WorkingGroup, event: Event, count: int, sending: bool,
                     _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Where asking an event's attendees to join stands: nobody to ask, a count to confirm, or on its way."""
    back = [button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")]
    title = f"<b>{esc(event_text.title(event, _.language))}</b>"
    if group.status != groups.OPEN:
        return _("The group is closed. Reopen it before asking people to join."), keyboard([back])
    if count == 0:
        return (_("There is no one to ask: every attendee of {event} has been asked already or has "
                  "expressed interest.").format(event=title), keyboard([back]))
    if not sending:
        text = _.ngettext("Ask {count} person from {event} to join the {group}?",
                          "Ask {count} people from {event} to join the {group}?", count).format(
            count=_.number(count), event=title, group=f"<b>{group_title(group, _)}</b>")
        return text, keyboard([[button("📣 " + _("Send"), f"grpa:evgo:{group.id}:{event.id}")], back])
    return (_("The invitations are on their way. I will report here when they have been delivered."),
            keyboard([back]))
