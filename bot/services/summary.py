"""Short summaries of conversation turns that no longer fit (HISTORY_SUMMARY=on).

One metered call per summary (kind "summary" in the ledger), with a small `max_tokens`; a
failure or a limit means no summary this time, never a failed answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.services.catalogue import ModelCatalogue
from bot.services.context import estimate_text_tokens, request_chars
from bot.services.errors import PolzaError
from bot.services.limits import LimitExceeded
from bot.services.metering import Charge, chat_ceiling
from bot.services.model_lookup import catalogue_snapshot
from bot.services.polza import ChatRequest, PolzaClient, TextDelta
from storage import ChatTurn, ConversationKey

logger = logging.getLogger(__name__)

SUMMARY_MAX_TOKENS = 600
# One turn's share of the summary's input: a whole long document is not re-read to summarise it.
TURN_CHARS = 8000
SUMMARY_INSTRUCTION = (
    "You keep the memory of a chat between a user and an assistant. Summarise the "
    "conversation below in at most 200 words, in the language of the conversation: the "
    "facts, names, numbers, decisions, the user's preferences and any open questions that "
    "later answers may need. Write only the summary."
)


class Summariser:
    def __init__(self, polza: PolzaClient, catalogue: ModelCatalogue | None, model: str) -> None:
        self._polza = polza
        self._catalogue = catalogue
        self.model = model

    async def summarise(
        self, key: ConversationKey, previous: str | None, turns: Sequence[ChatTurn]
    ) -> str | None:
        """A summary of `previous` (an earlier summary) followed by `turns`; None on failure."""
        lines = [f"Earlier summary:\n{previous}"] if previous else []
        lines += [f"{turn.role.capitalize()}: {_clip(turn.content)}" for turn in turns]
        messages = [
            {"role": "system", "content": SUMMARY_INSTRUCTION},
            {"role": "user", "content": "\n\n".join(lines)},
        ]
        info = None
        if self._catalogue is not None:
            snapshot = await catalogue_snapshot(self._catalogue)
            info = snapshot.get(self.model) if snapshot is not None else None
        prompt_tokens = sum(estimate_text_tokens(str(m["content"])) for m in messages)
        request = ChatRequest(
            messages=messages,
            model=self.model,
            user_id=key.user_id,
            chat_id=key.chat_id,
            max_tokens=SUMMARY_MAX_TOKENS,
            ceiling=chat_ceiling(info, prompt_tokens=prompt_tokens, max_tokens=SUMMARY_MAX_TOKENS),
        )
        charge = Charge(
            "summary", key.user_id, key.chat_id, self.model, prompt_chars=request_chars(messages)
        )
        text = ""
        try:
            async for event in self._polza.stream_chat(request, charge):
                if isinstance(event, TextDelta):
                    text += event.text
        except (PolzaError, LimitExceeded) as error:
            logger.warning("No summary for user %s: %r", key.user_id, error)
            return None
        return text.strip() or None


def _clip(text: str) -> str:
    return text if len(text) <= TURN_CHARS else text[:TURN_CHARS] + " […]"
