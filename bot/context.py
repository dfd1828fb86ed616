"""What every handler works with: the callback context (unit of work, translator, clock) and the services
behind it. The composition root (bot.app) fills these in; handlers only read them, so imports flow one way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.cluster import Leadership
from bot.config import Settings
from bot.db import Database
from bot.delivery import DeliveryWorker
from bot.i18n import Translator, translator
from bot.intake import Intake
from bot.logs import redact
from bot.services import inbox

UpdateListener = Callable[[object], None]
ErrorListener = Callable[[object, BaseException], None]

ALLOWED_UPDATES = [
    "message", "edited_message", "callback_query", "my_chat_member", "chat_member", "poll", "poll_answer",
]


class DuplicateUpdate(Exception):
    """The update was already acted on (Telegram delivered it again)."""


@dataclass
class Services:
    """What handlers need besides the update: settings, the database and the clock."""

    settings: Settings
    db: Database
    clock: Clock
    delivery: DeliveryWorker | None = None
    intake: Intake | None = None
    leadership: Leadership | None = None
    # This process's name among the replicas (claims on inbox and outbox rows carry it).
    identity: str = ""
    update_listeners: list[UpdateListener] = field(default_factory=list)
    error_listeners: list[ErrorListener] = field(default_factory=list)


class AppContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the unit of work and the member's translator at hand."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.update_id: int | None = None
        self._update_recorded = False
        self._record_later = False

    @classmethod
    def from_update(cls, update: object, application: Application) -> AppContext:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context.update_id = update.update_id
        return context

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def now(self):
        return self.services.clock.now()

    @staticmethod
    def translator(language: str | None) -> Translator:
        return translator(language)

    def record_later(self) -> None:
        """Says the unit of work in progress only looked: the update is recorded as handled by the next one,
        which acts on it (so a crash in between leaves the update to be handled again, not lost)."""
        self._record_later = True

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction for the update's effects; it also marks the update handled (a repeat rolls back)."""
        self._record_later = False
        async with self.services.db.session() as session:
            yield session
            if self.update_id is not None and not self._update_recorded and not self._record_later:
                if not await inbox.mark_handled(session, self.update_id, self.now()):
                    raise DuplicateUpdate(self.update_id)
                marking = True
            else:
                marking = False
        if marking:
            self._update_recorded = True
            if self.services.intake is not None:
                self.services.intake.marked(self.update_id)
        self._record_later = False


def describe(update: object) -> str:
    """A short description of an update for the log, without personal data: what a person could have written
    in it (a button's data, a command) is redacted here, so the line itself is logged as trusted."""
    if not isinstance(update, Update):
        return type(update).__name__
    user = update.effective_user.id if update.effective_user else "-"
    if update.callback_query:
        return f"button {redact(repr(update.callback_query.data))} from user {user}"
    if update.message:
        text = update.message.text or ""
        if text.startswith("/"):
            return f"command {redact(text.split()[0][:32])} from user {user}"
        kind = "contact" if update.message.contact else ("text" if text else "message")
        return f"{kind} from user {user}"
    if update.my_chat_member:
        return f"chat member status {update.my_chat_member.new_chat_member.status} from user {user}"
    return f"update from user {user}"
