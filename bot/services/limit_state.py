"""Where the spending guard keeps rate windows and budget holds: this process's memory, or
Redis (REDIS_URL), shared by every replica.

Redis keeps a user's rate window as a sorted set of arrival times, checked and counted by
one script (atomic), and each budget hold as a member of two sorted sets (the user's and
everyone's) scored by when it expires, so holds of a replica killed mid-call lapse by
themselves. Adding a hold and summing the holds it joins is one script too (one round trip,
atomic), so of two reservations on any replicas the later one counts the earlier one's hold.
"""

from __future__ import annotations

import uuid
from collections import deque
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Idle users' windows are swept once this many users have one.
SWEEP_AFTER_USERS = 1024
# A hold outlives any call (images wait longest); past this it lapses (a replica killed mid-call).
HOLD_SECONDS = 2 * 3600
PREFIX = "polza-bot:limits:"


class LimitState(Protocol):
    async def held(self, user_id: int) -> tuple[Decimal, Decimal]:
        """Rubles on hold for `user_id`, and for everyone."""
        ...

    async def hold(self, user_id: int, amount: Decimal) -> tuple[str, Decimal, Decimal]:
        """Hold `amount` for `user_id`; its token, and the rubles then on hold for the user
        and for everyone, this hold included (adding and summing are one atomic step)."""
        ...

    async def release(self, user_id: int, token: str) -> None: ...

    async def take_slot(self, user_id: int, now: float, limit: int, window: float) -> float | None:
        """Count one request in the sliding window: None, or when its oldest entry leaves."""
        ...


class MemoryLimitState:
    def __init__(self) -> None:
        self._recent: dict[int, deque[float]] = {}
        self._holds: dict[int, dict[str, Decimal]] = {}

    async def held(self, user_id: int) -> tuple[Decimal, Decimal]:
        return self._held(user_id)

    def _held(self, user_id: int) -> tuple[Decimal, Decimal]:
        mine = sum(self._holds.get(user_id, {}).values(), Decimal(0))
        everyone = sum((sum(h.values(), Decimal(0)) for h in self._holds.values()), Decimal(0))
        return mine, everyone

    async def hold(self, user_id: int, amount: Decimal) -> tuple[str, Decimal, Decimal]:
        # No await here: adding and summing cannot interleave with another hold.
        token = uuid.uuid4().hex
        self._holds.setdefault(user_id, {})[token] = amount
        return (token, *self._held(user_id))

    async def release(self, user_id: int, token: str) -> None:
        holds = self._holds.get(user_id, {})
        holds.pop(token, None)
        if not holds:
            self._holds.pop(user_id, None)

    async def take_slot(self, user_id: int, now: float, limit: int, window: float) -> float | None:
        # No await here: checking and counting cannot interleave with another arrival.
        if len(self._recent) >= SWEEP_AFTER_USERS:
            cutoff = now - window
            for user in [u for u, w in self._recent.items() if not w or w[-1] <= cutoff]:
                del self._recent[user]
        entries = self._recent.setdefault(user_id, deque())
        while entries and entries[0] <= now - window:
            entries.popleft()
        if len(entries) < limit:
            entries.append(now)
            return None
        return entries[0] + window


_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]) + 1)
  return false
end
return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
"""


# Amounts in the hold script are whole micro-rubles (exact in Lua's doubles), rounded up;
# members are "token:rubles:micros", the rubles for `held`.
MICROS = Decimal(1_000_000)

_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now + ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], now + ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local function held(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local sum = 0
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    sum = sum + (tonumber(string.match(member, ':[^:]*:(%d+)$')) or 0)
  end
  return sum
end
return {held(KEYS[1]), held(KEYS[2])}
"""


class RedisLimitState:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._take_slot = redis.register_script(_TAKE_SLOT)
        self._hold = redis.register_script(_HOLD)

    async def held(self, user_id: int) -> tuple[Decimal, Decimal]:
        return await self._sum(self._user_key(user_id)), await self._sum(PREFIX + "holds")

    async def _sum(self, key: str) -> Decimal:
        now = await self._now()
        await self._redis.zremrangebyscore(key, "-inf", now)
        members = await self._redis.zrange(key, 0, -1)
        return sum((Decimal(m.decode().split(":")[1]) for m in members), Decimal(0))

    async def hold(self, user_id: int, amount: Decimal) -> tuple[str, Decimal, Decimal]:
        # Rounded up: the sums are never less than the rubles held.
        micros = int((amount * MICROS).to_integral_value(ROUND_CEILING))
        member = f"{uuid.uuid4().hex}:{amount}:{micros}"
        mine, everyone = await self._hold(
            keys=[self._user_key(user_id), PREFIX + "holds"], args=[member, HOLD_SECONDS]
        )
        return member, Decimal(int(mine)) / MICROS, Decimal(int(everyone)) / MICROS

    async def release(self, user_id: int, token: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._user_key(user_id), token)
            pipe.zrem(PREFIX + "holds", token)
            await pipe.execute()

    async def take_slot(self, user_id: int, now: float, limit: int, window: float) -> float | None:
        oldest = await self._take_slot(
            keys=[f"{PREFIX}rate:{user_id}"], args=[now, window, limit, uuid.uuid4().hex]
        )
        return None if oldest is None else float(oldest) + window

    async def _now(self) -> float:
        # Redis's clock: holds made by replicas with skewed clocks still lapse together.
        seconds, micros = await self._redis.time()
        return float(seconds) + float(micros) / 1e6

    @staticmethod
    def _user_key(user_id: int) -> str:
        return f"{PREFIX}holds:{user_id}"
