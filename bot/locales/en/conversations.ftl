# Saved conversations (/new, /chats), modes (/mode), the /settings menu. Telegram HTML.

conversation-new = ✨ New conversation started. The previous one is saved: /chats lists your conversations and takes you back to any of them.
conversation-already-new = This is already a new conversation: just write. /chats lists your saved ones.

command-chats = Your saved conversations
command-mode = Assistant mode: translator, editor, …
command-settings = All settings in one menu

chats-empty = You have no saved conversations here yet. Write me something to start one.
chats-title = 💬 <b>Your conversations here</b> (page { $page } of { $pages }), newest first:
chats-line = { $number }. { $current ->
    [yes] ▶️ <b>{ $title }</b>
   *[no] { $title }
} — { $date }, { $turns ->
    [one] { $turns } message
   *[other] { $turns } messages
}{ $current ->
    [yes] { " " }(current)
   *[no] {""}
}
chats-hint = Tap a conversation to continue, export or delete it.
chats-untitled = Untitled
chats-card =
    💬 <b>{ $title }</b>
    Started { $started }, last message { $date }, { $turns ->
        [one] { $turns } message
       *[other] { $turns } messages
    }.{ $current ->
        [yes] { " " }This is your current conversation.
       *[no] {""}
    }
chats-button-switch = ↩️ Continue this conversation
chats-button-export = 📄 Export
chats-button-delete = 🗑 Delete
chats-button-list = ⬅️ All conversations
chats-button-new = ✨ New conversation
chats-button-delete-yes = 🗑 Yes, delete
chats-button-delete-no = Cancel
chats-delete-confirm = Delete the conversation «{ $title }» for good? This cannot be undone.
chats-deleted = Deleted: { $title }
chats-switched = ↩️ Back in «{ $title }». Your next message continues this conversation.
chats-switched-short = Switched.
chats-started-new = New conversation started; the previous one is saved.
chats-gone = This conversation no longer exists.
chats-expired = This button no longer works. Send /chats again.
chats-export-caption = 📄 Conversation «{ $title }»
chats-export-header = Exported from the Telegram bot. Started { $started }, last message { $date }, { $turns ->
    [one] { $turns } message
   *[other] { $turns } messages
}.
chats-export-user = 🧑 You
chats-export-assistant = 🤖 Assistant ({ $model })

menu-not-yours = This menu belongs to someone else. Send the command yourself to get your own.

mode-name = { $mode ->
    [translator] 🌐 Translator
    [editor] ✏️ Editor
    [programmer] 💻 Programmer
    [tutor] 🎓 Tutor
    [summarizer] 📝 Summariser
    [brainstorm] 💡 Brainstorm
    [concise] ⚡ Concise answers
    [custom] ✍️ My prompt
   *[assistant] 🤖 Assistant
}
mode-describe = { $mode ->
    [translator] I'll translate what you send: into English, or from English into Russian.
    [editor] I'll proofread and improve your texts and explain the main changes.
    [programmer] I'll write, explain and fix code.
    [tutor] I'll explain things step by step and check that you understood.
    [summarizer] I'll summarise what you send: the key points first.
    [brainstorm] I'll come up with many varied ideas.
    [concise] I'll answer as briefly as possible.
   *[assistant] I'll help with anything: questions, texts, ideas.
}
mode-prompt = { $mode ->
    [translator] Act as a professional translator. Translate each message the user sends: into English, or into Russian if it is already in English, unless the user names another language. Keep the meaning, tone and formatting; output only the translation, adding a short note only when something is ambiguous.
    [editor] Act as a careful editor. Correct spelling, grammar and punctuation in the user's text and improve its clarity and style without changing its meaning. Give the edited text first, then a short list of the most important changes.
    [programmer] Act as an experienced software engineer. Give correct, idiomatic, working code in code blocks with the language named, explain briefly why, point out bugs and edge cases, and ask about the language or environment when it matters.
    [tutor] Act as a patient tutor. Explain step by step with simple examples, check the user's understanding with a short question at the end, and guide them to the answer rather than just giving it when they are solving an exercise.
    [summarizer] Act as a summariser. Summarise the text the user sends: a one-sentence gist, then the key points as a short bulleted list, then any decisions, numbers or deadlines. Do not add facts that are not in the text.
    [brainstorm] Act as a creative brainstorming partner. Offer many varied, concrete ideas, including unusual ones, grouped when useful; build on the user's ideas and end with a question that moves the thinking forward.
    [concise] Answer as briefly as possible: the answer itself in one to three sentences or a short list, with no introductions, repetitions or closing remarks.
   *[assistant] {""}
}
mode-choose = 🎭 <b>Mode</b>: { $mode }.
    A mode adds its instructions to the default ones; your own /prompt applies in every mode. Choose:
mode-set = 🎭 Mode: <b>{ $mode }</b>.
mode-custom-set = Only your own instructions (/prompt) are added to the default ones.
mode-custom-empty = You have no instructions of your own yet: set them with <code>/prompt your text</code>.
mode-expired = This button no longer works. Send /mode again.

settings-title = ⚙️ <b>Settings</b>
settings-line = { $label }: <b>{ $value }</b>
settings-hint = Tap a setting to change it.
settings-row-chat-model = 🤖 Chat model
settings-row-image-model = 🎨 Image model
settings-row-mode = 🎭 Mode
settings-row-reasoning = 🧠 Reasoning
settings-row-language = 🌐 Language
settings-row-web-search = 🔎 Web search for every message
settings-row-cost-line = 💰 Cost under answers
settings-on = on
settings-off = off
settings-back = ⬅️ Back
settings-open-button = ⚙️ Settings
settings-cost-line-about = 💰 <b>Cost under answers</b>: a short line with the price of each answer.
settings-expired = This button no longer works. Send /settings again.

reasoning-no-off = <code>{ $model }</code> cannot switch reasoning off.
reasoning-off-unsupported = { $model } cannot switch reasoning off. Choose the lowest level instead, or another model.
reasoning-level-unsupported = { $model } doesn't offer this level.
