from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from secloop.core.timestamps import parse_timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T08:00:00Z", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T10:00:00+02:00", datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=2)))),
        ("2026-03-01T08:00:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("", None),
        ("yesterday", None),
        (None, None),
        (1700000000, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected
