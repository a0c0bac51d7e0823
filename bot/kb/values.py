"""The small readers the content files share (bot/kb/content.py, bot/kb/streets.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

HTTP_URL = re.compile(r"^https?://\S+$")


def as_date(value: Any) -> dt.date | None:
    """A date written in YAML (read as a date) or as ``YYYY-MM-DD``; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def clean_text(value: Any) -> str | None:
    """A non-empty text with its whitespace collapsed (YAML's folded lines); None otherwise."""
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None
