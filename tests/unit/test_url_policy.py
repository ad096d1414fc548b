"""The policy for URLs Polza hands out: scheme, host, addresses, and every redirect hop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.services.url_policy import (
    MAX_REDIRECTS,
    PolicyResolver,
    UrlPolicy,
    UrlRefused,
    guarded_session,
    open_checked,
)

POLZA = UrlPolicy.for_polza("https://api.polza.ai/api/v1")
LOCAL = UrlPolicy.for_polza("http://127.0.0.1:8080/api/v1")


@pytest.mark.parametrize(
    "url",
    ["https://polza.ai/x.png", "https://cdn.polza.ai/a/b.png?sig=1", "https://api.polza.ai/f"],
)
def test_polzas_hosts_over_https_are_allowed(url: str) -> None:
    assert POLZA.refusal(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://cdn.polza.ai/x.png", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://polza.ai/x", "scheme"),
        ("https://example.com/x.png", "host"),
        ("https://polza.ai.example.com/x.png", "host"),
        ("https://evilpolza.ai/x.png", "host"),
        ("https://127.0.0.1/x.png", "host"),
        ("https://169.254.169.254/latest/meta-data", "host"),
        ("https://user:secret@cdn.polza.ai/x.png", "credentials"),
        ("https:///x.png", "no host"),
        ("https://cdn.polza.ai:99999/x.png", "malformed"),
    ],
)
def test_other_urls_are_refused(url: str, why: str) -> None:
    reason = POLZA.refusal(url)
    assert reason is not None and why in reason


def test_the_api_host_is_trusted_even_when_private() -> None:
    assert LOCAL.refusal("http://127.0.0.1:9999/files/1.png") is None
    assert LOCAL.refusal("http://localhost:8080/files/1.png") is not None
    assert LOCAL.address_allowed("127.0.0.1", "127.0.0.1")


def test_hosts_may_be_configured_but_private_addresses_stay_refused() -> None:
    policy = UrlPolicy.for_polza("https://api.polza.ai/api/v1", ["cdn.example.com", "10.*"])
    assert policy.refusal("https://cdn.example.com/x.png") is None
    assert policy.refusal("https://api.polza.ai/x.png") is None, "the API host always"
    assert policy.refusal("https://cdn.polza.ai/x.png") is not None, (
        "the list replaces the default"
    )
    assert "not public" in (policy.refusal("https://10.0.0.7/x.png") or "")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4001::1", True),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fd00::1", False),
        ("0.0.0.0", False),
    ],
)
def test_resolved_addresses_must_be_public(address: str, allowed: bool) -> None:
    assert POLZA.address_allowed("cdn.polza.ai", address) is allowed


async def test_the_resolver_refuses_a_host_with_a_private_address() -> None:
    resolver = PolicyResolver(UrlPolicy.for_polza("https://api.polza.ai", ["localhost"]))
    try:
        with pytest.raises(OSError, match="non-public"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()


HITS = web.AppKey("hits", list[str])


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    hits: list[str] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        name = request.match_info["name"]
        port = request.url.port
        targets = {
            "start": "/hop1",
            "hop1": "/final",
            "loop": "/loop",
            "away": f"http://localhost:{port}/final",
            "meta": "http://169.254.169.254/latest/meta-data/",
        }
        if name in targets:
            raise web.HTTPFound(targets[name])
        return web.Response(body=b"picture")

    app = web.Application()
    app.router.add_get("/{name}", handle)
    app[HITS] = hits
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()


async def fetch(server: TestServer, path: str) -> bytes:
    policy = UrlPolicy.for_polza(str(server.make_url("/api/v1")))
    async with (
        guarded_session(policy, aiohttp.ClientTimeout(total=5)) as session,
        open_checked(session, str(server.make_url(path)), policy) as response,
    ):
        return await response.read()


async def test_redirects_are_followed_hop_by_hop(server: TestServer) -> None:
    assert await fetch(server, "/start") == b"picture"
    assert server.app[HITS] == ["/start", "/hop1", "/final"]


@pytest.mark.parametrize(("path", "why"), [("/away", "host"), ("/meta", "host")])
async def test_a_redirect_off_the_allowed_hosts_is_not_followed(
    server: TestServer, path: str, why: str
) -> None:
    with pytest.raises(UrlRefused) as caught:
        await fetch(server, path)
    assert why in caught.value.reason
    assert server.app[HITS] == [path], "the target was never requested"


async def test_redirects_are_limited(server: TestServer) -> None:
    with pytest.raises(UrlRefused, match="too many redirects"):
        await fetch(server, "/loop")
    assert len(server.app[HITS]) == MAX_REDIRECTS + 1
