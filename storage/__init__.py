"""Storage (SQLite or PostgreSQL): connection, migrations and repositories. The only place
with SQL."""

from storage.access import AccessEntry, AccessRepository
from storage.conversations import ConversationRepository, ConversationSummary, StoredTurn
from storage.db import Database
from storage.messages import MessageRepository
from storage.models import (
    AccessStatus,
    ChatTurn,
    ConversationKey,
    ImageData,
    Person,
    UsageRecord,
    UserRecord,
)
from storage.usage import KindTotals, PeriodTotals, SpenderTotals, UsageRepository
from storage.users import UserRepository

__all__ = [
    "AccessEntry",
    "AccessRepository",
    "AccessStatus",
    "ChatTurn",
    "ConversationKey",
    "ConversationRepository",
    "ConversationSummary",
    "Database",
    "ImageData",
    "KindTotals",
    "MessageRepository",
    "PeriodTotals",
    "Person",
    "SpenderTotals",
    "StoredTurn",
    "UsageRecord",
    "UsageRepository",
    "UserRecord",
    "UserRepository",
]
