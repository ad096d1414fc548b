"""/stop across replicas: a stop asked on one replica reaches the answer another one writes
(through a real Redis), and says when there was nothing to stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiogram.types import Update
from redis.asyncio import Redis

from bot.conversation import update_conversation
from bot.services.running import SharedRunningAnswers
from bot.telegram.stop_button import StopAnswer
from storage import ConversationKey
from tests.support import updates

KEY = ConversationKey(chat_id=5, user_id=5)


@contextlib.asynccontextmanager
async def replica(redis: Redis) -> AsyncIterator[SharedRunningAnswers]:
    answers = SharedRunningAnswers(redis, reply_seconds=2.0)
    listening = asyncio.create_task(answers.listen())
    try:
        await asyncio.wait_for(answers.listening.wait(), 10)
        yield answers
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening


async def test_a_stop_reaches_the_answer_another_replica_writes(redis: Redis) -> None:
    async with replica(redis) as writing, replica(redis) as asked:
        stop = writing.start(KEY)
        assert await asked.stop_anywhere(KEY)
        assert stop.is_set(), "the answer on the other replica was told to stop"
        writing.finish(KEY, stop)
        assert not await asked.stop_anywhere(KEY), "nothing runs any more"
        mine = asked.start(KEY)
        assert await asked.stop_anywhere(KEY) and mine.is_set(), "on this replica too"


def test_stops_skip_the_conversation_queue_of_the_shared_inbox() -> None:
    def queue(update: dict[str, object]) -> str | None:
        return update_conversation(Update.model_validate({"update_id": 1, **update}))

    answer = {"message_id": 9, "date": 0, "chat": updates.private_chat(5), "text": "answer"}
    stop = StopAnswer(chat_id=5, user_id=5, thread_id=0).pack()
    assert queue(updates.callback_query(5, stop, answer)) is None, "the Stop button"
    assert queue(updates.private_text(5, "/stop")) is None
    assert queue(updates.callback_query(5, "other:1", answer)) == "5:5:0"
    assert queue(updates.private_text(5, "hello")) == "5:5:0"
