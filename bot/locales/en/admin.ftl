# Access refusals and the admin commands (/stats, /balance, /allow, /deny). Telegram HTML,
# except access-denied-short: it is a button-press notice, which is plain text.

command-stats = Bot statistics (admin)
command-balance = Polza.ai balance (admin)
command-allow = Give a user access (admin)
command-deny = Take a user's access away (admin)

access-denied = Sorry, this bot is private. Your Telegram id is <code>{ $id }</code>: send it to the bot's owner to ask for access.
access-denied-short = Sorry, this bot is private. Your Telegram id is { $id }: send it to the bot's owner to ask for access.

admin-stats-title = <b>📈 Bot statistics</b>
admin-stats-users = Users: { $users }, active today: { $active }
admin-stats-period = { $period ->
    [today] <b>Today</b>
   *[month] <b>This month</b>
}: { usage-requests }, { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
admin-stats-top-title = <b>Top spenders this month</b>
admin-stats-top-line = { $place }. <code>{ $user }</code>: { usage-requests } for { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
admin-stats-top-none = Nobody has made a request this month.

admin-balance =
    <b>💰 Polza.ai balance</b>
    On the account: { NUMBER($amount, minimumFractionDigits: 2, maximumFractionDigits: 2) } ₽
    Available to spend: { NUMBER($available, minimumFractionDigits: 2, maximumFractionDigits: 2) } ₽
admin-balance-legacy =
    <b>💰 Polza.ai balance</b>
    On the account: { NUMBER($amount, minimumFractionDigits: 2, maximumFractionDigits: 2) } ₽
admin-balance-failed = I couldn't get the balance from Polza.ai ({ $reason }). Please try again later.

admin-allow-usage = Send <code>/allow</code> with the user's Telegram id, for example <code>/allow 123456789</code>. A refused user sees their id in my reply.
admin-deny-usage = Send <code>/deny</code> with the user's Telegram id, for example <code>/deny 123456789</code>.
admin-access-mode = { $open ->
    [yes] The bot is open to everyone, except denied users.
   *[no] The bot is invite-only.
}
admin-access-lists =
    Allowed in ALLOWED_USER_IDS: { $settings }
    Allowed with /allow: { $allowed }
    Denied with /deny: { $denied }
admin-access-none = none
admin-allowed = ✅ User <code>{ $id }</code> can use the bot now.
admin-allowed-invite-only = ✅ User <code>{ $id }</code> can use the bot now. ⚠️ The bot was open to everyone; from now on only allowed users can use it.
admin-already-allowed = User <code>{ $id }</code> is already allowed.
admin-allow-admin = <code>{ $id }</code> is an admin: admins are always allowed.
admin-denied = 🚫 User <code>{ $id }</code> can no longer use the bot.
admin-denied-now-open = 🚫 User <code>{ $id }</code> can no longer use the bot. ⚠️ Nobody is left on the allowlist, so the bot is open to everyone again (except denied users). Use /allow to make it invite-only.
admin-already-denied = User <code>{ $id }</code> is already denied.
admin-deny-admin = <code>{ $id }</code> is an admin and can't be denied. Remove them from ADMIN_USER_IDS first.
