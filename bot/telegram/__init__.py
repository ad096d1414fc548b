"""Telegram-side delivery: formatting, splitting and streaming answers."""
