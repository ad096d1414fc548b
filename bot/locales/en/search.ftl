command-search = Answer with web search
search-state = { $state ->
    [on] 🔎 <b>Web search</b> is on: I search the web for every message you send and list my sources under the answer.
   *[off] 🔎 <b>Web search</b> is off. <code>/search your question</code> searches for one question; turn it on to search for every message.
}
search-button = { $state ->
    [on] On
   *[off] Off
}
search-set = { $state ->
    [on] 🔎 Web search is on: I'll search the web for every message and list my sources. <code>/search off</code> turns it off.
   *[off] 🔎 Web search is off. <code>/search your question</code> still searches for one question.
}
search-expired = This button is out of date. Send /search again.
search-sources = 🔎 Sources:
