"""Operating the bot: metrics, health, the per-answer log line, admin alerts."""
