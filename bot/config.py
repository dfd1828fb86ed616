"""Configuration read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from bot.text import normalize_digits

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite:///sahakor.sqlite3"
DEFAULT_TIMEZONE = "Asia/Phnom_Penh"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    token: str
    database_url: str = DEFAULT_DATABASE_URL
    api_base_url: str = DEFAULT_API_BASE_URL
    api_file_url: str = ""
    coordinator_ids: frozenset[int] = field(default_factory=frozenset)
    timezone: str = DEFAULT_TIMEZONE
    log_level: str = "INFO"
    # Telegram's documented limits for mass sends (0 = no limit, e.g. for paid broadcasts).
    rate_overall_per_second: float = 30.0
    # How often a coordinator's "Sent 1,200 / 5,000" message is edited, at most.
    progress_interval: float = 3.0
    rate_group_per_minute: float = 20.0
    # Base delay of the exponential backoff when Telegram is unreachable or answers 5xx.
    network_retry_base_delay: float = 0.5
    network_retries: int = 4
    poll_timeout: int = 10
    # Updates handled at once; each member's own updates are still handled one at a time, in order.
    concurrent_updates: int = 32
    # Webhook mode (`sahakor run --webhook`): Telegram posts updates to WEBHOOK_URL; the bot listens on
    # WEBHOOK_LISTEN:WEBHOOK_PORT at that URL's path (behind a reverse proxy that ends TLS).
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: str = ""
    # How long a process's claim on an update or an outbox message holds without being renewed: a process
    # that dies has its work taken over by another after this long (PostgreSQL replicas).
    lease_seconds: float = 30.0
    # How often a process that is not the leader tries to become it (the leader runs the scheduled jobs).
    leader_check_interval: float = 5.0
    # How often each process looks for updates no live process holds (left by one that died).
    inbox_sweep_interval: float = 1.0
    # How often the leader rebuilds the scheduled jobs from their rows (work planned by other processes).
    jobs_resync_interval: float = 30.0

    def __post_init__(self) -> None:
        if not self.api_file_url:
            object.__setattr__(self, "api_file_url", derive_file_url(self.api_base_url))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def derive_file_url(base_url: str) -> str:
    """Telegram serves files under `/file/bot<token>` beside `/bot<token>`."""
    base = base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file"


def parse_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in normalize_digits(raw).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"COORDINATOR_IDS must be comma-separated Telegram user ids, got {part!r}.")
        ids.add(int(part))
    return frozenset(ids)


def load_settings(env: dict[str, str] | None = None, *, require_token: bool = True,
                  dotenv_path: str | Path | None = ".env") -> Settings:
    """Reads the settings; raises ConfigError with a human sentence when one is wrong."""
    if env is None:
        if dotenv_path and Path(dotenv_path).is_file():
            load_dotenv(dotenv_path, override=False)
        env = dict(os.environ)
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if require_token and not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather, then set "
            "TELEGRAM_BOT_TOKEN in the environment or in a .env file (see .env.example)."
        )
    timezone = env.get("TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {timezone!r} is not a known time zone (e.g. Asia/Phnom_Penh).") from None
    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}.")
    return Settings(
        token=token,
        database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
        api_file_url=env.get("TELEGRAM_API_FILE_URL", "").strip(),
        coordinator_ids=parse_ids(env.get("COORDINATOR_IDS", "")),
        timezone=timezone,
        log_level=log_level,
        rate_overall_per_second=_float(env, "SEND_RATE_PER_SECOND", 30.0),
        concurrent_updates=max(1, int(_float(env, "CONCURRENT_UPDATES", 32))),
        webhook_url=env.get("WEBHOOK_URL", "").strip(),
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
        webhook_port=int(_float(env, "WEBHOOK_PORT", 8080)),
        webhook_secret=env.get("WEBHOOK_SECRET", "").strip(),
        lease_seconds=max(1.0, _float(env, "LEASE_SECONDS", 30.0)),
        leader_check_interval=max(0.1, _float(env, "LEADER_CHECK_SECONDS", 5.0)),
        inbox_sweep_interval=max(0.05, _float(env, "INBOX_SWEEP_SECONDS", 1.0)),
        jobs_resync_interval=max(1.0, _float(env, "JOBS_RESYNC_SECONDS", 30.0)),
    )


def check_webhook(settings: Settings) -> None:
    """Webhook mode needs a public HTTPS URL and a secret Telegram will send back with every update."""
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is not set: the public HTTPS address Telegram posts updates to, "
                          "e.g. https://bot.example.org/telegram (see README, 'Running with a webhook').")
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", settings.webhook_secret):
        raise ConfigError("WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - "
                          "(Telegram sends it back in a header with every update).")


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = normalize_digits(env.get(name, "")).strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative.")
    return value


class LocalZone(tzinfo):
    """The configured TIMEZONE as one tzinfo, for code with no Settings at hand (a survey's "today", the date
    on a member's profile): it stands for the zone the bot was started with (`use`, called on start)."""

    def __init__(self, key: str) -> None:
        self._zone = ZoneInfo(key)

    @property
    def key(self) -> str:
        return self._zone.key

    def use(self, key: str) -> None:
        self._zone = ZoneInfo(key)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self._zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self._zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self._zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        return self._zone.fromutc(dt.replace(tzinfo=self._zone)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return f"LocalZone({self.key!r})"


LOCAL_ZONE = LocalZone(DEFAULT_TIMEZONE)
