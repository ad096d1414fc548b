"""Messages the benchmark sends, the answers it expects, and matching them in the fakes' logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.support.updates import private_text

FILLER = (
    "please explain briefly how tides work and why there are two of them every day "
    "then add a short note about the moon and the sun and their relative pull on the oceans "
)
# Methods that put answer text in front of the user.
VISIBLE_METHODS = ("sendMessageDraft", "sendMessage", "editMessageText")


@dataclass(frozen=True)
class Sent:
    """One message a user sends, and the answer the fake Polza will stream back (its echo)."""

    user_id: int
    index: int
    text: str

    @property
    def expected(self) -> str:
        return f"Echo: {self.text}"

    def update(self) -> dict[str, Any]:
        return private_text(self.user_id, self.text)


def make_text(user_id: int, index: int, reply_chars: int) -> str:
    """A plain-text message whose echo is about `reply_chars` long and names its sender."""
    head = f"m{index}u{user_id}"
    body_len = max(0, reply_chars - len("Echo: ") - len(head) - 1)
    body = (FILLER * (1 + body_len // len(FILLER)))[:body_len].strip()
    return f"{head} {body}".strip()


def messages(first_user: int, users: int, per_user: int, reply_chars: int) -> list[Sent]:
    """`users` × `per_user` messages, round by round (every user's 1st, then every 2nd, …)."""
    return [
        Sent(first_user + u, k, make_text(first_user + u, k, reply_chars))
        for k in range(per_user)
        for u in range(users)
    ]


def chat_of(entry: dict[str, Any]) -> int | None:
    chat = entry["params"].get("chat_id")
    try:
        return int(chat)
    except (TypeError, ValueError):
        return None


@dataclass
class DeliveryCheck:
    answered: int
    missing: list[Sent]
    duplicated: list[Sent]
    unexpected: list[str]
    finals: list[dict[str, Any]]  # the matched sendMessage entries

    @property
    def problems(self) -> list[str]:
        out: list[str] = []
        if self.missing:
            sample = ", ".join(f"user {m.user_id} #{m.index}" for m in self.missing[:5])
            out.append(f"{len(self.missing)} message(s) never answered (e.g. {sample})")
        if self.duplicated:
            sample = ", ".join(f"user {m.user_id} #{m.index}" for m in self.duplicated[:5])
            out.append(f"{len(self.duplicated)} message(s) answered more than once ({sample})")
        if self.unexpected:
            out.append(
                f"{len(self.unexpected)} unexpected final message(s), e.g. "
                f"{self.unexpected[0][:120]!r}"
            )
        return out


def check_delivery(sent: Iterable[Sent], log_entries: Iterable[dict[str, Any]]) -> DeliveryCheck:
    """Every message answered by exactly one final sendMessage carrying its full echo."""
    wanted = {(m.user_id, m.expected): m for m in sent}
    chats = {user for user, _ in wanted}
    seen: Counter[tuple[int, str]] = Counter()
    finals: list[dict[str, Any]] = []
    unexpected: list[str] = []
    for entry in log_entries:
        if entry["method"] != "sendMessage" or entry["ok"] is not True:
            continue
        chat = chat_of(entry)
        if chat not in chats:
            continue
        text = str(entry["params"].get("text", ""))
        key = (chat, text)
        if key in wanted:
            seen[key] += 1
            finals.append(entry)
        else:
            unexpected.append(text)
    missing = [m for key, m in wanted.items() if seen[key] == 0]
    duplicated = [m for key, m in wanted.items() if seen[key] > 1]
    return DeliveryCheck(
        answered=sum(1 for key in wanted if seen[key] >= 1),
        missing=missing,
        duplicated=duplicated,
        unexpected=unexpected,
        finals=finals,
    )


def count_finals(log_entries: Iterable[dict[str, Any]], chats: set[int]) -> int:
    return sum(
        1
        for e in log_entries
        if e["method"] == "sendMessage" and e["ok"] is True and chat_of(e) in chats
    )


def first_visible_ms(
    journal_entries: Iterable[dict[str, Any]],
    log_entries: list[dict[str, Any]],
    by_text: dict[tuple[int, str], Sent],
    chunk_size: int,
) -> tuple[list[float], int]:
    """Fake Polza's first content chunk → first Telegram call showing that content.

    For each journalled chat request of a known message: the first sendMessageDraft,
    sendMessage or editMessageText in that chat, arriving after the request, whose text is a
    prefix of the expected answer and contains at least the first chunk. Returns the
    latencies (ms) and how many requests had no such call.
    """
    from bench.stack import request_user_text

    visible: dict[int, list[dict[str, Any]]] = {}
    for entry in log_entries:
        if entry["method"] in VISIBLE_METHODS and entry["ok"] is True:
            chat = chat_of(entry)
            if chat is not None:
                visible.setdefault(chat, []).append(entry)
    latencies: list[float] = []
    unmatched = 0
    for request in journal_entries:
        first_content = request.get("first_content_time")
        user = int(request["json"].get("user") or 0)
        sent = by_text.get((user, request_user_text(request)))
        if sent is None or first_content is None:
            continue
        expected = sent.expected
        first_chunk = expected[:chunk_size]
        match = next(
            (
                e
                for e in visible.get(user, [])
                if e["time"] >= request["time"]
                and expected.startswith(str(e["params"].get("text", "")))
                and str(e["params"].get("text", "")).startswith(first_chunk)
            ),
            None,
        )
        if match is None:
            unmatched += 1
            continue
        latencies.append((match["time"] - first_content) * 1000)
    return latencies, unmatched
