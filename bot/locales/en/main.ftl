# Everything the bot says about itself, in English. Texts are Telegram HTML:
# escape < > & in literal text.

welcome =
    Hi, <b>{ $name }</b>! I'm an AI assistant powered by Polza.ai.

    <b>What I can do:</b>
    • answer any message you send me, remembering our conversation
    • format code, lists and tables so they read well in Telegram
    • split long answers over several messages so nothing is cut

    Current model: <code>{ $model }</code>

    { help-commands }

help-commands =
    <b>Commands:</b>
    /new — start a new conversation (the old one is saved)
    /chats — your saved conversations: go back, export, delete
    /settings — all settings in one menu
    /mode — mode: translator, editor, programmer…
    /model — choose the chat, image and video models
    /image — draw a picture: <code>/image 16:9 a lighthouse at dusk</code>
    /video — a short video, price shown first: <code>/video 9:16 5s a cat surfing</code>; in any chat, type <code>@bot_name question</code> for a quick answer
    /prompt — your own instructions for the model
    /reasoning — how hard reasoning models think
    /search — answer with web search: <code>/search today's weather in Oslo</code>
    /voice — spoken answers: on, auto or off
    /voicelang — the language of your voice messages
    /usage — what your requests cost
    /cancel — stop an answer or a pending /image
    /language — change the interface language
    /help — this help

    Send a voice note, a photo, a PDF, a Word or OpenDocument file, or a text file and I'll use it too.

help =
    Just write to me and I'll answer with <code>{ $model }</code>.
    I remember the conversation; /new starts a new one and /chats takes you back to earlier ones.

    { help-commands }

empty-message = Your message is empty. Write something and I'll answer.
unknown-command = I don't know that command. Send /help to see what I can do.
unsupported-message = I can't use this kind of message. Send me text, a voice note, a photo or a text file.
generic-apology = Sorry, something went wrong on my side. Please try again.
answer-cut-note = _(The answer was cut off: the connection to the model broke.)_
answer-not-saved-note = _(This answer could not be saved: the bot will not remember it in this conversation.)_
replay-apology = Sorry, I could not answer this message: restarts of the bot interrupted it. Please send it again if you still need an answer.

language-choose = Choose the interface language:
language-set = Done: I'll speak English with you now.
language-unknown = I don't know that language.

error-balance = Sorry, the bot is temporarily unavailable: its Polza.ai balance has run out. Please try again later.
error-auth = Sorry, the bot is temporarily unavailable. Please try again later.
error-model-not-found = The model <code>{ $model }</code> is not available on Polza.ai. Choose another model.
error-rate-limited = Polza.ai is receiving too many requests right now. Please try again in a minute.
error-unavailable = The model's provider is unavailable right now (error { $status }). Please try again shortly.
error-timeout = The model took too long to answer. Please try again.
error-connection = I couldn't reach Polza.ai. Please try again shortly.
error-empty = The model returned an empty answer. Try rephrasing your message.
error-length-empty = The model spent its whole output budget before writing an answer. Try a simpler question or another model.
error-interrupted = The model's answer broke off before any text arrived. Please try again.
error-bad-request = Polza.ai could not process this request. Try rephrasing it or start over with /new.

command-new = Start a new conversation
command-help = What I can do
command-language = Interface language

group-hello = Hi! Mention me (@{ $bot }) or reply to my message and I'll answer. Each of you has a private conversation with me here; /new starts yours over.
group-not-allowed = Sorry, this bot is not available in this group. Ask the bot's owner to allow it.

stop-button = ⏹ Stop
stop-done = Stopped.
stop-nothing = There is no answer to stop right now.
stop-not-yours = Only the person who asked can stop this answer.
answer-stopped-note = _(Stopped.)_
button-expired = This button no longer works.
