"""What the bot counts for Prometheus (`GET /metrics` in webhook mode): one registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_RECEIVED = Counter("sahakor_updates_received", "Updates stored in the inbox (repeats left out).",
                           registry=REGISTRY)
UPDATES_REPEATED = Counter("sahakor_updates_repeated", "Updates Telegram delivered again, recognised and dropped.",
                           registry=REGISTRY)
UPDATES_HANDLED = Counter("sahakor_updates_handled", "Updates handled by this process.", registry=REGISTRY)
UPDATES_FAILED = Counter("sahakor_updates_failed", "Handling attempts that ended in an error.", registry=REGISTRY)
HANDLING_SECONDS = Histogram("sahakor_update_handling_seconds", "Time from taking an update to finishing it.",
                             buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=REGISTRY)
MESSAGES_SENT = Counter("sahakor_messages_sent", "Outbox messages Telegram accepted.", registry=REGISTRY)
TOO_MANY_REQUESTS = Counter("sahakor_telegram_429", "Bot API calls Telegram answered with 429 (retry after).",
                            registry=REGISTRY)
INBOX_DEPTH = Gauge("sahakor_inbox_depth", "Updates stored and not yet handled.", registry=REGISTRY)
INBOX_LAG = Gauge("sahakor_inbox_lag_seconds", "Age of the oldest update not yet handled.", registry=REGISTRY)
OUTBOX_DEPTH = Gauge("sahakor_outbox_depth", "Outbox messages waiting or in flight.", registry=REGISTRY)
LEADER = Gauge("sahakor_leader", "1 while this process runs the scheduled jobs.", registry=REGISTRY)
