"""The HTML speed-against-stability page: monthly points by hand, SVG points checked, self-contained.

By hand (lead time = deployment minus commit time):

    2026-01: v1.0.0 lead 3 h, v1.1.0 lead 6 h, INC-1 on v1.1.0 restored in 2 h
             -> 2 deployments, 1 failed (50 %), lead median 4.5 h, restore 2 h
    2026-02: v1.2.0 lead 1 h, v1.3.0 leads 4 h and 2 h, v1.4.0 lead 0.5 h, no incident
             -> 3 deployments, 0 failed, lead median 1.5 h, restore —
    2026-03: v1.5.0 lead 12 h, INC-2 on it restored in 6 h
             -> 1 deployment, 1 failed (100 %), lead 12 h, restore 6 h
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import typer
from typer.testing import CliRunner

from secloop.cli.dora import register
from secloop.delivery.paradox import MonthPoint, month_points, nice_max, render_html
from tests.delivery.conftest import GitRepo, incident, measure

SVG = "{http://www.w3.org/2000/svg}"


def _history(repo: GitRepo) -> None:
    repo.commit("c1", "2026-01-05 09:00")
    repo.tag("v1.0.0", "2026-01-05 12:00")
    repo.commit("c2", "2026-01-20 10:00")
    repo.tag("v1.1.0", "2026-01-20 16:00")
    repo.commit("c3", "2026-02-03 09:00")
    repo.tag("v1.2.0", "2026-02-03 10:00")
    repo.commit("c4", "2026-02-10 09:00")
    repo.commit("c5", "2026-02-10 11:00")
    repo.tag("v1.3.0", "2026-02-10 13:00")
    repo.commit("c6", "2026-02-24 09:00")
    repo.tag("v1.4.0", "2026-02-24 09:30")
    repo.commit("c7", "2026-03-02 09:00")
    repo.tag("v1.5.0", "2026-03-02 21:00")
    repo.events(
        incident("INC-1", "2026-01-20 18:00", "2026-01-20 20:00"),
        incident("INC-2", "2026-03-03 09:00", "2026-03-03 15:00"),
    )


def _circles(page: str) -> list[list[tuple[str, str, str, str, str]]]:
    charts = []
    for block in re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL):
        root = ET.fromstring(block)  # noqa: S314 (our own output, parsed to check it)
        charts.append(
            [
                (
                    c.get("data-month", ""),
                    c.get("data-x", ""),
                    c.get("data-y", ""),
                    c.get("cx", ""),
                    c.get("cy", ""),
                )
                for c in root.iter(f"{SVG}circle")
            ]
        )
    return charts


def test_monthly_points_by_hand(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("repo")
    _history(repo)
    assert month_points(measure(repo.root)) == (
        MonthPoint("2026-01", 2, 1, 4.5, 2.0),
        MonthPoint("2026-02", 3, 0, 1.5, None),
        MonthPoint("2026-03", 1, 1, 12.0, 6.0),
    )


def test_svg_points_and_a_self_contained_deterministic_page(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("repo")
    _history(repo)
    report = measure(repo.root)
    page = render_html(report, "repo")
    assert page == render_html(measure(repo.root), "repo")
    speed, recovery = _circles(page)
    # x from 0 to 5 deployments over 432 px from x=64; y from 0 to 100 % over 304 px up from y=328.
    assert speed == [
        ("2026-01", "2", "50", "236.8", "176.0"),
        ("2026-02", "3", "0", "323.2", "328.0"),
        ("2026-03", "1", "100", "150.4", "24.0"),
    ]
    # x from 0 to 20 hours, y from 0 to 10 hours; February has no resolved incident and is left out.
    assert recovery == [
        ("2026-01", "4.5", "2", "161.2", "267.2"),
        ("2026-03", "12", "6", "323.2", "145.6"),
    ]
    assert "1 month(s) without both a lead time and a resolved incident are not plotted." in page
    assert "<tr><td>2026-02</td><td>3</td><td>0</td><td>0</td><td>1.5</td><td>—</td></tr>" in page
    assert "<script" not in page.lower()
    assert re.findall(r"(?:src|href)=", page) == []
    assert re.findall(r"https?://[^\"\s<]+", page) == ["http://www.w3.org/2000/svg"] * 2


def test_a_page_without_deployments_says_why(tmp_path: Path) -> None:
    page = render_html(measure(tmp_path), "empty")
    assert "<svg" not in page
    assert (
        '<p class="note">no deployments: not a git repository, so no release tags and no events file</p>'
        in page
    )


def test_nice_max() -> None:
    assert [nice_max(v) for v in (0, 0.4, 1, 3, 6, 12, 100, 101, 260)] == [1, 1, 1, 5, 10, 20, 100, 200, 500]


def test_cli_html_to_a_file(git_repo: Callable[[str], GitRepo], tmp_path: Path) -> None:
    repo = git_repo("repo")
    _history(repo)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    target = tmp_path / "dora.html"
    result = CliRunner().invoke(app, ["dora", str(repo.root), "-f", "html", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == render_html(measure(repo.root), "repo")
    document = json.loads(CliRunner().invoke(app, ["dora", str(repo.root), "-f", "json"]).stdout)
    assert document["speed_vs_stability"][1:] == [
        {
            "month": "2026-02",
            "deployments": 3,
            "change_failure_rate": 0.0,
            "lead_time_hours": 1.5,
            "time_to_restore_hours": None,
        },
        {
            "month": "2026-03",
            "deployments": 1,
            "change_failure_rate": 100.0,
            "lead_time_hours": 12.0,
            "time_to_restore_hours": 6.0,
        },
    ]
    bad = CliRunner().invoke(app, ["dora", str(repo.root), "-f", "pdf"])
    assert bad.exception is not None and str(bad.exception) == "unknown format 'pdf'"
