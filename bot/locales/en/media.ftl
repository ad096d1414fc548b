answer-thinking = 🧠 Thinking…

context-too-long = This message is too long for <code>{ $model }</code>: about { $tokens } tokens, and it can take about { $limit }. Shorten it, or choose a model with a larger context in /model.

media-unsupported = I can't read this kind of file. Send a photo or a picture, a document (PDF, DOCX, ODT, RTF), or a text file: plain text, Markdown, code, CSV, JSON and the like.
media-image-too-big = This picture is too big: bots can download files up to { $limit } MB from Telegram.
media-file-too-big = The file <code>{ $name }</code> is too big: I read text files up to { $limit } KB.
media-empty = The file <code>{ $name }</code> is empty.
media-not-text = The file <code>{ $name }</code> doesn't look like text, so I can't read it.
media-download-failed = I couldn't download the file from Telegram. Please send it again.
media-not-image = The file <code>{ $name }</code> isn't a picture I can open (or it is damaged).
media-image-huge = The picture <code>{ $name }</code> has too many pixels for me (over 50 megapixels).
media-images-over-cap = I left out <code>{ $name }</code>: the pictures in one message may add up to { $limit } MB.
media-text-over-cap = I left out <code>{ $name }</code>: the files in one message may hold { $limit } characters together.
media-skipped = I left out what I can't read: { $names }

vision-unsupported = The model <code>{ $model }</code> can't see images. Choose a model that can in /model.
vision-offer = 🖼 The model <code>{ $model }</code> can't see images. Switch to <code>{ $suggested }</code>? I'll answer this message right after.
vision-switch-button = Switch to { $name }
vision-switched = ✅ Your chat model is now <code>{ $model }</code>. Looking at your message…
vision-switched-resend = ✅ Your chat model is now <code>{ $model }</code>. Please send the picture again.
vision-not-yours = Only the person who sent the picture can switch their model here.
vision-expired = This button is out of date. Choose a model in /model.

command-reasoning = How hard the model thinks
reasoning-effort = { $effort ->
    [none] Off
    [minimal] Minimal
    [low] Low
    [medium] Medium
    [high] High
    [xhigh] Extra high
   *[auto] Model's default
}
reasoning-choose = 🧠 <b>Reasoning</b> for <code>{ $model }</code>: { $effort }.
    Higher effort gives better answers to hard questions, but slower and at a higher price. "Off" answers at once without thinking; "Model's default" leaves it to the model.
reasoning-not-supported = The model <code>{ $model }</code> doesn't support reasoning settings. Your choice ({ $effort }) applies when you use a reasoning model (see /model).
reasoning-set = 🧠 Reasoning for <code>{ $model }</code>: { $effort }.
reasoning-expired = This button is out of date. Send /reasoning again.
