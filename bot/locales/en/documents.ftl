document-reading = 📄 Reading the document…
document-summary-request = Summarise this document briefly.
document-too-big = The file <code>{ $name }</code> is too big: bots can download files up to { $limit } MB from Telegram.
document-pages-cut = 📄 <code>{ $name }</code> has { $total } pages; only the first { $read } fit, so I read those.
document-text-cut = 📄 <code>{ $name }</code> is long: only its first { $percent }% fits, so I read that part.
document-failed = { $reason ->
    [encrypted] 🔒 The file <code>{ $name }</code> is protected with a password, so I can't read it. Save a copy without the password and send it again.
    [no_text] 📄 The PDF <code>{ $name }</code> has no text layer (it looks like a scan), so I can't read its text. Send its pages as photos to a model that sees images, or choose a model that reads PDF files itself in /model.
    [empty] The file <code>{ $name }</code> has no text in it.
    [too_large] The file <code>{ $name }</code> unpacks to too much data for me to read.
    [timeout] Reading <code>{ $name }</code> took too long, so I gave up. Try a shorter file or send the part you need.
   *[broken] The file <code>{ $name }</code> is damaged or isn't really a document of this kind, so I can't read it.
}
