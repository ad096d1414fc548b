# /usage, строка стоимости под ответами и лимиты расходов. Telegram HTML, кроме
# cost-line: она дописывается к ответу модели, а он в Markdown.

command-usage = Ваши расходы и запросы
command-prompt = Ваши собственные указания для модели

usage-requests = { $requests ->
    [one] { $requests } запрос
    [few] { $requests } запроса
   *[many] { $requests } запросов
}

usage-title = <b>📊 Ваши расходы</b>
usage-period = { $period ->
    [today] <b>Сегодня</b>
    [month] <b>В этом месяце</b>
   *[total] <b>За всё время</b>
}
usage-line = { $kind ->
    [chat] 💬 Чат
    [voice] 🎙 Голос
    [video] 🎬 Видео
    [summary] 🗜 Сводки
    [speech] 🔊 Озвучка ответов
   *[image] 🖼 Картинки
}: { usage-requests }, { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
usage-line-total = Всего: { usage-requests }, { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
usage-nothing = Запросов не было.
usage-timezone-note = Дни и месяцы считаются по часовому поясу { $timezone }.
usage-approx-note = ≈ — оценка: по прайсу модели, если Polza.ai не сообщила точную стоимость, или { NUMBER($unknown, minimumFractionDigits: 2) } ₽ за запрос к модели без цены в прайсе.
usage-button-show-cost = 💰 Показывать стоимость под ответами
usage-button-hide-cost = Не показывать стоимость под ответами
usage-cost-shown = Теперь под каждым ответом будет его стоимость.
usage-cost-hidden = Стоимость под ответами больше не показывается.

cost-line = _{ $approx ->
    [yes] Стоимость: ≈{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
   *[no] Стоимость: { NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
}_

limit-daily = Вы исчерпали дневной лимит расходов: { NUMBER($budget, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽. Новый лимит начнёт действовать в { $resets } ({ $timezone }), через { $hours } ч { $minutes } мин.
limit-global = Бот исчерпал общий дневной лимит расходов. Новый лимит начнёт действовать в { $resets } ({ $timezone }), через { $hours } ч { $minutes } мин.
limit-request-cost = Этот запрос может стоить до { NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽ — больше, чем { NUMBER($limit, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽, разрешённых на один запрос. Попробуйте сообщение покороче, модель подешевле (/model) или новый разговор (/new).
limit-rate = Слишком много запросов: не больше { $limit } в минуту. Попробуйте снова через { $seconds ->
    [one] { $seconds } секунду
    [few] { $seconds } секунды
   *[many] { $seconds } секунд
}.
queue-full = ⏳ Я ещё отвечаю на ваши предыдущие сообщения, поэтому это не принял (модели ничего не отправлено). Пришлите его снова, когда я отвечу.
