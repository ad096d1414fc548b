"""Voice notes end to end: real OGG/Opus bytes reach Polza; the transcript is shown, answered."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.fixtures import fixture_bytes
from tests.support.http import post_multipart, request_json
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
        _post_stt_rule(bot, {"text": text, "delay": 1.2})
    bot.start(VOICE_CHUNK_SECONDS="20", STATUS_DELAY_SECONDS="0", STATUS_INTERVAL_SECONDS="1")
    file = upload(bot, ogg.read_bytes(), "voice/long.oga")
    bot.telegram.inject(voice_update(USER, file, duration=50))

    texts = bot.telegram.wait_for_messages(USER, 3)
    # One status message, edited as the parts go, then removed for the transcript.
    status = texts[0]
    assert status.startswith("🎙 Transcribing")
    (status_call,) = [
        c for c in bot.telegram.calls("sendMessage", USER) if c["params"]["text"] == status
    ]
    status_id = status_call["result"]["message_id"]
    edits = [c["params"]["text"] for c in bot.telegram.calls("editMessageText", USER)]
    assert any(re.fullmatch(r"🎙 Transcribing part [123] of 3… \d+:\d\d", e) for e in edits), edits
    assert status_id not in [m["message_id"] for m in bot.telegram.messages(USER)]
    assert "part one part two part three" in texts[1]
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
    request_json("POST", f"{bot.polza.url}/_test/stt/rules", rule)


def chat_contents(bot: BotHarness) -> list[str]:
    return [request["messages"][-1]["content"] for request in bot.polza.chat_requests()]


def wait_for_chat_requests(bot: BotHarness, count: int) -> list[str]:
    return list(
        wait_until(
            lambda: chat_contents(bot) if len(chat_contents(bot)) >= count else None,
            what=f"{count} chat request(s)",
        )
    )


def command(bot: BotHarness, text: str, count: int) -> str:
    """Send a command; return the bot's reply, its `count`-th message in the chat."""
    bot.telegram.inject(updates.private_text(USER, text))
    return bot.telegram.wait_for_messages(USER, count)[count - 1]


def test_language_is_detected_unless_chosen_captions_instruct_long_transcripts_come_whole(
    bot: BotHarness,
) -> None:
    bot.start()
    file = upload(bot, fixture("voice_en.ogg"), "voice/en.oga")
    german = voice_update(USER, file, duration=4)
    german["message"]["from"] = updates.user(USER, language_code="de")
    bot.telegram.inject(german)
    wait_for_chat_requests(bot, 1)
    (first,) = transcription_requests(bot)
    assert "language" not in first["multipart"]["fields"]

    assert "not an ISO-639-1" in command(bot, "/voicelang xx", 3)
    assert "<b>ru</b>" in command(bot, "/voicelang ru", 4)
    bot.telegram.inject(voice_update(USER, file, duration=4, caption="Make minutes of this"))
    (caption_request,) = wait_for_chat_requests(bot, 2)[1:]
    assert transcription_requests(bot)[1]["multipart"]["fields"]["language"] == "ru"
    assert caption_request == (
        f"Make minutes of this\n\n[Transcript of the attached recording]\n{EN_SENTENCE}"
    )
    assert "detected automatically" in command(bot, "/voicelang auto", 7)

    long_text = " ".join(f"word{n}" for n in range(1200))  # ~10,000 characters
    _post_stt_rule(bot, {"text": long_text})
    bot.telegram.inject(voice_update(USER, file, duration=4))
    wait_for_chat_requests(bot, 3)
    assert "language" not in transcription_requests(bot)[2]["multipart"]["fields"]
    (document,) = wait_until(lambda: bot.telegram.calls("sendDocument", USER), what="the file")
    sent = document["result"]["document"]
    assert sent["file_name"] == "transcript.txt"
    assert bot.telegram.file_bytes(sent["file_id"]).decode() == long_text
    assert chat_contents(bot)[2] == long_text


def video_update(user_id: int, file: dict[str, Any], *, as_document: bool) -> dict[str, Any]:
    update = voice_update(user_id, file, duration=4)
    message = update["message"]
    del message["voice"]
    common = {"file_id": file["file_id"], "file_unique_id": file["file_unique_id"]}
    if as_document:
        message["document"] = {
            **common,
            "file_name": "clip.mp4",
            "mime_type": "video/mp4",
            "file_size": file["file_size"],
        }
    else:
        message["video"] = {
            **common,
            "width": 64,
            "height": 48,
            "duration": 4,
            "mime_type": "video/mp4",
            "file_size": file["file_size"],
        }
    return update


