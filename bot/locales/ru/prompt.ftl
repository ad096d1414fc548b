prompt-current-personal = Ваши личные инструкции для модели (изменить: <code>/prompt ваш текст</code>, вернуть стандартные: <code>/prompt reset</code>):
prompt-current-default = Сейчас действуют стандартные инструкции. Задать свои: <code>/prompt ваш текст</code>:
prompt-set = Готово: буду следовать вашим инструкциям во всех ваших разговорах. <code>/prompt reset</code> вернёт стандартные.
prompt-reset = Готово: вернул стандартные инструкции.
prompt-too-long = Инструкции слишком длинные: { $length } символов, максимум { $limit }.
command-cancel = Остановить ответ или отменить /image
