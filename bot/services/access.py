"""Who may use the bot: settings, plus the allow/deny decisions admins make at runtime.

The rule, in order:

1. Admins (`ADMIN_USER_IDS`) are always allowed and cannot be denied.
2. A user an admin denied with /deny is refused, even if `ALLOWED_USER_IDS` lists them.
3. A user listed in `ALLOWED_USER_IDS` or allowed with /allow is allowed.
4. Anyone else is allowed only while the bot is *open*: both `ALLOWED_USER_IDS` and the
   runtime allowlist are empty. So the first /allow makes an open bot invite-only, and
   /deny on an open bot works as a blocklist.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from storage import AccessRepository


class AllowOutcome(enum.Enum):
    ALLOWED = "allowed"
    ALLOWED_NOW_INVITE_ONLY = "allowed_now_invite_only"  # the bot was open until now
    ALREADY_ALLOWED = "already_allowed"
    ADMIN = "admin"


class DenyOutcome(enum.Enum):
    DENIED = "denied"
    DENIED_NOW_OPEN = "denied_now_open"  # the last allowlisted user went: open again
    ALREADY_DENIED = "already_denied"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class AccessOverview:
    open_to_everyone: bool
    from_settings: tuple[int, ...]
    allowed: tuple[int, ...]
    denied: tuple[int, ...]


class AccessPolicy:
    def __init__(
        self, repo: AccessRepository, allowed_ids: Iterable[int], admin_ids: Iterable[int]
    ) -> None:
        self._repo = repo
        self._allowed_ids = frozenset(allowed_ids)
        self._admin_ids = frozenset(admin_ids)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self._admin_ids

    async def is_allowed(self, user_id: int) -> bool:
        if self.is_admin(user_id):
            return True
        status = await self._repo.status(user_id)
        if status is not None:
            return status == "allowed"
        return user_id in self._allowed_ids or await self._is_open()

    async def allow(self, user_id: int, *, by: int | None) -> AllowOutcome:
        if self.is_admin(user_id):
            return AllowOutcome.ADMIN
        status = await self._repo.status(user_id)
        if status == "allowed" or (status is None and user_id in self._allowed_ids):
            return AllowOutcome.ALREADY_ALLOWED
        was_open = await self._is_open()
        await self._repo.set_status(user_id, "allowed", by)
        return AllowOutcome.ALLOWED_NOW_INVITE_ONLY if was_open else AllowOutcome.ALLOWED

    async def deny(self, user_id: int, *, by: int | None) -> DenyOutcome:
        if self.is_admin(user_id):
            return DenyOutcome.ADMIN
        if await self._repo.status(user_id) == "denied":
            return DenyOutcome.ALREADY_DENIED
        was_open = await self._is_open()
        await self._repo.set_status(user_id, "denied", by)
        if not was_open and await self._is_open():
            return DenyOutcome.DENIED_NOW_OPEN
        return DenyOutcome.DENIED

    async def overview(self) -> AccessOverview:
        entries = await self._repo.entries()
        allowed = tuple(e.user_id for e in entries if e.status == "allowed")
        return AccessOverview(
            open_to_everyone=not self._allowed_ids and not allowed,
            from_settings=tuple(sorted(self._allowed_ids)),
            allowed=allowed,
            denied=tuple(e.user_id for e in entries if e.status == "denied"),
        )

    async def _is_open(self) -> bool:
        return not self._allowed_ids and not await self._repo.any_allowed()