def test_videos_and_video_files_are_transcribed_a_silent_one_is_told(
    bot: BotHarness, tmp_path: Path
) -> None:
    silent = tmp_path / "silent.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
         "color=c=red:s=64x48:r=5:d=1", "-c:v", "mpeg4", str(silent)],
        check=True,
    )  # fmt: skip
    _post_stt_rule(bot, {"text": "Words from the video."})
    _post_stt_rule(bot, {"text": "Words from the video file."})
    bot.start()
    video = upload(bot, fixture("video_en.mp4"), "videos/file_1.mp4")
    bot.telegram.inject(video_update(USER, video, as_document=False))
    assert wait_for_chat_requests(bot, 1) == ["Words from the video."]
    bot.telegram.inject(video_update(USER, video, as_document=True))
    assert wait_for_chat_requests(bot, 2)[1] == "Words from the video file."
    for request in transcription_requests(bot):
        part = request["multipart"]["files"]["file"]
        assert part["content_type"] in ("audio/ogg", "audio/mpeg")
        assert bytes.fromhex(part["head_hex"])[:4] in (b"OggS", b"ID3\x04") or part["size"] > 0

    quiet = upload(bot, silent.read_bytes(), "videos/file_2.mp4")
    bot.telegram.inject(video_update(USER, quiet, as_document=False))
    assert "no sound" in bot.telegram.wait_for_messages(USER, 5)[4]
    assert len(transcription_requests(bot)) == 2


def speech_requests(bot: BotHarness) -> list[dict[str, Any]]:
    return [e["json"] for e in bot.polza.journal() if e["path"].endswith("/audio/speech")]


def voices_sent(bot: BotHarness, count: int) -> list[bytes]:
    calls = wait_until(
        lambda: (found := bot.telegram.calls("sendVoice", USER)) and len(found) >= count and found,
        what=f"{count} voice message(s)",
    )
    return [bot.telegram.file_bytes(call["result"]["voice"]["file_id"]) for call in calls]


def answer_message(bot: BotHarness, text: str) -> dict[str, Any]:
    calls = wait_until(
        lambda: [
            c for c in bot.telegram.calls("sendMessage", USER) if c["params"]["text"] == text
        ],
        what=f"the answer {text!r}",
    )
    result: dict[str, Any] = calls[0]["result"]
    return result


def test_spoken_answers_in_both_answer_shapes_and_the_speak_button(bot: BotHarness) -> None:
    spoken = fixture("voice_en.ogg")  # what the fake Polza "says"
    bot.start()
    assert "every answer" in command(bot, "/voice on", 1)
    bot.telegram.inject(updates.private_text(USER, "hello"))
    assert voices_sent(bot, 1) == [spoken]
    (request,) = speech_requests(bot)
    assert request["input"] == "Echo: hello"
    assert (request["model"], request["voice"], request["response_format"]) == (
        "openai/gpt-4o-mini-tts",
        "alloy",
        "opus",
    )
    spoken_markup = answer_message(bot, "Echo: hello").get("reply_markup") or {}
    assert "🔊" not in str(spoken_markup), "an answer spoken by itself has no 🔊"

    request_json("POST", f"{bot.polza.url}/_test/speech/rules", {"shape": "json_url"})
    bot.telegram.inject(updates.private_text(USER, "again"))
    assert voices_sent(bot, 2)[1] == spoken
    assert speech_requests(bot)[1]["input"] == "Echo: again"
    assert any(e["path"].startswith("/files/speech_") for e in bot.polza.journal())

    assert "text only" in command(bot, "/voice off", 4)
    bot.telegram.inject(updates.private_text(USER, "third"))
    answer = answer_message(bot, "Echo: third")
    (speak,) = [
        b for row in answer["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "🔊"
    ]
    stranger = updates.callback_query(USER + 1, speak["callback_data"], answer)
    bot.telegram.inject(stranger)
    refusal = wait_until(
        lambda: [
            c for c in bot.telegram.calls("answerCallbackQuery")
            if c["params"]["callback_query_id"] == stranger["callback_query"]["id"]
        ],
        what="the refusal",
    )  # fmt: skip
    assert "Only the person who asked" in refusal[0]["params"]["text"]
    bot.telegram.inject(updates.callback_query(USER, speak["callback_data"], answer))
    assert len(voices_sent(bot, 3)) == 3
    assert [r["input"] for r in speech_requests(bot)] == [
        "Echo: hello",
        "Echo: again",
        "Echo: third",
    ]

    assert "answers to your voice messages" in command(bot, "/voice auto", 6)
    file = upload(bot, fixture("voice_en.ogg"), "voice/auto.oga")
    bot.telegram.inject(voice_update(USER, file, duration=4))
    assert len(voices_sent(bot, 4)) == 4
    assert speech_requests(bot)[3]["input"] == f"Echo: {EN_SENTENCE}"
    # The older answer keeps its 🔊 (its 🔄 answers a press with "no longer works").
    (third,) = [m for m in bot.telegram.messages(USER) if m.get("text") == "Echo: third"]
    buttons = [b["text"] for row in third["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0].startswith("🔄") and buttons[1:] == ["🔊"]
