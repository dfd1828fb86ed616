"""Run the fake Bot API server standalone, as `python -m bot.fakeapi` does."""

from bot.fakeapi.__main__ import main

if __name__ == "__main__":
    main()
