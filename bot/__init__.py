"""Telegram AI assistant for Polza.ai users."""
