"""Working groups: members browse them and ask to join; coordinators create them, decide, link a chat and report.

Callback data: `grp:*` are members' buttons, `grpa:*` coordinators' (checked on the server every time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from telegram import Chat, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, filters

from bot import event_text
from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Draft, Event, Member, WorkingGroup
from bot.services import drafts as draft_store
from bot.services import groups, outbox
from bot.services.groups import (
    APPROVED,
    DECLINED,
    INTERESTED,
    Decided,
    Expressed,
    InvalidInput,
    InviteState,
    LinkOutcome,
    Person,
    Stage,
)
from bot.text import esc
from bot.vocab import GENDERS, LANGUAGE_NAMES, STAKEHOLDERS, province_label
from handlers import drafts, system
from handlers.common import (
    answer_stale,
    button,
    coordinator_and_translator as require_coordinator,
    is_coordinator,
    keyboard,
    load_member,
    pairs,
    registered_member as _registered,
    reply,
    show,
    tr,
)

log = logging.getLogger(__name__)

NEW, EDIT, PAPER, MESSAGE, REASON = "group_new", "group_edit", "group_paper", "group_message", "group_reason"
MESSAGE_MAX = 3500
PREVIEW_MAX = 150


# ---------------------------------------------------------------- shared with consultations


async def require_typing_coordinator(update: Update, context: AppContext) -> tuple[Member, Translator] | None:
    """A coordinator who can answer typed questions (typed text reaches only registered people)."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return None
    member, _ = allowed
    if member is None or member.registered_at is None or member.step is not None:
        if update.callback_query:
            await update.callback_query.answer()
        await reply(update, _("Please finish registering with /start first, so I can take your typed answers."))
        return None
    return member, _


