"""Button presses and polls: answering a callback query once, sending and stopping polls, members' votes."""

from __future__ import annotations

import copy
from typing import Any

from .entities import utf16_len
from .errors import bad

MAX_CALLBACK_ANSWER = 200


class Queries:
    """answerCallbackQuery, sendPoll, stopPoll, and the votes users cast."""

    def _init_queries(self) -> None:
        self._open_queries: set[str] = set()
        self._callback_seq = 0
        self._polls: dict[str, dict] = {}  # poll id -> the Poll object of a sent poll
        self._poll_votes: dict[str, dict[int, list[int]]] = {}  # poll id -> user -> chosen options

    def next_callback_id(self) -> str:
        """A fresh callback query id, which answerCallbackQuery will accept once."""
        self._callback_seq += 1
        query_id = str(4_000_000_000_000 + self._callback_seq)
        self._open_queries.add(query_id)
        return query_id

    def _answer_callback_query(self, params: dict) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER:
            raise bad("MESSAGE_TOO_LONG")
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    def _send_poll(self, params: dict) -> dict:
        """sendPoll with Telegram's limits: question 1-300 characters, 2-12 options of 1-100."""
        chat_id = self._target_chat(params)
        question = _poll_question(params)
        texts = _poll_options(params)
        markup = self._markup(params.get("reply_markup"))
        self._rate_limit(chat_id)
        poll_id = str(5_000_000_000_000 + len(self._polls) + 1)
        poll: dict[str, Any] = {
            "id": poll_id, "question": question, "total_voter_count": 0, "is_closed": False,
            "is_anonymous": params.get("is_anonymous", True) is not False,
            "type": params.get("type") or "regular",
            "allows_multiple_answers": bool(params.get("allows_multiple_answers")),
            "allows_revoting": True, "members_only": False,
            "options": [{"text": text, "voter_count": 0, "persistent_id": str(index)}
                        for index, text in enumerate(texts)]}
        self._polls[poll_id] = poll
        self._poll_votes[poll_id] = {}
        return self._store_message("sendPoll", chat_id, {"poll": poll}, text=question, parse_mode=None,
                                   plain=question, entities=[], markup=markup).raw

    def _stop_poll(self, params: dict) -> dict:
        """stopPoll: closes the poll of a message the bot sent; a closed poll can't be stopped again."""
        chat_id = self._target_chat(params)
        msg = self._history.get(chat_id, {}).get(params.get("message_id"))
        if msg is None or msg.method != "sendPoll":
            raise bad("message with poll to stop not found")
        poll = self._polls[msg.raw["poll"]["id"]]
        if poll["is_closed"]:
            raise bad("poll has already been closed")
        poll["is_closed"] = True
        msg.raw["poll"] = copy.deepcopy(poll)
        return copy.deepcopy(poll)

    def poll(self, poll_id: str) -> dict | None:
        """The current state of a poll the bot sent (votes counted, closed or not)."""
        poll = self._polls.get(poll_id)
        return copy.deepcopy(poll) if poll is not None else None

    def record_vote(self, poll_id: str, user_id: int, option_ids: list[int]) -> None:
        """Apply a user's vote to a poll as Telegram's client would (refused on a closed poll)."""
        poll = self._polls.get(poll_id)
        if poll is None:
            return  # a poll the server never sent: a forged poll_answer, passed through as is
        if poll["is_closed"]:
            raise AssertionError(f"poll {poll_id} is closed: Telegram apps don't let anyone vote")
        votes = self._poll_votes[poll_id]
        votes[user_id] = list(option_ids)
        if not option_ids:
            del votes[user_id]
        for index, option in enumerate(poll["options"]):
            option["voter_count"] = sum(1 for chosen in votes.values() if index in chosen)
        poll["total_voter_count"] = len(votes)


def _poll_question(params: dict) -> str:
    """The poll's question: 1-300 characters."""
    question = params.get("question")
    if not isinstance(question, str) or not question.strip():
        raise bad("poll question must be non-empty")
    if utf16_len(question) > 300:
        raise bad("poll question length must not exceed 300")
    return question


def _poll_options(params: dict) -> list:
    """The options' texts: 2-12 of 1-100 characters."""
    options = params.get("options")
    if not isinstance(options, list):
        raise bad("can't parse options JSON object")
    texts = [o.get("text") if isinstance(o, dict) else o for o in options]
    if not 2 <= len(texts) <= 12:
        raise bad("poll must have at least 2 option" if len(texts) < 2 else "poll can't have more than 12 options")
    for text in texts:
        if not isinstance(text, str) or not text.strip() or utf16_len(text) > 100:
            raise bad("poll options length must not exceed 100")
    return texts
