"""The audience step shared by the coordinators' composers (/broadcast, /newbrief): the picker kept in
the composer's draft, and what pressing it does.

A composer is declared once with its draft kind, its picker's place and the picker's heading; another feature
may then open it at the audience step with answers of its own (the event report opens the brief composer with
its PDF) by the draft kind alone, without importing the composer's handlers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts
from bot.services.audience import Audience, size
from handlers.ui.audience_picker import MAIN, Place, parse, picker_screen
from handlers.ui.common import answer_stale, reply, show


@dataclass
class Chosen:
    """The audience as a composer's draft keeps it (the rest of the draft is the composer's own form)."""

    audience: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Composer:
    """A composer's audience step: its draft kind, where its picker's buttons go, and the picker's heading (a
    msgid, translated when shown)."""

    kind: str
    picker: Place
    heading: str

    async def show_audience(self, update: Update, context: AppContext, audience: Audience, _: Translator, *,
                            view: str = MAIN, new: bool = False) -> None:
        """Shows the picker with the audience's size, as a new message or in place of the pressed one."""
        async with context.services.db.session() as session:
            sizes = await size(session, audience)
        text, markup = picker_screen(audience, _, self.picker, sizes, view=view, heading=_(self.heading))
        await (reply(update, text, markup) if new else show(update, text, markup))

    async def press(self, update: Update, context: AppContext, _: Translator) -> tuple[Draft, dict[str, int]] | None:
        """Applies a press on the picker and stores the audience in the draft.

        Returns the draft and the audience size per language once the coordinator is done with an audience
        that has members; otherwise shows what comes next (the picker again, or why) and returns None.
        """
        me = update.effective_user.id
        async with context.services.db.session() as session:
            draft = await drafts.get(session, me, self.kind)
        current = Audience.from_json(drafts.read(draft, Chosen).audience) if draft and draft.step is None else None
        choice = parse(self.picker, update.callback_query.data, current) if current is not None else None
        if choice is None:
            await answer_stale(update, _)
            return None
        async with context.unit_of_work() as session:
            draft = await drafts.get(session, me, self.kind)
            drafts.write(draft, Chosen(choice.audience.to_json()), step=None, now=context.now())
            sizes = await size(session, choice.audience)
        await update.callback_query.answer()
        if not choice.done:
            await self.show_audience(update, context, choice.audience, _, view=choice.view)
            return None
        if sum(sizes.values()) == 0:
            await show(update, _("No member matches this audience. Please choose another one."))
            await self.show_audience(update, context, choice.audience, _, new=True)
            return None
        return draft, sizes

    async def open_at_audience(self, update: Update, context: AppContext, _: Translator, answers: object,
                               audience: Audience) -> None:
        """Starts a new draft with the composer's earlier questions already answered (`answers`, a form
        dataclass) and shows the picker with `audience` chosen."""
        data = {**asdict(answers), **asdict(Chosen(audience.to_json()))}
        async with context.unit_of_work() as session:
            await drafts.begin(session, update.effective_user.id, self.kind, step=None, now=context.now(), data=data)
        await self.show_audience(update, context, audience, _, new=True)


_COMPOSERS: dict[str, Composer] = {}


def composer(kind: str, picker: Place, heading: str) -> Composer:
    """Declares the composer of drafts of `kind` (see `open_at_audience`)."""
    _COMPOSERS[kind] = Composer(kind, picker, heading)
    return _COMPOSERS[kind]


async def open_at_audience(kind: str, update: Update, context: AppContext, _: Translator, answers: object,
                           audience: Audience) -> None:
    """Opens the composer of drafts of `kind` at its audience step (see `Composer.open_at_audience`)."""
    await _COMPOSERS[kind].open_at_audience(update, context, _, answers, audience)
