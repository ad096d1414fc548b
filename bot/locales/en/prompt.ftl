prompt-current-personal = Your personal instructions for the model (change them with <code>/prompt your text</code>, go back to the default with <code>/prompt reset</code>):
prompt-current-default = You use the default instructions. Set your own with <code>/prompt your text</code>:
prompt-set = Done: I'll follow your instructions in all your conversations. <code>/prompt reset</code> goes back to the default.
prompt-reset = Done: back to the default instructions.
prompt-too-long = These instructions are too long: { $length } { $length ->
    [one] character
   *[other] characters
}, the limit is { $limit }.
command-cancel = Stop the answer or a pending /image
