"""Audio preparation against the real ffmpeg binary (the system one or imageio-ffmpeg's)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.services import audio
from bot.services.audio import (
    AudioChunk,
    AudioError,
    AudioErrorKind,
    AudioPreparer,
    configure_ffmpeg,
    prepare_audio,
)
from tests.support.fixtures import fixture_bytes

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
# A tone that sounds for 4 s and pauses for 1 s, so a pause is never more than 5 s away.
PATTERN = "aevalsrc=sin(2*PI*440*t)*lt(mod(t\\,5)\\,4):s=16000:d={seconds}"


def _fixture(name: str) -> bytes:
    return fixture_bytes(name)


def _render(folder: Path, *args: str) -> bytes:
    """Run ffmpeg into a real file: the MP4 muxer needs a seekable output."""
    target = folder / "rendered"
    command = [configure_ffmpeg(), "-hide_banner", "-loglevel", "error", *args, "-y", str(target)]
    subprocess.run(command, capture_output=True, check=True)
    try:
        return target.read_bytes()
    finally:
        target.unlink()


def _tone(folder: Path, seconds: float, *output: str) -> bytes:
    source = PATTERN.format(seconds=seconds)
    return _render(folder, "-f", "lavfi", "-i", source, "-ac", "1", *output)


def _is_ogg_opus(data: bytes) -> bool:
    return data.startswith(b"OggS") and b"OpusHead" in data[:100]


async def _prepare(
    data: bytes,
    mime_type: str | None = None,
    file_name: str | None = None,
    *,
    chunk_seconds: float = 60,
    max_upload_bytes: int = 25 * MB,
    max_duration_seconds: float = 3600,
) -> list[AudioChunk]:
    return await prepare_audio(
        data,
        mime_type=mime_type,
        file_name=file_name,
        chunk_seconds=chunk_seconds,
        max_upload_bytes=max_upload_bytes,
        max_duration_seconds=max_duration_seconds,
    )


@pytest.fixture(scope="module")
def long_voice_note(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("audio")
    # compression_level 0: the fastest libopus setting, to keep the test quick
    opus = ("-c:a", "libopus", "-b:a", "24k", "-application", "voip", "-compression_level", "0")
    return _tone(folder, 150, *opus, "-f", "ogg")


def test_configure_ffmpeg_finds_an_executable() -> None:
    path = configure_ffmpeg()
    assert os.path.isfile(path) and os.access(path, os.X_OK)
    assert configure_ffmpeg() == path


async def test_a_recording_measured_over_the_limit_is_too_long(long_voice_note: bytes) -> None:
    # No metadata involved: the decoded length is what counts, and decoding stops past it.
    with pytest.raises(AudioError) as caught:
        await _prepare(long_voice_note, "audio/ogg", max_duration_seconds=100)
    assert caught.value.kind is AudioErrorKind.TOO_LONG
    chunks = await _prepare(long_voice_note, "audio/ogg", max_duration_seconds=150.5)
    assert sum(c.duration_seconds for c in chunks) == pytest.approx(150, abs=0.5)


async def test_an_input_cannot_make_ffmpeg_open_files(tmp_path: Path) -> None:
    # An HLS playlist naming a real recording: without the protocol whitelist ffmpeg would
    # open it through the `file` protocol and decode it.
    target = tmp_path / "tone.wav"
    target.write_bytes(_tone(tmp_path, 3, "-f", "wav"))
    playlist = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n"
        f"#EXTINF:4.0,\nfile:{target}\n#EXT-X-ENDLIST\n"
    ).encode()
    with pytest.raises(AudioError):
        await _prepare(playlist, "audio/x-mpegurl", "list.m3u8")


async def test_the_preparer_runs_on_its_own_pool_until_closed() -> None:
    preparer = AudioPreparer(chunk_seconds=60, max_upload_bytes=25 * MB, max_duration_seconds=30)
    (chunk,) = await preparer.prepare(_fixture("voice_en.ogg"), mime_type=None, file_name=None)
    assert chunk.filename == "voice.ogg"
    preparer.close()
    with pytest.raises(RuntimeError):
        await preparer.prepare(_fixture("voice_en.ogg"), mime_type=None, file_name=None)


@pytest.mark.parametrize(("name", "seconds"), [("voice_en.ogg", 3.96), ("voice_ru.ogg", 4.32)])
async def test_a_short_voice_note_is_uploaded_unchanged(name: str, seconds: float) -> None:
    data = _fixture(name)
    (chunk,) = await _prepare(data, "audio/ogg", "file_7.oga")
    assert chunk.filename == "voice.ogg"
    assert chunk.content_type == "audio/ogg"
    assert chunk.data == data
    assert chunk.duration_seconds == pytest.approx(seconds, abs=0.02)


async def test_a_voice_note_over_the_size_limit_is_re_encoded_in_pieces() -> None:
    data = _fixture("voice_en.ogg")
    chunks = await _prepare(data, "audio/ogg", max_upload_bytes=6_000)
    assert len(chunks) >= 2
    assert [c.filename for c in chunks] == [
        f"voice-{i:03d}.ogg" for i in range(1, len(chunks) + 1)
    ]
    assert all(len(c.data) <= 6_000 and _is_ogg_opus(c.data) for c in chunks)
    assert sum(c.duration_seconds for c in chunks) == pytest.approx(3.96, abs=0.02)


async def test_a_long_recording_is_split_in_order_at_pauses(long_voice_note: bytes) -> None:
    chunks = await _prepare(long_voice_note, "audio/ogg", "long.ogg", chunk_seconds=60)

    assert [c.filename for c in chunks] == ["voice-001.ogg", "voice-002.ogg", "voice-003.ogg"]
    assert all(c.content_type == "audio/ogg" and _is_ogg_opus(c.data) for c in chunks)
    assert all(0 < c.duration_seconds <= 60 for c in chunks)
    assert sum(c.duration_seconds for c in chunks) == pytest.approx(150, abs=0.5)
    boundary = 0.0
    for chunk in chunks[:-1]:
        boundary += chunk.duration_seconds
        assert 4.0 <= boundary % 5 <= 5.0, f"cut at {boundary:.2f} s is not in a pause"
    # each piece is a valid recording of the stated length
    for chunk in chunks:
        (again,) = await _prepare(chunk.data, chunk.content_type)
        assert again.data == chunk.data
        assert again.duration_seconds == pytest.approx(chunk.duration_seconds, abs=0.05)


@pytest.mark.parametrize(
    ("mime_type", "file_name", "output"),
    [
        ("audio/mpeg", "song.mp3", ("-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3")),
        ("audio/x-wav", "memo.wav", ("-f", "wav")),
        ("audio/mp4", "memo.m4a", ("-c:a", "aac", "-f", "ipod")),
        ("audio/flac", "memo.flac", ("-f", "flac")),
        ("audio/webm", "memo.webm", ("-c:a", "libopus", "-f", "webm")),
        ("audio/ogg", "memo.ogg", ("-c:a", "libvorbis", "-f", "ogg")),
        (None, None, ("-f", "wav")),
    ],
)
async def test_other_audio_formats_are_re_encoded(
    mime_type: str | None, file_name: str | None, output: tuple[str, ...], tmp_path: Path
) -> None:
    data = _tone(tmp_path, 3, *output)
    (chunk,) = await _prepare(data, mime_type, file_name)
    assert chunk.filename == "voice-001.ogg"
    assert chunk.content_type == "audio/ogg"
    assert _is_ogg_opus(chunk.data)
    assert chunk.duration_seconds == pytest.approx(3.0, abs=0.05)


async def test_audio_is_taken_from_a_video_with_its_index_at_the_end(tmp_path: Path) -> None:
    # Like a video note: MPEG-4 video plus AAC, the moov box written after the media data.
    video = _render(
        tmp_path,
        *("-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=2"),
        *("-f", "lavfi", "-i", PATTERN.format(seconds=2)),
        *("-c:v", "mpeg4", "-c:a", "aac", "-shortest", "-f", "mp4"),
    )
    assert video.index(b"moov") > video.index(b"mdat")
    (chunk,) = await _prepare(video, "video/mp4", "video_note.mp4")
    assert _is_ogg_opus(chunk.data)
    assert chunk.duration_seconds == pytest.approx(2.0, abs=0.1)


async def test_bytes_that_are_not_audio_are_corrupt() -> None:
    with pytest.raises(AudioError) as caught:
        await _prepare(bytes(range(256)) * 20, "audio/ogg", "voice.ogg")
    assert caught.value.kind is AudioErrorKind.CORRUPT
    with pytest.raises(AudioError) as caught:
        await _prepare(_fixture("voice_en.ogg")[:3000], "audio/ogg")  # headers only
    assert caught.value.kind is AudioErrorKind.CORRUPT


async def test_no_bytes_is_empty_and_a_silent_video_has_no_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        await _prepare(b"", "audio/ogg")
    assert caught.value.kind is AudioErrorKind.EMPTY
    silent_video = _render(
        tmp_path,
        *("-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1"),
        *("-c:v", "mpeg4", "-f", "matroska"),
    )
    with pytest.raises(AudioError) as caught:
        await _prepare(silent_video, "video/x-matroska")
    assert caught.value.kind is AudioErrorKind.NO_AUDIO
    with pytest.raises(AudioError) as caught:
        await _prepare(_tone(tmp_path, 0.02, "-f", "wav"), "audio/wav")  # shorter than STT accepts
    assert caught.value.kind is AudioErrorKind.EMPTY


@pytest.mark.parametrize(
    ("mime_type", "file_name"),
    [("image/png", "photo.png"), (None, "notes.pdf"), ("application/octet-stream", "a.txt")],
)
async def test_documents_that_are_not_audio_are_unsupported(
    mime_type: str | None, file_name: str
) -> None:
    with pytest.raises(AudioError) as caught:
        await _prepare(b"\x89PNG\r\n\x1a\n" + bytes(100), mime_type, file_name)
    assert caught.value.kind is AudioErrorKind.UNSUPPORTED


async def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        await _prepare(_fixture("voice_en.ogg"), chunk_seconds=0)


async def test_mp3_is_the_fallback_without_libopus(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(audio, "_encoder", lambda ffmpeg: audio._MP3)
    (chunk,) = await _prepare(_tone(tmp_path, 3, "-f", "wav"), "audio/wav", "memo.wav")
    assert chunk.filename == "voice-001.mp3"
    assert chunk.content_type == "audio/mpeg"
    assert chunk.data.startswith(b"ID3") or chunk.data[0] == 0xFF
    assert chunk.duration_seconds == pytest.approx(3.0, abs=0.05)
