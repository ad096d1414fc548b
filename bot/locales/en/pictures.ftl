# /image with reference pictures, the buttons under pictures, variants, progress.
# Texts are Telegram HTML: escape < > & in literal text.

image-drawing = 🎨 Drawing…
image-button-started = 🎨 Drawing…
image-ask-change =
    What should I do with this picture? Describe the change in your next message (in a group, reply to this one).
    Model: <code>{ $model }</code>. Changed your mind? Send /cancel.
image-ask-edit = What should I change in this picture? Reply with the change.
image-edit-placeholder = e.g. make the sky pink
image-reference-gone = That picture is no longer kept, so I can't use it. Send it as a photo with the caption /image and your instruction.
image-reference-download = I couldn't download the picture from Telegram. Please send it again.
image-reference-too-big = The picture is too big for me to download. Please send a smaller one.
image-reference-not-image = I couldn't read the picture. Please send it as a photo (JPEG, PNG or WebP).
image-no-references = <code>{ $model }</code> can't work from a picture: it only draws from a description.
image-too-many-references = <code>{ $model }</code> takes at most { $most } { $most ->
    [one] picture
   *[other] pictures
} at a time.
image-switch-offer = <code>{ $suggested }</code> can: switch to it and I'll do this request right away.
image-switch-button = Use { $name }
image-switched = Your image model is now <code>{ $model }</code>. Working on your request…
image-switched-resend = Your image model is now <code>{ $model }</code>. Please send your request again.
image-switch-expired = This offer has expired. Choose an image model with /model.
image-count-clamped = <code>{ $model }</code> draws at most { $most } { $most ->
    [one] picture
   *[other] pictures
} at a time, so you'll get { $most } instead of { $asked }.
image-variants = { $count } variants. 🔄 draws a new set; ✏️ changes a variant, 📎 sends its original file.
image-fewer = The model drew { $made } of the { $asked } pictures asked for.
image-not-yours = These buttons belong to the person who asked for the picture.
image-picture-gone = This picture is no longer kept. Send /image to draw a new one.
