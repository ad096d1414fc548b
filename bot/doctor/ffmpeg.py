"""ffmpeg: which binary the bot uses, and that it can encode speech."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.doctor.report import Check, fail, ok
from bot.services.audio import configure_ffmpeg

GROUP = "ffmpeg"
ENCODE_TIMEOUT_SECONDS = 30


async def check_ffmpeg() -> list[Check]:
    try:
        path = await asyncio.to_thread(configure_ffmpeg)
    except (RuntimeError, OSError) as error:  # imageio-ffmpeg: RuntimeError when it has none
        return [
            fail(
                GROUP,
                "Binary",
                f"not found: {error}",
                "install ffmpeg (apt install ffmpeg) or reinstall the bot's dependencies",
            )
        ]
    source = "from PATH" if shutil.which("ffmpeg") == path else "bundled with imageio-ffmpeg"
    return [ok(GROUP, "Binary", f"{path} ({source})"), await asyncio.to_thread(_encode, path)]


def _encode(ffmpeg: str) -> Check:
    """Two seconds of a generated tone to OGG/Opus, as voice processing does."""
    with tempfile.TemporaryDirectory(prefix="doctor-ffmpeg-") as folder:
        target = Path(folder) / "tone.ogg"
        command = [
            *(ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error"),
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=2"),
            *("-c:a", "libopus", "-b:a", "24k", str(target)),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=ENCODE_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return fail(GROUP, "Encoding", f"ffmpeg did not run: {error}", _FIX)
        size = target.stat().st_size if target.exists() else 0
        if result.returncode != 0 or size == 0:
            message = result.stderr.decode(errors="replace").strip()[-300:]
            return fail(GROUP, "Encoding", f"ffmpeg failed: {message or 'no output'}", _FIX)
    return ok(GROUP, "Encoding", f"2 s of audio to OGG/Opus: {size} bytes")


_FIX = "install a full ffmpeg build with libopus (apt install ffmpeg): voice messages need it"
