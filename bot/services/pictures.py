"""Pictures users send, and pictures Polza returns: what format they are, and making them safe.

The one place that tells image formats apart (Pillow reads just the header). Every picture a
user sends is decoded and re-encoded here before it goes to a model or into the database:
EXIF orientation applied, RGB (transparency on white), long side at most `MAX_SIDE`, JPEG at
quality `JPEG_QUALITY`. So a 20 MB PNG costs what a ~300 KB JPEG costs, and bytes that are not
a picture never reach Polza. Decoding runs on a small thread pool of its own, never on the
event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

MAX_SIDE = 2048
JPEG_QUALITY = 85
# Larger pictures are refused rather than decoded (a JPEG is decoded at a reduced scale, so
# this bounds PNG, WebP, GIF, BMP and TIFF: 4 bytes a pixel at most while decoding).
MAX_PIXELS = 50_000_000
# Decoders Pillow may use for a user's bytes: the formats people send, nothing exotic.
INPUT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


class PictureErrorKind(enum.StrEnum):
    NOT_IMAGE = "not_image"  # no decoder took the bytes, or they are damaged
    TOO_LARGE = "too_large"  # more than MAX_PIXELS


class PictureError(Exception):
    def __init__(self, kind: PictureErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime_type: str
    width: int
    height: int


def image_info(data: bytes) -> ImageInfo | None:
    """Format and size from the header (no decoding); None when it is not a known picture."""
    from PIL import Image, UnidentifiedImageError  # Pillow only once pictures come in

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=INPUT_FORMATS) as image:
                mime = Image.MIME.get(image.format or "")
                width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None
    return ImageInfo(mime, width, height) if mime else None


def normalise(data: bytes) -> bytes:
    """The picture as a JPEG of at most MAX_SIDE px a side. Raises `PictureError`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=INPUT_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise PictureError(PictureErrorKind.TOO_LARGE, f"{width}x{height}")
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale
                upright = ImageOps.exif_transpose(image)
                rgb = _rgb(upright)
                rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
                return out.getvalue()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise PictureError(PictureErrorKind.TOO_LARGE, str(error)) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        # SyntaxError: some of Pillow's decoders report malformed headers with it.
        raise PictureError(PictureErrorKind.NOT_IMAGE, type(error).__name__) from error


def _rgb(image: Image.Image) -> Image.Image:
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


class PictureNormaliser:
    """`normalise` on a small thread pool of its own (shut down by `close`)."""

    def __init__(self, workers: int = 2) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="pictures"
        )

    async def normalise(self, data: bytes) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._executor, normalise, data)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
