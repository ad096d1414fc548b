"""The buttons under a generated picture (or under an album of variants).

🔄 asks again (new seed), ✏️ asks what to change and edits this picture, 2K / 4K draw it again
at that resolution (where the model lists it), 📎 sends the original file. Callback data holds
the stored picture's id only; who may press is decided from the stored picture.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

# Offered as buttons when the model lists them (1K is what a picture usually is already).
UPSCALE_RESOLUTIONS = ("2K", "4K")


class PictureAction(enum.StrEnum):
    AGAIN = "again"
    CHANGE = "change"
    RESOLUTION = "res"
    ORIGINAL = "file"


class PictureButton(CallbackData, prefix="pic"):
    action: PictureAction
    picture: int
    value: str = ""  # the resolution of a RESOLUTION press


def _button(
    text: str, action: PictureAction, picture: int, value: str = ""
) -> InlineKeyboardButton:
    data = PictureButton(action=action, picture=picture, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def upscales(resolutions: Sequence[str], current: str | None) -> list[str]:
    """The resolution buttons a picture gets: 2K / 4K where listed, not the one it has."""
    return [r for r in UPSCALE_RESOLUTIONS if r in resolutions and r != current]


def picture_markup(
    picture: int, resolutions: Sequence[str], current: str | None
) -> InlineKeyboardMarkup:
    rows = [
        [
            _button("🔄", PictureAction.AGAIN, picture),
            _button("✏️", PictureAction.CHANGE, picture),
            _button("📎", PictureAction.ORIGINAL, picture),
        ]
    ]
    sizes = upscales(resolutions, current)
    if sizes:
        rows.append([_button(r, PictureAction.RESOLUTION, picture, r) for r in sizes])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def variants_markup(pictures: Sequence[int]) -> InlineKeyboardMarkup:
    """Under an album (whose photos cannot carry buttons): 🔄 for a new set, then ✏️ and 📎
    for each variant by its number."""
    rows = [[_button("🔄", PictureAction.AGAIN, pictures[0])]]
    for number, picture in enumerate(pictures, start=1):
        rows.append(
            [
                _button(f"✏️ {number}", PictureAction.CHANGE, picture),
                _button(f"📎 {number}", PictureAction.ORIGINAL, picture),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)
