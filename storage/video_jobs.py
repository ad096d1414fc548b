"""Video tasks created on Polza and not yet delivered, so a restart can pick them up again."""

from __future__ import annotations

import time
from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True, slots=True)
class VideoJob:
    id: int
    user_id: int
    chat_id: int
    thread_id: int | None  # the forum topic to answer in
    reply_to: int | None  # the request's message id
    task_id: str
    model: str
    prompt: str
    duration: int
    language: str
    created_at: float
    recorded: bool  # the call is in the ledger already


class VideoJobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        *,
        user_id: int,
        chat_id: int,
        thread_id: int | None,
        reply_to: int | None,
        task_id: str,
        model: str,
        prompt: str,
        duration: int,
        language: str,
    ) -> int:
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO video_jobs (user_id, chat_id, thread_id, reply_to, task_id, model,"
                " prompt, duration, language, created_at, recorded)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
                (
                    user_id,
                    chat_id,
                    thread_id,
                    reply_to,
                    task_id,
                    model,
                    prompt,
                    duration,
                    language,
                    time.time(),
                ),
            )
            return int(row[0]) if row is not None else 0

    async def mark_recorded(self, job_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE video_jobs SET recorded = 1 WHERE id = ?", (job_id,))

    async def finish(self, job_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM video_jobs WHERE id = ?", (job_id,))

    async def unfinished(self) -> list[VideoJob]:
        rows = await self._db.fetch_all(
            "SELECT id, user_id, chat_id, thread_id, reply_to, task_id, model, prompt, duration,"
            " language, created_at, recorded FROM video_jobs ORDER BY id"
        )
        return [
            VideoJob(
                id=row["id"],
                user_id=row["user_id"],
                chat_id=row["chat_id"],
                thread_id=row["thread_id"],
                reply_to=row["reply_to"],
                task_id=row["task_id"],
                model=row["model"],
                prompt=row["prompt"],
                duration=row["duration"],
                language=row["language"],
                created_at=row["created_at"],
                recorded=bool(row["recorded"]),
            )
            for row in rows
        ]
