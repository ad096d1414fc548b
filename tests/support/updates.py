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
