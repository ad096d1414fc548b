"""Plain records passed between storage and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """One conversation: a chat, a user in it and, in forum groups, a topic.

    In a private chat `chat_id == user_id` and `thread_id == 0`.
    """

    chat_id: int
    user_id: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class ImageData:
    """An image the user sent, as the model gets it (Telegram photos are JPEG)."""

    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: Role
    content: str
    # Only the newest image-bearing turns keep their images; older ones keep the text alone.
    images: tuple[ImageData, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    """Who a user is, as Telegram last showed them (any part may be missing)."""

    id: int
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    language: str | None
    chat_model: str | None
    image_model: str | None
    personal_prompt: str | None = None
    reasoning_effort: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    web_search: bool = False  # /search on: answer every message with web search
    video_model: str | None = None
    chat_mode: str | None = None  # a /mode preset; None is the default assistant

    @property
    def person(self) -> Person:
        return Person(self.id, self.username, self.first_name, self.last_name)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One Polza call, as billed (or estimated when Polza sent no cost)."""

    user_id: int
    chat_id: int
    kind: str  # chat, voice, image, … (an open set: new kinds of calls need no migration)
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_rub: float | None = None
    estimated: bool = False
    web_search_requests: int | None = None  # searches Polza ran for the call, when it said