def invalid_text(error: InvalidInput, _: Translator) -> str:
    """Why typed or sent input was refused, in the person's language."""
    if error.reason == "too_long":
        return _("That is too long. Please keep it under {limit} characters.").format(limit=_.number(error.limit))
    if error.reason == "voice_too_long":
        return _("That voice note is longer than {minutes} minutes. Please record a shorter one.").format(
            minutes=_.number(error.limit // 60))
    if error.reason == "voice_too_big":
        return _("That voice note is larger than {size} MB. Please record a shorter one.").format(
            size=_.number(error.limit // (1024 * 1024)))
    if error.reason == "too_many":
        return _("That is too many themes. Please give at most {limit}.").format(limit=_.number(error.limit))
    if error.reason == "date":
        return _("I could not read that date. Please type it like 13/12/2024 17:00.")
    if error.reason == "past":
        return _("That time has already passed. Please give a later one.")
    if error.reason == "choice":
        return _("Please choose one of the buttons.")
    return _("That was empty. Please type some text.")


@dataclass(frozen=True)
class Voice:
    file_id: str
    seconds: int
    size: int | None


def voice_of(update: Update) -> Voice | None:
    """The voice note in a message, if it carries one."""
    voice = update.message.voice if update.message else None
    if voice is None:
        return None
    # Read from the raw object: the `duration` attribute is changing type across library versions.
    seconds = voice.to_dict().get("duration") or 0
    return Voice(voice.file_id, int(seconds), voice.file_size)


def duration(seconds: int | None) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def shorten(text: str, limit: int = PREVIEW_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def profile_parts(_: Translator, *, name: str | None, gender: str | None, stakeholder: str | None,
                  organisation: str | None, province: str | None = None, phone: str | None = None) -> str:
    """Name, gender, stakeholder type, organisation, province and phone on one line (escaped; phone for coordinators)."""
    parts = [f"<b>{esc(name or _('(no name)'))}</b>"]
    if gender in GENDERS:
        parts.append(_(GENDERS[gender]))
    if stakeholder in STAKEHOLDERS:
        parts.append(_(STAKEHOLDERS[stakeholder]))
    if organisation:
        parts.append(esc(organisation))
    if province:
        parts.append(esc(province_label(province, _.language, _)))
    if phone:
        parts.append("📞 " + esc(phone))
    return " · ".join(parts)


def member_summary(member: Member | None, _: Translator) -> str:
    if member is None:
        return _("(a member who deleted their data)")
    return profile_parts(_, name=member.name, gender=member.gender, stakeholder=member.stakeholder,
                         organisation=member.organisation, province=member.province, phone=member.phone)


def event_label(event: Event, _: Translator) -> str:
    """An event as a button label: its title and day."""
    day = _.date(event.starts_at, event_text.zone(event), "short")
    return shorten(f"{event_text.title(event, _.language)} · {day}", 60)


async def send_voice_note(context: AppContext, chat_id: int, file_id: str, caption: str) -> bool:
    """Sends a stored voice note to a coordinator; False if Telegram no longer has it."""
    try:
        await context.bot.send_voice(chat_id, file_id, caption=caption)
        return True
    except BadRequest as exc:
        log.info("voice note could not be sent: %s", exc)
        return False


@dataclass(frozen=True)
class Pair:
    """A text asked in English then in Khmer; either may be skipped and the other used for both."""

    field: str
    limit: int
    multiline: bool
    required: bool
    ask: str  # the question, with {limit}
    ask_km: str


def pair_for(pairs_: tuple[Pair, ...], step: str | None) -> Pair | None:
    for pair in pairs_:
        if step in (f"{pair.field}_en", f"{pair.field}_km"):
            return pair
    return None


def pair_screen(pair: Pair, step: str, data: dict, _: Translator, prefix: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one language of a pair, with skip / same-for-both / cancel buttons as they apply."""
    rows = []
    if step.endswith("_en"):
        text = _(pair.ask).format(limit=_.number(pair.limit))
        label = _("Skip English: I will write it in Khmer") if pair.required else _("Skip")
        rows.append([button(label, f"{prefix}:skip:{step}")])
    else:
        english = data.get(f"{pair.field}_en") or ""
        text = _(pair.ask_km).format(limit=_.number(pair.limit))
        if english:
            text = _("English: {text}").format(text=f"<b>{esc(shorten(english, 300))}</b>") + "\n\n" + text
            rows.append([button(_("Use the English for both"), f"{prefix}:same:{step}")])
        elif not pair.required:
            rows.append([button(_("Skip"), f"{prefix}:skip:{step}")])
    rows.append([button(_("Cancel"), f"{prefix}:cancel")])
    return text, keyboard(rows)


def pair_clean(pair: Pair, text: str | None) -> str:
    if pair.multiline:
        return groups.clean_text(text, pair.limit)
    return groups.clean_single_line(text, pair.limit)


def pair_next(step: str) -> str | None:
    """After the English comes the Khmer; after the Khmer, whatever the form asks next (None)."""
    return step[:-3] + "_km" if step.endswith("_en") else None


def pair_value(pair: Pair, step: str, data: dict, action: str) -> str | None:
    """The value a skip / same button stands for; None if that button does not apply at this step."""
    english = data.get(f"{pair.field}_en") or ""
    if action == "same" and step.endswith("_km") and english:
        return english
    if action == "skip" and step.endswith("_en"):
        return ""
    if action == "skip" and step.endswith("_km") and not english and not pair.required:
        return ""
    return None


# ---------------------------------------------------------------- texts


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


# ---------------------------------------------------------------- members


async def _list_for(context: AppContext, member: Member | None, coordinator: bool) -> tuple[list, dict, dict]:
    async with context.services.db.session() as session:
        found = await groups.listed(session, include_closed=coordinator)
        mine = await groups.statuses_of(session, member.id) if member else {}
        counts = await groups.interest_counts(session) if coordinator else {}
    return found, mine, counts


async def show_groups(update: Update, context: AppContext) -> None:
    """Lists the working groups (coordinators also see closed ones, counts and a button to add one)."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    coordinator = await is_coordinator(context, update.effective_user.id)
    if not coordinator and (member is None or member.registered_at is None):
        await reply(update, _("Please register first: send /start."))
        if update.callback_query:
            await update.callback_query.answer()
        return
    found, mine, counts = await _list_for(context, member, coordinator)
    text, markup = list_screen(found, mine, _, coordinator=coordinator, counts=counts)
    if update.callback_query:
        await update.callback_query.answer()
    await show(update, text, markup)


async def view_group(update: Update, context: AppContext) -> None:
    """Shows one working group, the member's standing in it and what they can do."""
    member = await _registered(update, context)
    if member is None:
        return
    _ = translator(member.language)
    async with context.services.db.session() as session:
        group = await groups.get(session, int(context.match.group(1)))
        interest = await groups.interest_of(session, group.id, member.id) if group else None
    status = interest.status if interest else None
    if group is None or (group.status != groups.OPEN and status != APPROVED):
        await update.callback_query.answer(_("This working group is not open."), show_alert=True)
        return
    await update.callback_query.answer()
    await show(update, *member_screen(group, status, bool(interest and interest.in_chat), _))


def reason_screen(group: WorkingGroup, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Thank you! Your interest in the {group} is noted.").format(group=f"<b>{group_title(group, _)}</b>")
    text += "\n\n" + _("Would you like to tell the coordinators why you want to join? Type a short reason "
                       "(up to {limit} characters) or send a voice note (up to {minutes} minutes).").format(
        limit=_.number(groups.REASON_MAX), minutes=_.number(groups.VOICE_MAX_SECONDS // 60))
    return text, keyboard([[button(_("Skip"), f"grp:skip:{group.id}")]])


async def interested(update: Update, context: AppContext) -> None:
    """Records the member's interest and offers to add a reason."""
    member = await _registered(update, context)
    if member is None:
        return
    group_id = int(context.match.group(1))
    event_id = int(context.match.group(2)) if context.match.group(2) else None
    async with context.unit_of_work() as session:
        outcome, _interest = await groups.express(session, group_id=group_id, member=member, event_id=event_id,
                                                  now=context.now())
        group = await groups.get(session, group_id)
        if outcome == Expressed.NEW:
            await draft_store.begin(session, member.telegram_id, REASON, step="reason", data={"group_id": group_id},
                                    now=context.now())
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=context.now(), new=True)
    _ = translator(member.language)
    query = update.callback_query
    if outcome == Expressed.CLOSED:
        await query.answer(_("This working group is not open for new members."), show_alert=True)
    elif outcome == Expressed.DECLINED:
        await query.answer(_("Your request to join this working group was not accepted."), show_alert=True)
    elif outcome == Expressed.ALREADY:
        await query.answer(_("You have already expressed interest in this working group."), show_alert=True)
    else:
        await query.answer()
        await reply(update, *reason_screen(group, _))


async def skip_reason(update: Update, context: AppContext) -> None:
    """Leaves the reason out; the interest stands."""
    member = await _registered(update, context)
    if member is None:
        return
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, member.telegram_id, REASON)
        waiting = draft is not None and draft.data.get("group_id") == int(context.match.group(1))
        if waiting:
            await draft_store.discard(session, member.telegram_id, REASON)
    _ = translator(member.language)
    if not waiting:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("Thank you! A coordinator will look at your request."),
               keyboard([[button("◀ " + _("All working groups"), "grp:list")]]))


@drafts.on_input(REASON)
async def take_reason(update: Update, context: AppContext, draft: Draft) -> None:
    """Adds the typed or spoken reason to the member's interest; refuses what is too long, changing nothing."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    voice = voice_of(update)
    text = update.message.text if update.message else None
    if voice is None and text is None:
        await reply(update, _("Please type your reason or send a voice note, or press Skip."))
        return
    group_id = draft.data.get("group_id")
    try:
        seconds = groups.check_voice(voice.seconds, voice.size) if voice else None
        async with context.unit_of_work() as session:
            interest = await groups.give_reason(
                session, group_id=group_id, member_id=member.id, text=text, now=context.now(),
                voice_file_id=voice.file_id if voice else None, voice_seconds=seconds)
            await draft_store.discard(session, member.telegram_id, REASON)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    if interest is None:
        await reply(update, _("Your interest was withdrawn, so there is nothing to add a reason to."))
        return
    await reply(update, _("Thank you, your reason was added. A coordinator will look at your request."),
                keyboard([[button("◀ " + _("All working groups"), "grp:list")]]))


async def withdraw(update: Update, context: AppContext) -> None:
    """Withdraws the member's interest (or membership); an unused invite link stops working."""
    member = await _registered(update, context)
    if member is None:
        return
    group_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        done = await groups.withdraw(session, group_id=group_id, member_id=member.id, now=context.now())
        await draft_store.discard(session, member.telegram_id, REASON)
        group = await groups.get(session, group_id)
        if done is not None:
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=context.now(), new=False)
    _ = translator(member.language)
    if done is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _revoke(context, done.chat_id, done.revoke_link)
    await show(update, _("You have withdrawn from the {group}.").format(group=f"<b>{group_title(group, _)}</b>"),
               keyboard([[button("◀ " + _("All working groups"), "grp:list")]]))


async def _revoke(context: AppContext, chat_id: int | None, link: str | None) -> None:
    if chat_id is None or not link:
        return
    try:
        await context.bot.revoke_chat_invite_link(chat_id, link)
    except TelegramError as exc:
        log.info("invite link could not be revoked: %s", exc)


async def invite_link(update: Update, context: AppContext) -> None:
    """Gives an approved member their own single-use link to the group's chat (the same one if asked again)."""
    member = await _registered(update, context)
    if member is None:
        return
    group_id = int(context.match.group(1))
    now = context.now()
    async with context.unit_of_work() as session:
        check = await groups.invite_check(session, group_id=group_id, member_id=member.id, now=now)
    _ = translator(member.language)
    query = update.callback_query
    refusals = {
        InviteState.NOT_APPROVED: _("Only approved members of a working group get an invite link to its chat."),
        InviteState.NO_CHAT: _("This working group has no Telegram chat yet. The coordinators will tell you when it does."),
        InviteState.IN_CHAT: _("You are already in the group chat."),
    }
    if check.state in refusals:
        await query.answer(refusals[check.state], show_alert=True)
        return
    link = check.interest.invite_link
    if check.state == InviteState.NEEDED:
        # The link has to exist before it can be stored: Telegram makes it, then it is kept for next time.
        expires = now + groups.INVITE_LIFETIME
        try:
            invite = await context.bot.create_chat_invite_link(
                check.group.chat_id, expire_date=expires, member_limit=1, name=groups.invite_name(member.id))
        except (BadRequest, Forbidden) as exc:
            log.warning("invite link for group %s not created: %s", group_id, exc)
            await query.answer(_("I could not make an invite link. Please tell a coordinator."), show_alert=True)
            return
        link = invite.invite_link
        async with context.unit_of_work() as session:
            await groups.store_invite(session, interest_id=check.interest.id, link=link, expires_at=expires, now=now)
    await query.answer()
    text = _("Here is your own link to the chat of the {group}. It works once, for you only; please don't share it.").format(
        group=f"<b>{group_title(check.group, _)}</b>")
    await reply(update, text + "\n" + esc(link),
                InlineKeyboardMarkup([[InlineKeyboardButton("🔗 " + _("Join the group chat"), url=link)]]))


# ---------------------------------------------------------------- coordinators: creating and editing


def _form_screen(kind: str, step: str, data: dict, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    pair = pair_for(GROUP_PAIRS, step)
    code = "n" if kind == NEW else "e"
    return pair_screen(pair, step, data, _, f"grpa:f:{code}")


async def new_group(update: Update, context: AppContext) -> None:
    """Starts creating a working group: its name and description in English and Khmer."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    async with context.unit_of_work() as session:
        draft = await draft_store.begin(session, member.telegram_id, NEW, step="name_en", now=context.now())
    if update.callback_query:
        await update.callback_query.answer()
    await reply(update, "<b>" + _("New working group") + "</b>")
    await reply(update, *_form_screen(NEW, draft.step, {}, _))


async def edit_group(update: Update, context: AppContext) -> None:
    """Asks for a group's new name or description, in English then Khmer."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    field, group_id = ("name" if context.match.group(1) == "ename" else "desc"), int(context.match.group(2))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            draft = await draft_store.begin(session, member.telegram_id, EDIT, step=f"{field}_en",
                                            data={"group_id": group_id}, now=context.now())
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, *_form_screen(EDIT, draft.step, draft.data, _))


async def _form_step(update: Update, context: AppContext, kind: str, step: str, value: str) -> None:
    """Stores one answer of a create/edit form, if the form is really at that question, and asks the next one."""
    me = update.effective_user.id
    finished = None
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, kind)
        if draft is None or draft.step != step:
            draft = None
        else:
            following = pair_next(step)
            if following is None and kind == NEW and step == "name_km":
                following = "desc_en"
            draft_store.advance(draft, step=following, now=context.now(), **{step: value})
            if following is None:
                finished = await _finish_form(session, kind, draft, me, context)
    _ = tr(await load_member(context, me), update)
    if update.callback_query:
        if draft is None:
            await answer_stale(update, _)
            return
        await update.callback_query.answer()
    if draft is None:
        return
    if draft.step is not None:
        await reply(update, *_form_screen(kind, draft.step, draft.data, _))
    elif finished is None:
        await reply(update, _("This working group no longer exists."))
    else:
        await reply(update, _("The working group was created.") if kind == NEW else _("Saved."))
        await reply(update, *coordinator_screen(*finished, _))


async def _finish_form(session, kind: str, draft: Draft, me: int,
                       context: AppContext) -> tuple[WorkingGroup, groups.Funnel] | None:
    """Creates the group, or saves the edited field; None if the group being edited is gone."""
    data = draft.data
    now = context.now()
    await draft_store.discard(session, me, kind)
    if kind == NEW:
        group = await groups.create(session, name_en=data.get("name_en", ""), name_km=data.get("name_km", ""),
                                    description_en=data.get("desc_en", ""), description_km=data.get("desc_km", ""),
                                    created_by=me, now=now)
    else:
        group = await groups.get(session, data.get("group_id"))
        if group is None:
            return None
        if "name_en" in data:
            await groups.rename(session, group, name_en=data["name_en"], name_km=data["name_km"], now=now)
        else:
            await groups.describe(session, group, description_en=data["desc_en"], description_km=data["desc_km"],
                                  now=now)
    return group, await groups.funnel(session, group.id)


async def _typed_form(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a typed name or description; an empty or too long one is refused and nothing changes."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    pair = pair_for(GROUP_PAIRS, draft.step)
    if pair is None or not (update.message and update.message.text):
        await reply(update, _("Please type the text, or use the buttons."))
        return
    try:
        value = pair_clean(pair, update.message.text)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    await _form_step(update, context, draft.kind, draft.step, value)


drafts.on_input(NEW)(_typed_form)
drafts.on_input(EDIT)(_typed_form)


async def form_button(update: Update, context: AppContext) -> None:
    """Skip, same-for-both and cancel in the create/edit forms; checked against where the form really is."""
    if await require_coordinator(update, context) is None:
        return
    kind = NEW if context.match.group(1) == "n" else EDIT
    action, step = context.match.group(2), context.match.group(3)
    me = update.effective_user.id
    if action == "cancel":
        await drafts.cancel_form(update, context, kind)
        return
    async with context.services.db.session() as session:
        draft = await draft_store.get(session, me, kind)
    pair = pair_for(GROUP_PAIRS, step)
    value = pair_value(pair, step, draft.data, action) if draft and pair and draft.step == step else None
    if value is None:
        await answer_stale(update, tr(await load_member(context, me), update))
        return
    await _form_step(update, context, kind, step, value)


async def set_open(update: Update, context: AppContext) -> None:
    """Closes a group to new interest, or reopens it."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    opening, group_id = context.match.group(1) == "open", int(context.match.group(2))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            await groups.set_open(session, group, opening, context.now())
            funnel = await groups.funnel(session, group_id)
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("The group is open again.") if opening else _("The group is closed."))
    await show(update, *coordinator_screen(group, funnel, _))


async def _group_or_stale(update: Update, context: AppContext, _: Translator) -> WorkingGroup | None:
    async with context.services.db.session() as session:
        group = await groups.get(session, int(context.match.group(1)))
    if group is None:
        await answer_stale(update, _)
    return group


async def view_group_admin(update: Update, context: AppContext) -> None:
    """The coordinator's screen of one group."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    async with context.services.db.session() as session:
        group = await groups.get(session, int(context.match.group(1)))
        funnel = await groups.funnel(session, group.id) if group else None
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *coordinator_screen(group, funnel, _))


# ---------------------------------------------------------------- coordinators: people and decisions


async def list_people(update: Update, context: AppContext) -> None:
    """One page of the people interested in a group, with their profiles and reasons."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group_id, page = int(context.match.group(1)), int(context.match.group(2))
    async with context.services.db.session() as session:
        group = await groups.get(session, group_id)
        found, total, page = await groups.people(session, group_id, page=page) if group else ([], 0, 0)
        told = await groups.told(session, group_id, [p.interest.id for p in found])
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *people_screen(group, found, total, page, _, told))


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


async def confirm_decline(update: Update, context: AppContext) -> None:
    """The ✖ button: asks to confirm before anyone is declined."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group_id, interest_id, page = (int(context.match.group(i)) for i in (1, 2, 3))
    async with context.services.db.session() as session:
        group = await groups.get(session, group_id)
        person = await groups.person(session, group_id, interest_id)
    if group is None or person is None or person.interest.status == DECLINED:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *decline_screen(group, person, page, _))


async def decide(update: Update, context: AppContext) -> None:
    """Approves, or (once confirmed) declines, one person; a member hears about it in their language through the
    outbox, and never hears two contradicting decisions."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    approve = context.match.group(1) == "ok"
    group_id, interest_id, page = (int(context.match.group(i)) for i in (2, 3, 4))
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        decision = await groups.decide(session, group_id=group_id, interest_id=interest_id, approve=approve,
                                       by=me, now=now)
        group = await groups.get(session, group_id)
        if decision.outcome == Decided.CHANGED:
            if decision.person.member is not None:
                delivery = await outbox.create(session, kind=groups.DECISION_KIND, send_at=now, created_by=me,
                                               content=decision_content(group, approve), ref_id=group_id, now=now)
                await outbox.add_query(session, delivery, select(Member.telegram_id, Member.id, Member.language)
                                       .where(Member.id == decision.person.member.id))
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=now, new=False)
        found, total, page = await groups.people(session, group_id, page=page) if group else ([], 0, 0)
        told = await groups.told(session, group_id, [p.interest.id for p in found])
    if decision.outcome == Decided.MISSING:
        await answer_stale(update, _)
        return
    context.services.delivery.wake()
    if decision.revoke_link:
        await _revoke(context, group.chat_id, decision.revoke_link)
    name = decision.person.name
    if decision.outcome == Decided.TOLD:
        note = (_("{name} was already told that their request was declined. The decision can't be changed.")
                if approve else
                _("{name} was already told that their request was approved. The decision can't be changed."))
        await update.callback_query.answer(shorten(note.format(name=name), 190), show_alert=True)
    else:
        note = (_("{name} is approved.") if approve else _("{name} is declined.")).format(name=name)
        await update.callback_query.answer(shorten(note, 190))
    await show(update, *people_screen(group, found, total, page, _, told))


async def voice_reason(update: Update, context: AppContext) -> None:
    """Sends a member's spoken reason to the coordinator who asked."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group_id, interest_id = int(context.match.group(1)), int(context.match.group(2))
    async with context.services.db.session() as session:
        person = await groups.person(session, group_id, interest_id)
        group = await groups.get(session, group_id)
    if person is None or not person.interest.reason_voice_file_id:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    caption = _("{name}'s reason for joining the {group}").format(name=esc(person.name), group=group_title(group, _))
    if not await send_voice_note(context, update.effective_user.id, person.interest.reason_voice_file_id, caption):
        await reply(update, _("Telegram no longer has that voice note."))


async def funnel(update: Update, context: AppContext) -> None:
    """Shows the group's funnel and the report sentence in each language."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group = await _group_or_stale(update, context, _)
    if group is None:
        return
    async with context.services.db.session() as session:
        counts = await groups.funnel(session, group.id)
    await update.callback_query.answer()
    await show(update, *funnel_screen(group, counts, _))


# ---------------------------------------------------------------- coordinators: paper sign-ups


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


async def start_paper(update: Update, context: AppContext) -> None:
    """Starts adding someone who signed up on paper (name, gender, stakeholder type, organisation)."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    group_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            await draft_store.begin(session, member.telegram_id, PAPER, step="name", data={"group_id": group_id},
                                    now=context.now())
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, *paper_screen("name", {}, _))


