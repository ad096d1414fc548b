prompt-current-personal = Your own instructions, added to the default ones (change them with <code>/prompt your text</code>, remove them with <code>/prompt reset</code>):
prompt-current-default = You use the default instructions. Add your own with <code>/prompt your text</code>:
prompt-set = Done: your instructions are added to the default ones (language and formatting rules stay) in all your conversations and in every /mode. <code>/prompt reset</code> removes them.
prompt-reset = Done: your own instructions are removed; the default ones stay.
prompt-too-long = These instructions are too long: { $length } { $length ->
    [one] character
   *[other] characters
}, the limit is { $limit }.
command-cancel = Stop the answer or a pending /image
