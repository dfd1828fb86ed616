"""Surveys: defining and sending them, members answering one question at a time, skip logic and
constraints, the post-event trigger and its reminder, and the results.

One module per part (answering, the hot path, says how a member's place and answers are kept); every
public name is re-exported here, so callers write `from bot.services import surveys`, then `surveys.begin(...)`.
"""

from bot.services.surveys.defining import (  # noqa: F401
    BUILDER_MAX_QUESTIONS, BUILDER_OPTIONS, CLOSED, DRAFT, KIND, LOCAL_ZONE, NUMBER_MAX, OPEN, REMINDER_CHOICES,
    REMINDER_KIND, SCHEDULED, TEXT_MAX, TITLE_MAX, VOICE_MAX_SECONDS, ContentBuilder, InvalidInput, attach_event,
    attached_event, built_question, clean_options, clean_title, count_unsent, create, cycle_reminder,
    events_to_attach, get, set_audience, set_closing, unsent, went_out, with_results,
)
from bot.services.surveys.sending import (  # noqa: F401
    Due, Sent, close, discard, is_open, next_due, recipients, run_due, send,
)
from bot.services.surveys.questions import (  # noqa: F401
    asked_count, is_relevant, local_today, next_index, parse_typed, position, previous_index, satisfies, values_of,
)
from bot.services.surveys.answering import (  # noqa: F401
    FOCUS, FOCUS_STEP, MemberSurvey, Status, Step, answer_typed, answer_voice, back, begin, choose, done, edit,
    focus_message, for_member, hold_focus, is_voice, proceed, remember_message, skip, toggle, voice_answer,
)
from bot.services.surveys.results import (  # noqa: F401
    QuestionResult, Record, Results, Tally, records, records_of, results, results_of,
)
