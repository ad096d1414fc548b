"""Versioned, forward-only schema migrations, applied at start-up.

Each step runs inside the caller's transaction, with foreign keys off (so a table can be
rebuilt the way SQLite documents), and records its version, so a rerun applies nothing twice.
Add new steps at the end; never edit a released one.

`MIGRATIONS` is SQLite's list; every step has a PostgreSQL twin with the same version in
storage/migrations_pg.py (tests/unit/test_storage_contract.py fails on a missing one and
compares both schemas' tables and columns).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Dialect, Transaction

Step = tuple[int, str, tuple[str, ...]]

MIGRATIONS: list[Step] = [
    (
        1,
        "initial",
        (
            """
            CREATE TABLE users (
                id INTEGER PRIMARY KEY,
                language TEXT,
                chat_model TEXT,
                image_model TEXT,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL
            )
            """,
            """
            CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                chat_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                thread_id INTEGER NOT NULL DEFAULT 0,
                role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
                content TEXT NOT NULL,
                model TEXT,
                created_at REAL NOT NULL
            )
            """,
            "CREATE INDEX messages_conversation ON messages (chat_id, user_id, thread_id, id)",
            """
            CREATE TABLE usage (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id INTEGER NOT NULL,
                chat_id INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('chat', 'voice', 'image')),
                model TEXT NOT NULL,
                prompt_tokens INTEGER,
                completion_tokens INTEGER,
                cost_rub REAL,
                estimated INTEGER NOT NULL DEFAULT 0,
                message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
                created_at REAL NOT NULL
            )
            """,
            "CREATE INDEX usage_user_time ON usage (user_id, created_at)",
        ),
    ),
    (
        2,
        "model_notices",
        (
            # The chosen model the user was last told had left Polza's catalogue.
            "ALTER TABLE users ADD COLUMN missing_model_notified TEXT",
        ),
    ),
    (
        3,
        "access_and_cost_line",
        (
            # Admins' runtime decisions; one row per user, so allowed and denied exclude each
            # other. How rows combine with ALLOWED_USER_IDS is bot.services.access's business.
            """
            CREATE TABLE access (
                user_id INTEGER PRIMARY KEY,
                status TEXT NOT NULL CHECK (status IN ('allowed', 'denied')),
                changed_by INTEGER,
                changed_at REAL NOT NULL
            )
            """,
            "ALTER TABLE users ADD COLUMN show_cost INTEGER NOT NULL DEFAULT 0",
            # Admin statistics scan the ledger by time for all users.
            "CREATE INDEX usage_time ON usage (created_at)",
        ),
    ),
    (
        4,
        "personal_prompt_and_reasoning",
        (
            "ALTER TABLE users ADD COLUMN personal_prompt TEXT",
            "ALTER TABLE users ADD COLUMN reasoning_effort TEXT",
        ),
    ),
    (
        5,
        "message_images_and_history_notice",
        (
            # Images of user turns; kept only for a conversation's newest few image turns.
            """
            CREATE TABLE message_images (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                mime_type TEXT NOT NULL,
                data BLOB NOT NULL
            )
            """,
            "CREATE INDEX message_images_message ON message_images (message_id, position)",
            # When the user was told that the model no longer sees the conversation's start.
            """
            CREATE TABLE history_notices (
                chat_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                thread_id INTEGER NOT NULL,
                trimmed_at REAL NOT NULL,
                PRIMARY KEY (chat_id, user_id, thread_id)
            )
            """,
        ),
    ),
    (
        6,
        "inbox",
        (
            # Updates from Telegram between their arrival and the end of their handling.
            """
            CREATE TABLE inbox (
                update_id INTEGER PRIMARY KEY,
                payload TEXT NOT NULL,
                received_at REAL NOT NULL,
                handled INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX inbox_pending ON inbox (handled, update_id)",
        ),
    ),
    (
        7,
        "open_kinds_and_roles",
        (
            # Usage kinds and message roles are open sets: a new kind of Polza call (speech,
            # search, video) or a new kind of turn needs no table rebuild after this one.
            # SQLite's table rebuild (migrations run with foreign keys off, checked after).
            """
            CREATE TABLE messages_v7 (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                chat_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                thread_id INTEGER NOT NULL DEFAULT 0,
                role TEXT NOT NULL,
                content TEXT NOT NULL,
                model TEXT,
                created_at REAL NOT NULL
            )
            """,
            "INSERT INTO messages_v7 SELECT * FROM messages",
            "DROP TABLE messages",
            "ALTER TABLE messages_v7 RENAME TO messages",
            "CREATE INDEX messages_conversation ON messages (chat_id, user_id, thread_id, id)",
            """
            CREATE TABLE usage_v7 (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id INTEGER NOT NULL,
                chat_id INTEGER NOT NULL,
                kind TEXT NOT NULL,
                model TEXT NOT NULL,
                prompt_tokens INTEGER,
                completion_tokens INTEGER,
                cost_rub REAL,
                estimated INTEGER NOT NULL DEFAULT 0,
                message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
                created_at REAL NOT NULL
            )
            """,
            "INSERT INTO usage_v7 SELECT * FROM usage",
            "DROP TABLE usage",
            "ALTER TABLE usage_v7 RENAME TO usage",
            "CREATE INDEX usage_user_time ON usage (user_id, created_at)",
            "CREATE INDEX usage_time ON usage (created_at)",
        ),
    ),
    (
        8,
        "inbox_attempts",
        (
            # How many times handling of the update has started (a crash mid-way counts).
            "ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    (
        9,
        "user_names",
        (
            # As Telegram last showed them, so admins see people rather than numbers.
            "ALTER TABLE users ADD COLUMN username TEXT",
            "ALTER TABLE users ADD COLUMN first_name TEXT",
            "ALTER TABLE users ADD COLUMN last_name TEXT",
            "CREATE INDEX users_username ON users (username COLLATE NOCASE)",
        ),
    ),
    (
        10,
        "stored_admins",
        (
            # Admins made at runtime: the owner paired with the start-up code.
            """
            CREATE TABLE admins (
                user_id INTEGER PRIMARY KEY,
                added_at REAL NOT NULL
            )
            """,
        ),
    ),
    (
        11,
        "message_update_ids",
        (
            # The Telegram update a stored exchange answered: a replayed update whose answer
            # is already stored is answered from here instead of asking (and paying) again.
            "ALTER TABLE messages ADD COLUMN update_id INTEGER",
            "CREATE INDEX messages_update ON messages (update_id) WHERE update_id IS NOT NULL",
        ),
    ),
    (
        12,
        "answer_actions_and_summaries",
        (
            # User turn: the user's Telegram message (an edit of it re-answers it). Answer:
            # the Telegram message carrying its buttons (a press on any other is stale).
            "ALTER TABLE messages ADD COLUMN telegram_message_id INTEGER",
            # Why the answer ended ('length': cut by the output limit, it can be continued).
            "ALTER TABLE messages ADD COLUMN finish_reason TEXT",
            # A short summary of a conversation's turns up to and including `message_id`,
            # sent in place of those turns once they no longer fit (HISTORY_SUMMARY=on).
            """
            CREATE TABLE history_summaries (
                message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
                content TEXT NOT NULL,
                model TEXT NOT NULL,
                created_at REAL NOT NULL
            )
            """,
        ),
    ),
    (
        13,
        "saved_conversations_and_modes",
        (
            # Several conversations per chat, user and topic; one of them is the active one.
            """
            CREATE TABLE conversations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                chat_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                thread_id INTEGER NOT NULL DEFAULT 0,
                title TEXT,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL
            )
            """,
            "CREATE INDEX conversations_owner"
            " ON conversations (chat_id, user_id, thread_id, updated_at)",
            """
            CREATE TABLE active_conversations (
                chat_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                thread_id INTEGER NOT NULL,
                conversation_id INTEGER NOT NULL,
                PRIMARY KEY (chat_id, user_id, thread_id)
            )
            """,
            "ALTER TABLE messages ADD COLUMN conversation_id INTEGER",
            # Existing history becomes one conversation per chat, user and topic, still active.
            "INSERT INTO conversations (chat_id, user_id, thread_id, created_at, updated_at)"
            " SELECT chat_id, user_id, thread_id, MIN(created_at), MAX(created_at)"
            " FROM messages GROUP BY chat_id, user_id, thread_id",
            "UPDATE messages SET conversation_id = (SELECT c.id FROM conversations c"
            " WHERE c.chat_id = messages.chat_id AND c.user_id = messages.user_id"
            " AND c.thread_id = messages.thread_id)",
            "UPDATE conversations SET title = (SELECT SUBSTR(m.content, 1, 200) FROM messages m"
            " WHERE m.conversation_id = conversations.id AND m.role = 'user'"
            " ORDER BY m.id LIMIT 1)",
            "INSERT INTO active_conversations (chat_id, user_id, thread_id, conversation_id)"
            " SELECT chat_id, user_id, thread_id, id FROM conversations",
            "CREATE INDEX messages_conversation_id ON messages (conversation_id, id)",
            # The /mode preset the user chose (NULL: the default assistant).
            "ALTER TABLE users ADD COLUMN chat_mode TEXT",
        ),
    ),
    (
        15,
        "voice_preferences",
        (
            # The language voice notes are transcribed in (NULL: detected by the model) and
            # when answers are also spoken: off (NULL), on, or auto (answers to voice only).
            "ALTER TABLE users ADD COLUMN transcription_language TEXT",
            "ALTER TABLE users ADD COLUMN voice_replies TEXT",
        ),
    ),
    (
        16,
        "web_search",
        (
            # /search on: every message of the user is answered with web search.
            "ALTER TABLE users ADD COLUMN web_search INTEGER NOT NULL DEFAULT 0",
            # Polza's `usage.server_tool_use.web_search_requests`, when it sends it.
            "ALTER TABLE usage ADD COLUMN web_search_requests INTEGER",
        ),
    ),
    (
        17,
        "generated_pictures",
        (
            # The pictures /image made, original bytes included: the buttons under a picture
            # (again, change, higher resolution, original file) start from here. Only each
            # user's newest few are kept (storage/pictures.py prunes on every insert).
            """
            CREATE TABLE generated_pictures (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id INTEGER NOT NULL,
                chat_id INTEGER NOT NULL,
                message_id INTEGER,
                model TEXT NOT NULL,
                prompt TEXT NOT NULL,
                aspect_ratio TEXT,
                resolution TEXT,
                seed INTEGER,
                variants INTEGER NOT NULL DEFAULT 1,
                sources TEXT NOT NULL DEFAULT '',
                mime_type TEXT NOT NULL,
                data BLOB NOT NULL,
                created_at REAL NOT NULL
            )
            """,
            "CREATE INDEX generated_pictures_user ON generated_pictures (user_id, id)",
            "CREATE INDEX generated_pictures_message ON generated_pictures (chat_id, message_id)",
        ),
    ),
    (
        18,
        "user_video_model",
        # The video model a user picked in /model (NULL: DEFAULT_VIDEO_MODEL).
        ("ALTER TABLE users ADD COLUMN video_model TEXT",),
    ),
    (
        24,
        "video_jobs",
        (
            # A clip created on Polza and not delivered yet: a restart resumes it.
            """
            CREATE TABLE video_jobs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id INTEGER NOT NULL,
                chat_id INTEGER NOT NULL,
                thread_id INTEGER,
                reply_to INTEGER,
                task_id TEXT NOT NULL,
                model TEXT NOT NULL,
                prompt TEXT NOT NULL,
                duration INTEGER NOT NULL,
                language TEXT NOT NULL,
                created_at REAL NOT NULL,
                recorded INTEGER NOT NULL DEFAULT 0
            )
            """,
        ),
    ),
    (
        30,
        "inbox_leases",
        (
            # Replicas share the inbox: an update is claimed for a while (a lease) by one of
            # them, and one conversation's updates are claimed one at a time, in order.
            "ALTER TABLE inbox ADD COLUMN conversation TEXT",
            "ALTER TABLE inbox ADD COLUMN lease_owner TEXT",
            "ALTER TABLE inbox ADD COLUMN lease_until REAL",
            "CREATE INDEX inbox_conversation ON inbox (conversation, update_id) WHERE handled = 0",
            # Named leases with an expiry; the long-polling replica holds 'poller'.
            """
            CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                until REAL NOT NULL
            )
            """,
        ),
    ),
]


def steps_for(dialect: Dialect) -> list[Step]:
    if dialect == "postgresql":
        from storage import migrations_pg

        return migrations_pg.POSTGRES_MIGRATIONS
    return MIGRATIONS


async def apply_migrations(tx: Transaction, dialect: Dialect = "sqlite") -> list[str]:
    """Apply every step whose version is not recorded yet; return the names applied.

    Not just the ones above the highest recorded version: numbers are handed out to work in
    progress, so a step with a lower number can land after a higher one was applied.
    """
    await tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
    )
    recorded = {int(row[0]) for row in await tx.fetch_all("SELECT version FROM schema_version")}
    applied: list[str] = []
    for version, name, statements in steps_for(dialect):
        if version in recorded:
            continue
        for statement in statements:
            await tx.execute(statement)
        await tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            (version, name, time.time()),
        )
        applied.append(f"{version}:{name}")
    return applied
