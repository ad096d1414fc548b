"""Pictures /image made: the original bytes and how they were asked for, newest few per user."""

from __future__ import annotations

import time
from dataclasses import dataclass

from storage.db import Database, Row

_COLUMNS = (
    "id, user_id, chat_id, message_id, model, prompt, aspect_ratio, resolution, seed,"
    " variants, sources, mime_type, data, created_at"
)


@dataclass(frozen=True, slots=True)
class PictureRequest:
    """How a picture was asked for: enough to ask again."""

    user_id: int
    chat_id: int
    model: str
    prompt: str
    aspect_ratio: str | None
    resolution: str | None
    seed: int | None
    variants: int  # how many pictures the request asked for
    sources: tuple[str, ...]  # the references' sources (see bot.telegram.references)


@dataclass(frozen=True, slots=True)
class StoredPicture:
    id: int
    request: PictureRequest
    message_id: int | None
    mime_type: str
    data: bytes
    created_at: float


class PictureRepository:
    def __init__(self, db: Database, keep_per_user: int) -> None:
        self._db = db
        self._keep = keep_per_user

    async def add(self, request: PictureRequest, mime_type: str, data: bytes) -> int:
        """Store one picture; the user's oldest beyond the newest `keep_per_user` go."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO generated_pictures (user_id, chat_id, model, prompt, aspect_ratio,"
                " resolution, seed, variants, sources, mime_type, data, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    request.user_id,
                    request.chat_id,
                    request.model,
                    request.prompt,
                    request.aspect_ratio,
                    request.resolution,
                    request.seed,
                    request.variants,
                    "\n".join(request.sources),
                    mime_type,
                    data,
                    time.time(),
                ),
            )
            assert row is not None
            picture_id = int(row[0])
            await tx.execute(
                "DELETE FROM generated_pictures WHERE user_id = ? AND id NOT IN ("
                " SELECT id FROM generated_pictures WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                (request.user_id, request.user_id, self._keep),
            )
        return picture_id

    async def set_message(self, picture_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE generated_pictures SET message_id = ? WHERE id = ?",
                (message_id, picture_id),
            )

    async def get(self, picture_id: int) -> StoredPicture | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM generated_pictures WHERE id = ?", (picture_id,)
        )
        return _picture(row) if row is not None else None

    async def shown_in(self, chat_id: int, message_id: int) -> StoredPicture | None:
        """The picture a message of the bot shows, if it is still kept."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM generated_pictures WHERE chat_id = ? AND message_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (chat_id, message_id),
        )
        return _picture(row) if row is not None else None


def _picture(row: Row) -> StoredPicture:
    sources = str(row["sources"])
    return StoredPicture(
        id=int(row["id"]),
        request=PictureRequest(
            user_id=int(row["user_id"]),
            chat_id=int(row["chat_id"]),
            model=str(row["model"]),
            prompt=str(row["prompt"]),
            aspect_ratio=row["aspect_ratio"],
            resolution=row["resolution"],
            seed=row["seed"],
            variants=int(row["variants"]),
            sources=tuple(sources.split("\n")) if sources else (),
        ),
        message_id=row["message_id"],
        mime_type=str(row["mime_type"]),
        data=bytes(row["data"]),
        created_at=float(row["created_at"]),
    )
