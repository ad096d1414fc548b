voice-heard = 🎙 <b>I heard:</b>
voice-nothing-heard = I couldn't recognise any speech in this recording. Try again closer to the microphone.
voice-too-big = This file is too big: bots can download files up to { $limit } MB from Telegram. Send a shorter recording.
voice-too-long = This recording is too long: I transcribe up to { $minutes } minutes. Send a shorter one.
voice-empty = This recording is empty.
voice-corrupt = I couldn't read this recording: the file seems damaged.
voice-unsupported = I can't read this file format. Send a voice note or a common audio file (MP3, M4A, OGG, WAV, FLAC).
voice-failed = I couldn't transcribe the recording.
