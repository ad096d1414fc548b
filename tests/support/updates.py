"""Factories for the raw Update JSON a real Telegram would send."""

from __future__ import annotations

import itertools
import time
from typing import Any

_message_ids = itertools.count(10_000)


def user(user_id: int, first_name: str = "Test", language_code: str = "en") -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "username": f"user{user_id}",
        "language_code": language_code,
    }


def private_chat(user_id: int, first_name: str = "Test") -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def private_text(
    user_id: int,
    text: str,
    *,
    language_code: str = "en",
    entities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": private_chat(user_id),
        "from": user(user_id, language_code=language_code),
        "text": text,
    }
    if entities:
        message["entities"] = entities
    elif text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"message": message}


def private_sticker(user_id: int) -> dict[str, Any]:
    return {
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": private_chat(user_id),
            "from": user(user_id),
            "sticker": {
                "file_id": "CAACAgIAAxkBAAEB",
                "file_unique_id": "AgADsticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        }
    }


def callback_query(user_id: int, data: str, message: dict[str, Any]) -> dict[str, Any]:
    """A button press on `message` (a Message object the bot sent, as the fake returned it)."""
    return {
        "callback_query": {
            "id": str(next(_message_ids)),
            "from": user(user_id),
            "chat_instance": f"ci-{user_id}",
            "message": message,
            "data": data,
        }
    }


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def group_chat(chat_id: int, title: str = "Test group", forum: bool = False) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": title}
    if forum:
        chat["is_forum"] = True
    return chat


def mention(text: str, username: str) -> list[dict[str, Any]]:
    """A `mention` entity for the first `@username` in `text` (UTF-16 offsets)."""
    needle = f"@{username}"
    start = text.index(needle)
    return [{"type": "mention", "offset": utf16_len(text[:start]), "length": utf16_len(needle)}]


def group_text(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    entities: list[dict[str, Any]] | None = None,
    reply_to: dict[str, Any] | None = None,
    thread_id: int | None = None,
    from_bot: bool = False,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": group_chat(chat_id, forum=thread_id is not None),
        "from": {**user(user_id), "is_bot": from_bot},
        "text": text,
    }
    if entities is None and text.startswith("/"):
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    if entities:
        message["entities"] = entities
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    return {"message": message}


def group_photo(
    chat_id: int, user_id: int, caption: str, file_id: str, entities: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": group_chat(chat_id),
            "from": user(user_id),
            "photo": [
                {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 64, "height": 48}
            ],
            "caption": caption,
            "caption_entities": entities,
        }
    }


def edited(update: dict[str, Any]) -> dict[str, Any]:
    message = dict(update["message"])
    message["edit_date"] = int(time.time())
    return {"edited_message": message}


def inline_query(user_id: int, query: str, *, language_code: str = "en") -> dict[str, Any]:
    """What Telegram sends while a user types `@bot query` in any chat."""
    return {
        "inline_query": {
            "id": str(next(_message_ids)),
            "from": user(user_id, language_code=language_code),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
    }
