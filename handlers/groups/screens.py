"""What working-group members and coordinators see: texts and buttons made from plain data (no I/O)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import event_text
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Event, WorkingGroup
from bot.services import groups
from bot.services.groups import APPROVED, DECLINED, INTERESTED, Person, Stage
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS
import handlers.groups.callbacks as to
from handlers.groups.forms import NEW, GroupForm
from handlers.ui.bilingual import description_pair, in_every_language, pair_for, pair_screen, title_pair
from handlers.ui.common import button, keyboard, pairs
from handlers.ui.people import duration, event_label, member_summary, profile_parts, shorten

MESSAGE_MAX = 3500


GROUP_PAIRS = (
    title_pair("name", groups.NAME_MAX, N_(
        "What is the working group's name in {language}? (Up to {limit} characters.)"), N_(
        "Type the name in {language}, or press the button to use the same name in both languages.")),
    description_pair("desc", groups.DESCRIPTION_MAX, N_(
        "Describe the working group in {language}: what it does and who should join. (Up to {limit} characters.)")),
)
STATUS_LINES = {
    INTERESTED: N_("You have expressed interest. A coordinator will look at your request."),
    APPROVED: N_("You are a member of this working group."),
    DECLINED: N_("Your request to join this working group was not accepted."),
}
STATUS_MARKS = {INTERESTED: "⏳", APPROVED: "✅", DECLINED: "✖"}


def group_title(group: WorkingGroup, _: Translator) -> str:
    return esc(groups.name(group, _.language))


def all_groups(_: Translator) -> InlineKeyboardButton:
    return button("◀ " + _("All working groups"), to.LIST.data())


def back_to(group: WorkingGroup, _: Translator) -> InlineKeyboardButton:
    """Back to the coordinators' screen of the group."""
    return button("◀ " + _("Back to the group"), to.MANAGE.data(group.id))


