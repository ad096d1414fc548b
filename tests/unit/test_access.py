"""Who may use the bot: settings, runtime /allow and /deny, admins; and the admin menus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject
from aiogram.methods import SetMyCommands
from aiogram.types import BotCommandScopeChat, Message
from aiogram_i18n import I18nContext
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import ConstManager

from bot.i18n import LOCALES_DIR, SUPPORTED_LANGUAGES
from bot.services.access import AccessPolicy, AllowOutcome, DenyOutcome
from bot.telegram.command_menus import (
    ADMIN_COMMANDS,
    USER_COMMANDS,
    register_command_menus,
)
from handlers.admin import _ALLOW_KEYS, _DENY_KEYS, on_allow, on_deny
from storage import AccessRepository, Database, UserRepository
from tests.unit.test_i18n import catalogue

ADMIN = 1
LISTED = 10
STRANGER = 20
OTHER = 30


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[AccessRepository]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    yield AccessRepository(db)
    await db.close()


def policy(
    repo: AccessRepository, allowed: set[int] | None = None, **options: Any
) -> AccessPolicy:
    return AccessPolicy(repo, allowed or set(), {ADMIN}, **options)


async def test_invite_mode_is_the_default_and_deny_never_opens_it(
    repo: AccessRepository,
) -> None:
    access = policy(repo)
    assert not await access.is_allowed(STRANGER), "with no lists the bot is closed"
    assert await access.allow(STRANGER, by=ADMIN) is AllowOutcome.ALLOWED
    assert await access.is_allowed(STRANGER)
    assert not await access.is_allowed(OTHER)
    assert await access.allow(STRANGER, by=ADMIN) is AllowOutcome.ALREADY_ALLOWED
    assert await access.is_allowed(ADMIN), "admins need no allowlist entry"

    # Denying the last allowed user leaves the bot closed (it used to open it to everyone).
    assert await access.deny(STRANGER, by=ADMIN) is DenyOutcome.DENIED
    assert not await access.is_allowed(STRANGER)
    assert not await access.is_allowed(OTHER)
    assert not (await access.overview()).open_to_everyone


async def test_open_mode_lets_everyone_in_and_deny_works_as_a_blocklist(
    repo: AccessRepository,
) -> None:
    access = policy(repo, mode="open")
    assert await access.is_allowed(STRANGER)

    assert await access.deny(STRANGER, by=ADMIN) is DenyOutcome.DENIED
    assert not await access.is_allowed(STRANGER)
    assert await access.is_allowed(OTHER), "a blocklist entry must not close the bot"
    assert await access.deny(STRANGER, by=ADMIN) is DenyOutcome.ALREADY_DENIED
    overview = await access.overview()
    assert overview.open_to_everyone and overview.denied == (STRANGER,)


async def test_groups_in_invite_mode(repo: AccessRepository) -> None:
    group, other_group = -100, -200
    listed = policy(repo, {LISTED}, allowed_chat_ids={group})
    assert await listed.is_allowed(STRANGER, group), "a listed group serves all its members"
    assert not await listed.is_allowed(STRANGER, other_group)
    assert not await listed.is_allowed(STRANGER), "not in private"
    assert await listed.is_allowed(LISTED, other_group)
    await listed.deny(OTHER, by=ADMIN)
    assert not await listed.is_allowed(OTHER, group), "a denied user stays denied in groups"

    unlisted = policy(repo, {LISTED})
    assert await unlisted.is_allowed(LISTED, group)
    assert not await unlisted.is_allowed(STRANGER, group), "only allowed users in any group"


async def test_pairing_code_makes_one_stored_admin(repo: AccessRepository) -> None:
    access = AccessPolicy(repo, set(), set())
    await access.load()
    code = access.new_pairing_code()
    assert code is not None and len(code) == 8 and access.pairing_pending
    assert not await access.pair(STRANGER, "WRONG123")
    assert not access.is_admin(STRANGER)
    assert await access.pair(OTHER, code.lower()), "typed in lower case still works"
    assert access.is_admin(OTHER) and await access.is_allowed(OTHER)
    assert not access.pairing_pending
    assert not await access.pair(STRANGER, code), "a code works once"

    restarted = AccessPolicy(repo, set(), set())
    await restarted.load()
    assert restarted.is_admin(OTHER), "the paired admin is stored"
    assert restarted.admin_ids == frozenset({OTHER})
    assert restarted.new_pairing_code() is None, "no code once there is an admin"


async def test_settings_list_runtime_changes_and_restarts(repo: AccessRepository) -> None:
    access = policy(repo, {LISTED})
    assert await access.is_allowed(LISTED)
    assert not await access.is_allowed(STRANGER)
    assert await access.allow(LISTED, by=ADMIN) is AllowOutcome.ALREADY_ALLOWED

    assert await access.allow(STRANGER, by=ADMIN) is AllowOutcome.ALLOWED
    assert await access.deny(LISTED, by=ADMIN) is DenyOutcome.DENIED
    restarted = policy(repo, {LISTED})
    assert await restarted.is_allowed(STRANGER)
    assert not await restarted.is_allowed(LISTED), "a runtime deny beats ALLOWED_USER_IDS"

    assert await restarted.allow(LISTED, by=ADMIN) is AllowOutcome.ALLOWED
    assert await restarted.is_allowed(LISTED)
    overview = await restarted.overview()
    assert not overview.open_to_everyone
    assert overview.from_settings == (LISTED,)
    assert overview.allowed == (LISTED, STRANGER) and overview.denied == ()


async def test_admins_are_always_allowed_and_cannot_be_denied(repo: AccessRepository) -> None:
    access = policy(repo, {LISTED})
    assert access.is_admin(ADMIN) and not access.is_admin(LISTED)
    assert await access.is_allowed(ADMIN)
    assert await access.deny(ADMIN, by=ADMIN) is DenyOutcome.ADMIN
    assert await access.allow(ADMIN, by=ADMIN) is AllowOutcome.ADMIN
    assert await access.is_allowed(ADMIN)
    assert (await access.overview()).denied == ()


def test_every_access_outcome_has_a_text() -> None:
    assert set(_ALLOW_KEYS) == set(AllowOutcome)
    assert set(_DENY_KEYS) == set(DenyOutcome)
    english = catalogue("en")
    assert {*_ALLOW_KEYS.values(), *_DENY_KEYS.values()} <= set(english)


class RecordingBot:
    """Records `set_my_commands`; Telegram refuses chat menus for `unknown_chats`."""

    def __init__(self, unknown_chats: set[int]) -> None:
        self.menus: dict[tuple[int | None, str | None], list[str]] = {}
        self.unknown_chats = unknown_chats

    async def set_my_commands(self, commands: list[Any], **kwargs: Any) -> bool:
        scope = kwargs.get("scope")
        chat_id = int(scope.chat_id) if isinstance(scope, BotCommandScopeChat) else None
        if chat_id in self.unknown_chats:
            raise TelegramBadRequest(
                method=SetMyCommands(commands=commands), message="Bad Request: chat not found"
            )
        self.menus[(chat_id, kwargs.get("language_code"))] = [c.command for c in commands]
        for command in commands:
            assert command.description and not command.description.startswith("command-")
        return True


async def test_admin_commands_appear_only_in_admins_own_chats() -> None:
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale="en")
    await core.startup()
    bot = RecordingBot(unknown_chats={666})
    await register_command_menus(
        cast(Bot, bot), core, {ADMIN, 666}, SUPPORTED_LANGUAGES, default_language="en"
    )

    everyone = list(USER_COMMANDS)
    admins = everyone + list(ADMIN_COMMANDS)
    assert bot.menus == {
        (None, None): everyone,
        (None, "ru"): everyone,
        (ADMIN, None): admins,
        (ADMIN, "ru"): admins,
    }


class AdminMessage:
    """What the /allow and /deny handlers use of a message: its sender and `answer`."""

    def __init__(self) -> None:
        self.from_user = type("Sender", (), {"id": ADMIN})()
        self.answers: list[str] = []

    async def answer(self, text: str, **kwargs: Any) -> None:
        self.answers.append(text)


@pytest.mark.parametrize("argument", ["9223372036854775808", "9" * 19, "9" * 400, "0"])
async def test_allow_and_deny_with_an_impossible_id_explain_and_store_nothing(
    tmp_path: Path, argument: str
) -> None:
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale="en")
    await core.startup()
    i18n = I18nContext("en", core, ConstManager(default_locale="en"), {})
    db = await Database.open(tmp_path / "bot.sqlite3")
    access = policy(AccessRepository(db))
    for handler, name in ((on_allow, "allow"), (on_deny, "deny")):
        message = AdminMessage()
        command = CommandObject(prefix="/", command=name, args=argument)
        await handler(cast(Message, message), command, access, UserRepository(db), i18n)
        (reply,) = message.answers
        assert "is not a Telegram user ID" in reply and "4503599627370495" in reply
    assert (await access.overview()).allowed == ()
    assert (await access.overview()).denied == ()
    await db.close()
