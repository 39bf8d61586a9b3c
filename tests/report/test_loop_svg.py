from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from secloop.core.enums import Stage, Status
from secloop.core.model import PracticeResult
from secloop.report import loop_svg
from secloop.report.interface import RenderInput

SVG = "{http://www.w3.org/2000/svg}"


def _statuses(**overrides: str | None) -> dict[Stage, Status | None]:
    statuses: dict[Stage, Status | None] = dict.fromkeys(Stage, Status.PASS)
    statuses.update({Stage(k): Status(v) if v else None for k, v in overrides.items()})
    return statuses


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        ([Status.PASS, Status.FAIL, Status.UNKNOWN], Status.FAIL),
        ([Status.PASS, Status.UNKNOWN, Status.PARTIAL], Status.PARTIAL),
        ([Status.PASS, Status.UNKNOWN], Status.UNKNOWN),
        ([Status.NOT_APPLICABLE, Status.PASS], Status.PASS),
        ([Status.NOT_APPLICABLE], Status.NOT_APPLICABLE),
        ([], None),
    ],
)
def test_worst_status(statuses: list[Status], worst: Status | None) -> None:
    assert loop_svg.worst_status(statuses) is worst


def test_stage_statuses_from_sample(sample_assessment: RenderInput) -> None:
    assert loop_svg.stage_statuses(sample_assessment.assessment.results) == {
        Stage.PLAN: None,
        Stage.CODE: Status.FAIL,
        Stage.BUILD: Status.PARTIAL,
        Stage.TEST: None,
        Stage.DEPLOY: None,
        Stage.RELEASE: None,
        Stage.OPERATE: None,
        Stage.MONITOR: None,
        Stage.PIPELINE: Status.PASS,
    }


def test_svg_is_well_formed_with_one_group_per_stage() -> None:
    svg = loop_svg.render_loop(_statuses(code="fail", test="partial", deploy="unknown", monitor=None))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 720 380"
    groups = root.findall(f"{SVG}g")
    assert [(g.get("data-stage"), g.get("data-status")) for g in groups] == [
        ("pipeline", "pass"),
        ("plan", "pass"),
        ("code", "fail"),
        ("build", "pass"),
        ("test", "partial"),
        ("deploy", "unknown"),
        ("release", "pass"),
        ("operate", "pass"),
        ("monitor", "no practices"),
    ]
    code = groups[2]
    assert code.findtext(f"{SVG}title") == "code: fail"
    path = code.find(f"{SVG}path")
    assert path is not None
    assert path.get("stroke") == "#c62828"
    assert [t.text for t in code.findall(f"{SVG}text")] == ["code", "fail"]
    monitor_path = groups[8].find(f"{SVG}path")
    assert monitor_path is not None
    assert monitor_path.get("stroke") == "#d9d9d9"
    frame = groups[0].find(f"{SVG}rect")
    assert frame is not None
    assert frame.get("stroke") == "#2e7d32"
    assert root.findtext(f"{SVG}title") == (
        "The DevOps loop: plan pass, code fail, build pass, test partial, deploy unknown, release pass, "
        "operate pass, monitor no practices, pipeline pass"
    )


def test_loop_stays_inside_the_pipeline_frame() -> None:
    svg = loop_svg.render_loop(_statuses())
    stroke_half, frame_inner = 17, 13
    for d in re.findall(r' d="([^"]+)"', svg):
        for x, y in re.findall(r"([\d.]+),([\d.]+)", d):
            assert frame_inner + stroke_half <= float(x) <= 720 - frame_inner - stroke_half
            assert frame_inner + stroke_half <= float(y) <= 380 - frame_inner - stroke_half
    for x, y in re.findall(r'<text x="([\d.]+)" y="([\d.]+)"', svg):
        assert 40 <= float(x) <= 680
        assert 20 <= float(y) <= 360


def test_left_lobe_holds_dev_stages_and_right_lobe_ops_stages() -> None:
    svg = loop_svg.render_loop(_statuses())
    found = re.findall(r'<text x="([\d.]+)" y="[\d.]+" class="loop-name">([a-z]+)<', svg)
    xs = {name: float(x) for x, name in found}
    assert len(xs) == 8
    assert all(xs[s.value] < 360 for s in (Stage.PLAN, Stage.CODE, Stage.BUILD, Stage.TEST))
    assert all(xs[s.value] > 360 for s in (Stage.DEPLOY, Stage.RELEASE, Stage.OPERATE, Stage.MONITOR))


def test_render_is_deterministic(sample_assessment: RenderInput) -> None:
    results: tuple[PracticeResult, ...] = sample_assessment.assessment.results
    first = loop_svg.render_loop(loop_svg.stage_statuses(results))
    assert first == loop_svg.render_loop(loop_svg.stage_statuses(results[::-1]))
    assert "-0.0" not in first
