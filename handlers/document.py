"""Files (alone or as an album): text files are read to the model, other kinds declined.

Audio files are taken earlier by the voice router, pictures by the photo router; the
handling itself is the photo router's (an album may mix pictures and text files).
"""

from __future__ import annotations

from aiogram import F, Router

from handlers.photo import on_media


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_media, F.document)
    return router
