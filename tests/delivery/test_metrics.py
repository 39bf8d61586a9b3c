"""Hand-computed fixtures for each metric definition: every expected number is worked out in the comments."""

from __future__ import annotations

from collections.abc import Callable

from secloop.delivery import Options
from tests.delivery.conftest import GitRepo, at, deployment, details, incident, measure, metric


def test_lead_time_median_and_p90_over_release_tags(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("linear")
    repo.commit("one", "2026-03-02 09:00")  # shipped by v1.0.0 at 03-03 12:00: 27 h
    repo.commit("two", "2026-03-02 10:00")  # 26 h
    repo.tag("v1.0.0", "2026-03-03 12:00")
    repo.commit("three", "2026-03-05 08:00")  # shipped by v1.1.0 at 03-06 12:00: 28 h
    repo.commit("four", "2026-03-05 11:00")  # 25 h
    repo.tag("v1.1.0", "2026-03-06 12:00")
    report = measure(repo.root)

    lead = metric(report, "lead-time")
    assert (lead.value, lead.unit, lead.samples) == (26.5, "hours", 4)  # median of 25, 26, 27, 28
    assert details(report, "lead-time")["p90_hours"] == 28.0  # nearest rank: ceil(0.9 * 4) = 4th
    assert lead.tier == "high"  # 2021: more than an hour, within a week

    # The window ends at the newest event (the v1.1.0 tag), not at the wall clock.
    assert report.window is not None and report.window.end == at("2026-03-06 12:00")
    freq = metric(report, "deployment-frequency")
    assert (freq.value, freq.samples) == (0.16, 2)  # 2 deployments / 90 days * 7
    # Both deployments fall in the last 7-day and 30-day periods: the medians are 0, so the bucket is
    # "monthly to six-monthly", which the 2021 table calls medium.
    assert details(report, "deployment-frequency")["bucket"] == "monthly-to-six-monthly"
    assert freq.tier == "medium"
    assert report.weekly == (0,) * 11 + (2,)


def test_lightweight_tags_date_from_the_commit_and_pattern_filters(
    git_repo: Callable[[str], GitRepo],
) -> None:
    repo = git_repo("light")
    repo.commit("one", "2026-03-02 09:00")
    repo.tag("v1.0.0", "2026-03-02 09:00", annotated=False)
    repo.commit("two", "2026-03-03 09:00")
    repo.tag("nightly-1", "2026-03-03 10:00")  # does not match v*
    report = measure(repo.root)
    assert [(r.deployment.version, r.deployment.time) for r in report.deployments] == [
        ("v1.0.0", at("2026-03-02 09:00"))
    ]
    assert metric(report, "lead-time").value == 0.0


def test_merge_commits_are_not_changes_but_their_branch_commits_are(
    git_repo: Callable[[str], GitRepo],
) -> None:
    repo = git_repo("merges")
    repo.commit("base", "2026-03-01 09:00")  # to v1.0.0 at 03-02 18:00: 33 h
    repo.branch("feature")
    repo.commit("feature one", "2026-03-01 10:00")  # 32 h
    repo.commit("feature two", "2026-03-02 10:00")  # 8 h
    repo.checkout("main")
    repo.merge("feature", "2026-03-02 15:00", "Merge pull request #7 from dev/feature")
    repo.tag("v1.0.0", "2026-03-02 18:00")
    report = measure(repo.root)
    lead = metric(report, "lead-time")
    assert (lead.value, lead.samples) == (32.0, 3)
    assert report.deployments[0].changes == 3


def test_squash_merges_count_from_the_squash_commit(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("squash")
    repo.commit("Add the cart (#12)", "2026-03-02 09:00", author_when="2026-02-27 09:00")  # 3 h: commit time
    repo.commit("Fix totals (#13)", "2026-03-02 11:00")  # 1 h
    repo.tag("v2.0.0", "2026-03-02 12:00")
    lead = metric(measure(repo.root), "lead-time")
    assert (lead.value, lead.samples) == (2.0, 2)


def test_a_revert_within_the_window_fails_the_deployment(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("revert")
    repo.commit("base", "2026-03-01 09:00")
    repo.tag("v1.0.0", "2026-03-01 12:00")
    bad = repo.commit("risky change", "2026-03-02 09:00")
    repo.tag("v1.1.0", "2026-03-02 12:00")
    revert = repo.revert(bad, "2026-03-03 09:00")  # 21 h after v1.1.0 went live
    repo.tag("v1.2.0", "2026-03-03 12:00")
    report = measure(repo.root)

    cfr = metric(report, "change-failure-rate")
    assert (cfr.value, cfr.samples) == (33.33, 3)
    d = details(report, "change-failure-rate")
    assert (d["rate_7d"], d["rate_14d"], d["rate_30d"], d["failed"]) == (33.33, 33.33, 33.33, 1)
    assert [r.failed for r in report.deployments] == [(), (f"{bad[:12]} reverted by {revert[:12]}",), ()]
    # Recovered when the revert shipped with v1.2.0: 03-02 12:00 -> 03-03 12:00.
    assert metric(report, "failed-deployment-recovery-time").value == 24.0
    assert metric(report, "rework-rate").value == 0.0  # v1.2.0 is a minor release, planned


def test_a_late_revert_only_counts_in_the_wider_sensitivity_band(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("late-revert")
    repo.commit("base", "2026-03-01 09:00")
    repo.tag("v1.0.0", "2026-03-01 12:00")
    bad = repo.commit("risky change", "2026-03-02 09:00")
    repo.tag("v1.1.0", "2026-03-02 12:00")
    repo.revert(bad, "2026-03-22 12:00")  # 20 days later
    report = measure(repo.root)
    d = details(report, "change-failure-rate")
    assert (metric(report, "change-failure-rate").value, d["rate_7d"], d["rate_30d"]) == (0.0, 0.0, 50.0)
    assert (
        metric(report, "failed-deployment-recovery-time").reason
        == "no failed production deployment in the window"
    )


def test_rollback_incident_and_rework(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("rollback")
    first = repo.commit("one", "2026-03-01 09:00")
    second = repo.commit("two", "2026-03-02 09:00")
    repo.events(
        deployment(first, "2026-03-01 12:00", "v1.0.0"),
        deployment(second, "2026-03-02 12:00", "v1.1.0"),
        incident("INC-9", "2026-03-02 13:00", "2026-03-02 15:30", severity="high"),
        deployment(first, "2026-03-02 15:00", "v1.0.0"),  # an earlier version redeployed: a rollback
    )
    report = measure(repo.root)

    assert [r.failed for r in report.deployments] == [
        (),
        ("incident INC-9 (inferred)", "rolled back by v1.0.0"),
        (),
    ]
    assert metric(report, "change-failure-rate").value == 33.33
    assert [r.rework for r in report.deployments] == [
        None,
        None,
        "a rollback 2 h after incident INC-9 opened",
    ]
    assert metric(report, "rework-rate").value == 33.33
    assert metric(report, "time-to-restore").value == 2.5
    # v1.1.0 went live at 12:00 and was rolled back at 15:00, before the incident was resolved (15:30).
    assert metric(report, "failed-deployment-recovery-time").value == 3.0
    assert [(i.incident.id, i.link, i.deployment, i.note) for i in report.incidents] == [
        ("INC-9", "inferred", "v1.1.0", "opened 1 h after v1.1.0")
    ]


def test_an_incident_with_no_deployment_inside_the_window_stays_unlinked(
    git_repo: Callable[[str], GitRepo],
) -> None:
    repo = git_repo("unlinked")
    sha = repo.commit("one", "2026-03-01 09:00")
    repo.events(
        deployment(sha, "2026-03-01 12:00", "v1.0.0"),
        incident("INC-2", "2026-03-20 12:00", "2026-03-20 14:00"),  # 19 days after the only deployment
    )
    report = measure(repo.root)
    assert metric(report, "change-failure-rate").value == 0.0
    d = details(report, "change-failure-rate")
    assert (d["rate_7d"], d["rate_14d"], d["rate_30d"], d["unlinked_incidents"]) == (0.0, 0.0, 100.0, "INC-2")
    assert [(i.link, i.deployment, i.note) for i in report.incidents] == [
        ("unlinked", None, "no production deployment in the 14 days before it opened")
    ]
    assert metric(report, "time-to-restore").value == 2.0  # still an incident to restore from


def test_explicit_links_hold_whatever_the_window(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("explicit")
    first = repo.commit("one", "2026-03-01 09:00")
    cause = repo.commit("two", "2026-03-02 09:00")
    repo.events(
        deployment(first, "2026-03-01 12:00", "v1.0.0"),
        deployment(cause, "2026-03-02 12:00", "v1.1.0"),
        incident("INC-3", "2026-04-01 12:00", root_cause_sha=cause[:10]),  # 30 days on, unresolved
    )
    report = measure(repo.root, Options(failure_window_days=7))
    assert [r.failed for r in report.deployments] == [(), ("incident INC-3 (explicit)",)]
    assert metric(report, "time-to-restore").reason == "1 incident(s) opened in the window, none resolved yet"
    assert metric(report, "failed-deployment-recovery-time").reason == (
        "1 failed deployment(s) in the window, none with a known recovery yet"
    )


def test_only_the_chosen_environment_counts(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("environments")
    first = repo.commit("one", "2026-03-01 09:00")
    second = repo.commit("two", "2026-03-02 09:00")
    repo.tag("v1.0.0", "2026-03-02 12:00")
    repo.events(
        deployment(first, "2026-03-01 10:00", environment="staging"),
        deployment(second, "2026-03-02 10:00", environment="staging"),
        deployment(second, "2026-03-02 12:30", "v1.0.0"),  # production, wins over the tag
    )
    production = measure(repo.root)
    assert [(r.deployment.environment, r.deployment.source.value) for r in production.deployments] == [
        ("production", "events")
    ]
    assert metric(production, "lead-time").value == 15.5  # median of 27.5 h and 3.5 h
    staging = measure(repo.root, Options(environment="staging"))
    assert len(staging.deployments) == 2
    assert (metric(staging, "lead-time").value, metric(staging, "lead-time").samples) == (1.0, 2)


def test_a_tag_on_a_side_branch_ships_only_what_it_contains(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("side-branch")
    base = repo.commit("a", "2026-03-01 09:00")  # v1.0.0 at 03-01 12:00: 3 h
    repo.tag("v1.0.0", "2026-03-01 12:00")
    repo.commit("b", "2026-03-02 09:00")  # not in v1.0.1; ships with v1.1.0 at 03-04 12:00: 51 h
    repo.branch("release-1.0", base)
    repo.commit("hotfix", "2026-03-03 09:00")  # v1.0.1 at 03-03 12:00: 3 h
    repo.tag("v1.0.1", "2026-03-03 12:00")
    repo.checkout("main")
    repo.commit("c", "2026-03-04 09:00")  # 3 h
    repo.tag("v1.1.0", "2026-03-04 12:00")
    repo.events(incident("INC-4", "2026-03-02 20:00", "2026-03-03 12:30"))
    report = measure(repo.root)
    assert [(r.deployment.version, r.changes) for r in report.deployments] == [
        ("v1.0.0", 1),
        ("v1.0.1", 1),
        ("v1.1.0", 2),
    ]
    lead = metric(report, "lead-time")
    assert (lead.value, lead.samples, details(report, "lead-time")["p90_hours"]) == (3.0, 4, 51.0)
    # INC-4 opened after v1.0.0 (the latest deployment then): v1.0.0 failed; v1.0.1 is the patch release
    # that followed the incident, so it is rework.
    assert [r.failed for r in report.deployments] == [("incident INC-4 (inferred)",), (), ()]
    assert [r.rework for r in report.deployments] == [
        None,
        "a patch release 16 h after incident INC-4 opened",
        None,
    ]
    assert metric(report, "rework-rate").value == 33.33
