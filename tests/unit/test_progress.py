"""The status message of a long job, against the recording Bot API session."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiogram.methods import DeleteMessage, EditMessageText, SendMessage
from aiogram.types import Chat, Message, User

from bot.config import Settings
from bot.telegram.progress import JobStatus, StatusTiming, elapsed_text
from tests.unit.inprocess import BOT_TOKEN, RecordingSession, recording

FAST = StatusTiming(delay=0.01, interval=0.02)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def session() -> RecordingSession:
    return RecordingSession()


def request_in(session: RecordingSession, chat_id: int = 42) -> Message:
    bot = recording(Settings(_env_file=None, bot_token=BOT_TOKEN, polza_api_key="k"), session)
    message = Message(
        message_id=7,
        date=datetime.now(UTC),
        chat=Chat(id=chat_id, type="private"),
        from_user=User(id=chat_id, is_bot=False, first_name="Ann"),
        text="/image a cat",
    )
    return message.as_(bot)


def calls(session: RecordingSession, kind: type) -> list:  # type: ignore[type-arg]
    return [request for request in session.requests if isinstance(request, kind)]


async def wait_for_calls(session: RecordingSession, kind: type, count: int) -> None:
    for _ in range(200):
        if len(calls(session, kind)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} {kind.__name__} calls: {session.requests}")


def test_elapsed_time_reads_like_a_clock() -> None:
    assert [elapsed_text(s) for s in (0, 7.9, 95, 3729)] == ["0:00", "0:07", "1:35", "1:02:09"]


async def test_a_quick_job_shows_nothing(session: RecordingSession) -> None:
    async with JobStatus(request_in(session), "🎨 Drawing…", StatusTiming(delay=5, interval=5)):
        await asyncio.sleep(0)
    assert session.requests == []


async def test_a_slow_job_shows_one_message_edited_with_stage_and_time_then_deleted(
    session: RecordingSession,
) -> None:
    clock = Clock()
    async with JobStatus(request_in(session), "🎨 Drawing…", FAST, clock=clock) as status:
        await wait_for_calls(session, SendMessage, 1)
        clock.now += 35
        status.stage("🎨 Downloading…")
        await wait_for_calls(session, EditMessageText, 1)
    sent = calls(session, SendMessage)
    assert [m.text for m in sent] == ["🎨 Drawing… 0:00"]
    assert sent[0].chat_id == 42
    assert calls(session, EditMessageText)[0].text == "🎨 Downloading… 0:35"
    # Nothing changes while the clock stands still: no edit repeats the same text.
    assert len({e.text for e in calls(session, EditMessageText)}) == len(
        calls(session, EditMessageText)
    )
    assert len(calls(session, DeleteMessage)) == 1


async def test_a_failure_turns_the_status_into_the_error(session: RecordingSession) -> None:
    async with JobStatus(request_in(session), "🎬 Filming…", FAST) as status:
        await wait_for_calls(session, SendMessage, 1)
        assert await status.show_error("Polza could not make the video.")
    assert calls(session, EditMessageText)[-1].text == "Polza could not make the video."
    assert calls(session, DeleteMessage) == []
    assert len(calls(session, SendMessage)) == 1


async def test_a_failure_before_the_status_appears_is_left_to_the_caller(
    session: RecordingSession,
) -> None:
    async with JobStatus(request_in(session), "🎬 Filming…", StatusTiming(5, 5)) as status:
        assert not await status.show_error("nope")
    assert session.requests == []


async def test_cancelling_the_job_stops_the_status(session: RecordingSession) -> None:
    async def job() -> None:
        async with JobStatus(request_in(session), "🎙 Transcribing…", FAST):
            await asyncio.sleep(60)

    task = asyncio.create_task(job())
    await wait_for_calls(session, SendMessage, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(calls(session, DeleteMessage)) == 1
    settled = len(session.requests)
    await asyncio.sleep(0.1)
    assert len(session.requests) == settled
