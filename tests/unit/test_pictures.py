"""Pictures: one place that tells formats apart, and the re-encoding every input picture gets."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.services.pictures import (
    MAX_SIDE,
    PictureError,
    PictureErrorKind,
    PictureNormaliser,
    image_info,
    normalise,
)
from bot.telegram.attachments import RequestCaps


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.mode == "RGB"
    return image


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_image_info_reads_format_and_size(fmt: str, mime: str) -> None:
    info = image_info(encoded(Image.new("RGB", (320, 200), "red"), fmt))
    assert info is not None
    assert (info.mime_type, info.width, info.height) == (mime, 320, 200)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 10])
def test_image_info_of_other_bytes_is_none(data: bytes) -> None:
    assert image_info(data) is None


def test_a_large_png_becomes_a_jpeg_of_at_most_2048_px() -> None:
    data = normalise(encoded(Image.effect_noise((3000, 1200), 60).convert("RGB"), "PNG"))
    image = opened(data)
    assert image.size == (MAX_SIDE, 819)


def test_a_small_picture_keeps_its_size_and_colour() -> None:
    image = opened(normalise(encoded(Image.new("RGB", (64, 48), (200, 30, 30)), "PNG")))
    assert image.size == (64, 48)
    red, green, blue = image.getpixel((32, 24))  # type: ignore[misc]
    assert red > 180 and green < 50 and blue < 50


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise
    data = encoded(Image.new("RGB", (100, 50), "white"), "JPEG", exif=exif)
    assert opened(normalise(data)).size == (50, 100)


def test_transparency_goes_on_white() -> None:
    data = encoded(Image.new("RGBA", (10, 10), (0, 0, 0, 0)), "PNG")
    assert opened(normalise(data)).getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(
    "data",
    [
        b"plain text pretending to be a picture",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        encoded(Image.new("RGB", (64, 64), "blue"), "PNG")[:80],  # cut short
    ],
)
def test_bytes_that_are_not_a_picture_are_refused(data: bytes) -> None:
    with pytest.raises(PictureError) as caught:
        normalise(data)
    assert caught.value.kind is PictureErrorKind.NOT_IMAGE


def test_too_many_pixels_are_refused_before_decoding() -> None:
    data = encoded(Image.new("1", (10_000, 6_000)), "PNG")  # small file, 60 megapixels
    with pytest.raises(PictureError) as caught:
        normalise(data)
    assert caught.value.kind is PictureErrorKind.TOO_LARGE


async def test_the_normaliser_runs_on_its_own_pool_until_closed() -> None:
    pictures = PictureNormaliser()
    data = encoded(Image.new("RGB", (8, 8), "green"), "GIF")
    assert opened(await pictures.normalise(data)).size == (8, 8)
    pictures.close()
    with pytest.raises(RuntimeError):
        await pictures.normalise(data)


def test_request_caps() -> None:
    caps = RequestCaps(image_bytes=1000, text_chars=10)
    assert caps.take_image(600) and not caps.take_image(500) and caps.take_image(400)
    assert not caps.take_image(1)
    assert caps.take_text(10) and not caps.take_text(1)