async def _paper_step(update: Update, context: AppContext, step: str, value: str | None) -> None:
    """Stores one answer of a paper sign-up; the last one adds the person to the group."""
    me = update.effective_user.id
    order = ("name", "gender", "stakeholder", "organisation")
    added = None
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, PAPER)
        if draft is not None and draft.step == step:
            following = order[order.index(step) + 1] if step != "organisation" else None
            draft_store.advance(draft, step=following, now=context.now(), **{step: value})
            if following is None:
                data = draft.data
                added = await groups.add_paper(session, group_id=data["group_id"], name=data["name"],
                                               gender=data["gender"], stakeholder=data["stakeholder"],
                                               organisation=data.get("organisation"), now=context.now())
                group = await groups.get(session, data["group_id"])
                await draft_store.discard(session, me, PAPER)
        else:
            draft = None
    _ = tr(await load_member(context, me), update)
    if update.callback_query:
        if draft is None:
            await answer_stale(update, _)
            return
        await update.callback_query.answer()
    if draft is None:
        return
    if added is None:
        text, markup = paper_screen(draft.step, draft.data, _)
        await (show(update, text, markup) if update.callback_query else reply(update, text, markup))
        return
    text = _("{name} was added to the people interested in the {group}.").format(
        name=f"<b>{esc(added.name)}</b>", group=group_title(group, _))
    markup = keyboard([[button("📝 " + _("Add another"), f"grpa:paper:{group.id}")],
                       [button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")]])
    await (show(update, text, markup) if update.callback_query else reply(update, text, markup))


@drafts.on_input(PAPER)
async def take_paper(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a typed name or organisation for a paper sign-up."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    text = update.message.text if update.message else None
    if draft.step not in ("name", "organisation"):
        await reply(update, _("Please choose one of the buttons."))
        return
    try:
        limit = groups.PAPER_NAME_MAX if draft.step == "name" else groups.ORGANISATION_MAX
        value = groups.clean_single_line(text, limit)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    await _paper_step(update, context, draft.step, value)


async def paper_button(update: Update, context: AppContext) -> None:
    """Gender, stakeholder type, skipping the organisation, or cancelling a paper sign-up."""
    if await require_coordinator(update, context) is None:
        return
    what, value = context.match.group(1), context.match.group(2)
    if what == "cancel":
        await drafts.cancel_form(update, context, PAPER)
        return
    if (what == "g" and value not in GENDERS) or (what == "s" and value not in STAKEHOLDERS):
        await answer_stale(update, tr(await load_member(context, update.effective_user.id), update))
        return
    step = {"g": "gender", "s": "stakeholder", "o": "organisation"}[what]
    await _paper_step(update, context, step, None if what == "o" else value)


# ---------------------------------------------------------------- coordinators: messages and event asks


async def start_message(update: Update, context: AppContext) -> None:
    """Asks for the message to send to the group's approved members."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    group_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            await draft_store.begin(session, member.telegram_id, MESSAGE, step="text", data={"group_id": group_id},
                                    now=context.now())
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, _("Type the message for the approved members of the {group}. (Up to {limit} characters.)").format(
        group=f"<b>{group_title(group, _)}</b>", limit=_.number(MESSAGE_MAX)),
        keyboard([[button(_("Cancel"), f"grpa:msgno:{group_id}")]]))


@drafts.on_input(MESSAGE)
async def take_message(update: Update, context: AppContext, draft: Draft) -> None:
    """Shows the typed message as members will read it, with the number of recipients, before sending."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    try:
        text = groups.clean_text(update.message.text if update.message else None, MESSAGE_MAX)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    group_id = draft.data["group_id"]
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        count = await groups.count_query(session, groups.approved_recipients(group_id)) if group else 0
        if count:
            stored = await draft_store.get(session, update.effective_user.id, MESSAGE)
            draft_store.advance(stored, step=None, now=context.now(), text=text)
        else:
            await draft_store.discard(session, update.effective_user.id, MESSAGE)
    if count == 0:
        await reply(update, _("The group has no approved members to send to yet."))
        return
    preview = message_content(group, text)[_.language]["text"]
    ask = _.ngettext("Send this to {count} approved member?", "Send this to {count} approved members?", count).format(
        count=_.number(count))
    await reply(update, preview + "\n\n———\n" + ask,
                keyboard([[button("✅ " + _("Send"), f"grpa:msgok:{group_id}"), button(_("Cancel"), f"grpa:msgno:{group_id}")]]))


async def send_message(update: Update, context: AppContext) -> None:
    """Queues the message for the group's approved members in the outbox (or drops it on cancel)."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    sending, group_id = context.match.group(1) == "ok", int(context.match.group(2))
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, MESSAGE)
        ready = draft is not None and draft.data.get("group_id") == group_id and (not sending or "text" in draft.data)
        group = await groups.get(session, group_id)
        if ready and sending and group is not None:
            delivery = await outbox.create(session, kind="group_message", content=message_content(group, draft.data["text"]),
                                           send_at=now, created_by=me, ref_id=group_id, status_chat_id=me,
                                           status_language=_.language, now=now)
            await outbox.add_query(session, delivery, groups.approved_recipients(group_id))
        if ready:
            await draft_store.discard(session, me, MESSAGE)
    if not ready or group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if not sending:
        await show(update, _("Cancelled. Nothing was sent."))
        return
    context.services.delivery.wake()
    await show(update, _("The message is on its way. I will report here when it has been delivered."))


async def pick_event(update: Update, context: AppContext) -> None:
    """Lists recent events whose attendees could be asked to join the group."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group = await _group_or_stale(update, context, _)
    if group is None:
        return
    async with context.services.db.session() as session:
        events = await groups.recent_events(session)
    await update.callback_query.answer()
    rows = [[button(event_label(e, _), f"grpa:ev:{group.id}:{e.id}")] for e in events]
    rows.append([button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")])
    text = _("Whose attendees should be asked to join the {group}? Those who checked in will receive a message with "
             "an “I'm interested” button; before anyone has checked in, those who answered Going.").format(
        group=f"<b>{group_title(group, _)}</b>")
    if not events:
        text = _("There are no events yet.")
    await show(update, text, keyboard(rows))


def ask_kind(event_id: int) -> str:
    """Deliveries of one group's ask to one event's attendees, so nobody is asked twice."""
    return f"group_ask:{event_id}"


async def confirm_event(update: Update, context: AppContext) -> None:
    """Says how many attendees would be asked, then asks them through the outbox when confirmed."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    sending = context.match.group(1) == "evgo"
    group_id, event_id = int(context.match.group(2)), int(context.match.group(3))
    me, now = update.effective_user.id, context.now()
    count = 0
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        event = await session.get(Event, event_id)
        if group is not None and event is not None:
            prospects = groups.event_prospects(group_id, event_id, kind=ask_kind(event_id), asked_by=me)
            count = await groups.count_query(session, prospects)
            if sending and count and group.status == groups.OPEN:
                delivery = await outbox.create(session, kind=ask_kind(event_id), content=ask_content(group, event),
                                               send_at=now, created_by=me, ref_id=group_id, status_chat_id=me,
                                               status_language=_.language, now=now)
                await outbox.add_query(session, delivery, prospects)
    if group is None or event is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    back = [button("◀ " + _("Back to the group"), f"grpa:view:{group_id}")]
    title = f"<b>{esc(event_text.title(event, _.language))}</b>"
    if group.status != groups.OPEN:
        await show(update, _("The group is closed. Reopen it before asking people to join."), keyboard([back]))
    elif count == 0:
        await show(update, _("There is no one to ask: every attendee of {event} has been asked already or has "
                             "expressed interest.").format(event=title), keyboard([back]))
    elif not sending:
        text = _.ngettext("Ask {count} person from {event} to join the {group}?",
                          "Ask {count} people from {event} to join the {group}?", count).format(
            count=_.number(count), event=title, group=f"<b>{group_title(group, _)}</b>")
        await show(update, text, keyboard([[button("📣 " + _("Send"), f"grpa:evgo:{group_id}:{event_id}")], back]))
    else:
        context.services.delivery.wake()
        await show(update, _("The invitations are on their way. I will report here when they have been delivered."),
                   keyboard([back]))


# ---------------------------------------------------------------- the group's Telegram chat


async def how_to_link(update: Update, context: AppContext) -> None:
    """Explains how to link a Telegram group chat: add the bot to it as an admin allowed to invite users."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group = await _group_or_stale(update, context, _)
    if group is None:
        return
    await update.callback_query.answer()
    text = _("To link a Telegram group chat to the {group}: open the group in Telegram, add @{bot} to it and make "
             "it an admin with the right to invite users. I will then ask you here which working group it is for.").format(
        group=f"<b>{group_title(group, _)}</b>", bot=esc(context.bot.username))
    await show(update, text, keyboard([[button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")]]))


async def _can_invite(context: AppContext, chat_id: int) -> bool | None:
    """Whether the bot may invite users to a chat; None if the chat can't be seen at all."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except (BadRequest, Forbidden):
        return None
    return me.status == ChatMember.OWNER or (me.status == ChatMember.ADMINISTRATOR and bool(me.can_invite_users))


async def bot_added(update: Update, context: AppContext) -> None:
    """When a coordinator adds the bot to a group chat, offers them (privately) to link it to a working group."""
    change = update.my_chat_member
    chat = change.chat
    if chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    if change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
        async with context.unit_of_work() as session:
            group = await groups.unlink_chat(session, chat.id, context.now())
        if group is not None:
            log.info("removed from the chat of working group %s; chat unlinked", group.id)
        return
    adder = change.from_user
    if not await is_coordinator(context, adder.id):
        log.info("added to chat %s by someone who is not a coordinator; ignored", chat.id)
        return
    member = await load_member(context, adder.id)
    _ = tr(member, update)
    can_invite = await _can_invite(context, chat.id)
    async with context.unit_of_work() as session:
        found = await groups.listed(session, include_closed=False)
        current = await groups.group_of_chat(session, chat.id)
    title = f"<b>{esc(chat.title or '')}</b>"
    if not can_invite:
        text = _("I was added to {chat}, but I am not an admin allowed to invite users there. Make me an admin "
                 "with the right to invite users, so I can send approved members their own invite links.").format(chat=title)
        rows = []
    elif current is not None:
        text = _("{chat} is the chat of the {group}.").format(chat=title, group=group_title(current, _))
        rows = []
    elif not found:
        text = _("I was added to {chat}. Create a working group with /newgroup first, then add me again.").format(chat=title)
        rows = []
    else:
        text = _("I was added to {chat} as an admin. Which working group is this chat for?").format(chat=title)
        rows = [[button(shorten(groups.name(g, _.language), 60), f"grpa:link:{g.id}:{chat.id}")] for g in found]
    try:
        await context.bot.send_message(adder.id, text, reply_markup=keyboard(rows) if rows else None)
    except (BadRequest, Forbidden) as exc:
        log.info("could not tell coordinator %s about chat %s: %s", adder.id, chat.id, exc)


async def link_chat(update: Update, context: AppContext) -> None:
    """Links the chat to the chosen working group, once the bot is really an admin there allowed to invite."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    me, _ = allowed
    group_id, chat_id = int(context.match.group(1)), int(context.match.group(2))
    if not await _can_invite(context, chat_id):
        await update.callback_query.answer(_("I am not an admin allowed to invite users in that chat."), show_alert=True)
        return
    chat = await context.bot.get_chat(chat_id)
    now = context.now()
    async with context.unit_of_work() as session:
        outcome = await groups.link_chat(session, group_id, chat_id, chat.title or "", now)
        group = await groups.get(session, group_id)
        if outcome == LinkOutcome.LINKED:
            waiting = groups.approved_outside_chat(group_id)
            if await groups.count_query(session, waiting):
                delivery = await outbox.create(session, kind="group_chat", content=chat_linked_content(group),
                                               send_at=now, created_by=update.effective_user.id, ref_id=group_id,
                                               now=now)
                await outbox.add_query(session, delivery, waiting)
    if outcome == LinkOutcome.MISSING:
        await answer_stale(update, _)
        return
    if outcome == LinkOutcome.TAKEN:
        await update.callback_query.answer(_("That chat is already linked to another working group."), show_alert=True)
        return
    context.services.delivery.wake()
    await update.callback_query.answer()
    await show(update, _("{chat} is now the chat of the {group}. Approved members can get their own invite link.").format(
        chat=f"<b>{esc(chat.title or '')}</b>", group=group_title(group, _)))


def _present(member: ChatMember) -> bool:
    if member.status == ChatMember.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def member_changed(update: Update, context: AppContext) -> None:
    """Notes an approved member joining (or leaving) their working group's chat; the invite link that let someone in
    stops working, so it can't let in anyone else once they leave."""
    change = update.chat_member
    if change.chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    before, after = _present(change.old_chat_member), _present(change.new_chat_member)
    if before == after:
        return
    used = change.invite_link if after else None
    # Only links the bot made are its to revoke (an admin's own links are theirs).
    used_link = used.invite_link if used is not None and used.creator and used.creator.id == context.bot.id else None
    async with context.unit_of_work() as session:
        membership = await groups.chat_membership(session, chat_id=change.chat.id, used_link=used_link, present=after,
                                                  telegram_id=change.new_chat_member.user.id, now=context.now())
    if membership is not None:
        await _revoke_used(context, membership.chat_id, membership.revoke)


async def _revoke_used(context: AppContext | Application, chat_id: int, links: tuple[str, ...]) -> None:
    """Revokes used invite links and forgets them; one Telegram could not be reached about stays stored, to be revoked
    at the next start."""
    services = context.bot_data["services"]
    for link in links:
        try:
            await context.bot.revoke_chat_invite_link(chat_id, link)
        except BadRequest as exc:
            log.info("invite link not revoked (%s); forgotten all the same", exc)
        except TelegramError as exc:
            log.warning("invite link not revoked (%s); tried again at the next start", exc)
            continue
        async with services.db.session() as session:
            await groups.forget_invite(session, chat_id=chat_id, link=link, now=services.clock.now())


@system.on_start
async def revoke_used_invites(application: Application) -> None:
    """At start-up: invite links of members now in their group's chat that could not be revoked before are revoked."""
    async with application.bot_data["services"].db.session() as session:
        found = await groups.used_invites(session)
    for chat_id, link in found:
        await _revoke_used(application, chat_id, (link,))
    if found:
        log.info("%d used invite links revoked at start-up", len(found))


async def list_button(update: Update, context: AppContext) -> None:
    """The 'All working groups' button."""
    await show_groups(update, context)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("groups", show_groups, filters=private))
    app.add_handler(CommandHandler("newgroup", new_group, filters=private))
    app.add_handler(CallbackQueryHandler(list_button, pattern=r"^grp:list$"))
    app.add_handler(CallbackQueryHandler(view_group, pattern=r"^grp:view:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(interested, pattern=r"^grp:int:(\d{1,9})(?::(\d{1,9}))?$"))
    app.add_handler(CallbackQueryHandler(skip_reason, pattern=r"^grp:skip:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(withdraw, pattern=r"^grp:wd:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(invite_link, pattern=r"^grp:inv:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(new_group, pattern=r"^grpa:new$"))
    app.add_handler(CallbackQueryHandler(view_group_admin, pattern=r"^grpa:view:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(edit_group, pattern=r"^grpa:(ename|edesc):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(form_button, pattern=r"^grpa:f:(n|e):(skip|same):(\w{1,16})$"))
    app.add_handler(CallbackQueryHandler(form_button, pattern=r"^grpa:f:(n|e):(cancel)()$"))
    app.add_handler(CallbackQueryHandler(set_open, pattern=r"^grpa:(open|close):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(list_people, pattern=r"^grpa:list:(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(confirm_decline, pattern=r"^grpa:no:(\d{1,9}):(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(decide, pattern=r"^grpa:(ok|nok):(\d{1,9}):(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(voice_reason, pattern=r"^grpa:vo:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(funnel, pattern=r"^grpa:fun:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(start_paper, pattern=r"^grpa:paper:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(paper_button, pattern=r"^grpa:pp:(g|s|o):(\w{1,20})$"))
    app.add_handler(CallbackQueryHandler(paper_button, pattern=r"^grpa:pp:(cancel)()$"))
    app.add_handler(CallbackQueryHandler(start_message, pattern=r"^grpa:msg:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(send_message, pattern=r"^grpa:msg(ok|no):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(pick_event, pattern=r"^grpa:evs:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(confirm_event, pattern=r"^grpa:(ev|evgo):(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(how_to_link, pattern=r"^grpa:howlink:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(link_chat, pattern=r"^grpa:link:(\d{1,9}):(-\d{1,19})$"))
    # System's handler in group 0 takes every my_chat_member update (private chats: blocked or not);
    # group chats are looked at here, in a later group, where chat_member updates are handled too.
    app.add_handler(ChatMemberHandler(bot_added, ChatMemberHandler.MY_CHAT_MEMBER), group=1)
    app.add_handler(ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER), group=1)
