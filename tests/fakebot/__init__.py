"""The fake Bot API server lives in `bot.fakeapi`; `python -m tests.fakebot` still runs it standalone."""
