# Отказы в доступе и команды администратора (/stats, /balance, /allow, /deny). Telegram HTML,
# кроме access-denied-short: это уведомление о нажатии кнопки, оно без разметки.

command-stats = Статистика бота (админ)
command-balance = Баланс Polza.ai (админ)
command-allow = Дать пользователю доступ (админ)
command-deny = Забрать у пользователя доступ (админ)

access-denied = Извините, это закрытый бот. Ваш Telegram id: <code>{ $id }</code> — отправьте его владельцу бота, чтобы попросить доступ.
access-denied-short = Извините, это закрытый бот. Ваш Telegram id: { $id } — отправьте его владельцу бота, чтобы попросить доступ.

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
admin-stats-top-line = { $place }. <code>{ $user }</code>: { usage-requests } на { $approx ->
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
admin-balance-failed = Не удалось узнать баланс у Polza.ai ({ $reason }). Попробуйте позже.

admin-allow-usage = Отправьте <code>/allow</code> с Telegram id пользователя, например <code>/allow 123456789</code>. Пользователь без доступа видит свой id в моём ответе.
admin-deny-usage = Отправьте <code>/deny</code> с Telegram id пользователя, например <code>/deny 123456789</code>.
admin-access-mode = { $open ->
    [yes] Бот открыт для всех, кроме заблокированных.
   *[no] Бот доступен только по приглашению.
}
admin-access-lists =
    Разрешены в ALLOWED_USER_IDS: { $settings }
    Разрешены командой /allow: { $allowed }
    Заблокированы командой /deny: { $denied }
admin-access-none = нет
admin-allowed = ✅ Пользователь <code>{ $id }</code> теперь может пользоваться ботом.
admin-allowed-invite-only = ✅ Пользователь <code>{ $id }</code> теперь может пользоваться ботом. ⚠️ Бот был открыт для всех; теперь им могут пользоваться только разрешённые пользователи.
admin-already-allowed = Пользователю <code>{ $id }</code> доступ уже разрешён.
admin-allow-admin = <code>{ $id }</code> — администратор, администраторам доступ открыт всегда.
admin-denied = 🚫 Пользователь <code>{ $id }</code> больше не может пользоваться ботом.
admin-denied-now-open = 🚫 Пользователь <code>{ $id }</code> больше не может пользоваться ботом. ⚠️ В списке разрешённых никого не осталось, поэтому бот снова открыт для всех (кроме заблокированных). Чтобы бот снова был только по приглашению, используйте /allow.
admin-already-denied = Пользователь <code>{ $id }</code> уже заблокирован.
admin-deny-admin = <code>{ $id }</code> — администратор, его нельзя заблокировать. Сначала уберите его из ADMIN_USER_IDS.
