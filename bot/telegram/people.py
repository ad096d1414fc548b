"""People as admins see them: name, @username and the numeric ID."""

from __future__ import annotations

import html

from bot.i18n import Html
from storage import Person


def person_html(person: Person | None, user_id: int) -> Html:
    """ "Ivan Petrov (@ivan) <code>123</code>", or just the ID for someone never seen."""
    id_html = f"<code>{user_id}</code>"
    if person is None:
        return Html(id_html)
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    parts = [html.escape(name)] if name else []
    if person.username:
        parts.append(f"(@{html.escape(person.username)})")
    parts.append(id_html)
    return Html(" ".join(parts))
