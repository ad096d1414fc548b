# Inline mode (@bot question in any chat). Texts are Telegram HTML, except titles, descriptions and button texts (plain).

inline-help-title = Ask me anything
inline-help-description = Type a question after my name, then tap the answer to send it.
inline-help-text = Type <code>@bot_name your question</code> in any chat: I answer it right there.
inline-too-slow = ⏳ Taking long: tap to get the answer in the bot
inline-limit = Your limit is reached: open the bot for details
inline-error-title = ⚠️ No answer this time
inline-empty = The model returned an empty answer. Try asking differently.
inline-question-expired = That question is no longer waiting. Just send it here as a message.
