"""Which chat, image and video model a user's requests go to: their choice or the default."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.services.catalogue import Catalogue, ModelCatalogue, ModelInfo, ModelKind
from bot.services.model_filter import ModelFilter
from storage import UserRecord, UserRepository

# `missing_model_notified` holds every vanished model id the user was already told about,
# one per line: with a single id, a vanished chat model and a vanished image model would keep
# replacing each other and both notices would repeat forever.
_SEPARATOR = "\n"


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    id: str
    info: ModelInfo | None  # None while no catalogue is loaded, or when the default is unlisted
    replaced: str | None = None  # the user's vanished choice, set only the first time


def effective_model(
    choice: str | None, default: str, kind: ModelKind, catalogue: Catalogue | None
) -> tuple[str, str | None]:
    """The model id to use, and the user's choice if the catalogue no longer offers it.

    Without a catalogue snapshot the stored choice is trusted.
    """
    if not choice or choice == default:
        return default, None
    if catalogue is None:
        return choice, None
    info = catalogue.get(choice)
    if info is not None and info.kind is kind:
        return choice, None
    return default, choice


async def chat_model_for(
    user_record: UserRecord,
    catalogue: ModelCatalogue,
    settings: Settings,
    users: UserRepository,
    model_filter: ModelFilter | None = None,
) -> ResolvedModel:
    """The chat model for this user's next request; never waits for the catalogue.

    With `ALLOWED_MODELS`, a stored choice outside the list falls back to the default (or, if
    the default is outside it too, to the first allowed model).
    """
    allowed = model_filter or ModelFilter()
    snapshot = catalogue.cached()
    snapshot = allowed.restrict(snapshot) if snapshot is not None else None
    choice = user_record.chat_model
    if choice and not allowed.allows(choice):
        choice = None
    return await _resolve(
        user_record,
        choice,
        allowed.chat_default(settings.default_chat_model, snapshot),
        ModelKind.CHAT,
        snapshot,
        users,
    )


async def image_model_for(
    user_record: UserRecord, catalogue: ModelCatalogue, settings: Settings, users: UserRepository
) -> ResolvedModel:
    """The image model for this user's next picture; never waits for the catalogue."""
    return await _resolve(
        user_record,
        user_record.image_model,
        settings.default_image_model,
        ModelKind.IMAGE,
        catalogue.cached(),
        users,
    )


async def video_model_for(
    user_record: UserRecord, catalogue: ModelCatalogue, settings: Settings, users: UserRepository
) -> ResolvedModel:
    """The video model for this user's next clip; never waits for the catalogue."""
    return await _resolve(
        user_record,
        user_record.video_model,
        settings.default_video_model,
        ModelKind.VIDEO,
        catalogue.cached(),
        users,
    )


async def choose_model(users: UserRepository, user_id: int, model: ModelInfo) -> None:
    """Remember the user's pick; should that model vanish later, they are told again."""
    if model.kind is ModelKind.IMAGE:
        await users.set_image_model(user_id, model.id)
    elif model.kind is ModelKind.VIDEO:
        await users.set_video_model(user_id, model.id)
    else:
        await users.set_chat_model(user_id, model.id)
    told = _parse(await users.missing_model_notified(user_id))
    if model.id in told:
        await users.set_missing_model_notified(user_id, _join(told - {model.id}))


async def _resolve(
    user_record: UserRecord,
    choice: str | None,
    default: str,
    kind: ModelKind,
    snapshot: Catalogue | None,
    users: UserRepository,
) -> ResolvedModel:
    model_id, gone = effective_model(choice, default, kind, snapshot)
    info = snapshot.get(model_id) if snapshot is not None else None
    replaced = gone if gone is not None and await _first_notice(users, user_record, gone) else None
    return ResolvedModel(model_id, info, replaced)


async def _first_notice(users: UserRepository, user_record: UserRecord, missing: str) -> bool:
    told = _parse(await users.missing_model_notified(user_record.id))
    if missing in told:
        return False
    # Only the user's current choices can need a notice again; anything older is dropped.
    still_chosen = {user_record.chat_model, user_record.image_model, user_record.video_model}
    await users.set_missing_model_notified(
        user_record.id, _join({m for m in told if m in still_chosen} | {missing})
    )
    return True


def _parse(stored: str | None) -> set[str]:
    return {line for line in (stored or "").split(_SEPARATOR) if line}


def _join(model_ids: set[str]) -> str | None:
    return _SEPARATOR.join(sorted(model_ids)) or None


class ModelResolver:
    """`chat_model_for` / `image_model_for` bound to their dependencies, for handlers."""

    def __init__(
        self,
        catalogue: ModelCatalogue,
        settings: Settings,
        users: UserRepository,
        model_filter: ModelFilter | None = None,
    ):
        self._catalogue = catalogue
        self._settings = settings
        self._users = users
        self._filter = model_filter or ModelFilter(settings.allowed_models)

    async def chat(self, user_record: UserRecord) -> ResolvedModel:
        return await chat_model_for(
            user_record, self._catalogue, self._settings, self._users, self._filter
        )

    def allowed(self, snapshot: Catalogue | None) -> Catalogue | None:
        """`snapshot` with only the chat models `ALLOWED_MODELS` lets users have."""
        return self._filter.restrict(snapshot) if snapshot is not None else None

    async def choose_chat_model(self, user_id: int, model_id: str) -> None:
        await self._users.set_chat_model(user_id, model_id)