def member_note(text: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A word to a member about their request, with the way back to the list."""
    return text, keyboard([[all_groups(_)]])


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
            rows.append([button(shorten(label, 60), to.MANAGE.data(group.id))])
        else:
            rows.append([button(shorten(f"{mark} {label}".strip(), 60), to.VIEW.data(group.id))])
    if coordinator:
        rows.append([button("➕ " + _("New working group"), to.NEW.data())])
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
        rows.append([button("🙋 " + _("I'm interested"), to.INTERESTED.data(group.id))])
    elif status == INTERESTED:
        rows.append([button(_("Withdraw my interest"), to.WITHDRAW.data(group.id))])
    elif status == APPROVED:
        if group.chat_id is not None and not in_chat:
            rows.append([button("🔗 " + _("Join the group chat"), to.INVITE.data(group.id))])
        rows.append([button(_("Leave the working group"), to.WITHDRAW.data(group.id))])
    rows.append([all_groups(_)])
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
        [button("👥 " + _("People interested"), to.PEOPLE.data(gid, 0)), button("📊 " + _("Funnel"), to.FUNNEL.data(gid))],
        [button("✉️ " + _("Message the members"), to.MESSAGE.data(gid))],
        [button("📣 " + _("Ask an event's attendees"), to.EVENTS.data(gid))],
        [button("📝 " + _("Add a paper sign-up"), to.PAPER.data(gid))],
        [button("✏️ " + _("Name"), to.EDIT.data("ename", gid)), button("✏️ " + _("Description"), to.EDIT.data("edesc", gid))],
        [button("🔗 " + _("Link a group chat"), to.HOW_TO_LINK.data(gid))],
        [button("🔒 " + _("Close the group"), to.OPEN_OR_CLOSE.data("close", gid)) if group.status == groups.OPEN
         else button("🔓 " + _("Reopen the group"), to.OPEN_OR_CLOSE.data("open", gid))],
        [all_groups(_)],
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
            row.append(button(f"✅ {_.number(number)}", to.DECIDE.data("ok", group.id, iid, page)))
        if person.interest.status == INTERESTED or (person.interest.status == APPROVED and iid not in told):
            row.append(button(f"✖ {_.number(number)}", to.CONFIRM_DECLINE.data(group.id, iid, page)))
        if person.interest.reason_voice_file_id:
            row.append(button(f"🔊 {_.number(number)}", to.VOICE_REASON.data(group.id, iid)))
        rows.append(row)
    if not people:
        lines.append(_("No one has expressed interest yet."))
    else:
        lines += ["", _("✅ approve · ✖ decline · 🔊 listen to a voice reason")]
    nav = []
    if page > 0:
        nav.append(button("◀ " + _("Previous"), to.PEOPLE.data(group.id, page - 1)))
    if first + len(people) - 1 < total:
        nav.append(button(_("More") + " ▶", to.PEOPLE.data(group.id, page + 1)))
    rows.append(nav)
    rows.append([back_to(group, _)])
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
    return "\n".join(lines), keyboard([[back_to(group, _)]])


def _join_chat(group: WorkingGroup, _: Translator) -> list:
    """The outbox button that gets an approved member their own invite link."""
    return [[["🔗 " + _("Join the group chat"), to.INVITE.data(group.id)]]]


def decision_content(group: WorkingGroup, approved: bool) -> dict[str, dict]:
    """What the member is told about the coordinators' decision, in every language, for the outbox."""

    def message(_: Translator) -> dict:
        name = f"<b>{group_title(group, _)}</b>"
        if not approved:
            return {"text": _("Thank you for your interest in the {group}. The coordinators could not accept your "
                              "request this time.").format(group=name), "buttons": []}
        text = _("Good news! Your request to join the {group} was approved. Welcome!").format(group=name)
        if group.chat_id is None:
            return {"text": text, "buttons": []}
        text += "\n\n" + _("Press the button below to get your own invite link to the group's Telegram chat.")
        return {"text": text, "buttons": _join_chat(group, _)}

    return in_every_language(message)


def notice_content(group: WorkingGroup, count: int, page: int) -> dict[str, dict]:
    """The coordinators' notice of requests waiting for a decision, in every language, with a button to the list."""

    def message(_: Translator) -> dict:
        text = _.ngettext("🙋 {count} new request to join the {group} is waiting for your decision.",
                          "🙋 {count} new requests to join the {group} are waiting for your decision.", count).format(
            count=_.number(count), group=f"<b>{group_title(group, _)}</b>")
        return {"text": text, "buttons": [[["👥 " + _("See the requests"), to.PEOPLE.data(group.id, page)]]]}

    return in_every_language(message)


def chat_linked_content(group: WorkingGroup) -> dict[str, dict]:
    """What approved members are told once their group has a chat."""
    return in_every_language(lambda _: {
        "text": _("The {group} now has a Telegram chat. Press the button below to get your own invite link.").format(
            group=f"<b>{group_title(group, _)}</b>"),
        "buttons": _join_chat(group, _)})


def ask_content(group: WorkingGroup, event: Event) -> dict[str, dict]:
    """The invitation an event's attendees receive to show interest in a group."""

    def message(_: Translator) -> dict:
        title = f"<b>{esc(event_text.title(event, _.language))}</b>"
        lines = [_("Thank you for taking part in {event}.").format(event=title), "", f"<b>{group_title(group, _)}</b>"]
        about = groups.description(group, _.language)
        if about:
            lines.append(esc(about))
        lines += ["", _("Would you like to join this working group?")]
        interested = ["🙋 " + _("I'm interested"), to.INTERESTED_AFTER_EVENT.data(group.id, event.id)]
        return {"text": "\n".join(lines), "buttons": [[interested]]}

    return in_every_language(message)


def message_content(group: WorkingGroup, text: str) -> dict[str, dict]:
    """A coordinator's message to the group's approved members, under a line saying whom it is for."""
    return in_every_language(lambda _: {
        "text": _("Message to the members of the {group}:").format(group=f"<b>{group_title(group, _)}</b>")
        + "\n\n" + esc(text)})


def reason_screen(group: WorkingGroup, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Thank you! Your interest in the {group} is noted.").format(group=f"<b>{group_title(group, _)}</b>")
    text += "\n\n" + _("Would you like to tell the coordinators why you want to join? Type a short reason "
                       "(up to {limit} characters) or send a voice note (up to {minutes} minutes).").format(
        limit=_.number(groups.REASON_MAX), minutes=_.number(groups.VOICE_MAX_SECONDS // 60))
    return text, keyboard([[button(_("Skip"), to.SKIP_REASON.data(group.id))]])


def form_screen(kind: str, step: str, answers: GroupForm, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question the new-group or edit form is on."""
    return pair_screen(pair_for(GROUP_PAIRS, step), step, answers, _, to.NEW_FORM if kind == NEW else to.EDIT_FORM)


def decline_screen(group: WorkingGroup, person: Person, page: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Asks the coordinator to confirm a decline, saying what the person will be told."""
    text = _("Decline the request of {name} to join the {group}?").format(
        name=f"<b>{esc(person.name or _('(no name)'))}</b>", group=group_title(group, _))
    if person.member is not None:
        text += "\n\n" + _("They will receive a message saying the coordinators could not accept their request. "
                            "Once it has reached them, the decision can't be changed.")
    gid, iid = group.id, person.interest.id
    return text, keyboard([[button("✖ " + _("Yes, decline"), to.DECIDE.data("nok", gid, iid, page))],
                           [button("◀ " + _("No, back to the list"), to.PEOPLE.data(gid, page))]])


def paper_screen(step: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    cancel = [button(_("Cancel"), to.PAPER_CANCEL.data())]
    if step == "name":
        return _("Paper sign-up: what is the person's name?"), keyboard([cancel])
    if step == "gender":
        rows = pairs([button(_(label), to.PAPER_ANSWER.data("g", code)) for code, label in GENDERS.items()])
        return _("What is their gender?"), keyboard([*rows, cancel])
    if step == "stakeholder":
        rows = [[button(_(label), to.PAPER_ANSWER.data("s", code))] for code, label in STAKEHOLDERS.items()]
        return _("Which stakeholder type are they?"), keyboard([*rows, cancel])
    return (_("Which organisation, farmer group or cooperative are they part of? Type it, or skip."),
            keyboard([[button(_("Skip"), to.PAPER_ANSWER.data("o", "skip"))], cancel]))


def event_ask_screen(group: WorkingGroup, event: Event, count: int, sending: bool,
                     _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Where asking an event's attendees to join stands: nobody to ask, a count to confirm, or on its way."""
    back = [back_to(group, _)]
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
        return text, keyboard([[button("📣 " + _("Send"), to.ASK_EVENT.data("evgo", group.id, event.id))], back])
    return (_("The invitations are on their way. I will report here when they have been delivered."),
            keyboard([back]))


def invite_screen(group: WorkingGroup, link: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A member's own link to the group's chat."""
    text = _("Here is your own link to the chat of the {group}. It works once, for you only; please don't share it.").format(
        group=f"<b>{group_title(group, _)}</b>")
    return (text + "\n" + esc(link),
            InlineKeyboardMarkup([[InlineKeyboardButton("🔗 " + _("Join the group chat"), url=link)]]))


def how_to_link_screen(group: WorkingGroup, bot_username: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """How to link a Telegram group chat: add the bot to it as an admin allowed to invite users."""
    text = _("To link a Telegram group chat to the {group}: open the group in Telegram, add @{bot} to it and make "
             "it an admin with the right to invite users. I will then ask you here which working group it is for.").format(
        group=f"<b>{group_title(group, _)}</b>", bot=esc(bot_username))
    return text, keyboard([[back_to(group, _)]])


def chat_added_screen(chat_id: int, chat_title: str, can_invite: bool, current: WorkingGroup | None,
                      found: list[WorkingGroup], _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the coordinator who added the bot to a group chat is told, with the groups it could be linked to."""
    title = f"<b>{esc(chat_title)}</b>"
    if not can_invite:
        return _("I was added to {chat}, but I am not an admin allowed to invite users there. Make me an admin "
                 "with the right to invite users, so I can send approved members their own invite links.").format(
            chat=title), None
    if current is not None:
        return _("{chat} is the chat of the {group}.").format(chat=title, group=group_title(current, _)), None
    if not found:
        return _("I was added to {chat}. Create a working group with /newgroup first, then add me again.").format(
            chat=title), None
    rows = [[button(shorten(groups.name(g, _.language), 60), to.LINK.data(g.id, chat_id))] for g in found]
    text = _("I was added to {chat} as an admin. Which working group is this chat for?").format(chat=title)
    return text, keyboard(rows)


def paper_added_screen(group: WorkingGroup, name: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = _("{name} was added to the people interested in the {group}.").format(
        name=f"<b>{esc(name)}</b>", group=group_title(group, _))
    return text, keyboard([[button("📝 " + _("Add another"), to.PAPER.data(group.id))], [back_to(group, _)]])


def message_prompt(group: WorkingGroup, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Asks for the message to the group's approved members."""
    text = _("Type the message for the approved members of the {group}. (Up to {limit} characters.)").format(
        group=f"<b>{group_title(group, _)}</b>", limit=_.number(MESSAGE_MAX))
    return text, keyboard([[button(_("Cancel"), to.SEND_OR_DROP.data("msgno", group.id))]])


def message_preview(group: WorkingGroup, text: str, count: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The typed message as members will read it, and how many will, before it is sent."""
    preview = message_content(group, text)[_.language]["text"]
    ask = _.ngettext("Send this to {count} approved member?", "Send this to {count} approved members?", count).format(
        count=_.number(count))
    return preview + "\n\n———\n" + ask, keyboard([[button("✅ " + _("Send"), to.SEND_OR_DROP.data("msgok", group.id)),
                                                   button(_("Cancel"), to.SEND_OR_DROP.data("msgno", group.id))]])


def events_screen(group: WorkingGroup, found: list[Event], _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Recent events whose attendees could be asked to join the group."""
    rows = [[button(event_label(e, _), to.ASK_EVENT.data("ev", group.id, e.id))] for e in found]
    rows.append([back_to(group, _)])
    if not found:
        return _("There are no events yet."), keyboard(rows)
    text = _("Whose attendees should be asked to join the {group}? Those who checked in will receive a message with "
             "an “I'm interested” button; before anyone has checked in, those who answered Going.").format(
        group=f"<b>{group_title(group, _)}</b>")
    return text, keyboard(rows)
