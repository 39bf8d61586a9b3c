"""Release timing (inside working hours, in the team's time zone; downtime) and monthly trends."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time

import pytest

from secloop.core.errors import UsageError
from secloop.delivery import Options
from secloop.delivery.cadence import WorkingHours, parse_working_hours
from secloop.delivery.render import to_document
from tests.delivery.conftest import GitRepo, at, deployment, incident, measure


def test_working_hours_parse_days_ranges_and_zones() -> None:
    hours = parse_working_hours("08:30-18:00", "mon-thu,sat", "Europe/Amsterdam")
    assert hours == WorkingHours(time(8, 30), time(18, 0), frozenset({0, 1, 2, 3, 5}), "Europe/Amsterdam")
    assert hours.describe() == "08:30–18:00 Europe/Amsterdam on Mon, Tue, Wed, Thu, Sat"
    assert parse_working_hours("09:00-17:00", "fri-mon", "UTC").days == frozenset({4, 5, 6, 0})
    # 2026-03-02 is a Monday; 07:45 UTC is 08:45 in Amsterdam (CET, UTC+1)
    assert hours.contains(at("2026-03-02 07:45"))
    assert not hours.contains(at("2026-03-02 07:15"))
    assert not hours.contains(at("2026-03-06 12:00"))  # Friday


@pytest.mark.parametrize(
    ("hours", "days", "zone", "message"),
    [
        ("9-17", "mon-fri", "UTC", "working_hours: '9-17' is not HH:MM-HH:MM"),
        ("17:00-09:00", "mon-fri", "UTC", "working_hours: '17:00-09:00' ends before it starts"),
        (
            "09:00-17:00",
            "weekdays",
            "UTC",
            "working_days: 'weekdays' is not days like mon-fri or mon,wed,fri",
        ),
        ("09:00-17:00", "mon-fri", "Mars/Olympus", "timezone: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_working_hours_are_usage_errors(hours: str, days: str, zone: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_working_hours(hours, days, zone)
    assert caught.value.message == message


def test_dora_reports_timing_downtime_and_months(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("cadence")
    one = repo.commit("one", "2026-02-20 09:00")
    two = repo.commit("two", "2026-03-02 09:00")
    three = repo.commit("three", "2026-03-06 09:00")
    late = deployment(two, "2026-03-02 21:30", "v1.1.0")  # Monday evening
    down = deployment(three, "2026-03-06 10:00", "v1.2.0") | {"downtime_minutes": 12}
    repo.events(
        deployment(one, "2026-02-23 10:00", "v1.0.0"),  # Monday morning
        late,
        down,
        incident("INC-1", "2026-03-02 22:00", "2026-03-02 23:00", deployment_sha=two),
    )
    report = measure(repo.root)
    timing = report.timing
    assert timing is not None
    assert (timing.inside, [d.version for d in timing.outside], timing.share_inside) == (
        2,
        ["v1.1.0"],
        0.6667,
    )
    assert [(d.version, d.downtime_minutes) for d in timing.with_downtime] == [("v1.2.0", 12.0)]
    assert [(m.month, m.deployments, m.failed) for m in report.months] == [
        ("2026-02", 1, 0),
        ("2026-03", 2, 1),
    ]
    document = json.loads(json.dumps(to_document(report, "cadence")))
    assert document["monthly"] == [
        {"month": "2026-02", "deployments": 1, "failed": 0},
        {"month": "2026-03", "deployments": 2, "failed": 1},
    ]
    assert document["release_timing"]["share_inside"] == 0.6667
    assert document["release_timing"]["working_hours"] == "09:00–17:00 UTC on Mon, Tue, Wed, Thu, Fri"
    assert document["release_timing"]["with_downtime"][0]["downtime_minutes"] == 12.0
    evening = Options(working=parse_working_hours("12:00-23:00", "mon-fri", "UTC"))
    shifted = measure(repo.root, evening)
    assert shifted.timing is not None and [d.version for d in shifted.timing.outside] == ["v1.0.0", "v1.2.0"]


def test_negative_downtime_is_rejected_with_its_line(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("bad")
    sha = repo.commit("one", "2026-02-20 09:00")
    repo.events(deployment(sha, "2026-02-23 10:00") | {"downtime_minutes": -3})
    report = measure(repo.root)
    assert [(s.line, s.reason) for s in report.skipped] == [
        (1, "events file: 'downtime_minutes' must be a number of minutes (0 or more)")
    ]
