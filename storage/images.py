"""Images attached to user turns: stored with the turn, kept for the newest few turns only."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Database, Transaction
from storage.models import ConversationKey, ImageData


async def insert_images(tx: Transaction, message_id: int, images: Sequence[ImageData]) -> None:
    await tx.executemany(
        "INSERT INTO message_images (message_id, position, mime_type, data) VALUES (?, ?, ?, ?)",
        [
            (message_id, position, image.mime_type, image.data)
            for position, image in enumerate(images)
        ],
    )


async def prune_images(tx: Transaction, key: ConversationKey, keep_turns: int) -> None:
    """Delete the images of all but the conversation's newest `keep_turns` image turns."""
    conversation = (key.chat_id, key.user_id, key.thread_id)
    await tx.execute(
        "DELETE FROM message_images WHERE message_id IN ("
        " SELECT i.message_id FROM message_images i JOIN messages m ON m.id = i.message_id"
        " WHERE m.chat_id = ? AND m.user_id = ? AND m.thread_id = ?)"
        " AND message_id NOT IN ("
        " SELECT DISTINCT i.message_id FROM message_images i"
        " JOIN messages m ON m.id = i.message_id"
        " WHERE m.chat_id = ? AND m.user_id = ? AND m.thread_id = ?"
        " ORDER BY i.message_id DESC LIMIT ?)",
        (*conversation, *conversation, max(keep_turns, 0)),
    )


async def load_images(
    db: Database, message_ids: Sequence[int], newest_turns: int
) -> dict[int, tuple[ImageData, ...]]:
    """The images of the newest `newest_turns` of `message_ids` that have any, by message id."""
    if not message_ids or newest_turns <= 0:
        return {}
    marks = ", ".join("?" * len(message_ids))
    rows = await db.fetch_all(
        "SELECT message_id, mime_type, data FROM message_images WHERE message_id IN ("
        f" SELECT DISTINCT message_id FROM message_images WHERE message_id IN ({marks})"
        " ORDER BY message_id DESC LIMIT ?) ORDER BY message_id, position",
        (*message_ids, newest_turns),
    )
    found: dict[int, list[ImageData]] = {}
    for row in rows:
        found.setdefault(row["message_id"], []).append(
            ImageData(mime_type=row["mime_type"], data=bytes(row["data"]))
        )
    return {message_id: tuple(images) for message_id, images in found.items()}
