"""One background job per user: refused while busy, released when done or when the job says
its result is delivered, stopped at shutdown."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.user_jobs import UserJobs


async def test_a_second_job_is_refused_until_the_first_ends() -> None:
    jobs = UserJobs()
    release = asyncio.Event()
    runs: list[str] = []

    async def job(name: str) -> None:
        runs.append(name)
        await release.wait()

    assert jobs.start(1, lambda: job("first"), name="first")
    assert not jobs.start(1, lambda: job("second"), name="second")
    assert jobs.start(2, lambda: job("other user"), name="other")
    await asyncio.sleep(0)
    assert jobs.busy(1) and jobs.running == 2
    release.set()
    await asyncio.sleep(0.01)
    assert not jobs.busy(1) and jobs.running == 0
    assert runs == ["first", "other user"]  # the refused job was never even created


async def test_a_failed_job_is_logged_and_frees_the_user(caplog: pytest.LogCaptureFixture) -> None:
    jobs = UserJobs()

    async def broken() -> None:
        raise RuntimeError("boom")

    assert jobs.start(1, broken, name="broken")
    await asyncio.sleep(0.01)
    assert not jobs.busy(1)
    assert "Background job broken failed" in caplog.text


async def test_shutdown_waits_for_quick_jobs_and_cancels_slow_ones() -> None:
    jobs = UserJobs()
    finished: list[str] = []
    cancelled: list[str] = []

    async def job(name: str, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
            finished.append(name)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    jobs.start(1, lambda: job("quick", 0.01), name="quick")
    jobs.start(2, lambda: job("slow", 60), name="slow")
    await jobs.shutdown(grace_seconds=0.2)
    assert finished == ["quick"]
    assert cancelled == ["slow"]
    assert jobs.running == 0
    await jobs.shutdown(grace_seconds=0.2)  # nothing left: returns at once


async def test_a_job_that_delivered_its_result_frees_the_user_and_is_still_awaited() -> None:
    jobs = UserJobs()
    delivered, bookkeeping_done = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def job() -> None:
        jobs.release(1)
        delivered.set()
        await bookkeeping_done.wait()
        finished.append("first")

    async def impostor() -> None:
        jobs.release(1)  # not the task holding user 1's slot: changes nothing

    async def second() -> None:
        await bookkeeping_done.wait()

    assert jobs.start(1, job, name="first")
    await delivered.wait()
    assert not jobs.busy(1)
    assert jobs.start(2, impostor, name="impostor")
    assert jobs.start(1, second, name="second")
    await asyncio.sleep(0.01)
    assert jobs.busy(1)  # the second job holds the slot until it ends
    assert jobs.running == 2
    asyncio.get_running_loop().call_later(0.01, bookkeeping_done.set)
    await jobs.shutdown(grace_seconds=1)
    assert finished == ["first"]
    assert jobs.running == 0 and not jobs.busy(1)
