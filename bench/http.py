"""A keep-alive JSON client for the fakes' control APIs (loopback only).

`http.client` on one persistent connection: no connection set-up inside timed calls, and
`timed()` reports wall-clock (`time.time()`) instants right before the request is written
and right after the whole answer was read, on the same clock the fakes stamp their logs with.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit


class JsonClient:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError(f"the benchmark only talks to loopback, not {base_url}")
        self.base_url = base_url.rstrip("/")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            conn.connect()
            if conn.sock is not None:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def timed(self, method: str, path: str, body: Any = None) -> tuple[Any, float, float]:
        """(decoded JSON answer, time the request was sent, time the answer was read)."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                sent = time.time()
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                received = time.time()
            except (http.client.HTTPException, ConnectionError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.status >= 400:
                raise RuntimeError(
                    f"{method} {self.base_url}{path} -> {response.status}: {data[:300]!r}"
                )
            return (json.loads(data) if data else None), sent, received
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.timed(method, path, body)[0]

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)
