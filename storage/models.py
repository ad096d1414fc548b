"""Plain records passed between storage and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["user", "assistant"]
AccessStatus = Literal["allowed", "denied"]  # an admin's /allow or /deny


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
    id: int = 0  # its row, when read for a request


@dataclass(frozen=True, slots=True)
class ExchangeIds:
    """The stored rows of one exchange: the user's turn and its answer."""

    user_turn: int
    answer: int


@dataclass(frozen=True, slots=True)
class ReplayedAnswer:
    """The stored answer to an update, and whether it reached the chat."""

    text: str
    delivered: bool


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer in history, with the user turn it answers and where it is in Telegram."""

    id: int
    key: ConversationKey
    user_turn: int
    question: str
    content: str
    model: str | None
    telegram_message_id: int | None  # the message carrying its buttons
    finish_reason: str | None
    latest: bool  # no newer answer in its conversation

    @property
    def cut(self) -> bool:
        """Ended by the output limit: it can be continued."""
        return self.finish_reason == "length"


@dataclass(frozen=True, slots=True)
class TurnSize:
    """A stored turn's size, to decide whether it fits before its text is read."""

    id: int
    role: Role
    chars: int
    images: int
    content: str | None = None  # read with the size when asked for and within the bound


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of a conversation's turns up to and including `upto` (a message id)."""

    upto: int
    content: str


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
    transcription_language: str | None = None  # ISO-639-1; None: detected
    voice_replies: str | None = None  # "on", "auto"; None: off
    show_cost: bool = False  # a cost line under each answer (/usage)
    access_status: AccessStatus | None = None  # the stored /allow or /deny, as read with it

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
