"""Telegram: the token works, what groups and inline users get, and no webhook blocks polling."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import User
from aiogram.utils.token import TokenValidationError

from bot.doctor.context import (
    NETWORK_TIMEOUT_SECONDS,
    DoctorContext,
    masked_token,
    optional_setting,
)
from bot.doctor.report import Check, fail, ok, warn

GROUP = "Telegram"
TIMEOUT = int(NETWORK_TIMEOUT_SECONDS)


async def check_telegram(ctx: DoctorContext) -> list[Check]:
    token = ctx.settings.bot_token.get_secret_value()
    try:
        bot = ctx.create_bot(ctx.settings)
    except TokenValidationError:
        return [
            fail(
                GROUP,
                "Bot token",
                "BOT_TOKEN does not look like a bot token (digits, a colon, then letters)",
                "copy the token again from @BotFather (/mybots → your bot → API Token)",
            )
        ]
    try:
        try:
            me = await bot.get_me(request_timeout=TIMEOUT)
        except TelegramUnauthorizedError:
            return [
                fail(
                    GROUP,
                    "Bot token",
                    f"Telegram refused BOT_TOKEN ({masked_token(token)})",
                    "copy the current token from @BotFather (/mybots → your bot → API Token)"
                    " into BOT_TOKEN; /revoke there makes old tokens stop working",
                )
            ]
        except (TelegramNetworkError, TelegramAPIError) as error:
            return [_unreachable(ctx, error)]
        checks = [
            ok(GROUP, "Bot", f"@{me.username} (id {me.id}), token {masked_token(token)}"),
            _privacy(me, ctx),
            _inline(me),
        ]
        try:
            checks.append(await _webhook(bot, ctx))
        except (TelegramNetworkError, TelegramAPIError) as error:
            checks.append(_unreachable(ctx, error))
        return checks
    finally:
        await bot.session.close()


def _api_base(ctx: DoctorContext) -> str:
    return ctx.settings.telegram_api_url or "https://api.telegram.org"


def _unreachable(ctx: DoctorContext, error: Exception) -> Check:
    return fail(
        GROUP,
        "Bot API",
        f"no answer from {_api_base(ctx)}: {error}",
        "check the server's network access to Telegram"
        + (" and TELEGRAM_API_URL" if ctx.settings.telegram_api_url else ""),
    )


def _privacy(me: User, ctx: DoctorContext) -> Check:
    if me.can_read_all_group_messages:
        return ok(
            GROUP,
            "Privacy mode",
            "off: in groups the bot sees mentions and the trigger keyword reliably",
        )
    keyword = ctx.settings.group_trigger_keyword
    return warn(
        GROUP,
        "Privacy mode",
        "on: in groups the bot only sees commands, replies to it and some mentions"
        + (f"; GROUP_TRIGGER_KEYWORD ({keyword!r}) never reaches it" if keyword else ""),
        "@BotFather: /setprivacy → your bot → Disable, then remove the bot from each group"
        " and add it again (private chats work either way)",
    )


def _inline(me: User) -> Check:
    if not me.supports_inline_queries:
        return ok(GROUP, "Inline mode", "off (the bot does not answer inline queries)")
    return warn(
        GROUP,
        "Inline mode",
        "on, but the bot does not answer inline queries: typing @bot in a chat shows nothing",
        "@BotFather: /mybots → your bot → Bot Settings → Inline Mode → Turn off",
    )


def _where(url: str) -> str:
    """Scheme and host only: a webhook path often carries another program's secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "(unreadable URL)"


async def _webhook(bot: Bot, ctx: DoctorContext) -> Check:
    info = await bot.get_webhook_info(request_timeout=TIMEOUT)
    # Webhook mode arrives with WEBHOOK_URL; until then the bot always polls.
    wanted = optional_setting(ctx.settings, "webhook_url") or ""
    if not wanted:
        if not info.url:
            return ok(GROUP, "Webhook", "none: the bot receives updates by long polling")
        return fail(
            GROUP,
            "Webhook",
            f"set to {_where(info.url)} while the bot uses long polling: Telegram refuses"
            f" polling while a webhook is set ({info.pending_update_count} updates waiting)",
            f"delete it: open {_api_base(ctx)}/bot<BOT_TOKEN>/deleteWebhook in a browser"
            " (with your token), and stop whatever program set it",
        )
    if info.url == wanted:
        found = f"set to {_where(info.url)} as WEBHOOK_URL says"
        if info.last_error_message:
            found += f"; Telegram's last delivery error: {info.last_error_message}"
        return ok(GROUP, "Webhook", found)
    return fail(
        GROUP,
        "Webhook",
        f"Telegram has {_where(info.url) if info.url else 'no webhook'}, WEBHOOK_URL is"
        f" {_where(wanted)}",
        "start the bot so it registers WEBHOOK_URL, and make sure no other program sets a"
        " webhook for this token",
    )
