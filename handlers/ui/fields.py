"""A member's profile fields as people read them: their labels, and each field's value in words (the profile,
the registration summary, the member list and the attendee list all show them alike)."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.models import Member
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS, Step, province_label

FIELD_LABELS = {
    Step.NAME: N_("Name"),
    Step.GENDER: N_("Gender"),
    Step.STAKEHOLDER: N_("Stakeholder type"),
    Step.ORGANISATION: N_("Organisation"),
    Step.PROVINCE: N_("Province"),
    Step.PHONE: N_("Phone"),
}


def field_text(member: Member, step: Step, _: Translator) -> str:
    """One profile field as the member reads it (plain text, empty when not given)."""
    if step == Step.GENDER:
        return _(GENDERS[member.gender]) if member.gender in GENDERS else ""
    if step == Step.STAKEHOLDER:
        return _(STAKEHOLDERS[member.stakeholder]) if member.stakeholder in STAKEHOLDERS else ""
    if step == Step.PROVINCE:
        return province_label(member.province, _.language, _)
    return getattr(member, step.value) or ""


def field_value(member: Member, step: Step, _: Translator) -> str:
    """One profile field escaped for an HTML message; a dash when empty."""
    return esc(field_text(member, step, _)) or "—"
