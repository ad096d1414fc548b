"""Price offers for /video: what the user is asked to confirm, kept until they answer.

A clip is expensive, so nothing is created until the asker presses Confirm under the price.
Each user has at most one open offer (a new /video replaces it); an offer expires after
`VIDEO_CONFIRM_SECONDS`, and offers live in memory only: after a restart an old Confirm is
answered as expired, and nothing is created.
"""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import Message

from bot.services.video import VideoRequest


class VideoAction(enum.StrEnum):
    CONFIRM = "ok"
    CANCEL = "no"


class VideoButton(CallbackData, prefix="video"):
    action: VideoAction
    user_id: int
    token: str


@dataclass(frozen=True, slots=True)
class VideoOffer:
    token: str
    user_id: int
    message: Message  # the request, answered by the clip
    request: VideoRequest
    model: str
    estimate: Decimal | None  # the list price shown; None when the catalogue has none
    start_frame: bytes | None  # the normalised photo to animate
    created: float


class VideoOffers:
    """The open offers, one per user, each valid for `ttl` seconds."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._offers: dict[int, VideoOffer] = {}

    def __len__(self) -> int:
        return len(self._offers)

    def open(
        self,
        *,
        user_id: int,
        message: Message,
        request: VideoRequest,
        model: str,
        estimate: Decimal | None,
        start_frame: bytes | None,
    ) -> VideoOffer:
        self._sweep()
        offer = VideoOffer(
            token=secrets.token_urlsafe(6),
            user_id=user_id,
            message=message,
            request=request,
            model=model,
            estimate=estimate,
            start_frame=start_frame,
            created=self._clock(),
        )
        self._offers[user_id] = offer
        return offer

    def take(self, user_id: int, token: str) -> VideoOffer | None:
        """The user's open offer with this token, removed; None if gone, replaced or expired."""
        self._sweep()
        offer = self._offers.get(user_id)
        if offer is None or offer.token != token:
            return None
        del self._offers[user_id]
        return offer

    def _sweep(self) -> None:
        now = self._clock()
        expired = [uid for uid, o in self._offers.items() if now - o.created > self._ttl]
        for user_id in expired:
            del self._offers[user_id]
