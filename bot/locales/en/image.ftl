# /image: drawing pictures. Texts are Telegram HTML: escape < > & in literal text.

image-ask-prompt =
    What should I draw? Describe the picture in your next message (in a group, reply to this one).
    Model: <code>{ $model }</code>. Changed your mind? Send /cancel.
image-ratio-hint = You can start the description with an aspect ratio: { $ratios }
image-cancel-button = Cancel
image-cancelled = Cancelled: no picture this time.
image-nothing-to-cancel = There is nothing to cancel.
image-busy = Your previous picture is still being drawn. Please wait for it before asking for another one.
image-bad-ratio = <code>{ $model }</code> can't draw in { $ratio }. Choose one of: { $ratios }
image-no-ratios = <code>{ $model }</code> has no aspect ratio to choose. Send the description without one.
image-prompt-too-long = The description is too long: { $length } { $length ->
    [one] character
   *[other] characters
}, while <code>{ $model }</code> accepts at most { $limit }. Please shorten it.
image-model-gone = The image model <code>{ $old }</code> is no longer available on Polza.ai, so I'm using <code>{ $model }</code>.
image-moderation = The content filter refused this request. Try describing the picture differently.
image-failed = The model could not draw this picture. Please try again or change the description.
image-polza-reason = Polza.ai says: <i>{ $reason }</i>
image-timeout = The picture took too long to draw, so I stopped waiting. Please try again later.
image-download-failed = The picture was drawn, but I couldn't download it from Polza.ai. Please try again.
image-no-result = The model finished without a picture. Please try again or change the description.
image-interrupted = The bot is restarting, so this picture was not finished. Please send /image again in a minute.

command-image = Draw a picture
