"""A message the bot sent, as the fake server keeps it and tests look at it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Msg:
    """A message the bot sent, kept current: edits update it in place, deletion removes it."""

    message_id: int
    chat_id: int
    text: str | None  # text or caption, exactly as sent (markup included when parse_mode is set)
    parse_mode: str | None
    reply_markup: dict | None  # as sent (inline_keyboard / keyboard / remove_keyboard ...)
    document: tuple[str, bytes] | None  # (filename, content) of a sendDocument
    method: str  # sendMessage / sendDocument / ...
    photo: tuple[str, bytes] | None = None  # (filename, content) of a sendPhoto
    voice: tuple[str, bytes] | None = None  # (filename, content) of a sendVoice
    plain_text: str | None = None  # what the user sees: tags removed, entities decoded
    entities: list[dict] = field(default_factory=list)
    date: int = 0
    edit_count: int = 0
    deleted: bool = False
    raw: dict = field(default_factory=dict, repr=False)  # the Message object Telegram would return

    def buttons(self) -> list[list[dict]]:
        """Inline keyboard rows, or reply keyboard rows (plain-string buttons become {"text"})."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    def button_texts(self) -> list[str]:
        """Flat list of the texts of all buttons."""
        return [b.get("text", "") for row in self.buttons() for b in row]

    @property
    def has_inline_keyboard(self) -> bool:
        """Whether an inline keyboard is attached to the message."""
        return bool(self.reply_markup and "inline_keyboard" in self.reply_markup)

    def to_json(self) -> dict:
        """JSON-friendly summary (file contents replaced by their size) for the control API."""
        data = {
            "message_id": self.message_id, "chat_id": self.chat_id, "method": self.method,
            "text": self.text, "plain_text": self.plain_text, "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup, "date": self.date, "edit_count": self.edit_count,
        }
        for key in ("document", "photo"):
            value = getattr(self, key)
            data[key] = None if value is None else {"file_name": value[0], "size": len(value[1])}
        return data
