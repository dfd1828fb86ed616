"""Telegram handlers: a feature is one folder (or module) with pure screens beside its handlers.
`handlers.wiring.register_all` adds them all in a deliberate order."""
