"""Per-path slicing (`secloop dora --path`): changes under a path, the deployments and incidents of them.

The history, by hand:

    c1 03-02 09:00 services/api/a   ─┐ v1.0.0 03-02 12:00 ships c1, c2   (kept: c1 touches the path)
    c2 03-02 10:00 web/x            ─┘
    c3 03-03 09:00 web/y            ── v1.1.0 03-03 12:00 ships c3       (left out)
    c4 03-04 09:00 services/api/b   ── v1.2.0 03-04 18:00 ships c4       (kept)
    INC-1 opened 03-03 13:00 resolved 14:00 -> inferred link to v1.1.0 (left out)
    INC-2 opened 03-04 20:00 resolved 22:00 -> inferred link to v1.2.0 (kept)

Whole repository: 3 deployments; lead times c1 3 h, c2 2 h, c3 3 h, c4 9 h -> median 3; failed 2 of 3;
restore 1 h and 2 h -> median 1.5. Path services/api: 2 deployments; lead times 3 h and 9 h ->
median 6; failed 1 of 2; restore 2 h.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import typer
from typer.testing import CliRunner

from secloop.cli.dora import register
from secloop.delivery import Options
from tests.delivery.conftest import GitRepo, incident, measure, metric


def _save(repo: GitRepo, name: str, when: str) -> str:
    path = repo.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{name}\n")
    repo.run("add", "-A")
    repo.run("commit", "-q", "--no-verify", "-m", f"Change {name}", when=when)
    return repo.run("rev-parse", "HEAD")


def _monorepo(repo: GitRepo) -> None:
    _save(repo, "services/api/a.py", "2026-03-02 09:00")
    _save(repo, "web/x.js", "2026-03-02 10:00")
    repo.tag("v1.0.0", "2026-03-02 12:00")
    _save(repo, "web/y.js", "2026-03-03 09:00")
    repo.tag("v1.1.0", "2026-03-03 12:00")
    _save(repo, "services/api/b.py", "2026-03-04 09:00")
    repo.tag("v1.2.0", "2026-03-04 18:00")
    repo.events(
        incident("INC-1", "2026-03-03 13:00", "2026-03-03 14:00"),
        incident("INC-2", "2026-03-04 20:00", "2026-03-04 22:00"),
    )


def test_whole_repository_and_path_slice(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("mono")
    _monorepo(repo)
    whole = measure(repo.root)
    assert [r.deployment.version for r in whole.deployments] == ["v1.0.0", "v1.1.0", "v1.2.0"]
    assert (metric(whole, "lead-time").value, metric(whole, "lead-time").samples) == (3.0, 4)
    assert metric(whole, "change-failure-rate").value == 66.67
    assert metric(whole, "time-to-restore").value == 1.5

    sliced = measure(repo.root, Options(path="services/api"))
    assert [(r.deployment.version, r.changes) for r in sliced.deployments] == [("v1.0.0", 1), ("v1.2.0", 1)]
    assert (metric(sliced, "deployment-frequency").samples, metric(sliced, "lead-time").value) == (2, 6.0)
    assert metric(sliced, "lead-time").samples == 2
    assert (metric(sliced, "change-failure-rate").value, metric(sliced, "change-failure-rate").samples) == (
        50.0,
        2,
    )
    assert (metric(sliced, "time-to-restore").value, metric(sliced, "time-to-restore").samples) == (2.0, 1)
    assert [row.incident.id for row in sliced.incidents] == ["INC-2"]
    assert sliced.sources[-1] == (
        "path services/api: 2 of 4 commits touch it; only deployments shipping one of them and incidents "
        "linked to those deployments count"
    )


def test_a_path_nothing_touches_has_no_deployments(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("mono")
    _monorepo(repo)
    report = measure(repo.root, Options(path="services/billing"))
    assert report.deployments == ()
    assert (
        metric(report, "lead-time").reason
        == "no change was first shipped by a production deployment in the window"
    )
    assert report.sources[-1].startswith("path services/billing: 0 of 4 commits touch it")


def test_cli_path_option(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("mono")
    _monorepo(repo)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    result = CliRunner().invoke(app, ["dora", str(repo.root), "-f", "json", "--path", "./services/api/"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [d["version"] for d in document["deployments"]] == ["v1.0.0", "v1.2.0"]
    assert document["sources"][-1].startswith("path services/api: 2 of 4 commits")
    bad = CliRunner().invoke(app, ["dora", str(repo.root), "--path", "/"])
    assert bad.exit_code != 0
    assert bad.exception is not None and str(bad.exception) == (
        "--path: give a directory or file path such as services/api"
    )
