"""Typed settings read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.services.languages import language_code

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful, concise assistant in a Telegram chat. "
    "Always answer in the language the user writes in. "
    "Use Markdown sparingly: short paragraphs, lists and code blocks where they help."
)

# What DATABASE_URL and REDIS_URL may start with.
_URL_SCHEMES = {
    "database_url": ("sqlite:///", "postgresql://", "postgres://"),
    "redis_url": ("redis://", "rediss://", "unix://"),
}

IdList = Annotated[frozenset[int], NoDecode]
NameList = Annotated[tuple[str, ...], NoDecode]


WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def listen_address(value: str) -> tuple[str, int]:
    """`host:port` (`[::]:8080` for IPv6) → (host, port)."""
    host, colon, port = value.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be host:port, like 0.0.0.0:8080")
    return host, int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr
    polza_api_key: SecretStr
    polza_base_url: str = "https://api.polza.ai/api/v1"
    telegram_api_url: str = ""
    database_path: Path = Path("data/bot.sqlite3")
    # The store: sqlite:///path or postgresql://user:pass@host/db (empty: SQLite at DATABASE_PATH).
    database_url: SecretStr = SecretStr("")
    # Shared state between replicas (redis://host:6379/0); empty: kept in this process's memory.
    redis_url: SecretStr = SecretStr("")
    # The data volume (the Docker image sets /data): a DATABASE_PATH outside it is not used.
    data_dir: Path | None = None
    _outside_data_dir: Path | None = PrivateAttr(default=None)

    default_chat_model: str = "openai/gpt-4o-mini"
    # Chat models users may pick: ids or fnmatch patterns such as "openai/*" (empty: any).
    allowed_models: NameList = ()
    # Offered with one tap when the user's chat model cannot see a photo they sent.
    vision_model: str = "openai/gpt-4o-mini"
    default_image_model: str = "bytedance/seedream-4"
    default_video_model: str = "kling/v3"
    transcription_model: str = "openai/whisper-1"
    # The language recordings are transcribed in (ISO-639-1, e.g. "ru"); empty: the model
    # detects it. A user's own /voicelang choice wins over this.
    transcription_language: str = ""
    # Spoken answers (/voice): the speech model and its voice.
    tts_model: str = "openai/gpt-4o-mini-tts"
    tts_voice: str = "alloy"
    system_prompt: str = DEFAULT_SYSTEM_PROMPT

    # invite: only admins and allowed users (ALLOWED_USER_IDS, /allow); open: anyone not denied.
    access_mode: Literal["invite", "open"] = "invite"
    allowed_user_ids: IdList = frozenset()
    admin_user_ids: IdList = frozenset()
    # Groups the bot serves (empty: any group it is added to). In invite mode every member of
    # a listed group is served; with the list empty, only allowed users are, in any group.
    allowed_chat_ids: IdList = frozenset()
    # In groups, a message starting with this word is addressed to the bot too ("" = off).
    group_trigger_keyword: str = ""

    default_language: str = "en"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    # GET /healthz and /metrics on this port (0 = no server) and address.
    health_port: int = Field(default=0, ge=0, le=65535)
    health_host: str = "127.0.0.1"
    # The admins are told when the Polza balance falls under this many rubles (0 = never),
    # checked this often.
    balance_alert_rub: float = Field(default=0, ge=0)
    balance_check_interval_seconds: float = Field(default=300.0, ge=0)

    # How much history goes with each request (estimated tokens), within the model's window.
    history_max_tokens: int = Field(default=32_000, ge=500)
    # Turns that no longer fit are replaced by a short summary made by SUMMARY_MODEL.
    history_summary: bool = False
    summary_model: str = "openai/gpt-4o-mini"
    # Retired: history is bounded by HISTORY_MAX_TOKENS now. Read only to warn, once, at start.
    history_max_turns: str | None = None
    history_max_chars: str | None = None
    # How many of the newest image turns keep their images in later requests.
    history_image_turns: int = Field(default=2, ge=0, le=20)

    # Polza HTTP behaviour.
    polza_timeout_seconds: float = Field(default=90.0, gt=0)
    polza_max_retries: int = Field(default=2, ge=0, le=10)
    # Every chat request carries a bounded max_tokens: this one when set, else the model's own
    # output cap but at most 4096 (and never more than half its context window).
    max_answer_tokens: int = Field(default=0, ge=0)

    # Streaming cadence towards Telegram.
    draft_interval_seconds: float = Field(default=0.3, ge=0.05)
    edit_interval_seconds: float = Field(default=1.0, ge=0.2)
    # Telegram allows about 20 messages a minute in one group; edits count too.
    group_edit_interval_seconds: float = Field(default=3.0, ge=0.2)

    # Voice: Telegram's cloud Bot API lets bots download files up to 20 MB.
    max_download_mb: int = Field(default=20, ge=1)
    voice_max_duration_seconds: int = Field(default=1800, ge=1)
    voice_chunk_seconds: float = Field(default=600.0, ge=10)
    stt_max_upload_mb: int = Field(default=24, ge=1)

    # Photos and files: an album is answered once no part has arrived for this long.
    album_window_seconds: float = Field(default=0.8, ge=0.1, le=5.0)
    # Texts of one user arriving within this long of each other become one turn; 0: never.
    merge_window_seconds: float = Field(default=1.0, ge=0.0, le=5.0)
    document_max_kb: int = Field(default=512, ge=1, le=20_480)
    # Per request, after every picture is re-encoded (JPEG, long side ≤ 2048 px).
    max_image_bytes_per_request: int = Field(default=8_000_000, ge=100_000)
    # Per request, all attached text files together.
    max_attached_text_chars: int = Field(default=100_000, ge=1_000)
    # PDF / DOCX / ODT / RTF: read in a worker process that is stopped after the timeout; at
    # most this many PDF pages are read, and a DOCX/ODT may unpack to at most this many MB.
    document_max_pages: int = Field(default=50, ge=1, le=2000)
    document_timeout_seconds: float = Field(default=30.0, ge=1.0, le=600.0)
    document_max_unpacked_mb: int = Field(default=50, ge=1, le=1024)
    # Hosts /image results may be downloaded from (fnmatch patterns); empty: polza.ai and
    # *.polza.ai. The host of POLZA_BASE_URL is always allowed.
    image_result_hosts: NameList = ()

    # Polza's model catalogue is cached this long, then refreshed in the background.
    catalogue_ttl_seconds: float = Field(default=600.0, ge=5)

    # /image: how often to ask Polza whether a picture is ready, and for how long.
    image_poll_interval_seconds: float = Field(default=3.0, gt=0)
    image_timeout_seconds: float = Field(default=180.0, gt=0)
    # The newest pictures kept per user (original bytes) for the buttons under them.
    image_keep_per_user: int = Field(default=20, ge=1, le=200)
    # A long job (picture, video, long transcription) shows one status message once it has run
    # this long, edited at most this often with what it is doing and the time so far.
    status_delay_seconds: float = Field(default=3.0, ge=0, le=60)
    status_interval_seconds: float = Field(default=5.0, ge=1, le=60)
    # /video: polling, the longest wait for a clip, how long a price offer stays valid, and
    # the largest clip uploaded to Telegram (bigger ones are sent as a link).
    video_poll_interval_seconds: float = Field(default=5.0, gt=0)
    video_timeout_seconds: float = Field(default=900.0, gt=0)
    video_confirm_seconds: float = Field(default=600.0, gt=0)
    video_max_upload_mb: int = Field(default=50, ge=1, le=2000)

    # Inline mode (@bot question): how long to wait for the answer before offering to open the
    # private chat instead, and how long an identical query is answered from memory.
    inline_timeout_seconds: float = Field(default=8.0, gt=0, le=25)
    inline_cache_seconds: float = Field(default=60.0, ge=0)

    # The whole time a stop (SIGTERM) may take, all phases together; the container's stop
    # timeout must be longer, or the process is killed with answers in flight.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # An update left unfinished by a crash is handled again at start, up to this many attempts
    # in all and only while it is this fresh; past either the user gets a short apology.
    replay_max_attempts: int = Field(default=2, ge=1, le=10)
    replay_max_age_seconds: float = Field(default=900.0, gt=0)
    # Replicas (PostgreSQL + REDIS_URL): how long a claimed update stays with a replica that
    # stopped renewing it (killed mid-answer) before another one takes it over.
    inbox_lease_seconds: float = Field(default=30.0, ge=1)
    # Conversation history older than this is deleted every night (0 = kept forever).
    history_retention_days: int = Field(default=0, ge=0)

    # Per-user limits (0 = none; admins are exempt) and the zone days and months are counted in.
    daily_budget_rub: float = Field(default=0, ge=0)
    rate_limit_per_minute: int = Field(default=0, ge=0)
    # All users together, admins included (0 = none).
    global_daily_budget_rub: float = Field(default=0, ge=0)
    # One request whose worst-case cost at list prices is above this is refused (0 = none).
    max_request_cost_rub: float = Field(default=0, ge=0)
    # What a call to a model without catalogue prices is counted as, in the ledger and limits.
    unknown_price_rub: float = Field(default=5.0, gt=0)
    # Messages that may wait behind the one being answered, per conversation.
    max_queued_per_conversation: int = Field(default=3, ge=0, le=100)
    timezone: str = "UTC"

    # Webhook mode: with WEBHOOK_URL (the public https address Telegram calls, usually a
    # reverse proxy) the bot listens on WEBHOOK_LISTEN instead of long polling, and accepts
    # only requests carrying WEBHOOK_SECRET. Empty: long polling.
    webhook_url: str = ""
    webhook_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    webhook_listen: str = "0.0.0.0:8080"

    @field_validator("allowed_user_ids", "admin_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return frozenset(int(part) for part in parts if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("bot_token", "polza_api_key")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        # `BOT_TOKEN=` as copied from .env.example is as missing as no line at all.
        if not value.get_secret_value().strip():
            raise PydanticCustomError("missing", "Field required")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        # The same shape aiogram checks when the bot is created, told here in one line.
        bot_id, colon, secret = value.get_secret_value().partition(":")
        if not colon or not bot_id.isdigit() or not secret or any(c.isspace() for c in secret):
            raise ValueError("must be the token @BotFather gave, like 123456789:AAH…")
        return value

    @field_validator("allowed_models", "image_result_hosts", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            parts = (part.strip() for part in value.replace(";", ",").split(","))
            return tuple(part for part in parts if part)
        return value

    @field_validator("polza_base_url", "telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator("system_prompt")
    @classmethod
    def _default_prompt(cls, value: str) -> str:
        return value.strip() or DEFAULT_SYSTEM_PROMPT

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str) -> str:
        url = value.strip()
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError("must be the public https:// address Telegram calls, or empty")
        return url

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value().strip()
        if not secret and info.data.get("webhook_url"):
            # Without it anyone who finds the address could post updates and spend the budget.
            raise PydanticCustomError(
                "required_with", "when WEBHOOK_URL is set (1-256 letters, digits, _ or -)"
            )
        if secret and not WEBHOOK_SECRET_RE.fullmatch(secret):
            raise ValueError(
                "must be 1-256 characters: letters, digits, _ and - (Telegram's rule)"
            )
        return SecretStr(secret)

    @field_validator("webhook_listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        listen_address(value.strip())
        return value.strip()

    @property
    def webhook_address(self) -> tuple[str, int]:
        return listen_address(self.webhook_listen)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        name = value.strip() or "UTC"
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as UTC or Europe/Moscow") from None
        return name

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        language = value.strip().lower()
        if language not in {"en", "ru"}:
            raise ValueError("must be en or ru")
        return language

    @field_validator("transcription_language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if not value.strip():
            return ""
        code = language_code(value)
        if code is None:
            raise ValueError("must be an ISO-639-1 code such as en, de or ru, or empty")
        return code

    @field_validator("tts_model", "tts_voice")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("database_url", "redis_url")
    @classmethod
    def _known_scheme(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        url = value.get_secret_value().strip()
        schemes = _URL_SCHEMES[info.field_name or ""]
        if url and not url.startswith(schemes):
            raise ValueError(f"must start with {' or '.join(schemes)}")
        return SecretStr(url)

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.get_secret_value().startswith(("postgresql://", "postgres://"))

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> Settings:
        # A .env written for running without Docker (DATABASE_PATH=data/bot.sqlite3) must not
        # move the database out of the image's volume, where it would be lost or not creatable.
        path, data_dir = self.database_path, self.data_dir
        if data_dir is None or str(path) == ":memory:":
            return self
        if not path.absolute().is_relative_to(data_dir.absolute()):
            self._outside_data_dir = path
            self.database_path = data_dir / "bot.sqlite3"
        return self

    @property
    def ignored_database_path(self) -> Path | None:
        """The DATABASE_PATH given outside DATA_DIR, replaced by DATA_DIR/bot.sqlite3."""
        return self._outside_data_dir

    @property
    def polza_v2_url(self) -> str:
        """Polza keeps a few routes (balance) under /v2 next to /v1."""
        return self.polza_base_url.rsplit("/", 1)[0] + "/v2"

    def secrets(self) -> list[str]:
        found = [self.bot_token.get_secret_value(), self.polza_api_key.get_secret_value()]
        found += [s for s in [self.webhook_secret.get_secret_value()] if s]
        for url in (self.database_url, self.redis_url):
            password = urlsplit(url.get_secret_value()).password
            if password:
                found.append(password)
        return found
