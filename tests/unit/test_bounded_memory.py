"""In-memory state stays bounded: "told once" sets, waiting requests and the FSM storage
forget old entries."""

from __future__ import annotations

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.bounded import PendingByToken, ToldOnce
from bot.fsm_storage import BoundedMemoryStorage


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Form(StatesGroup):
    waiting = State()


def key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


def test_told_once_tells_each_key_once_until_forgotten() -> None:
    told: ToldOnce[int] = ToldOnce()
    assert told.first_time(1) and not told.first_time(1)
    told.forget(1)
    assert told.first_time(1)


def test_told_once_keeps_at_most_maxsize_and_forgets_the_oldest() -> None:
    told: ToldOnce[int] = ToldOnce(maxsize=3)
    for user_id in range(100):
        told.first_time(user_id)
    assert len(told) == 3
    assert 99 in told and 0 not in told
    assert told.first_time(0), "someone forgotten is told again"


def test_told_once_forgets_after_its_time_to_live() -> None:
    clock = Clock()
    notices: ToldOnce[int] = ToldOnce(ttl=60, timer=clock)
    assert notices.first_time(-100)
    clock.now = 59
    assert not notices.first_time(-100)
    clock.now = 61
    assert notices.first_time(-100)


def test_a_waiting_request_is_taken_back_once_and_only_by_its_owner() -> None:
    pending = PendingByToken[tuple[int, str]](lambda item: item[0])
    token = pending.put((7, "photo"))
    assert pending.pop(token, user_id=8) is None, "another user's press takes nothing"
    assert pending.pop(token, user_id=7) == (7, "photo")
    assert pending.pop(token, user_id=7) is None, "taken once"


def test_waiting_requests_are_bounded_in_number_and_age() -> None:
    clock = Clock()
    pending = PendingByToken[int](lambda owner: owner, ttl_seconds=60, max_items=2, clock=clock)
    first, second, third = (pending.put(1), pending.put(2), pending.put(3))
    assert pending.pop(first, 1) is None, "the oldest dropped past max_items"
    clock.now = 61
    late = pending.put(4)
    assert (pending.pop(second, 2), pending.pop(third, 3)) == (None, None), "expired"
    assert pending.pop(late, 4) == 4


async def test_fsm_storage_keeps_no_entry_for_chats_without_state() -> None:
    storage = BoundedMemoryStorage()
    for user_id in range(1000):
        assert await storage.get_state(key(user_id)) is None
        assert await storage.get_data(key(user_id)) == {}
    assert len(storage) == 0
    await storage.set_state(key(1), Form.waiting)
    await storage.set_data(key(1), {"ratio": "16:9"})
    assert await storage.get_state(key(1)) == Form.waiting.state
    assert await storage.get_value(key(1), "ratio") == "16:9"
    assert len(storage) == 1
    await storage.set_state(key(1), None)
    await storage.set_data(key(1), {})
    assert len(storage) == 0, "an emptied state is removed"
    with pytest.raises(DataNotDictLikeError):
        await storage.set_data(key(1), [])  # type: ignore[arg-type]


async def test_fsm_storage_forgets_idle_states_and_bounds_their_number() -> None:
    clock = Clock()
    storage = BoundedMemoryStorage(maxsize=2, ttl=3600, timer=clock)
    await storage.set_state(key(1), Form.waiting)
    clock.now = 3601
    assert await storage.get_state(key(1)) is None, "a prompt nobody wrote is forgotten"
    for user_id in (2, 3, 4):
        await storage.set_state(key(user_id), Form.waiting)
    assert len(storage) == 2
    assert await storage.get_state(key(2)) is None
    assert await storage.get_state(key(4)) == Form.waiting.state
