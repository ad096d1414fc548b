# /image с картинками-образцами, кнопки под картинками, варианты, ход работы.
# Тексты — Telegram HTML: экранируйте < > & в обычном тексте.

image-drawing = 🎨 Рисую…
image-button-started = 🎨 Рисую…
image-ask-change =
    Что сделать с этой картинкой? Опишите изменение следующим сообщением (в группе — ответом на это).
    Модель: <code>{ $model }</code>. Передумали? Отправьте /cancel.
image-ask-edit = Что изменить в этой картинке? Ответьте описанием изменения.
image-edit-placeholder = например, сделай небо розовым
image-reference-gone = Эта картинка уже не хранится, поэтому я не могу её взять. Пришлите её фотографией с подписью /image и вашей просьбой.
image-reference-download = Не удалось скачать картинку из Telegram. Пришлите её ещё раз.
image-reference-too-big = Картинка слишком большая, я не могу её скачать. Пришлите картинку поменьше.
image-reference-not-image = Не удалось прочитать картинку. Пришлите её фотографией (JPEG, PNG или WebP).
image-no-references = <code>{ $model }</code> не умеет работать с картинкой: она рисует только по описанию.
image-too-many-references = <code>{ $model }</code> принимает не больше { $most } { $most ->
    [one] картинки
   *[other] картинок
} за раз.
image-switch-offer = <code>{ $suggested }</code> умеет: переключитесь на неё, и я сразу выполню эту просьбу.
image-switch-button = Выбрать { $name }
image-switched = Ваша модель для картинок теперь <code>{ $model }</code>. Выполняю просьбу…
image-switched-resend = Ваша модель для картинок теперь <code>{ $model }</code>. Пришлите просьбу ещё раз.
image-switch-expired = Это предложение устарело. Выберите модель для картинок в /model.
image-count-clamped = <code>{ $model }</code> рисует не больше { $most } { $most ->
    [one] картинки
   *[other] картинок
} за раз, поэтому будет { $most } вместо { $asked }.
image-variants = Вариантов: { $count }. 🔄 нарисует новый набор; ✏️ изменит вариант, 📎 пришлёт его исходный файл.
image-fewer = Модель нарисовала { $made } из { $asked } запрошенных картинок.
image-not-yours = Эти кнопки принадлежат тому, кто попросил картинку.
image-picture-gone = Эта картинка уже не хранится. Отправьте /image, чтобы нарисовать новую.
