# /video: короткие ролики, цена подтверждается заранее. Тексты в Telegram HTML: экранируйте < > & в обычном тексте.

command-video = Снять короткое видео (сначала цена)
video-help =
    🎬 <b>Видео</b> с <code>{ $model }</code>: опишите ролик после команды, например
    <code>/video 9:16 5s кот катается на сёрфе на закате</code>
    Соотношения сторон: { $ratios }. Длительность: { $durations } (по умолчанию { $duration } с).
    Чтобы оживить фото, пришлите его с подписью <code>/video</code> (можно добавить, что должно происходить) или ответьте на него <code>/video</code>.
    Сначала вы увидите цену и подтвердите её — до этого ничего не оплачивается.
video-bad-ratio = <code>{ $model }</code> не снимает видео в соотношении { $value }. Выберите одно из: { $allowed }
video-bad-duration = <code>{ $model }</code> не снимает видео длиной { $value }. Выберите одно из: { $allowed }
video-prompt-too-long = Описание слишком длинное: { $length } { $length ->
    [one] символ
    [few] символа
   *[other] символов
}, а <code>{ $model }</code> принимает не больше { $limit }. Сократите его, пожалуйста.
video-model-gone = Модель видео <code>{ $old }</code> больше недоступна в Polza.ai, поэтому я использую <code>{ $model }</code>.
video-busy = Предыдущая картинка или видео ещё делается. Дождитесь её, прежде чем просить новую.
video-photo-too-big = Эта картинка слишком большая, чтобы её оживить (больше { $limit } МБ).
video-photo-unreadable = Не получилось прочитать эту картинку. Пришлите её ещё раз как фото.
video-offer = 🎬 <b>{ $name }</b> (<code>{ $model }</code>): { $seconds } с, соотношение { $ratio }{ $frame ->
    [yes] , начиная с вашей картинки
   *[no] {""}
}
video-offer-prompt = Описание: <i>{ $prompt }</i>
video-offer-price = Примерная цена: <b>{ NUMBER($price, minimumFractionDigits: 2) } ₽</b> ({ NUMBER($per_second, minimumFractionDigits: 2) } ₽ за секунду)
video-offer-price-unknown = Polza.ai не указывает цену этой модели: точная стоимость станет известна только после съёмки.
video-offer-expires = Подтвердите в течение { $minutes } мин.
video-confirm = ✅ Подтвердить
video-cancel = ✖️ Отмена
video-cancelled = Отменено: видео не будет, ничего не оплачено.
video-offer-expired = Это предложение устарело. Пришлите /video ещё раз, чтобы узнать цену.
video-not-yours = Подтвердить или отменить это видео может только тот, кто его заказал.
video-started-short = Снимаю…
video-started = 🎬 Подтверждено. Снимаю видео на { $seconds } с: обычно это занимает несколько минут.
video-filming = 🎬 Снимаю…
video-sending = 📤 Отправляю…
video-too-big = Видео готово, но оно больше { $limit } МБ — слишком большое для загрузки в Telegram. Скачайте его здесь (Polza.ai хранит его 7 дней): { $url }
video-moderation = Фильтр содержимого отклонил запрос. Попробуйте описать видео иначе.
video-failed = Модель не смогла снять это видео. Попробуйте ещё раз или измените описание.
video-polza-reason = Polza.ai сообщает: <i>{ $reason }</i>
video-timeout = Видео делалось слишком долго, и я перестал ждать. Оно могло быть оплачено: см. /usage.
video-download-failed = Видео снято, но скачать его из Polza.ai не получилось.
video-no-result = Модель закончила работу без видео. Попробуйте ещё раз или измените описание.
video-interrupted = Бот перезапускается, поэтому видео не доделано. Оно могло быть оплачено (см. /usage); пришлите /video ещё раз через минуту.

model-current-video = 🎬 Видео: <b>{ $name }</b> (<code>{ $id }</code>)
model-providers-video = Выберите провайдера (всего { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
} для видео) или найдите модель по названию: <code>/model kling</code>
model-chosen-video =
    ✅ Модель для видео: <b>{ $name }</b>
    <code>{ $id }</code>
model-price-video = Цена: { NUMBER($price, minimumFractionDigits: 2) } ₽ за секунду видео
model-tab-video = 🎬 Видео
model-hint-video = { $price } ₽/с
video-resuming = Бот перезапускается. Видео всё ещё снимается: оно придёт сюда, когда бот снова заработает.
