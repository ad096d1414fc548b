# Access refusals and the admin commands (/stats, /balance, /allow, /deny). Telegram HTML,
# except access-denied-short: it is a button-press notice, which is plain text.

command-stats = Bot statistics (admin)
command-balance = Polza.ai balance (admin)
command-allow = Give a user access (admin)
command-deny = Take a user's access away (admin)
command-id = Your ID (to get access)

access-denied = Sorry, this bot is private. Your ID is <code>{ $id }</code>: send it to the bot's owner to ask for access.
access-denied-short = Sorry, this bot is private. Your ID is { $id }: send it to the bot's owner to ask for access.

id-user = Your ID: <code>{ $id }</code>
id-chat = This chat's ID: <code>{ $id }</code>
id-hint = Send it to the bot's owner if you need access.
id-hint-admin = To let someone in, add their ID to ALLOWED_USER_IDS or send /allow with it.
id-group-hint-admin = User IDs go into ALLOWED_USER_IDS (or /allow), group IDs into ALLOWED_CHAT_IDS.

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
admin-stats-top-line = { $place }. { $user }: { usage-requests } for { $approx ->
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

admin-allow-usage = Send <code>/allow</code> with the user's ID or @username, for example <code>/allow 123456789</code> or <code>/allow @name</code>. A refused user sees their ID in the bot's reply (or sends /id).
admin-deny-usage = Send <code>/deny</code> with the user's ID or @username, for example <code>/deny 123456789</code> or <code>/deny @name</code>.
admin-user-unknown = The bot has not seen @{ $username } yet. Ask them to write to the bot first, or use their numeric ID (they get it with /id).
admin-bad-id = <code>{ $id }</code> is not a Telegram user ID: IDs are whole numbers from 1 to { $max }.
admin-access-mode = { $open ->
    [yes] The bot is open to everyone (ACCESS_MODE=open), except denied users.
   *[no] The bot is invite-only (ACCESS_MODE=invite).
}
admin-access-lists =
    Allowed in ALLOWED_USER_IDS: { $settings }
    Allowed with /allow: { $allowed }
    Denied with /deny: { $denied }
admin-access-none = none
admin-allowed = ✅ { $user } can use the bot now.
admin-already-allowed = { $user } is already allowed.
admin-allow-admin = { $user } is an admin: admins are always allowed.
admin-denied = 🚫 { $user } can no longer use the bot.
admin-already-denied = { $user } is already denied.
admin-deny-admin = { $user } is an admin and can't be denied. Remove them from ADMIN_USER_IDS first.

# Alerts to the admins, in their private chat.
alert-polza-auth = ⚠️ <b>Polza.ai rejected the bot's API key</b> (HTTP { $status }). Users are told the bot is temporarily unavailable until POLZA_API_KEY is fixed and the bot restarted.
alert-polza-balance = ⚠️ <b>Polza.ai refused a request for lack of money</b> (HTTP 402): the balance is empty or the key's spending limit is reached. Top it up at polza.ai; until then users are told the bot is temporarily unavailable.
alert-low-balance = ⚠️ <b>The Polza.ai balance is low</b>: { $balance } ₽ (BALANCE_ALERT_RUB is { $threshold } ₽). Top it up at polza.ai.
alert-errors = ⚠️ <b>{ $count } unexpected errors</b> in the last { $minutes } minutes. Please check the bot's logs.

pairing-done = 🔑 You are the bot's admin now. /stats, /balance, /allow and /deny work in this chat.
pairing-failed = That pairing code is not valid (it changes at every start and works once). Look for the newest one in the bot's log.
