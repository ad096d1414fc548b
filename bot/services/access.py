"""Who may use the bot: settings, plus the allow/deny decisions admins make at runtime.

The rule, in order:

1. Admins (`ADMIN_USER_IDS`, and owners paired with the start-up code) are always allowed
   and cannot be denied.
2. A user an admin denied with /deny is refused, even if `ALLOWED_USER_IDS` lists them.
3. A user listed in `ALLOWED_USER_IDS` or allowed with /allow is allowed.
4. Anyone else only when `ACCESS_MODE=open`. The default, `invite`, is closed: no list ever
   becomes "open" by being empty, so /deny can only narrow access.

Groups (invite mode): a group listed in `ALLOWED_CHAT_IDS` is served for all its members
(except users denied with /deny); with `ALLOWED_CHAT_IDS` empty, only allowed users are
answered in any group.

Pairing: while there is no admin at all, a random code is made at each start and logged;
`/start <code>` in a private chat stores its sender as an admin and the code is spent. It is
not stored, so a restart makes a new one (and the old one stops working).
"""

from __future__ import annotations

import enum
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from storage import AccessRepository, AccessStatus

AccessMode = Literal["invite", "open"]
# No 0/O/1/I/L: the code is read from a log and typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class AllowOutcome(enum.Enum):
    ALLOWED = "allowed"
    ALREADY_ALLOWED = "already_allowed"
    ADMIN = "admin"


class DenyOutcome(enum.Enum):
    DENIED = "denied"
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
        self,
        repo: AccessRepository,
        allowed_ids: Iterable[int],
        admin_ids: Iterable[int],
        *,
        mode: AccessMode = "invite",
        allowed_chat_ids: Iterable[int] = (),
    ) -> None:
        self._repo = repo
        self._allowed_ids = frozenset(allowed_ids)
        self._settings_admins = frozenset(admin_ids)
        self._stored_admins: frozenset[int] = frozenset()
        self._mode = mode
        self._allowed_chats = frozenset(allowed_chat_ids)
        self._pairing_code: str | None = None

    async def load(self) -> None:
        """Read the stored admins; call once at start, before any update is handled."""
        self._stored_admins = await self._repo.admins()

    @property
    def mode(self) -> AccessMode:
        return self._mode

    @property
    def admin_ids(self) -> frozenset[int]:
        return self._settings_admins | self._stored_admins

    def is_admin(self, user_id: int) -> bool:
        return user_id in self._settings_admins or user_id in self._stored_admins

    async def is_allowed(self, user_id: int, chat_id: int | None = None) -> bool:
        """Whether `user_id` may use the bot; `chat_id` is the group, None in private."""
        if self.is_admin(user_id):
            return True
        return self.allows(user_id, chat_id, await self._repo.status(user_id))

    def allows(self, user_id: int, chat_id: int | None, status: AccessStatus | None) -> bool:
        """`is_allowed`, with the user's stored status already read (with their record)."""
        if self.is_admin(user_id):
            return True
        if status is not None:
            return status == "allowed"
        if user_id in self._allowed_ids or self._mode == "open":
            return True
        return chat_id is not None and chat_id in self._allowed_chats

    async def allow(self, user_id: int, *, by: int | None) -> AllowOutcome:
        if self.is_admin(user_id):
            return AllowOutcome.ADMIN
        status = await self._repo.status(user_id)
        if status == "allowed" or (status is None and user_id in self._allowed_ids):
            return AllowOutcome.ALREADY_ALLOWED
        await self._repo.set_status(user_id, "allowed", by)
        return AllowOutcome.ALLOWED

    async def deny(self, user_id: int, *, by: int | None) -> DenyOutcome:
        if self.is_admin(user_id):
            return DenyOutcome.ADMIN
        if await self._repo.status(user_id) == "denied":
            return DenyOutcome.ALREADY_DENIED
        await self._repo.set_status(user_id, "denied", by)
        return DenyOutcome.DENIED

    async def overview(self) -> AccessOverview:
        entries = await self._repo.entries()
        return AccessOverview(
            open_to_everyone=self._mode == "open",
            from_settings=tuple(sorted(self._allowed_ids)),
            allowed=tuple(e.user_id for e in entries if e.status == "allowed"),
            denied=tuple(e.user_id for e in entries if e.status == "denied"),
        )

    @property
    def pairing_pending(self) -> bool:
        return self._pairing_code is not None

    def new_pairing_code(self) -> str | None:
        """A fresh owner pairing code while nobody is admin (else None); replaces any older."""
        if self.admin_ids:
            self._pairing_code = None
            return None
        self._pairing_code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        return self._pairing_code

    async def pair(self, user_id: int, code: str) -> bool:
        """Make `user_id` an admin if `code` is the live pairing code; the code is then spent."""
        expected = self._pairing_code
        given = code.strip().upper()
        if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
            return False
        self._pairing_code = None  # before the await: a second /start with it fails
        await self._repo.add_admin(user_id)
        self._stored_admins = self._stored_admins | {user_id}
        return True
