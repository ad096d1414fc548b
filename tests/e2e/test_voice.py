"""Voice notes end to end: real OGG/Opus bytes reach Polza; the transcript is shown, answered."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.fixtures import fixture_bytes
from tests.support.http import post_multipart
from tests.support.processes import wait_until

USER = 5005
EN_SENTENCE = "Hello bot, please tell me a short joke about cats."


def fixture(name: str) -> bytes:
    return fixture_bytes(name)


def upload(bot: BotHarness, data: bytes, file_path: str, **fields: str) -> dict[str, Any]:
    return dict(
        post_multipart(
            f"{bot.telegram.url}/_test/upload",
            {"file_path": file_path, **fields},
            {"file": ("upload.bin", data, "application/octet-stream")},
        )
    )


def voice_update(
    user_id: int, file: dict[str, Any], duration: int, **extra: Any
) -> dict[str, Any]:
    message = {
        "message_id": int(time.time() * 1000) % 1_000_000_000,
        "date": int(time.time()),
        "chat": updates.private_chat(user_id),
        "from": updates.user(user_id),
        "voice": {
            "file_id": file["file_id"],
            "file_unique_id": file["file_unique_id"],
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": file["file_size"],
        },
        **extra,
    }
    return {"message": message}


def transcription_requests(bot: BotHarness) -> list[dict[str, Any]]:
    return [e for e in bot.polza.journal() if e["path"].endswith("/audio/transcriptions")]


def test_voice_note_is_transcribed_shown_and_answered(bot: BotHarness) -> None:
    data = fixture("voice_en.ogg")
    bot.start()
    file = upload(bot, data, "voice/file_1.oga")
    bot.telegram.inject(voice_update(USER, file, duration=4))

    texts = bot.telegram.wait_for_messages(USER, 2)
    assert "I heard" in texts[0] and EN_SENTENCE in texts[0]
    assert texts[1] == f"Echo: {EN_SENTENCE}"
    (request,) = transcription_requests(bot)
    part = request["multipart"]["files"]["file"]
    assert part["filename"] == "voice.ogg" and part["content_type"] == "audio/ogg"
    assert part["size"] == len(data) and part["sha256"] == hashlib.sha256(data).hexdigest()
    assert bytes.fromhex(part["head_hex"]).startswith(b"OggS")
    assert request["multipart"]["fields"]["model"] == "openai/whisper-1"
    chat = bot.polza.chat_requests()[0]["messages"]
    assert chat[-1] == {"role": "user", "content": EN_SENTENCE}
    assert bot.telegram.calls("getFile")


def test_long_recording_is_split_into_ordered_chunks(bot: BotHarness, tmp_path: Path) -> None:
    ogg = tmp_path / "long.ogg"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=50", "-ac", "1", "-ar", "48000", "-c:a", "libopus",
         "-b:a", "24k", "-application", "voip", str(ogg)],
        check=True,
    )  # fmt: skip
    for text in ("part one", "part two", "part three"):
        _post_stt_rule(bot, {"text": text})
    bot.start(VOICE_CHUNK_SECONDS="20")
    file = upload(bot, ogg.read_bytes(), "voice/long.oga")
    bot.telegram.inject(voice_update(USER, file, duration=50))

    texts = bot.telegram.wait_for_messages(USER, 2)
    assert "part one part two part three" in texts[0]
    names = [r["multipart"]["files"]["file"]["filename"] for r in transcription_requests(bot)]
    assert names == ["voice-001.ogg", "voice-002.ogg", "voice-003.ogg"]
    assert (
        bot.polza.chat_requests()[0]["messages"][-1]["content"] == "part one part two part three"
    )


def audio_document_update(user_id: int, file: dict[str, Any]) -> dict[str, Any]:
    """An audio file sent as a document: Telegram gives no duration for it."""
    update = voice_update(user_id, file, duration=0)
    message = update["message"]
    del message["voice"]
    message["document"] = {
        "file_id": file["file_id"],
        "file_unique_id": file["file_unique_id"],
        "file_name": "silence.ogg",
        "mime_type": "audio/ogg",
        "file_size": file["file_size"],
    }
    return update


def test_a_recording_longer_than_the_limit_is_refused_by_its_measured_length(
    bot: BotHarness, tmp_path: Path
) -> None:
    # 90 s of Opus silence is a few kilobytes: only decoding tells how long it is.
    ogg = tmp_path / "silence.ogg"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
         "anullsrc=r=48000:cl=mono", "-t", "90", "-c:a", "libopus", "-b:a", "16k", str(ogg)],
        check=True,
    )  # fmt: skip
    bot.start(VOICE_MAX_DURATION_SECONDS="60")
    file = upload(bot, ogg.read_bytes(), "documents/silence.ogg")
    bot.telegram.inject(audio_document_update(USER, file))
    assert "too long" in bot.telegram.wait_for_messages(USER, 1)[0]
    # A voice note whose metadata claims 5 s is measured too.
    bot.telegram.inject(voice_update(USER, file, duration=5))
    assert "up to 1 minutes" in bot.telegram.wait_for_messages(USER, 2)[1]

    bot.telegram.inject(updates.private_text(USER, "still alive?"))
    assert bot.telegram.wait_for_messages(USER, 3)[2] == "Echo: still alive?"
    assert transcription_requests(bot) == []


def test_bad_recordings_get_clear_messages_and_the_bot_goes_on(bot: BotHarness) -> None:
    bot.start()
    huge = upload(bot, b"OggS" + b"\0" * 100, "voice/huge.oga", file_size=str(25 * 1024 * 1024))
    bot.telegram.inject(voice_update(USER, huge, duration=30))
    assert "20 MB" in bot.telegram.wait_for_messages(USER, 1)[0]

    corrupt = upload(bot, b"this is not audio at all" * 20, "voice/bad.oga")
    bot.telegram.inject(voice_update(USER, corrupt, duration=3))
    assert "damaged" in bot.telegram.wait_for_messages(USER, 2)[1]

    _post_stt_rule(
        bot, {"status": 402, "error_code": "INSUFFICIENT_FUNDS", "error_message": "Нет денег"}
    )
    good = upload(bot, fixture("voice_en.ogg"), "voice/good.oga")
    bot.telegram.inject(voice_update(USER, good, duration=4))
    reply = bot.telegram.wait_for_messages(USER, 3)[2]
    assert "transcribe" in reply and "balance" in reply

    bot.telegram.inject(updates.private_text(USER, "still alive?"))
    assert bot.telegram.wait_for_messages(USER, 4)[3] == "Echo: still alive?"
    assert len(transcription_requests(bot)) == 1, "too-big and corrupt files must not reach Polza"
    assert [c["params"].get("file_id") for c in bot.telegram.calls("getFile")] != [huge["file_id"]]


def test_voice_in_a_group_needs_to_be_addressed(bot: BotHarness) -> None:
    group = -100777
    bot.start()
    file = upload(bot, fixture("voice_ru.ogg"), "voice/ru.oga")
    plain = voice_update(USER, file, duration=4)
    plain["message"]["chat"] = updates.group_chat(group)
    bot.telegram.inject(plain)
    caption = f"@{BOT_USERNAME}"
    addressed = voice_update(
        USER,
        file,
        duration=4,
        caption=caption,
        caption_entities=updates.mention(caption, BOT_USERNAME),
    )
    addressed["message"]["chat"] = updates.group_chat(group)
    bot.telegram.inject(addressed)
    wait_until(lambda: len(bot.telegram.messages(group)) >= 2, what="transcript and answer")
    assert len(transcription_requests(bot)) == 1
    assert "Привет, бот" in bot.telegram.messages(group)[0]["text"]


def _post_stt_rule(bot: BotHarness, rule: dict[str, Any]) -> None:
    from tests.support.http import request_json

    request_json("POST", f"{bot.polza.url}/_test/stt/rules", rule)
