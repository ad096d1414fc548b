"""The HTTP client under the Polza SDK: the SDK's aiohttp transport, with faithful errors.

httpx2's own connection pool (httpcore2 over anyio, h11 parsing in Python) cost about a third
of the client's CPU per streamed answer; aiohttp (already loaded for Telegram) parses HTTP in C.
The SDK ships that transport (`openai.DefaultAioHttpClient`), but its error mapping calls a
refused connection, a dropped one and a reset one all a *connect timeout*: the bot would then
treat a request that never left as one that may have been billed, and never retry it. Here each
keeps the httpx2 error the SDK's default transport gives, which `errors.translate` and
`errors.never_sent` read.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx2
import openai

# The SDK's vendored transport (a private module, pinned with the SDK by uv.lock).
from openai._vendor.httpx_aiohttp.transport import (
    AiohttpResponseStream,
    AiohttpTransport,
    map_aiohttp_exceptions,
)

# The SDK's own pool size for its default client.
CONNECTION_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


def _faithful(cause: aiohttp.ClientError) -> httpx2.TransportError:
    if isinstance(cause, aiohttp.ClientProxyConnectionError):
        return httpx2.ProxyError(str(cause))
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, DNS, TLS: never sent
        return httpx2.ConnectError(str(cause))
    if isinstance(cause, aiohttp.ClientOSError):
        return httpx2.ReadError(str(cause))
    return httpx2.RemoteProtocolError(str(cause))  # disconnected, or not HTTP


class _Body(AiohttpResponseStream):
    """The response body, with what had arrived before the connection broke.

    Once aiohttp sees a body cut short it raises at the next read and keeps what it had
    already received to itself: the chunks of a streamed answer that arrived while the bot
    was busy would be lost, and the user would see less of the answer than Polza sent. That
    rest is handed out first, then the error (a ReadError, as the SDK's transport maps it).
    """

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._aiohttp_response.content
        with map_aiohttp_exceptions():
            try:
                async for chunk in content.iter_chunked(self.CHUNK_SIZE):
                    yield chunk
            except aiohttp.ClientPayloadError:
                # aiohttp has no public way to it; the first block may be partly read already.
                received = b"".join(content._buffer)[content._buffer_offset :]
                content._buffer.clear()
                content._buffer_offset = 0
                if received:
                    yield received
                raise


class _Transport(AiohttpTransport):
    def __init__(self, tls: ssl.SSLContext, limits: httpx2.Limits) -> None:
        # What AiohttpTransport.__init__ sets (HTTP/1.1, no proxy of its own), with the TLS
        # context given. Its own first passes that through httpx2's create_ssl_context, which
        # imports httpx2's connection pool (httpcore2, h11, anyio: ~12 ms and ~1 MB at start)
        # that this transport never uses. The SDK is pinned by uv.lock; the streaming tests
        # run real requests through this transport.
        self.ssl_context = tls
        self.proxy = None
        self.limits = limits
        self.retries = 0
        self.socket_options = []
        self.uds = None
        self.local_address = None
        self.client = None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx2.TimeoutException as error:
            cause = error.__cause__
            if isinstance(cause, aiohttp.ServerTimeoutError) or not isinstance(
                cause, aiohttp.ClientError
            ):
                raise  # a real timeout
            raise _faithful(cause) from cause
        except aiohttp.ClientError as error:  # left unmapped by the SDK's transport
            raise _faithful(error) from error
        if isinstance(response.stream, AiohttpResponseStream):
            response.stream = _Body(response.stream._aiohttp_response)
        return response


def polza_http_client(tls: ssl.SSLContext | None = None, **kwargs: Any) -> httpx2.AsyncClient:
    """An SDK-compatible HTTP client on aiohttp (`kwargs`: httpx2.AsyncClient's, e.g. hooks).

    `tls`: certificate checks to share (each context loads every CA: ~15 ms and ~0.5 MB);
    by default a context of its own, with the system's CAs.
    """
    transport = _Transport(tls or ssl.create_default_context(), CONNECTION_LIMITS)
    return openai.DefaultAioHttpClient(transport=transport, **kwargs)
