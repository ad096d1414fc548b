"""The HTTP client under the Polza SDK, watched: latency of every call, and alerts on 401/402.

Watching the transport catches every Polza call (chat, speech, pictures, the model list,
the balance) in one place, whichever service made it.
"""

from __future__ import annotations

import ssl
import time

import httpx2

from bot.observability.alerts import AdminAlerts, AlertKind
from bot.observability.metrics import Metrics
from bot.services.polza_transport import polza_http_client

_STARTED = "bot_started_at"


def watched_http_client(
    metrics: Metrics, alerts: AdminAlerts, tls: ssl.SSLContext | None = None
) -> httpx2.AsyncClient:
    """The bot's Polza HTTP client, reporting to `metrics`/`alerts` (`tls`: see
    `polza_transport.polza_http_client`)."""

    async def on_request(request: httpx2.Request) -> None:
        request.extensions[_STARTED] = time.monotonic()

    async def on_response(response: httpx2.Response) -> None:
        started = response.request.extensions.get(_STARTED)
        if isinstance(started, float):
            metrics.polza_latency(
                response.request.url.path, response.status_code, time.monotonic() - started
            )
        if response.status_code in (401, 403):
            alerts.raise_alert(AlertKind.POLZA_AUTH, status=str(response.status_code))
        elif response.status_code == 402:
            alerts.raise_alert(AlertKind.POLZA_BALANCE)

    return polza_http_client(tls, event_hooks={"request": [on_request], "response": [on_response]})
