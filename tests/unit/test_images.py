"""ImageService against the fake Polza, in-process: create, poll, fall back, download."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx2
import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.images import (
    DEFAULT_ASPECT_RATIOS,
    GeneratedImage,
    ImageError,
    ImageErrorKind,
    ImageService,
    parse_image_request,
)
from bot.services.metering import Meter
from tests.fakes.polza_api import build_app

API_KEY = "pza_images_test_key"
SEEDREAM = "bytedance/seedream-4"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Building a TLS context costs ~30 ms per SDK client; the fake speaks plain HTTP anyway.
TLS = ssl.create_default_context()


@dataclass
class Env:
    server: TestServer
    http: aiohttp.ClientSession
    sdk: openai.AsyncOpenAI
    service: ImageService
    meter: Meter

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def control(self, path: str, payload: Any) -> None:
        async with self.http.post(self.url(path), json=payload) as resp:
            assert resp.status == 200, await resp.text()

    async def journal(self) -> list[dict[str, Any]]:
        async with self.http.get(self.url("/_test/journal")) as resp:
            return list(await resp.json())

    async def generate(self, **kwargs: Any) -> GeneratedImage:
        """`service.generate`, checking that it sent exactly one billed `POST /media`."""
        before = len(await self.journal())
        kwargs = {
            "prompt": "a lighthouse",
            "model": SEEDREAM,
            "user_id": 42,
            "chat_id": 42,
            **kwargs,
        }
        try:
            return await self.service.generate(**kwargs)
        finally:
            new = (await self.journal())[before:]
            assert len(_requests(new, "POST", "/api/v1/media")) == 1


def _requests(journal: list[dict[str, Any]], method: str, path: str) -> list[dict[str, Any]]:
    return [e for e in journal if e["method"] == method and e["path"].startswith(path)]


@pytest_asyncio.fixture
async def env(meter: Meter) -> AsyncIterator[Env]:
    server = TestServer(build_app(API_KEY), host="127.0.0.1")
    await server.start_server()
    sdk = openai.AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")),
        api_key=API_KEY,
        max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS),
    )
    service = ImageService(sdk, meter, poll_interval=0.05, timeout=3.0)
    async with aiohttp.ClientSession() as http:
        env = Env(server, http, sdk, service, meter)
        yield env
    await service.close()
    await env.service.close()
    await sdk.close()
    await server.close()


async def test_async_task_is_polled_and_the_served_png_downloaded(env: Env) -> None:
    await env.control("/_test/media/rules", {"cost_rub": 4.5, "data_shape": "list"})

    image = await env.generate(aspect_ratio="16:9", image_resolution="2K")

    journal = await env.journal()
    (create,) = _requests(journal, "POST", "/api/v1/media")
    assert create["json"] == {
        "model": SEEDREAM,
        "input": {"prompt": "a lighthouse", "aspect_ratio": "16:9", "image_resolution": "2K"},
        "user": "42",
    }
    polls = _requests(journal, "GET", "/api/v1/media/")
    assert [p["task_status"] for p in polls] == ["pending", "processing", "completed"]
    (download,) = _requests(journal, "GET", "/files/")
    async with env.http.get(env.url(download["path"])) as resp:
        served = await resp.read()
    assert image.data == served and served.startswith(PNG_MAGIC)
    assert image.mime_type == "image/png"
    assert image.cost_rub == 4.5
    assert image.task_id is not None and polls[0]["path"].endswith(image.task_id)
    assert image.model == SEEDREAM


async def test_finished_answer_with_b64_object_needs_no_polling(env: Env) -> None:
    await env.control("/_test/media/rules", {"mode": "immediate", "cost_rub": 2.0})

    image = await env.generate()

    assert image.data.startswith(PNG_MAGIC) and image.mime_type == "image/png"
    assert image.cost_rub == 2.0
    journal = await env.journal()
    assert not _requests(journal, "GET", "/api/v1/media/")
    assert not _requests(journal, "GET", "/files/")


@pytest.mark.parametrize("status", [404, 405, 503])
async def test_unavailable_media_route_falls_back_to_images_generations(
    env: Env, status: int
) -> None:
    await env.control("/_test/media/unavailable", {"status": status})

    image = await env.generate(aspect_ratio="1:1", image_resolution="4K")

    journal = await env.journal()
    (fallback,) = _requests(journal, "POST", "/api/v1/images/generations")
    assert fallback["json"] == {
        "model": SEEDREAM,
        "prompt": "a lighthouse",
        "n": 1,
        "size": "1:1",
        "user": "42",
    }
    assert image.task_id is not None and image.task_id.startswith("gen_")
    polls = _requests(journal, "GET", "/api/v1/media/")
    assert polls and all(p["path"].endswith(image.task_id) for p in polls)
    assert image.data.startswith(PNG_MAGIC) and image.cost_rub == 3.0


async def test_fallback_accepts_a_synchronous_data_answer(env: Env) -> None:
    await env.control("/_test/media/unavailable", {"status": 404})
    await env.control("/_test/images/rules", {"mode": "sync", "cost_rub": 1.25})

    image = await env.generate()

    assert image.data.startswith(PNG_MAGIC)
    assert image.cost_rub == 1.25 and image.task_id is None
    assert not _requests(await env.journal(), "GET", "/api/v1/media/")


async def test_generic_not_found_falls_back_but_a_model_lookup_failure_does_not(
    env: Env,
) -> None:
    await env.control(
        "/_test/media/rules",
        [
            {"status": 404, "error_code": "NOT_FOUND", "error_message": "Ресурс не найден"},
            {"status": 404, "error_code": "CHECK_MODEL_FAILED", "error_message": "Не найдена"},
        ],
    )
    assert (await env.generate()).data.startswith(PNG_MAGIC)
    with pytest.raises(PolzaError) as caught:
        await env.generate()
    assert caught.value.kind is PolzaErrorKind.MODEL_NOT_FOUND
    assert len(_requests(await env.journal(), "POST", "/api/v1/images/generations")) == 1


async def test_unknown_model_is_polza_model_not_found_without_fallback(env: Env) -> None:
    with pytest.raises(PolzaError) as caught:
        await env.generate(model="nobody/nothing")

    assert caught.value.kind is PolzaErrorKind.MODEL_NOT_FOUND
    assert caught.value.status == 404 and caught.value.model == "nobody/nothing"
    assert not _requests(await env.journal(), "POST", "/api/v1/images/generations")


async def test_failed_task_carries_polzas_code_and_message(env: Env) -> None:
    message = "Провайдер не смог сгенерировать изображение"
    await env.control(
        "/_test/media/rules",
        {"mode": "failed", "polls_before_done": 1, "error_message": message},
    )

    with pytest.raises(ImageError) as caught:
        await env.generate()

    assert caught.value.kind is ImageErrorKind.FAILED
    assert caught.value.message == message and caught.value.code == "BAD_GATEWAY"


async def test_moderation_refusal_and_moderated_task(env: Env) -> None:
    await env.control(
        "/_test/media/rules",
        [
            {"mode": "moderation"},
            {
                "mode": "failed",
                "polls_before_done": 0,
                "error_code": "CONTENT_POLICY",
                "error_message": "Изображение отклонено",
            },
        ],
    )
    with pytest.raises(ImageError) as refused:
        await env.generate()
    assert refused.value.kind is ImageErrorKind.MODERATION
    assert refused.value.message is not None and "модерац" in refused.value.message

    with pytest.raises(ImageError) as failed:
        await env.generate()
    assert failed.value.kind is ImageErrorKind.MODERATION
    assert failed.value.message == "Изображение отклонено"


async def test_never_finishing_task_times_out_and_polling_stops(env: Env) -> None:
    env.service = ImageService(env.sdk, env.meter, poll_interval=0.05, timeout=0.3)
    await env.control("/_test/media/rules", {"mode": "never"})

    with pytest.raises(ImageError) as caught:
        await env.generate()

    assert caught.value.kind is ImageErrorKind.TIMEOUT
    polls = len(_requests(await env.journal(), "GET", "/api/v1/media/"))
    assert polls >= 2
    await asyncio.sleep(0.25)
    assert len(_requests(await env.journal(), "GET", "/api/v1/media/")) == polls


async def test_insufficient_balance_is_polza_balance(env: Env) -> None:
    await env.control("/_test/media/rules", {"status": 402})

    with pytest.raises(PolzaError) as caught:
        await env.generate()

    assert caught.value.kind is PolzaErrorKind.BALANCE
    assert caught.value.message == "Недостаточно средств на балансе"


async def test_expired_result_url_is_download_failed(env: Env) -> None:
    await env.control("/_test/media/rules", {"url_gone": True, "polls_before_done": 0})

    with pytest.raises(ImageError) as caught:
        await env.generate()

    assert caught.value.kind is ImageErrorKind.DOWNLOAD_FAILED
    assert caught.value.message is None and caught.value.detail == "HTTP 404"


async def test_transient_poll_failures_are_retried_on_the_next_tick(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_get = env.sdk.get
    request = httpx2.Request("GET", env.url("/api/v1/media/x"))
    failures: list[Exception] = [
        openai.APIConnectionError(request=request),
        openai.InternalServerError(
            "busy", response=httpx2.Response(503, request=request), body=None
        ),
        openai.RateLimitError("slow", response=httpx2.Response(429, request=request), body=None),
    ]

    async def flaky_get(path: str, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return await real_get(path, **kwargs)

    monkeypatch.setattr(env.sdk, "get", flaky_get)

    image = await env.generate()

    assert image.data.startswith(PNG_MAGIC)
    assert not failures


async def test_b64_that_is_not_an_image_is_rejected(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_post = env.sdk.post

    async def post(path: str, **kwargs: Any) -> Any:
        await real_post(path, **kwargs)
        return {"status": "completed", "data": {"b64_json": base64.b64encode(b"<html>").decode()}}

    monkeypatch.setattr(env.sdk, "post", post)

    with pytest.raises(ImageError) as caught:
        await env.generate()

    assert caught.value.kind is ImageErrorKind.DOWNLOAD_FAILED


async def test_completed_without_data_is_no_result(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_post = env.sdk.post

    async def post(path: str, **kwargs: Any) -> Any:
        await real_post(path, **kwargs)
        return {"id": "aig_x", "status": "completed", "data": []}

    monkeypatch.setattr(env.sdk, "post", post)

    with pytest.raises(ImageError) as caught:
        await env.generate()

    assert caught.value.kind is ImageErrorKind.NO_RESULT


# --- parse_image_request -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("16:9 a lighthouse", ("16:9", "a lighthouse")),
        ("  21:9   wide   sea  ", ("21:9", "wide   sea")),
        ("a lighthouse at 16:9", (None, "a lighthouse at 16:9")),
        ("  a cat  ", (None, "a cat")),
        ("1:1", ("1:1", "")),
        ("16:9a cat", (None, "16:9a cat")),
        ("", (None, "")),
        ("4:3\na cat\non a mat", ("4:3", "a cat\non a mat")),
    ],
)
def test_parse_image_request(args: str, expected: tuple[str | None, str]) -> None:
    assert parse_image_request(args, DEFAULT_ASPECT_RATIOS) == expected


def test_parse_image_request_rejects_an_unknown_ratio() -> None:
    with pytest.raises(ValueError, match="5:7") as caught:
        parse_image_request("5:7 a cat", DEFAULT_ASPECT_RATIOS)
    assert "16:9" in str(caught.value) and "21:9" in str(caught.value)
    assert parse_image_request("5:7 a cat", ["5:7"]) == ("5:7", "a cat")
    with pytest.raises(ValueError):  # anything shaped like a ratio is taken as one
        parse_image_request("12:30 lunch on the beach", DEFAULT_ASPECT_RATIOS)
