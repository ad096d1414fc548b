"""Audio preparation for speech-to-text: check, decode, re-encode and split. No Telegram, no Polza.

ffmpeg is run directly (in a worker thread, bytes through pipes) rather than through pydub.
Measured with the imageio-ffmpeg 0.8.1 wheel (ffmpeg 9.0.2, libopus and libmp3lame, no ffprobe):

* ``ffmpeg -i pipe:0`` finds the container and codec by itself (no ffprobe involved) and decodes
  OGG/Opus (Telegram voice), OGG/Vorbis, MP3, M4A/AAC, WAV, FLAC and WebM/Opus.
* An MP4 with video and audio whose index (``moov``) follows the media data fails over a plain
  pipe ("partial file"; an audio-only M4A laid out the same way happened to work). ffmpeg's
  ``cache:pipe:0`` input spools to an unlinked temp file and can seek back, so ISO-BMFF input
  (MP4/M4A/MOV: video notes, iPhone memos) is read through it; everything else through a pipe.
* pydub is not used (and not a dependency): without ffprobe its ``from_file`` needs the exact
  decoder name (``codec="opus"`` for OGG/Opus but ``"vorbis"`` for OGG/Vorbis, ``"aac"`` for
  M4A, ...); for such an MP4 read through a pipe it returns an empty segment without raising;
  it holds the decoded audio in memory as full-rate PCM; and its export leaves temp files
  behind when encoding fails. Nothing it offers is needed on top of ffmpeg itself.

Bounds (a small hostile file must not cost much): the decode stops at the duration limit
plus one second (``-t``), so a longer recording is *measured* as too long and refused before
any upload; the input may use only the ``pipe`` and ``cache`` protocols (``-protocol_whitelist``:
no playlist or concat input reaches files or the network); the decoded 16 kHz PCM goes to a
temporary file, never whole into memory: only the few seconds around each planned cut and one
chunk at a time are read back; ffmpeg runs in the `AudioPreparer`'s own small thread pool.

Output: a short OGG/Opus recording passes through byte for byte; anything else becomes OGG/Opus
(libopus, 16 kHz mono, 24 kbit/s, constrained VBR so chunk sizes are predictable), or MP3 when
the ffmpeg build has no libopus.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import functools
import itertools
import logging
import math
import mimetypes
import operator
import shutil
import subprocess
import sys
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SAMPLE_BYTES = 2  # s16le mono
MIN_DURATION_SECONDS = 0.1  # OpenAI-style STT rejects anything shorter
FFMPEG_TIMEOUT_SECONDS = 300.0
CUT_SEARCH_SECONDS = 2.0  # how far from an even split a chunk boundary may move to find a pause
SIZE_HEADROOM = 0.8  # plan chunks at 80% of the upload limit; oversized ones are split again

_FRAME = SAMPLE_RATE // 50  # 20 ms, the step of the pause search
_ISO_BMFF_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide"})
_MEDIA_APPLICATION_TYPES = frozenset({"application/ogg", "application/octet-stream"})
# Protocols an input may open: the bytes come through stdin, ISO-BMFF through ffmpeg's cache.
_INPUT_PROTOCOLS = "cache,pipe"


class AudioErrorKind(enum.StrEnum):
    CORRUPT = "corrupt"  # cannot be decoded
    EMPTY = "empty"  # no bytes, or shorter than MIN_DURATION_SECONDS
    NO_AUDIO = "no_audio"  # a container without an audio stream (a silent video)
    UNSUPPORTED = "unsupported"  # not an audio/video format
    TOO_LONG = "too_long"  # measured longer than the duration limit


class AudioError(Exception):
    def __init__(self, kind: AudioErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True, slots=True)
class AudioChunk:
    filename: str
    data: bytes
    content_type: str
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class _Encoder:
    args: tuple[str, ...]
    extension: str
    content_type: str
    bytes_per_second: float  # the nominal rate, for planning chunk lengths


_OPUS = _Encoder(
    ("-c:a", "libopus", "-b:a", "24k", "-vbr", "constrained", "-application", "voip", "-f", "ogg"),
    "ogg",
    "audio/ogg",
    24_000 / 8,
)
_MP3 = _Encoder(
    ("-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3"), "mp3", "audio/mpeg", 32_000 / 8
)


def configure_ffmpeg() -> str:
    """Find ffmpeg (system first, else the imageio-ffmpeg wheel) and return its path."""
    return _ffmpeg_exe()


@functools.cache
def _ffmpeg_exe() -> str:
    system = shutil.which("ffmpeg")
    if system:
        return system
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@functools.cache
def _encoder(ffmpeg: str) -> _Encoder:
    listing = subprocess.run(
        [ffmpeg, "-hide_banner", "-encoders"], capture_output=True, check=True, timeout=30
    ).stdout
    if b" libopus " in listing:
        return _OPUS
    logger.warning("ffmpeg %s has no libopus; speech is uploaded as MP3", ffmpeg)
    return _MP3


class AudioPreparer:
    """`prepare_audio` with fixed limits, on its own small thread pool (shut down by `close`)."""

    def __init__(
        self,
        *,
        chunk_seconds: float,
        max_upload_bytes: int,
        max_duration_seconds: float,
        workers: int = 2,
    ) -> None:
        self._chunk_seconds = chunk_seconds
        self._max_upload_bytes = max_upload_bytes
        self._max_duration = max_duration_seconds
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="audio"
        )

    @property
    def max_duration_seconds(self) -> float:
        return self._max_duration

    async def prepare(
        self, data: bytes, *, mime_type: str | None, file_name: str | None
    ) -> list[AudioChunk]:
        return await prepare_audio(
            data,
            mime_type=mime_type,
            file_name=file_name,
            chunk_seconds=self._chunk_seconds,
            max_upload_bytes=self._max_upload_bytes,
            max_duration_seconds=self._max_duration,
            executor=self._executor,
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def prepare_audio(
    data: bytes,
    *,
    mime_type: str | None,
    file_name: str | None,
    chunk_seconds: float,
    max_upload_bytes: int,
    max_duration_seconds: float = 3600.0,
    executor: concurrent.futures.Executor | None = None,
) -> list[AudioChunk]:
    """Turn a downloaded recording into upload-ready chunks, in order. Raises `AudioError`.

    A short OGG/Opus recording (a Telegram voice note) comes back unchanged as one
    ``voice.ogg``; anything else is re-encoded and split into ``voice-001.ogg``, ... of at most
    `chunk_seconds` and `max_upload_bytes` each, cut at the quietest moment near each boundary.
    A recording measured longer than `max_duration_seconds` raises ``TOO_LONG`` (whatever its
    metadata said): decoding stops just past the limit.
    """
    if chunk_seconds <= 0 or max_upload_bytes <= 0 or max_duration_seconds <= 0:
        raise ValueError("chunk_seconds, max_upload_bytes and the duration must be positive")
    if not data:
        raise AudioError(AudioErrorKind.EMPTY, "no data")
    job = functools.partial(
        _prepare, data, mime_type, file_name, chunk_seconds, max_upload_bytes, max_duration_seconds
    )
    return await asyncio.get_running_loop().run_in_executor(executor, job)


def _check_media_type(mime_type: str | None, file_name: str | None) -> None:
    declared = mime_type.split(";")[0].strip().lower() if mime_type else None
    if (declared is None or declared == "application/octet-stream") and file_name:
        declared = mimetypes.guess_type(file_name, strict=False)[0]
    if declared is None:
        return  # unknown: let ffmpeg decide
    if declared.split("/")[0] in ("audio", "video") or declared in _MEDIA_APPLICATION_TYPES:
        return
    raise AudioError(AudioErrorKind.UNSUPPORTED, f"not audio: {declared}")


def _prepare(
    data: bytes,
    mime_type: str | None,
    file_name: str | None,
    chunk_seconds: float,
    max_upload_bytes: int,
    max_duration: float,
) -> list[AudioChunk]:
    _check_media_type(mime_type, file_name)  # here: mimetypes reads its tables on first use
    ffmpeg = _ffmpeg_exe()
    with tempfile.TemporaryDirectory(prefix="audio-") as folder:
        pcm = _decode(ffmpeg, data, Path(folder) / "audio.pcm", max_duration + 1)
        duration = pcm.samples / SAMPLE_RATE
        if duration > max_duration:
            raise AudioError(AudioErrorKind.TOO_LONG, f"more than {max_duration:.0f} s")
        if duration < MIN_DURATION_SECONDS:
            raise AudioError(AudioErrorKind.EMPTY, f"{duration:.3f} s of audio")
        if _is_ogg_opus(data) and duration <= chunk_seconds and len(data) <= max_upload_bytes:
            return [AudioChunk("voice.ogg", data, "audio/ogg", duration)]

        encoder = _encoder(ffmpeg)
        by_size = max_upload_bytes * SIZE_HEADROOM / encoder.bytes_per_second
        limit = int(min(chunk_seconds, by_size) * SAMPLE_RATE)
        if limit < SAMPLE_RATE:
            raise ValueError("chunk_seconds or max_upload_bytes allows less than 1 s per chunk")
        cuts = _cut_points(pcm, limit)
        pieces: list[tuple[bytes, int]] = []
        for start, end in itertools.pairwise(cuts):
            pieces.extend(_encode_within(ffmpeg, encoder, pcm, start, end, max_upload_bytes))
    logger.debug("audio: %.1f s re-encoded into %d chunk(s)", duration, len(pieces))
    return [
        AudioChunk(
            f"voice-{number:03d}.{encoder.extension}",
            encoded,
            encoder.content_type,
            length / SAMPLE_RATE,
        )
        for number, (encoded, length) in enumerate(pieces, start=1)
    ]


class _Pcm:
    """Decoded 16 kHz mono s16le audio in a file, read back a slice at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.samples = path.stat().st_size // SAMPLE_BYTES

    def read(self, start: int, end: int) -> bytes:
        with self.path.open("rb") as file:
            file.seek(start * SAMPLE_BYTES)
            return file.read((end - start) * SAMPLE_BYTES)

    def levels(self, start: int, end: int) -> array[int]:
        levels = array("h", self.read(start, end))
        if sys.byteorder == "big":
            levels.byteswap()
        return levels


