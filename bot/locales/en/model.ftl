# /model: the model picker. Texts are Telegram HTML; button labels and callback notices
# (model-tab-*, model-button-*, model-hint-*, model-expired, model-not-yours,
# model-catalogue-unavailable-short) are plain text.

command-model = Choose the chat and image models

model-current-chat = 💬 Chat: <b>{ $name }</b> (<code>{ $id }</code>)
model-current-image = 🎨 Images: <b>{ $name }</b> (<code>{ $id }</code>)
model-current-gone = ⚠️ Your choice <code>{ $id }</code> is no longer offered by Polza.ai, so the default is used.

model-providers-chat = Choose a provider ({ $count ->
    [one] { $count } chat model
   *[other] { $count } chat models
} in all) or search by name: <code>/model gemini</code>
model-providers-image = Choose a provider ({ $count ->
    [one] { $count } image model
   *[other] { $count } image models
} in all) or search by name: <code>/model gemini</code>
model-none = Polza.ai offers no models of this kind right now.
model-provider-title = <b>{ $provider }</b>: { $count ->
    [one] { $count } model
   *[other] { $count } models
}
model-legend = ✅ current · ⭐ default · 👁 understands images · 🧠 reasoning

model-search-found = { $count ->
    [one] { $count } model matches
   *[other] { $count } models match
} <b>{ $query }</b>:
model-search-more = Only the first { $shown } are shown: make the search more specific.
model-search-none = No models match <b>{ $query }</b>. Try another name, or send /model to browse.

model-chosen-chat =
    ✅ Chat model set: <b>{ $name }</b>
    <code>{ $id }</code>
model-chosen-image =
    ✅ Image model set: <b>{ $name }</b>
    <code>{ $id }</code>
model-price-tokens = Price: { NUMBER($prompt, minimumFractionDigits: 2) } ₽ per 1M input tokens, { NUMBER($completion, minimumFractionDigits: 2) } ₽ per 1M output tokens
model-price-input = Price: { NUMBER($prompt, minimumFractionDigits: 2) } ₽ per 1M input tokens
model-price-output = Price: { NUMBER($completion, minimumFractionDigits: 2) } ₽ per 1M output tokens
model-price-request = Price: { NUMBER($price, minimumFractionDigits: 2) } ₽ per request
model-price-image = Price: { NUMBER($price, minimumFractionDigits: 2) } ₽ per image
model-price-unknown = Price: not listed by Polza.ai
model-context = Context: { $tokens ->
    [one] { $tokens } token
   *[other] { $tokens } tokens
}
model-context-unknown = Context: not listed by Polza.ai

model-catalogue-unavailable = ⚠️ I couldn't get the list of models from Polza.ai right now. Please send /model again in a minute.
model-catalogue-unavailable-short = Couldn't get the list of models from Polza.ai. Please try again in a minute.
model-expired = This menu is out of date. Send /model to open a fresh one.
model-not-yours = This menu belongs to someone else. Send /model to open your own.
model-missing = ⚠️ The model <code>{ $missing }</code> you chose is no longer offered by Polza.ai, so I'm using <code>{ $fallback }</code>. Choose another one with /model.

model-tab-chat = 💬 Chat
model-tab-image = 🎨 Images
model-button-back = ‹ Providers
model-button-browse = ‹ All models
model-hint-chat = ≈{ $price } ₽/1M
model-hint-image = { $price } ₽/img
