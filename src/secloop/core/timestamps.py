"""Timestamps in API answers (RFC 3339 / ISO 8601): one lenient reader for what forges and registries send."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object) -> datetime | None:
    """An aware datetime (UTC when the text has no offset), or None for anything that is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
