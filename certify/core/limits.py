"""Limits a user may raise: one reader for every ``CERTIFY_MAX_*`` environment variable."""

from __future__ import annotations

import os

from certify.core.errors import InputError


def env_limit(name: str, default: int) -> int:
    """The positive integer in the environment variable ``name``, or ``default`` when it is unset or
    empty; anything else is a one-line InputError naming the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise InputError(f"{name} must be a positive integer, got {text[:30]!r}")
    return int(text)
