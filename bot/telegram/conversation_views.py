"""/chats screens (list, one conversation, delete confirmation) and the Markdown export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.i18n import tr
from storage import ConversationSummary, StoredTurn

PAGE_SIZE = 8
BUTTON_TITLE_CHARS = 40


class ConvNav(CallbackData, prefix="conv"):
    action: str  # page, open, switch, export, delete, confirm, new
    id: int = 0
    page: int = 0


@dataclass(frozen=True, slots=True)
class View:
    text: str
    markup: InlineKeyboardMarkup | None


def short_title(i18n: I18nContext, title: str | None, limit: int = BUTTON_TITLE_CHARS) -> str:
    text = " ".join((title or "").split())
    if not text:
        return tr(i18n, "chats-untitled")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def when(timestamp: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M")


def _button(text: str, data: ConvNav) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def list_view(
    i18n: I18nContext,
    items: Sequence[ConversationSummary],
    total: int,
    page: int,
    zone: ZoneInfo,
) -> View:
    if total == 0:
        return View(tr(i18n, "chats-empty"), None)
    pages = max(1, -(-total // PAGE_SIZE))
    lines = [tr(i18n, "chats-title", page=page + 1, pages=pages)]
    rows: list[list[InlineKeyboardButton]] = []
    for number, item in enumerate(items, start=page * PAGE_SIZE + 1):
        title = short_title(i18n, item.title)
        lines.append(
            tr(
                i18n,
                "chats-line",
                number=number,
                title=title,
                date=when(item.updated_at, zone),
                turns=item.turns,
                current="yes" if item.active else "no",
            )
        )
        mark = "▶️ " if item.active else ""
        label = f"{mark}{number}. {short_title(i18n, item.title)}"
        rows.append([_button(label, ConvNav(action="open", id=item.id, page=page))])
    pager: list[InlineKeyboardButton] = []
    if page > 0:
        pager.append(_button("◀️", ConvNav(action="page", page=page - 1)))
    if page + 1 < pages:
        pager.append(_button("▶️", ConvNav(action="page", page=page + 1)))
    if pager:
        rows.append(pager)
    rows.append([_button(tr(i18n, "chats-button-new"), ConvNav(action="new", page=page))])
    lines.append(tr(i18n, "chats-hint"))
    return View("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def card_view(i18n: I18nContext, item: ConversationSummary, page: int, zone: ZoneInfo) -> View:
    text = tr(
        i18n,
        "chats-card",
        title=short_title(i18n, item.title, limit=200),
        started=when(item.created_at, zone),
        date=when(item.updated_at, zone),
        turns=item.turns,
        current="yes" if item.active else "no",
    )
    rows: list[list[InlineKeyboardButton]] = []
    if not item.active:
        rows.append(
            [
                _button(
                    tr(i18n, "chats-button-switch"),
                    ConvNav(action="switch", id=item.id, page=page),
                )
            ]
        )
    rows.append(
        [
            _button(
                tr(i18n, "chats-button-export"), ConvNav(action="export", id=item.id, page=page)
            ),
            _button(
                tr(i18n, "chats-button-delete"), ConvNav(action="delete", id=item.id, page=page)
            ),
        ]
    )
    rows.append([_button(tr(i18n, "chats-button-list"), ConvNav(action="page", page=page))])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def confirm_view(i18n: I18nContext, item: ConversationSummary, page: int) -> View:
    text = tr(i18n, "chats-delete-confirm", title=short_title(i18n, item.title, 200))
    rows = [
        [
            _button(
                tr(i18n, "chats-button-delete-yes"),
                ConvNav(action="confirm", id=item.id, page=page),
            ),
            _button(
                tr(i18n, "chats-button-delete-no"), ConvNav(action="open", id=item.id, page=page)
            ),
        ]
    ]
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def switched_view(i18n: I18nContext, item: ConversationSummary, page: int) -> View:
    text = tr(i18n, "chats-switched", title=short_title(i18n, item.title, 200))
    rows = [[_button(tr(i18n, "chats-button-list"), ConvNav(action="page", page=page))]]
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def export_markdown(
    i18n: I18nContext, item: ConversationSummary, turns: Sequence[StoredTurn], zone: ZoneInfo
) -> str:
    """The whole conversation as a Markdown file: title, dates, each turn labelled."""
    # Plain text, not Telegram HTML: nothing is escaped here.
    title = " ".join((item.title or "").split()) or i18n.get("chats-untitled")
    header = i18n.get(
        "chats-export-header",
        started=when(item.created_at, zone),
        date=when(item.updated_at, zone),
        turns=item.turns,
    )
    blocks = [f"# {title}", header]
    for turn in turns:
        if turn.role == "user":
            label = i18n.get("chats-export-user")
        else:
            label = i18n.get("chats-export-assistant", model=turn.model or "?")
        blocks.append(f"---\n\n### {label} · {when(turn.created_at, zone)}\n\n{turn.content}")
    return "\n\n".join(blocks) + "\n"


def export_filename(item: ConversationSummary, zone: ZoneInfo) -> str:
    day = datetime.fromtimestamp(item.created_at, zone).strftime("%Y-%m-%d")
    return f"conversation-{day}-{item.id}.md"
