"""Fixtures shared by every layer of tests."""

# Real PostgreSQL and Redis servers (tests/support/server_fixtures.py).
pytest_plugins = ["tests.support.server_fixtures"]
