"""Answers being generated right now, so a user can stop theirs, on whichever replica runs it.

With REDIS_URL a stop asked on a replica that does not run the answer is published to every
replica (`SharedRunningAnswers`); the one running it stops it and says so on a reply key the
asker waits on for a moment. An answer in progress costs Redis nothing: only a stop does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING, cast

from storage import ConversationKey

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

CHANNEL = "polza-bot:stop"
REPLY_PREFIX = "polza-bot:stopped:"
# How long a stop waits for the replica running the answer to say it stopped it.
REPLY_SECONDS = 1.0
# Between tries to listen again after Redis went away.
RELISTEN_SECONDS = 1.0


class RunningAnswers:
    """One stop switch per conversation (a conversation streams one answer at a time)."""

    def __init__(self) -> None:
        self._running: dict[ConversationKey, asyncio.Event] = {}

    def start(self, key: ConversationKey) -> asyncio.Event:
        stop = asyncio.Event()
        self._running[key] = stop
        return stop

    def finish(self, key: ConversationKey, stop: asyncio.Event) -> None:
        if self._running.get(key) is stop:
            del self._running[key]

    def stop(self, key: ConversationKey) -> bool:
        """Ask the running answer of `key` in this process to stop; False if none runs here."""
        stop = self._running.get(key)
        if stop is None:
            return False
        stop.set()
        return True

    async def stop_anywhere(self, key: ConversationKey) -> bool:
        """Ask the running answer of `key` to stop, wherever it runs; False if none runs."""
        return self.stop(key)


class SharedRunningAnswers(RunningAnswers):
    def __init__(self, redis: Redis, reply_seconds: float = REPLY_SECONDS) -> None:
        from redis.exceptions import RedisError

        super().__init__()
        self._redis = redis
        self._reply_seconds = reply_seconds
        self._errors = (RedisError, OSError)
        self.listening = asyncio.Event()  # subscribed: stops from other replicas arrive

    async def stop_anywhere(self, key: ConversationKey) -> bool:
        if self.stop(key):
            return True
        reply = f"{REPLY_PREFIX}{uuid.uuid4().hex}"
        asked = json.dumps([key.chat_id, key.user_id, key.thread_id, reply])
        try:
            if await self._redis.publish(CHANNEL, asked) < 2:
                return False  # no other replica listens
            waited = self._redis.blpop([reply], timeout=self._reply_seconds)
            return await cast("Awaitable[list[bytes] | None]", waited) is not None
        except self._errors as error:
            logger.warning("Redis unavailable: a stop reaches only this replica (%s)", error)
            return False

    async def listen(self) -> None:
        """Stop the answers other replicas are asked to stop (a task for the bot's lifetime)."""
        warned = False
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.listening.set()
                    warned = False
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            await self._asked(message["data"])
            except self._errors as error:
                if not warned:  # once per outage, not at every retry
                    logger.warning("Lost Redis for stops from other replicas (%s)", error)
                    warned = True
            self.listening.clear()
            await asyncio.sleep(RELISTEN_SECONDS)

    async def _asked(self, data: bytes) -> None:
        try:
            chat_id, user_id, thread_id, reply = json.loads(data)
            key = ConversationKey(int(chat_id), int(user_id), int(thread_id))
        except (ValueError, TypeError):
            logger.warning("Ignoring a malformed stop request from another replica")
            return
        if self.stop(key):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.rpush(reply, 1)
                pipe.expire(reply, 60)
                await pipe.execute()
