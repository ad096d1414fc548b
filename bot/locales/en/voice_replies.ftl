# /voice (spoken answers), /voicelang (the language of voice messages), the 🔊 button.
# Telegram HTML.

command-voice = Spoken answers: on, auto or off
command-voicelang = The language of your voice messages

voice-mode-name = { $mode ->
    [on] <b>on</b>: every answer is also sent as a voice message
    [auto] <b>auto</b>: answers to your voice messages are also spoken
   *[off] <b>off</b>: answers are text only (🔊 under an answer reads it aloud)
}
voice-mode-current =
    🔊 Spoken answers: { voice-mode-name }.

    Choose below, or send /voice on, /voice auto or /voice off.
voice-mode-set = 🔊 Spoken answers: { voice-mode-name }.
voice-mode-usage = Send /voice on, /voice auto or /voice off.
voice-mode-button = { $mode ->
    [on] On
    [auto] Auto
   *[off] Off
}

voice-speak-button = 🔊
voice-speak-gone = This answer is no longer stored, so I can't read it aloud.
voice-speak-not-yours = Only the person who asked can have this answer read aloud.
voice-speak-busy = 🔊 I'm already reading this answer aloud.
voice-speak-failed = I couldn't read the answer aloud.
voice-speak-nothing = There is nothing to read aloud in this answer.
voice-speak-cut = 🔊 The answer is too long to read in full: I read its beginning. The whole text is above.
# Said in place of a code block when an answer is read aloud.
voice-code-omitted = (Code omitted; see the text.)

voicelang-auto = 🎙 The language of your voice messages is detected automatically.
voicelang-operator = 🎙 Your voice messages are transcribed as <b>{ $language }</b> (the bot's default).
voicelang-chosen = 🎙 Your voice messages are transcribed as <b>{ $language }</b> (your choice).
voicelang-usage = To set it, send /voicelang with a two-letter ISO-639-1 code, for example <code>/voicelang de</code>. <code>/voicelang auto</code> lets the model detect the language.
voicelang-set = 🎙 Done: your voice messages will be transcribed as <b>{ $language }</b>.
voicelang-reset = 🎙 Done: the language of your voice messages will be detected automatically.
voicelang-reset-operator = 🎙 Done: your voice messages will be transcribed as <b>{ $language }</b>, the bot's default.
voicelang-invalid = “{ $code }” is not an ISO-639-1 language code.

settings-row-voice = 🔊 Spoken answers
settings-row-voicelang = 🎙 Voice message language
voicelang-detected = detected
