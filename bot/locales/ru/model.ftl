# /model: выбор модели. Тексты — Telegram HTML; подписи кнопок и всплывающие уведомления
# (model-tab-*, model-button-*, model-hint-*, model-expired, model-not-yours,
# model-catalogue-unavailable-short) — простой текст.

command-model = Выбрать модели для чата и картинок

model-current-chat = 💬 Чат: <b>{ $name }</b> (<code>{ $id }</code>)
model-current-image = 🎨 Картинки: <b>{ $name }</b> (<code>{ $id }</code>)
model-current-gone = ⚠️ Выбранной вами модели <code>{ $id }</code> больше нет в Polza.ai, поэтому используется модель по умолчанию.

model-providers-chat = Выберите провайдера (всего { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
} для чата) или найдите модель по названию: <code>/model gemini</code>
model-providers-image = Выберите провайдера (всего { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
} для картинок) или найдите модель по названию: <code>/model gemini</code>
model-none = Сейчас в Polza.ai нет моделей этого вида.
model-provider-title = <b>{ $provider }</b>: { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
}
model-legend = ✅ текущая · ⭐ по умолчанию · 👁 понимает картинки · 🧠 рассуждает

model-search-found = По запросу <b>{ $query }</b> { $count ->
    [one] нашлась { $count } модель
    [few] нашлись { $count } модели
   *[many] нашлось { $count } моделей
}:
model-search-more = Показаны только первые { $shown }: уточните запрос.
model-search-none = По запросу <b>{ $query }</b> ничего не нашлось. Попробуйте другое название или отправьте /model, чтобы посмотреть весь список.

model-chosen-chat =
    ✅ Модель для чата: <b>{ $name }</b>
    <code>{ $id }</code>
model-chosen-image =
    ✅ Модель для картинок: <b>{ $name }</b>
    <code>{ $id }</code>
model-price-tokens = Цена: { NUMBER($prompt, minimumFractionDigits: 2) } ₽ за 1 млн входных токенов, { NUMBER($completion, minimumFractionDigits: 2) } ₽ за 1 млн выходных
model-price-input = Цена: { NUMBER($prompt, minimumFractionDigits: 2) } ₽ за 1 млн входных токенов
model-price-output = Цена: { NUMBER($completion, minimumFractionDigits: 2) } ₽ за 1 млн выходных токенов
model-price-request = Цена: { NUMBER($price, minimumFractionDigits: 2) } ₽ за запрос
model-price-image = Цена: { NUMBER($price, minimumFractionDigits: 2) } ₽ за картинку
model-price-unknown = Цена: Polza.ai её не указывает
model-context = Контекст: { $tokens ->
    [one] { $tokens } токен
    [few] { $tokens } токена
   *[many] { $tokens } токенов
}
model-context-unknown = Контекст: Polza.ai его не указывает

model-catalogue-unavailable = ⚠️ Не удалось получить список моделей из Polza.ai. Отправьте /model ещё раз через минуту.
model-catalogue-unavailable-short = Не удалось получить список моделей из Polza.ai. Попробуйте через минуту.
model-expired = Это меню устарело. Отправьте /model, чтобы открыть новое.
model-not-yours = Это меню открыл другой человек. Отправьте /model, чтобы открыть своё.
model-missing = ⚠️ Выбранной вами модели <code>{ $missing }</code> больше нет в Polza.ai, поэтому отвечает <code>{ $fallback }</code>. Выберите другую модель командой /model.

model-tab-chat = 💬 Чат
model-tab-image = 🎨 Картинки
model-button-back = ‹ Провайдеры
model-button-browse = ‹ Все модели
model-hint-chat = ≈{ $price } ₽/млн
model-hint-image = { $price } ₽/шт
