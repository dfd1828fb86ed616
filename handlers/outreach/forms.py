"""The answers outreach's conversations keep in their drafts (a brief's own form is `bot.services.briefs.BriefForm`,
which the composer keeps with the language it asks first)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import LANGUAGES
from bot.services.briefs import BriefForm


@dataclass
class BroadcastForm:
    """An announcement being composed: its version in each language (None: left out) and the audience."""

    en: dict | None = None
    km: dict | None = None
    audience: dict = field(default_factory=dict)

    def content(self) -> dict[str, dict]:
        """Each language's version; with one version only, everyone gets that one."""
        given = {code: getattr(self, code) for code in LANGUAGES if getattr(self, code)}
        if len(given) == 1:
            only = next(iter(given.values()))
            return {code: only for code in LANGUAGES}
        return given


@dataclass
class QuestionForm:
    """A member typing a question about a brief."""

    brief_id: int = 0


@dataclass
class BriefAnswers(BriefForm):
    """A brief being composed, its title and summary asked first in `first` (the coordinator's language)."""

    first: str = "en"
