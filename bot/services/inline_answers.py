"""Short answers for inline mode (`@bot question` in any chat): one collected chat call.

No history and no streaming: the question alone goes to the user's chat model, through the
metered gateway like every chat call (ledger kind "chat", chat id = the user's id, since an
inline query belongs to no chat the bot is in). The same user's identical question (same
model, same words) is answered from a small in-memory cache for `cache_seconds`; answers are
never shared between users, whose models, prompts and budgets differ.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.services.catalogue import ModelCatalogue
from bot.services.metering import chat_ceiling
from bot.services.polza import ChatRequest, PolzaClient, TextDelta

# An inline result holds at most 4096 characters: a short answer is asked for and capped.
INLINE_MAX_TOKENS = 800
INLINE_NOTE = (
    "The user asked this in Telegram inline mode: the answer is shown as one short message. "
    "Answer briefly and directly, in the language of the question."
)
CACHE_ENTRIES = 512
# A rough upper bound of tokens per character, for the worst-case reservation.
TOKENS_PER_CHAR = 0.5


def normalised(question: str) -> str:
    return " ".join(question.split())


@dataclass(frozen=True, slots=True)
class _Cached:
    answer: str
    at: float


class InlineAnswers:
    def __init__(
        self,
        polza: PolzaClient,
        catalogue: ModelCatalogue,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._polza = polza
        self._catalogue = catalogue
        self._ttl = cache_seconds
        self._clock = clock
        self._cache: OrderedDict[tuple[int, str, str], _Cached] = OrderedDict()

    def cached(self, user_id: int, model: str, question: str) -> str | None:
        key = (user_id, model, normalised(question))
        hit = self._cache.get(key)
        if hit is None:
            return None
        if self._clock() - hit.at > self._ttl:
            del self._cache[key]
            return None
        return hit.answer

    async def ask(self, *, user_id: int, model: str, question: str, system_prompt: str) -> str:
        """The model's answer (possibly empty); raises `PolzaError`, or `LimitExceeded` before
        anything is sent. A cached answer costs nothing."""
        hit = self.cached(user_id, model, question)
        if hit is not None:
            return hit
        messages = [
            {"role": "system", "content": f"{system_prompt}\n\n{INLINE_NOTE}"},
            {"role": "user", "content": question},
        ]
        snapshot = self._catalogue.cached()
        info = snapshot.get(model) if snapshot is not None else None
        chars = sum(len(m["content"]) for m in messages)
        request = ChatRequest(
            messages=messages,
            model=model,
            user_id=user_id,
            chat_id=user_id,
            max_tokens=INLINE_MAX_TOKENS,
            ceiling=chat_ceiling(
                info,
                prompt_tokens=math.ceil(chars * TOKENS_PER_CHAR) + 16,
                max_tokens=INLINE_MAX_TOKENS,
            ),
        )
        parts = [
            event.text
            async for event in self._polza.stream_chat(request)
            if isinstance(event, TextDelta)
        ]
        answer = "".join(parts).strip()
        if answer and self._ttl > 0:
            self._remember((user_id, model, normalised(question)), answer)
        return answer

    def _remember(self, key: tuple[int, str, str], answer: str) -> None:
        self._cache[key] = _Cached(answer, self._clock())
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
