# /voice (озвучка ответов), /voicelang (язык голосовых сообщений), кнопка 🔊.
# Telegram HTML.

command-voice = Озвучка ответов: вкл., авто или выкл.
command-voicelang = Язык ваших голосовых сообщений

voice-mode-name = { $mode ->
    [on] <b>вкл.</b>: каждый ответ приходит и голосовым сообщением
    [auto] <b>авто</b>: ответы на ваши голосовые тоже озвучиваются
   *[off] <b>выкл.</b>: ответы только текстом (🔊 под ответом озвучит его)
}
voice-mode-current =
    🔊 Озвучка ответов: { voice-mode-name }.

    Выберите ниже или отправьте /voice on, /voice auto или /voice off.
voice-mode-set = 🔊 Озвучка ответов: { voice-mode-name }.
voice-mode-usage = Отправьте /voice on, /voice auto или /voice off.
voice-mode-button = { $mode ->
    [on] Вкл.
    [auto] Авто
   *[off] Выкл.
}

voice-speak-button = 🔊
voice-speak-gone = Этот ответ больше не хранится, поэтому озвучить его нельзя.
voice-speak-not-yours = Озвучить ответ может только тот, кто задал вопрос.
voice-speak-busy = 🔊 Этот ответ уже озвучивается.
voice-speak-failed = Не удалось озвучить ответ.
voice-speak-nothing = В этом ответе нечего читать вслух.
voice-speak-cut = 🔊 Ответ слишком длинный, чтобы прочитать его целиком: я прочитал начало. Весь текст — выше.
# Произносится вместо блока кода, когда ответ читается вслух.
voice-code-omitted = (Код пропущен, он есть в тексте.)

voicelang-auto = 🎙 Язык ваших голосовых сообщений определяется автоматически.
voicelang-operator = 🎙 Ваши голосовые распознаются как <b>{ $language }</b> (настройка бота по умолчанию).
voicelang-chosen = 🎙 Ваши голосовые распознаются как <b>{ $language }</b> (ваш выбор).
voicelang-usage = Чтобы выбрать язык, отправьте /voicelang и двухбуквенный код ISO-639-1, например <code>/voicelang de</code>. <code>/voicelang auto</code> — язык определит модель.
voicelang-set = 🎙 Готово: ваши голосовые будут распознаваться как <b>{ $language }</b>.
voicelang-reset = 🎙 Готово: язык ваших голосовых будет определяться автоматически.
voicelang-reset-operator = 🎙 Готово: ваши голосовые будут распознаваться как <b>{ $language }</b>, по умолчанию бота.
voicelang-invalid = «{ $code }» — не код языка ISO-639-1.

settings-row-voice = 🔊 Озвучка ответов
settings-row-voicelang = 🎙 Язык голосовых
voicelang-detected = автоопределение
