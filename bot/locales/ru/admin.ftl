# Отказы в доступе и команды администратора (/stats, /balance, /allow, /deny). Telegram HTML,
# кроме access-denied-short: это уведомление о нажатии кнопки, оно без разметки.

command-stats = Статистика бота (админ)
command-balance = Баланс Polza.ai (админ)
command-allow = Дать пользователю доступ (админ)
command-deny = Забрать у пользователя доступ (админ)
command-id = Ваш ID (для доступа)

access-denied = Извините, это закрытый бот. Ваш ID: <code>{ $id }</code> — отправьте его владельцу бота, чтобы попросить доступ.
access-denied-short = Извините, это закрытый бот. Ваш ID: { $id } — отправьте его владельцу бота, чтобы попросить доступ.

id-user = Ваш ID: <code>{ $id }</code>
id-chat = ID этого чата: <code>{ $id }</code>
id-hint = Если нужен доступ, отправьте его владельцу бота.
id-hint-admin = Чтобы пустить человека, добавьте его ID в ALLOWED_USER_IDS или отправьте /allow с этим ID.
id-group-hint-admin = ID пользователей — в ALLOWED_USER_IDS (или /allow), ID групп — в ALLOWED_CHAT_IDS.

admin-stats-title = <b>📈 Статистика бота</b>
admin-stats-users = Пользователей: { $users }, активных сегодня: { $active }
admin-stats-period = { $period ->
    [today] <b>Сегодня</b>
   *[month] <b>В этом месяце</b>
}: { usage-requests }, { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
admin-stats-top-title = <b>Больше всех потратили в этом месяце</b>
admin-stats-top-line = { $place }. { $user }: { usage-requests } на { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
admin-stats-top-none = В этом месяце запросов ещё не было.

admin-balance =
    <b>💰 Баланс Polza.ai</b>
    На счёте: { NUMBER($amount, minimumFractionDigits: 2, maximumFractionDigits: 2) } ₽
    Доступно для трат: { NUMBER($available, minimumFractionDigits: 2, maximumFractionDigits: 2) } ₽
admin-balance-legacy =
    <b>💰 Баланс Polza.ai</b>
    На счёте: { NUMBER($amount, minimumFractionDigits: 2, maximumFractionDigits: 2) } ₽
admin-balance-failed = Не удалось узнать баланс в Polza.ai ({ $reason }). Попробуйте позже.

admin-allow-usage = Отправьте <code>/allow</code> с ID или @именем пользователя, например <code>/allow 123456789</code> или <code>/allow @name</code>. Пользователь без доступа видит свой ID в ответе бота (или может отправить /id).
admin-deny-usage = Отправьте <code>/deny</code> с ID или @именем пользователя, например <code>/deny 123456789</code> или <code>/deny @name</code>.
admin-user-unknown = Бот ещё не встречал @{ $username }. Попросите этого человека сначала написать боту или используйте его числовой ID (его показывает /id).
admin-bad-id = <code>{ $id }</code> — это не Telegram ID пользователя: ID — целое число от 1 до { $max }.
admin-access-mode = { $open ->
    [yes] Бот открыт для всех (ACCESS_MODE=open), кроме заблокированных.
   *[no] Бот доступен только по приглашению (ACCESS_MODE=invite).
}
admin-access-lists =
    Разрешены в ALLOWED_USER_IDS: { $settings }
    Разрешены командой /allow: { $allowed }
    Заблокированы командой /deny: { $denied }
admin-access-none = нет
admin-allowed = ✅ { $user } теперь может пользоваться ботом.
admin-already-allowed = { $user }: доступ уже разрешён.
admin-allow-admin = { $user } — администратор, администраторам доступ открыт всегда.
admin-denied = 🚫 { $user } больше не может пользоваться ботом.
admin-already-denied = { $user }: доступ уже закрыт.
admin-deny-admin = { $user } — администратор, его нельзя заблокировать. Сначала уберите его из ADMIN_USER_IDS.

# Оповещения администраторам, в личном чате с ботом.
alert-polza-auth = ⚠️ <b>Polza.ai отклонила API-ключ бота</b> (HTTP { $status }). Пока POLZA_API_KEY не исправлен и бот не перезапущен, пользователи видят, что бот временно недоступен.
alert-polza-balance = ⚠️ <b>Polza.ai отказала в запросе из-за нехватки денег</b> (HTTP 402): баланс исчерпан или достигнут лимит расходов ключа. Пополните баланс на polza.ai; до тех пор пользователи видят, что бот временно недоступен.
alert-low-balance = ⚠️ <b>Баланс в Polza.ai заканчивается</b>: { $balance } ₽ (порог BALANCE_ALERT_RUB — { $threshold } ₽). Пополните его на polza.ai.
alert-errors = ⚠️ <b>Непредвиденных ошибок: { $count }</b> за последние { $minutes } мин. Посмотрите журнал бота.

pairing-done = 🔑 Теперь вы администратор бота. В этом чате работают /stats, /balance, /allow и /deny.
pairing-failed = Этот код привязки не подходит (он меняется при каждом запуске и действует один раз). Возьмите самый свежий из журнала бота.
