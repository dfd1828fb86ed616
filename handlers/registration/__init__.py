"""Registration: language, consent, then one question at a time, a summary, and the welcome; and the
member's own profile (profile.py).

`register` adds the registration steps; `register_fallbacks` adds the catch-alls for typed text, other messages
and unknown buttons, which must come after every feature's handlers."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

import handlers.registration.answers as answers
import handlers.registration.callbacks as cb
import handlers.registration.fallbacks as fallbacks
import handlers.registration.profile as profile
import handlers.registration.steps as steps
from handlers.registration.screens import consent_screen, help_text
from handlers.ui.fields import FIELD_LABELS, field_text

# Other features and the tests use these few screens.
__all__ = ["FIELD_LABELS", "consent_screen", "field_text", "help_text", "register", "register_fallbacks"]


def register(app: Application) -> None:
    app.bot_data["services"].intake.resume_hooks.append(steps.resume_hook(app))
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", steps.start, filters=private))
    app.add_handler(CommandHandler("language", steps.language_menu, filters=private))
    for handler, route in ((steps.language_menu, cb.LANGUAGE_MENU), (steps.choose_language, cb.LANGUAGE),
                           (steps.consent, cb.CONSENT), (answers.on_button_answer, cb.ANSWER),
                           (steps.province_page, cb.PROVINCE_PAGE), (steps.edit_field, cb.EDIT),
                           (answers.keep_field, cb.KEEP), (steps.confirm, cb.CONFIRM)):
        app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))
    app.add_handler(MessageHandler(private & filters.CONTACT, answers.on_contact))
    profile.register(app)


def register_fallbacks(app: Application) -> None:
    """Typed text, other messages and unknown buttons, after every feature handler had its chance."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CallbackQueryHandler(fallbacks.unknown_button))
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, fallbacks.on_text))
    app.add_handler(MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, fallbacks.on_other_message))
