"""The Polza account balance: `GET /v2/balance`, or the legacy `GET /v1/balance` on a 404."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import openai
from openai import AsyncOpenAI

from bot.services.errors import PolzaError, PolzaErrorKind, translate
from bot.services.polza_shapes import polza_decimal

logger = logging.getLogger(__name__)

# A GET cannot bill anything, so it may be retried freely.
BALANCE_RETRIES = 2


@dataclass(frozen=True, slots=True)
class Balance:
    """Rubles. `available` (spendable: the wallet minus reservations) is known only from v2."""

    amount: Decimal
    available: Decimal | None


def parse_balance(payload: object) -> Balance | None:
    """Either shape: v2 `{"amount": "…", "available": "…", …}` or v1 `{"amount": "…"}`."""
    if not isinstance(payload, Mapping):
        return None
    amount = polza_decimal(payload.get("amount"), allow_negative=True)
    if amount is None:
        return None
    return Balance(
        amount=amount, available=polza_decimal(payload.get("available"), allow_negative=True)
    )


class BalanceService:
    """Does not own `client`: closing the SDK client is its creator's job."""

    def __init__(self, client: AsyncOpenAI, v2_base_url: str) -> None:
        self._client = client
        self._v2_url = v2_base_url.rstrip("/") + "/balance"

    async def fetch(self) -> Balance:
        """The current balance; raises `PolzaError` when Polza cannot tell."""
        try:
            try:
                payload = await self._get(self._v2_url)  # absolute: the SDK's base is /v1
            except openai.NotFoundError:
                logger.info("GET /v2/balance is not there; asking the legacy /v1/balance")
                payload = await self._get("/balance")
        except ValueError as error:  # a body that is not JSON
            raise PolzaError(PolzaErrorKind.BAD_REQUEST, message=repr(error)) from error
        except openai.OpenAIError as error:
            raise (translate(error) or PolzaError(PolzaErrorKind.BAD_REQUEST)) from error
        balance = parse_balance(payload)
        if balance is None:
            raise PolzaError(
                PolzaErrorKind.BAD_REQUEST, message=f"unexpected balance body {payload!r:.200}"
            )
        return balance

    async def _get(self, path: str) -> object:
        return await self._client.get(
            path, cast_to=object, options={"max_retries": BALANCE_RETRIES}
        )
