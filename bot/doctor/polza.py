"""Polza: the key, the balance, and the configured models in the catalogue."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from openai import AsyncOpenAI

from bot.doctor.context import NETWORK_TIMEOUT_SECONDS, DoctorContext, optional_setting
from bot.doctor.live import live_chat
from bot.doctor.report import Check, Status, fail, ok, skip, warn
from bot.doctor.suggest import nearest_ids
from bot.services.balance import BalanceService
from bot.services.catalogue import Catalogue, CatalogueUnavailable, ModelCatalogue, ModelKind
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.polza import PolzaClient
from bot.services.usage import rub_amount

GROUP = "Polza"
# Without BALANCE_ALERT_RUB: warn when less than this is left (a few days of light use).
DEFAULT_BALANCE_ALERT_RUB = Decimal(100)


@dataclass(frozen=True, slots=True)
class ModelSetting:
    name: str  # the Settings field
    kind: ModelKind | None  # None: any kind (the catalogue has no kind of its own for it yet)
    needs_vision: bool = False


# One entry per model the bot uses; fields that have not landed in Settings yet are skipped.
MODEL_SETTINGS = (
    ModelSetting("default_chat_model", ModelKind.CHAT),
    ModelSetting("vision_model", ModelKind.CHAT, needs_vision=True),
    ModelSetting("default_image_model", ModelKind.IMAGE),
    ModelSetting("transcription_model", ModelKind.STT),
    ModelSetting("tts_model", None),
    ModelSetting("video_model", None),
    ModelSetting("default_video_model", ModelKind.VIDEO),
)


async def check_polza(ctx: DoctorContext) -> list[Check]:
    settings = ctx.settings
    sdk = PolzaClient.create_sdk(
        base_url=settings.polza_base_url,
        api_key=settings.polza_api_key.get_secret_value(),
        timeout=min(settings.polza_timeout_seconds, NETWORK_TIMEOUT_SECONDS),
    )
    catalogue = ModelCatalogue(sdk)
    try:
        checks = await _key_and_balance(ctx, sdk)
        key_accepted = checks[0].status is Status.OK
        try:
            snapshot = await catalogue.get()
        except CatalogueUnavailable as error:
            checks.append(
                fail(
                    GROUP,
                    "Models",
                    f"Polza's model list is unavailable: {error}",
                    "check POLZA_BASE_URL; if it is right, Polza may be down: try again later",
                )
            )
        else:
            checks.extend(model_checks(ctx, snapshot))
        if ctx.live and not key_accepted:
            checks.append(skip(GROUP, "Live request", "not sent: Polza did not accept the key"))
        else:
            checks.append(await live_chat(ctx, sdk))
        return checks
    finally:
        await catalogue.close()
        await sdk.close()


async def _key_and_balance(ctx: DoctorContext, sdk: AsyncOpenAI) -> list[Check]:
    settings = ctx.settings
    try:
        balance = await BalanceService(sdk, settings.polza_v2_url).fetch()
    except PolzaError as error:
        return [_key_failure(ctx, error)]
    checks = [ok(GROUP, "API key", f"accepted by {settings.polza_base_url}")]
    available = balance.available if balance.available is not None else balance.amount
    alert = optional_setting(settings, "balance_alert_rub")
    threshold = Decimal(str(alert)) if alert is not None else DEFAULT_BALANCE_ALERT_RUB
    shown = f"{rub_amount(available)} ₽ available"
    if available <= 0:
        checks.append(
            fail(
                GROUP,
                "Balance",
                f"{shown}: every request will fail",
                "top up the balance at polza.ai",
            )
        )
    elif available < threshold:
        checks.append(
            warn(
                GROUP,
                "Balance",
                f"{shown}, under {rub_amount(threshold)} ₽",
                "top up the balance at polza.ai soon",
            )
        )
    else:
        checks.append(ok(GROUP, "Balance", shown))
    return checks


def _key_failure(ctx: DoctorContext, error: PolzaError) -> Check:
    if error.kind is PolzaErrorKind.AUTH:
        return fail(
            GROUP,
            "API key",
            f"Polza refused POLZA_API_KEY ({error.status} {error.message or 'Unauthorized'})",
            "create a key at polza.ai (dashboard → API keys) and put it into POLZA_API_KEY,"
            " without quotes or spaces",
        )
    if error.kind in (PolzaErrorKind.CONNECTION, PolzaErrorKind.TIMEOUT):
        return fail(
            GROUP,
            "API key",
            f"no answer from {ctx.settings.polza_base_url} ({error.kind.value})",
            "check the server's network access and POLZA_BASE_URL",
        )
    return fail(
        GROUP,
        "API key",
        f"the balance request failed: {error.status or ''} {error.message or error.kind.value}",
        "check POLZA_BASE_URL; if it is right, Polza may be down: try again later",
    )


def model_checks(ctx: DoctorContext, catalogue: Catalogue) -> list[Check]:
    checks = []
    for spec in MODEL_SETTINGS:
        model_id = optional_setting(ctx.settings, spec.name)
        if model_id:
            checks.append(_model_check(catalogue, spec, str(model_id)))
    allowed = optional_setting(ctx.settings, "allowed_models")
    if allowed:
        checks.append(_allowed_models_check(catalogue, _entries(allowed)))
    return checks


def _all_ids(catalogue: Catalogue, kind: ModelKind | None = None) -> list[str]:
    kinds = [kind] if kind is not None else list(ModelKind)
    return [model.id for each in kinds for model in catalogue.models(each)]


def _nearest_text(wanted: str, candidates: list[str]) -> str:
    nearest = nearest_ids(wanted, candidates)
    return (
        f"nearest: {', '.join(nearest)}"
        if nearest
        else "pick one with /model in the bot (it lists Polza's catalogue)"
    )


def _model_check(catalogue: Catalogue, spec: ModelSetting, model_id: str) -> Check:
    setting = spec.name.upper()
    info = catalogue.get(model_id)
    kind_name = f"{spec.kind.value} " if spec.kind is not None else ""
    if info is None:
        return fail(
            GROUP,
            setting,
            f"{model_id} is not in Polza's catalogue",
            f"set {setting} to an existing {kind_name}model id; "
            + _nearest_text(model_id, _all_ids(catalogue, spec.kind)),
        )
    if spec.kind is not None and info.kind is not spec.kind:
        return fail(
            GROUP,
            setting,
            f"{model_id} is not a {spec.kind.value} model (Polza lists it as {info.kind.value})",
            f"set {setting} to a {spec.kind.value} model; "
            + _nearest_text(model_id, _all_ids(catalogue, spec.kind)),
        )
    if spec.needs_vision and not info.vision:
        return warn(
            GROUP,
            setting,
            f"{model_id} cannot see images",
            f"set {setting} to a model that accepts images (👁 in /model)",
        )
    return ok(GROUP, setting, f"{model_id} ({info.name})")


def _entries(value: object) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, Iterable):
        return sorted(str(part).strip() for part in value if str(part).strip())
    return [str(value)]


def _allowed_models_check(catalogue: Catalogue, patterns: list[str]) -> Check:
    ids = _all_ids(catalogue)
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(i, p) for i in ids)]
    matched = [i for i in ids if any(fnmatch.fnmatchcase(i, p) for p in patterns)]
    if not matched:
        return fail(
            GROUP,
            "ALLOWED_MODELS",
            f"none of {', '.join(patterns)} is in Polza's catalogue: users could pick nothing",
            "fix ALLOWED_MODELS; " + _nearest_text(patterns[0], ids),
        )
    if unmatched:
        return warn(
            GROUP,
            "ALLOWED_MODELS",
            f"{len(matched)} models match; {', '.join(unmatched)} match nothing",
            "fix or remove those entries; " + _nearest_text(unmatched[0], ids),
        )
    return ok(GROUP, "ALLOWED_MODELS", f"{len(matched)} models match")
