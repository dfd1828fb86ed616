"""Files: what the bot uploads (documents, photos, voice notes) and what users send, served back by getFile
and the download route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad
from .messages import add_caption


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None = None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.content)} bytes)"


@dataclass
class StoredFile:
    """A file the server knows (uploaded by the bot or registered by a test)."""

    file_id: str
    file_unique_id: str
    name: str
    content: bytes
    mime_type: str | None
    path: str


class Files:
    """Stored files, getFile, and sendDocument / sendPhoto / sendVoice."""

    def _init_files(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}

    def add_file(self, content: bytes, filename: str = "file.bin",
                 mime_type: str | None = None) -> str:
        """Register a file (e.g. one a user sent) and return its file_id."""
        return self._store_file(Upload(filename, content, mime_type), "documents").file_id

    def _store_file(self, upload: Upload, folder: str) -> StoredFile:
        """Keep an uploaded file so getFile and downloads can serve it."""
        number = len(self._files) + 1
        suffix = upload.filename.rsplit(".", 1)[1] if "." in upload.filename else ""
        path = f"{folder}/file_{number}" + (f".{suffix}" if suffix else "")
        stored = StoredFile(file_id=f"BQACAgIAAxkBAAI{self.bot_id}x{number:06d}",
                            file_unique_id=f"AgAD{number:06d}", name=upload.filename,
                            content=upload.content, mime_type=upload.content_type, path=path)
        self._files[stored.file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _input_file(self, params: dict, key: str, folder: str) -> StoredFile:
        """Resolve a file parameter: an upload, attach://name, a known file_id or a URL."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://"):])
        if isinstance(value, Upload):
            return self._store_file(value, folder)
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
                return self._store_file(Upload(name, b""), folder)
            raise bad("wrong file identifier/HTTP URL specified")
        raise bad(f"there is no {key} in the request")

    def _get_file(self, params: dict) -> dict:
        """getFile: a file_path the download route serves."""
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.content), "file_path": stored.path}

    def _send_document(self, params: dict) -> dict:
        """sendDocument (upload, attach://, file_id or URL)."""
        return self._send_file(params, "sendDocument", "document", "documents", _document)

    def _send_photo(self, params: dict) -> dict:
        """sendPhoto (upload, attach://, file_id or URL)."""
        return self._send_file(params, "sendPhoto", "photo", "photos", _photo)

    def _send_voice(self, params: dict) -> dict:
        """sendVoice (upload, attach://, file_id or URL)."""
        return self._send_file(params, "sendVoice", "voice", "voices", _voice)

    def _send_file(self, params: dict, method: str, key: str, folder: str,
                   describe: Callable[[StoredFile, dict], Any]) -> dict:
        """Send the file in parameter `key` with its caption; `describe` gives the Message's `key` field."""
        chat_id = self._target_chat(params)
        caption, plain, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply_to = self._check_reply_target(chat_id, params)
        stored = self._input_file(params, key, folder)
        self._rate_limit(chat_id)
        content: dict[str, Any] = {key: describe(stored, params)}
        add_caption(content, plain, entities)
        return self._store_message(method, chat_id, content, text=caption,
                                   parse_mode=params.get("parse_mode"), plain=plain,
                                   entities=entities, markup=markup, reply_to=reply_to,
                                   **{key: (stored.name, stored.content)}).raw


def _document(stored: StoredFile, params: dict) -> dict:
    """A Document object."""
    document: dict[str, Any] = {"file_id": stored.file_id,
                                "file_unique_id": stored.file_unique_id,
                                "file_name": stored.name, "file_size": len(stored.content)}
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def _photo(stored: StoredFile, params: dict) -> list[dict]:
    """A photo as Telegram gives it: a list of sizes (here one)."""
    return [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
             "width": 320, "height": 320, "file_size": len(stored.content)}]


def _voice(stored: StoredFile, params: dict) -> dict:
    """A Voice object."""
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "duration": params.get("duration") or 0,
            "mime_type": stored.mime_type or "audio/ogg",
            "file_size": len(stored.content)}
