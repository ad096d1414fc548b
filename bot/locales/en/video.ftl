# /video: short clips, priced and confirmed first. Texts are Telegram HTML: escape < > & in literal text.

command-video = Make a short video (price shown first)
video-help =
    🎬 <b>Video</b> with <code>{ $model }</code>: describe the clip after the command, for example
    <code>/video 9:16 5s a cat surfing at sunset</code>
    Ratios: { $ratios }. Lengths: { $durations } (default { $duration }s).
    To animate a photo, send it with the caption <code>/video</code> (and, if you like, what should happen), or reply <code>/video</code> to it.
    You will see the price and confirm before anything is paid for.
video-bad-ratio = <code>{ $model }</code> can't make a video in { $value }. Choose one of: { $allowed }
video-bad-duration = <code>{ $model }</code> can't make a { $value } video. Choose one of: { $allowed }
video-prompt-too-long = The description is too long: { $length } { $length ->
    [one] character
   *[other] characters
}, while <code>{ $model }</code> accepts at most { $limit }. Please shorten it.
video-model-gone = The video model <code>{ $old }</code> is no longer available on Polza.ai, so I'm using <code>{ $model }</code>.
video-busy = Your previous picture or video is still being made. Please wait for it before asking for another one.
video-photo-too-big = This picture is too big to animate (more than { $limit } MB).
video-photo-unreadable = I couldn't read this picture. Please send it again as a photo.
video-offer = 🎬 <b>{ $name }</b> (<code>{ $model }</code>): { $seconds } s, ratio { $ratio }{ $frame ->
    [yes] , starting from your picture
   *[no] {""}
}
video-offer-prompt = Description: <i>{ $prompt }</i>
video-offer-price = Estimated price: <b>{ NUMBER($price, minimumFractionDigits: 2) } ₽</b> ({ NUMBER($per_second, minimumFractionDigits: 2) } ₽ per second)
video-offer-price-unknown = Polza.ai lists no price for this model: the real cost is known only after the video is made.
video-offer-expires = Confirm within { $minutes } min.
video-confirm = ✅ Confirm
video-cancel = ✖️ Cancel
video-cancelled = Cancelled: no video this time, nothing was paid.
video-offer-expired = This offer has expired. Send /video again for a fresh price.
video-not-yours = Only the person who asked for this video can confirm or cancel it.
video-started-short = Filming…
video-started = 🎬 Confirmed. Filming a { $seconds } s video: this usually takes a few minutes.
video-filming = 🎬 Filming…
video-sending = 📤 Sending…
video-too-big = The video is ready but bigger than { $limit } MB, too big to upload to Telegram. Download it here (Polza.ai keeps it for 7 days): { $url }
video-moderation = The content filter refused this request. Try describing the video differently.
video-failed = The model could not make this video. Please try again or change the description.
video-polza-reason = Polza.ai says: <i>{ $reason }</i>
video-timeout = The video took too long, so I stopped waiting. It may still have been charged: see /usage.
video-download-failed = The video was made, but I couldn't download it from Polza.ai.
video-no-result = The model finished without a video. Please try again or change the description.
video-interrupted = The bot is restarting, so this video was not finished. It may have been charged (see /usage); please send /video again in a minute.

model-current-video = 🎬 Video: <b>{ $name }</b> (<code>{ $id }</code>)
model-providers-video = Choose a provider ({ $count ->
    [one] { $count } video model
   *[other] { $count } video models
} in all) or search by name: <code>/model kling</code>
model-chosen-video =
    ✅ Video model set: <b>{ $name }</b>
    <code>{ $id }</code>
model-price-video = Price: { NUMBER($price, minimumFractionDigits: 2) } ₽ per second of video
model-tab-video = 🎬 Video
model-hint-video = { $price } ₽/s
video-resuming = The bot is restarting. Your video is still being made: it will be sent here when the bot is back.
