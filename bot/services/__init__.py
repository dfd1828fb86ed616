"""Domain logic. Plain functions over a database session; nothing here talks to Telegram."""
