answer-thinking = 🧠 Думаю…

context-too-long = Сообщение слишком длинное для <code>{ $model }</code>: примерно { $tokens } токенов, а модель принимает около { $limit }. Сократите его или выберите в /model модель с большим контекстом.

media-unsupported = Такие файлы я не читаю. Пришлите фото или картинку, документ (PDF, DOCX, ODT, RTF) либо текстовый файл: обычный текст, Markdown, код, CSV, JSON и тому подобное.
media-image-too-big = Картинка слишком большая: боты могут скачивать из Telegram файлы до { $limit } МБ.
media-file-too-big = Файл <code>{ $name }</code> слишком большой: я читаю текстовые файлы до { $limit } КБ.
media-empty = Файл <code>{ $name }</code> пустой.
media-not-text = Файл <code>{ $name }</code> не похож на текст, прочитать его я не могу.
media-download-failed = Не удалось скачать файл из Telegram. Пришлите его ещё раз.
media-not-image = Файл <code>{ $name }</code> — не картинка, которую можно открыть (или он повреждён).
media-image-huge = В картинке <code>{ $name }</code> слишком много пикселей (больше 50 мегапикселей).
media-images-over-cap = Файл <code>{ $name }</code> пропущен: картинки в одном сообщении могут занимать вместе до { $limit } МБ.
media-text-over-cap = Файл <code>{ $name }</code> пропущен: файлы в одном сообщении могут содержать вместе до { $limit } символов.
media-skipped = Пропущено то, что не удалось прочитать: { $names }

vision-unsupported = Модель <code>{ $model }</code> не видит изображения. Выберите в /model модель, которая видит.
vision-offer = 🖼 Модель <code>{ $model }</code> не видит изображения. Переключиться на <code>{ $suggested }</code>? Я сразу отвечу на это сообщение.
vision-switch-button = Переключиться на { $name }
vision-switched = ✅ Теперь ваша модель для чата — <code>{ $model }</code>. Смотрю ваше сообщение…
vision-switched-resend = ✅ Теперь ваша модель для чата — <code>{ $model }</code>. Пришлите картинку ещё раз.
vision-not-yours = Переключить модель здесь может только тот, кто прислал картинку.
vision-expired = Эта кнопка устарела. Выберите модель в /model.

command-reasoning = Насколько глубоко думает модель
reasoning-effort = { $effort ->
    [none] Выключено
    [minimal] Минимальное
    [low] Низкое
    [medium] Среднее
    [high] Высокое
    [xhigh] Очень высокое
   *[auto] На усмотрение модели
}
reasoning-choose = 🧠 <b>Рассуждение</b> для <code>{ $model }</code>: { $effort }.
    Чем выше усилие, тем лучше ответы на сложные вопросы, но медленнее и дороже. «Выключено» — ответ сразу, без рассуждения; «На усмотрение модели» — без явной настройки, модель решает сама.
reasoning-not-supported = Модель <code>{ $model }</code> не поддерживает настройку рассуждений. Ваш выбор ({ $effort }) будет действовать с рассуждающими моделями (см. /model).
reasoning-set = 🧠 Рассуждение для <code>{ $model }</code>: { $effort }.
reasoning-expired = Эта кнопка устарела. Отправьте /reasoning ещё раз.
