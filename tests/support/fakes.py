"""Test-side clients of the two fake servers' control APIs."""

from __future__ import annotations

from typing import Any

from tests.support import updates
from tests.support.http import request_bytes, request_json
from tests.support.processes import wait_until


class TelegramControl:
    def __init__(self, url: str) -> None:
        self.url = url

    def reset(self) -> None:
        request_json("POST", f"{self.url}/_test/reset", {})

    def inject(self, update: dict[str, Any]) -> int:
        result = request_json("POST", f"{self.url}/_test/update", update)
        return int(result["update_ids"][0])

    def inject_many(self, batch: list[dict[str, Any]]) -> list[int]:
        result = request_json("POST", f"{self.url}/_test/update", batch, timeout=60)
        return [int(update_id) for update_id in result["update_ids"]]

    def fault(self, **fault: Any) -> None:
        request_json("POST", f"{self.url}/_test/faults", fault)

    def log(self) -> list[dict[str, Any]]:
        return list(request_json("GET", f"{self.url}/_test/log"))

    def state(self) -> dict[str, Any]:
        return dict(request_json("GET", f"{self.url}/_test/state"))

    def file_bytes(self, file_id: str) -> bytes:
        return request_bytes(f"{self.url}/_test/files/{file_id}")

    def calls(
        self, method: str, chat_id: int | None = None, ok: bool | None = True
    ) -> list[dict[str, Any]]:
        found = []
        for entry in self.log():
            if entry["method"].lower() != method.lower():
                continue
            if ok is not None and bool(entry["ok"]) != ok:
                continue
            if chat_id is not None and str(entry["params"].get("chat_id")) != str(chat_id):
                continue
            found.append(entry)
        return found

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now (after edits), oldest first."""
        found = [
            m
            for m in request_json("GET", f"{self.url}/_test/messages")
            if str(m["chat"]["id"]) == str(chat_id)
        ]
        return sorted(found, key=lambda m: int(m["message_id"]))

    def wait_for_texts(
        self, chat_id: int, expected: list[str], timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot's messages in a chat read exactly `expected` (after edits)."""

        def settled() -> list[dict[str, Any]] | None:
            current = self.messages(chat_id)
            return current if [m.get("text") for m in current] == expected else None

        try:
            return list(wait_until(settled, timeout, what=f"messages {expected} in {chat_id}"))
        except AssertionError as error:
            now = [m.get("text") for m in self.messages(chat_id)]
            raise AssertionError(f"{error}; the chat shows {now}") from None

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts of the final messages (sendMessage) delivered to a chat, in order."""
        return [entry["params"]["text"] for entry in self.calls("sendMessage", chat_id)]

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 20.0) -> list[str]:
        def enough() -> list[str] | None:
            texts = self.sent_texts(chat_id)
            return texts if len(texts) >= count else None

        return list(wait_until(enough, timeout, what=f"{count} message(s) in chat {chat_id}"))

    def webhook_target(self, url: str) -> None:
        """Where webhook deliveries go: the bot's listener, as a reverse proxy would forward."""
        request_json("POST", f"{self.url}/_test/webhook_target", {"url": url})

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return list(request_json("GET", f"{self.url}/_test/webhook_deliveries"))

    def press(self, user_id: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press a button under `message`; the bot's answer to the press."""
        assert len(data.encode()) <= 64
        update = updates.callback_query(user_id, data, message)
        self.inject(update)
        query_id = update["callback_query"]["id"]
        (answer,) = wait_until(
            lambda: [
                call
                for call in self.calls("answerCallbackQuery")
                if call["params"]["callback_query_id"] == query_id
            ],
            what=f"the answer to {data}",
        )
        return dict(answer)

    def wait_polling(self, after: int = 0, timeout: float = 20.0) -> None:
        """Wait until the bot has called getUpdates more than `after` times."""
        wait_until(
            lambda: self.state()["get_updates_calls"] > after, timeout, what="the bot to poll"
        )


class PolzaControl:
    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v1"

    def reset(self) -> None:
        request_json("POST", f"{self.url}/_test/reset", {})

    def chat_rules(self, *rules: dict[str, Any]) -> None:
        request_json("POST", f"{self.url}/_test/chat/rules", list(rules))

    def journal(self) -> list[dict[str, Any]]:
        return list(request_json("GET", f"{self.url}/_test/journal"))

    def chat_requests(self) -> list[dict[str, Any]]:
        return [
            entry["json"]
            for entry in self.journal()
            if entry["path"].endswith("/chat/completions") and entry["json"] is not None
        ]

    def unexpected(self) -> list[dict[str, Any]]:
        return list(request_json("GET", f"{self.url}/_test/unexpected"))
