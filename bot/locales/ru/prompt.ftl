prompt-current-personal = Ваши личные инструкции для модели (изменить: <code>/prompt ваш текст</code>, вернуть стандартные: <code>/prompt reset</code>):
prompt-current-default = Сейчас действуют стандартные инструкции. Задать свои: <code>/prompt ваш текст</code>:
prompt-set = Готово: буду следовать вашим инструкциям во всех ваших разговорах. <code>/prompt reset</code> вернёт стандартные.
prompt-reset = Готово: снова действуют стандартные инструкции.
prompt-too-long = Инструкции слишком длинные: { $length } { $length ->
    [one] символ
    [few] символа
   *[many] символов
}, а можно не больше { $limit } { $limit ->
    [one] символа
   *[other] символов
}.
command-cancel = Остановить ответ или отменить /image
