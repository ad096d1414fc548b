"""SQLite storage: connection, migrations and repositories. The only place with SQL."""

from storage.db import Database
from storage.messages import MessageRepository
from storage.models import ChatTurn, ConversationKey, UsageRecord, UserRecord
from storage.usage import UsageRepository
from storage.users import UserRepository

__all__ = [
    "ChatTurn",
    "ConversationKey",
    "Database",
    "MessageRepository",
    "UsageRecord",
    "UsageRepository",
    "UserRecord",
    "UserRepository",
]
