"""The funnel: how many people are at each stage, from interested to in the group's chat."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import GroupInterest
from bot.services.groups.interest import Person, people_query
from bot.services.groups.rules import APPROVED, WITHDRAWN


@dataclass(frozen=True)
class Stage:
    """How many people reached one step, by gender and by stakeholder type."""

    total: int
    by_gender: Counter
    by_stakeholder: Counter

    @property
    def women(self) -> int:
        return self.by_gender["woman"]


@dataclass(frozen=True)
class Funnel:
    interested: Stage
    approved: Stage
    joined: Stage


def _stage(people: list[Person]) -> Stage:
    return Stage(total=len(people), by_gender=Counter(p.gender or "undisclosed" for p in people),
                 by_stakeholder=Counter(p.stakeholder or "other" for p in people))


async def funnel(session: AsyncSession, group_id: int) -> Funnel:
    """Expressed interest → approved → in the chat now, each by gender and stakeholder type (withdrawals left out)."""
    rows = await session.execute(people_query(group_id))
    everyone = [Person(i, m) for i, m in rows.all()]
    approved = [p for p in everyone if p.interest.status == APPROVED]
    joined = [p for p in approved if p.interest.in_chat]
    return Funnel(_stage(everyone), _stage(approved), _stage(joined))


async def interest_counts(session: AsyncSession) -> dict[int, int]:
    """People interested (not withdrawn) per group, for the coordinator's list."""
    rows = await session.execute(select(GroupInterest.group_id, func.count()).where(
        GroupInterest.status != WITHDRAWN).group_by(GroupInterest.group_id))
    return dict(rows.all())
