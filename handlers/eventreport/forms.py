"""What the event report keeps in its draft between sending the files and a press of a brief button."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.services.briefs import BriefForm


@dataclass
class ReportBrief(BriefForm):
    """The brief the report makes (its PDF, 'Report: <title>', the donor sentence) and the event it is of."""

    event_id: int = 0

    def answers(self) -> BriefForm:
        """The brief composer's answers, without the event."""
        return BriefForm(**{f.name: getattr(self, f.name) for f in fields(BriefForm)})