def _run(ffmpeg: str, args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error", *args],
            input=stdin,
            capture_output=True,
            timeout=FFMPEG_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise AudioError(AudioErrorKind.CORRUPT, "ffmpeg timed out") from error


def _decode(ffmpeg: str, data: bytes, target: Path, cap_seconds: float) -> _Pcm:
    """The first audio stream, at most `cap_seconds` of it, as 16 kHz mono PCM in `target`."""
    source = "cache:pipe:0" if data[4:8] in _ISO_BMFF_BOXES else "pipe:0"
    args = [
        *("-protocol_whitelist", _INPUT_PROTOCOLS, "-i", source),
        *("-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-t", f"{cap_seconds:.3f}"),
        *("-f", "s16le", "-y", f"file:{target}"),
    ]
    result = _run(ffmpeg, args, data)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise AudioError(_failure_kind(message), message[-500:])
    return _Pcm(target)


def _failure_kind(message: str) -> AudioErrorKind:
    lowered = message.lower()
    if "matches no streams" in lowered:  # -map 0:a:0 found no audio stream
        return AudioErrorKind.NO_AUDIO
    if ("decoder" in lowered and "not found" in lowered) or "no decoder" in lowered:
        return AudioErrorKind.UNSUPPORTED
    return AudioErrorKind.CORRUPT


def _is_ogg_opus(data: bytes) -> bool:
    # The first Ogg page carries the codec header right after its segment table.
    if len(data) < 27 or not data.startswith(b"OggS"):
        return False
    body = 27 + data[26]
    return data[body : body + 8] == b"OpusHead"


def _cut_points(pcm: _Pcm, limit: int) -> list[int]:
    """Chunk boundaries (in samples): even lengths of at most `limit`, moved into pauses."""
    total = pcm.samples
    target = math.ceil(total / math.ceil(total / limit))
    reach = min(int(CUT_SEARCH_SECONDS * SAMPLE_RATE), target // 4)
    cuts = [0]
    while total - cuts[-1] > limit:
        start = cuts[-1]
        low = max(start + 1, start + target - reach)
        high = min(start + limit, start + target + reach)
        cuts.append(_quietest(pcm, low, high))
    cuts.append(total)
    return cuts


def _quietest(pcm: _Pcm, low: int, high: int) -> int:
    """The middle of the quietest 20 ms frame that fits in [low, high]."""
    levels = pcm.levels(low, high)
    best, best_energy = (low + high) // 2, math.inf
    for offset in range(0, high - low - _FRAME + 1, _FRAME):
        window = levels[offset : offset + _FRAME]
        energy = sum(map(operator.mul, window, window))
        if energy < best_energy:
            best, best_energy = low + offset + _FRAME // 2, energy
    return best


def _encode_within(
    ffmpeg: str, encoder: _Encoder, pcm: _Pcm, start: int, end: int, max_bytes: int
) -> list[tuple[bytes, int]]:
    """Encode samples [start, end); halve (at a pause) until every piece fits in `max_bytes`."""
    encoded = _encode(ffmpeg, encoder, pcm.read(start, end))
    if len(encoded) <= max_bytes:
        return [(encoded, end - start)]
    if end - start < 2 * SAMPLE_RATE:
        raise ValueError(f"max_upload_bytes={max_bytes} is too small for 1 s of audio")
    quarter = (end - start) // 4
    middle = _quietest(pcm, start + quarter, end - quarter)
    return _encode_within(ffmpeg, encoder, pcm, start, middle, max_bytes) + (
        _encode_within(ffmpeg, encoder, pcm, middle, end, max_bytes)
    )


def _encode(ffmpeg: str, encoder: _Encoder, pcm: bytes) -> bytes:
    args = [
        *("-protocol_whitelist", "pipe", "-f", "s16le", "-ar", str(SAMPLE_RATE)),
        *("-ac", "1", "-i", "pipe:0"),
        # no metadata or version tags: the same audio always gives the same bytes
        *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"),
        *encoder.args,
        "pipe:1",
    ]
    result = _run(ffmpeg, args, pcm)
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"ffmpeg could not encode audio: {message[-500:]}")
    return result.stdout
