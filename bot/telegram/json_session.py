"""aiogram's aiohttp session, sending each Bot API call as one JSON body.

aiogram builds a multipart form for every call (a part per parameter, nested objects dumped
to strings one by one); the benchmark's profile showed that encoding, and the fake Telegram
decoding it, on every message. Telegram takes `application/json` bodies for any call without
a file, so those go as JSON; a call that uploads a file keeps aiogram's multipart form.

aiogram validates each answer with `Response[method.__returning__]`; pydantic keeps such
parametrised classes only weakly, so after a garbage collection they are rebuilt (milliseconds
each). The session keeps each one it used, built on the first call of its method.
"""

from __future__ import annotations

import ssl
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError

JSON_HEADERS = {"Content-Type": "application/json"}


class JsonBodySession(AiohttpSession):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._response_types: dict[type[TelegramMethod[Any]], type[Response[Any]]] = {}

    @property
    def tls(self) -> ssl.SSLContext:
        """The certificate checks aiogram made for Telegram (certifi's CAs), to share with
        the bot's other HTTPS clients: each context loads every CA (~15 ms, ~0.5 MB)."""
        return cast(ssl.SSLContext, self._connector_init["ssl"])

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        method_type = type(method)
        if method_type not in self._response_types:
            returning = method.__returning__
            self._response_types[method_type] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        payload = self.json_payload(bot, method)
        if payload is None:  # a file to upload: multipart, as aiogram does it
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(payload),
                headers=JSON_HEADERS,
                timeout=self.timeout if timeout is None else timeout,  # type: ignore[arg-type]
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)

    def json_payload(
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> dict[str, Any] | None:
        """The call's parameters as one JSON object, or None when it carries a file.

        The same preparation as aiogram's form (defaults, enums, dates, nested objects), but
        nested objects stay objects; absent and empty parameters are left out, as in the form.
        """
        files: dict[str, InputFile] = {}
        payload: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is None or prepared == "":
                continue
            payload[key] = prepared
        return None if files else payload
