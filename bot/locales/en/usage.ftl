# /usage, the cost line under answers and the spending limits. Telegram HTML, except
# cost-line: it is appended to a model's answer, which is Markdown.

command-usage = Your spending and requests
command-prompt = Your own instructions for the model

usage-requests = { $requests ->
    [one] { $requests } request
   *[other] { $requests } requests
}

usage-title = <b>📊 Your usage</b>
usage-period = { $period ->
    [today] <b>Today</b>
    [month] <b>This month</b>
   *[total] <b>All time</b>
}
usage-line = { $kind ->
    [chat] 💬 Chat
    [voice] 🎙 Voice
    [video] 🎬 Video
    [summary] 🗜 Summaries
    [speech] 🔊 Spoken answers
   *[image] 🖼 Images
}: { usage-requests }, { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
usage-line-total = Total: { usage-requests }, { $approx ->
    [yes] ≈
   *[no] {""}
}{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
usage-nothing = No requests.
usage-timezone-note = Days and months are counted in { $timezone } time.
usage-approx-note = ≈ marks an estimate: from the model's list price when Polza.ai did not report the exact cost, or { NUMBER($unknown, minimumFractionDigits: 2) } ₽ per call for a model without a listed price.
usage-button-show-cost = 💰 Show the cost under each answer
usage-button-hide-cost = Hide the cost under answers
usage-cost-shown = The cost will be shown under each answer.
usage-cost-hidden = The cost will no longer be shown under answers.

cost-line = _{ $approx ->
    [yes] Cost: ≈{ NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
   *[no] Cost: { NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽
}_

limit-daily = You have reached your daily spending limit of { NUMBER($budget, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽. It resets at { $resets } ({ $timezone }), in { $hours } h { $minutes } min.
limit-global = The bot has reached its shared daily spending limit. It resets at { $resets } ({ $timezone }), in { $hours } h { $minutes } min.
limit-request-cost = This request could cost up to { NUMBER($cost, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽, more than the { NUMBER($limit, minimumFractionDigits: 2, maximumFractionDigits: 4) } ₽ allowed for one request. Try a shorter message, a cheaper model (/model) or a new conversation (/new).
limit-rate = Too many requests: the limit is { $limit } a minute. Please try again in { $seconds ->
    [one] { $seconds } second
   *[other] { $seconds } seconds
}.
queue-full = ⏳ I'm still busy with your earlier messages, so I didn't take this one (nothing was sent to the model). Please send it again once I've answered.
