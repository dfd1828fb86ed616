"""Who a mass send goes to: all members, or a segment of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member


@dataclass(frozen=True)
class Audience:
    """A segment of registered members; an empty field means 'any'."""

    languages: frozenset[str] = field(default_factory=frozenset)
    genders: frozenset[str] = field(default_factory=frozenset)
    stakeholders: frozenset[str] = field(default_factory=frozenset)
    provinces: frozenset[str] = field(default_factory=frozenset)
    member_ids: frozenset[int] | None = None
    # Announcements respect /stop; a reply to something the member asked for need not.
    announcements: bool = True

    def to_json(self) -> dict:
        data = {name: sorted(getattr(self, name)) for name in ("languages", "genders", "stakeholders", "provinces")
                if getattr(self, name)}
        if self.member_ids is not None:
            data["member_ids"] = sorted(self.member_ids)
        if not self.announcements:
            data["announcements"] = False
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> Audience:
        data = data or {}
        return cls(
            languages=frozenset(data.get("languages", ())), genders=frozenset(data.get("genders", ())),
            stakeholders=frozenset(data.get("stakeholders", ())), provinces=frozenset(data.get("provinces", ())),
            member_ids=frozenset(data["member_ids"]) if "member_ids" in data else None,
            announcements=data.get("announcements", True),
        )

    @property
    def is_everyone(self) -> bool:
        return not (self.languages or self.genders or self.stakeholders or self.provinces) and self.member_ids is None

    def where(self, query: Select) -> Select:
        query = query.where(Member.registered_at.is_not(None), Member.reachable.is_(True))
        if self.announcements:
            query = query.where(Member.receives_announcements.is_(True))
        for column, values in ((Member.language, self.languages), (Member.gender, self.genders),
                               (Member.stakeholder, self.stakeholders), (Member.province, self.provinces)):
            if values:
                query = query.where(column.in_(sorted(values)))
        if self.member_ids is not None:
            query = query.where(Member.id.in_(sorted(self.member_ids)))
        return query


def recipients(audience: Audience) -> Select:
    """(chat id, member id, language) of every member in the audience, as a query (never loaded at once)."""
    return audience.where(select(Member.telegram_id, Member.id, Member.language))


async def size(session: AsyncSession, audience: Audience) -> dict[str, int]:
    """How many members the audience has, per language."""
    rows = await session.execute(audience.where(select(Member.language, func.count()).group_by(Member.language)))
    return {language: count for language, count in rows}
