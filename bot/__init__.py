"""Sahakor: member engagement for agroecology networks, over Telegram, in Khmer and English."""
