"""Benchmarks of the real bot process against the fake Telegram and fake Polza servers.

Run from the repository root: ``.venv/bin/python -m bench`` (``--quick`` for the tiny CI
version, ``--help`` for every knob). See ``BENCHMARKS.md`` for the last published results.
"""
