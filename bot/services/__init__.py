"""Services: Polza calls and conversation logic. They know nothing of Telegram formatting."""
