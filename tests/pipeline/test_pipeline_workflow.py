"""Parsing workflows into typed values: exact positions, and Skipped (never an exception) for bad input."""

from __future__ import annotations

import pytest

from secloop.core.model import Location, Skipped
from secloop.pipeline.workflow import Scalar, Workflow, lookup, parse_workflow

FULL = """\
name: CI
on:
  push:
    branches: [main, 'release/*']
    paths-ignore: ['docs/**']
  pull_request:
    types: [opened]
  schedule:
    - cron: '0 3 * * 1'
  workflow_dispatch:
permissions:
  contents: read
  id-token: write
env:
  GLOBAL: ${{ secrets.GLOBAL_TOKEN }}
jobs:
  build:
    name: Build it
    runs-on: [self-hosted, linux]
    environment:
      name: production
      url: https://example.invalid
    permissions: write-all
    env:
      JOB: one
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
        include:
          - os: macos-latest
    steps:
      - id: co
        name: Checkout
        uses: actions/checkout@v4
        with:
          fetch-depth: 0
          nested: {a: b}
      - run: echo hi
        env:
          STEP: ${{ secrets.STEP_TOKEN }}
  call:
    uses: org/repo/.github/workflows/x.yml@v1
    secrets: inherit
    environment: staging
    permissions: {}
"""


def parsed(text: str, path: str = "w.yml") -> Workflow:
    result = parse_workflow(path, text)
    assert isinstance(result, Workflow), result
    return result


def test_full_workflow_is_typed_with_positions() -> None:
    wf = parsed(FULL)
    assert wf.name == "CI"
    assert [t.event for t in wf.triggers] == ["push", "pull_request", "schedule", "workflow_dispatch"]
    push = wf.trigger("push")
    assert push is not None
    assert push.location == Location("w.yml", 3, 3, 3, 7)
    assert [(f.key, f.values, f.location.start_line) for f in push.filters] == [
        ("branches", ("main", "release/*"), 4),
        ("paths-ignore", ("docs/**",), 5),
    ]
    schedule = wf.trigger("schedule")
    assert schedule is not None
    assert [(f.key, f.values) for f in schedule.filters] == [("cron", ("0 3 * * 1",))]
    assert wf.events == frozenset({"push", "pull_request", "schedule", "workflow_dispatch"})
    assert wf.trigger("issues") is None

    perms = wf.permissions
    assert perms is not None
    assert perms.preset is None
    assert not perms.write_all
    assert [(s.key, s.key_location.start_line) for s in perms.writes] == [("id-token", 13)]
    assert [(e.key, e.value and e.value.text) for e in wf.env] == [("GLOBAL", "${{ secrets.GLOBAL_TOKEN }}")]

    build, call = wf.jobs
    assert (build.id, build.name, build.environment) == ("build", "Build it", "production")
    assert build.location == Location("w.yml", 17, 3, 17, 8)
    assert [label.text for label in build.runs_on] == ["self-hosted", "linux"]
    assert build.runs_on[0].location.start_column == 15
    assert build.permissions is not None
    assert build.permissions.write_all
    assert [v.text for v in build.matrix_values("os")] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    assert build.matrix_values("missing") == ()
    assert [e.key for e in build.env] == ["JOB"]

    checkout, echo = build.steps
    assert (checkout.index, checkout.id, checkout.name, checkout.key) == (0, "co", "Checkout", "co")
    assert checkout.uses_action("actions/checkout")
    assert not echo.uses_action("actions/checkout")
    depth = lookup(checkout.with_, "fetch-depth")
    assert depth is not None
    assert depth.value is not None
    assert depth.value.text == "0"
    nested = lookup(checkout.with_, "nested")
    assert nested is not None
    assert nested.value is None
    assert lookup(checkout.with_, "absent") is None
    assert echo.key == "#1"
    assert echo.run is not None
    assert echo.run.text == "echo hi"
    assert [e.key for e in echo.env] == ["STEP"]

    assert call.uses is not None
    assert call.uses.text == "org/repo/.github/workflows/x.yml@v1"
    assert call.secrets_inherit
    assert call.environment == "staging"
    assert call.permissions is not None
    assert call.permissions.preset == ""
    assert call.steps == ()
    assert [(j, s.key) for j, s in wf.steps()] == [(build, "co"), (build, "#1")]


def test_step_key_falls_back_to_name_then_uses() -> None:
    wf = parsed("on: push\njobs:\n  a:\n    steps:\n      - name: N\n      - uses: o/r@v1\n")
    assert [s.key for s in wf.jobs[0].steps] == ["N", "o/r@v1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on: push\n", ("push",)),
        ("on: [push, pull_request_target]\n", ("push", "pull_request_target")),
        ("on:\n", ()),
    ],
)
def test_trigger_forms(text: str, expected: tuple[str, ...]) -> None:
    wf = parsed(text + "jobs:\n  a:\n    runs-on: ubuntu-latest\n")
    assert tuple(t.event for t in wf.triggers) == expected


def test_expression_positions_in_every_scalar_style() -> None:
    text = (
        "on: push\njobs:\n  a:\n    steps:\n"
        "      - run: |\n          echo one\n          echo ${{ a.b }}\n"
        '      - run: "say ${{ c.d }}"\n'
        "      - run: >\n          x\n          ${{ e.f }}\n"
    )
    steps = parsed(text).jobs[0].steps
    scripts = [s.run for s in steps if s.run is not None]
    found = [
        (e.text, e.location.start_line, e.location.start_column) for r in scripts for e in r.expressions()
    ]
    assert found == [("a.b", 7, 16), ("c.d", 8, 19), ("e.f", 11, 11)]


def test_positions_with_crlf_bom_and_non_ascii() -> None:
    text = (
        "\ufeffon: push\r\njobs:\r\n  a:\r\n    steps:\r\n"
        "      - name: héllo\r\n        run: |\r\n          ü ${{ x.y }}\r\n"
    )
    step = parsed(text).jobs[0].steps[0]
    assert step.run is not None
    (expr,) = list(step.run.expressions())
    assert (expr.location.start_line, expr.location.start_column) == (7, 13)


def test_scalar_position_on_first_line() -> None:
    scalar = Scalar("abc", "abc", Location("p", 4, 9))
    assert scalar.position(2) == (4, 11)
    assert scalar.span(0, 3) == Location("p", 4, 9, 4, 12)


def test_anchors_and_merge_keys_are_followed() -> None:
    text = (
        "on: push\n"
        "x-defaults: &defaults\n  runs-on: [self-hosted]\n  permissions: read-all\n"
        "jobs:\n  a:\n    <<: *defaults\n    permissions: {}\n  b:\n    <<: [*defaults]\n"
    )
    a, b = parsed(text).jobs
    assert [r.text for r in a.runs_on] == ["self-hosted"]
    assert a.permissions is not None
    assert a.permissions.preset == ""
    assert b.permissions is not None
    assert b.permissions.preset == "read-all"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Skipped("w.yml", "empty workflow file")),
        ("# only a comment\n", Skipped("w.yml", "empty workflow file")),
        (
            "on: push\njobs:\n  a: [\n",
            Skipped("w.yml", "malformed YAML: did not find expected node content", 4, 1),
        ),
        (
            "on: push\n\tjobs: {}\n",
            Skipped("w.yml", "malformed YAML: found a tab character that violates indentation", 2, 1),
        ),
        ("a: 1\n---\nb: 2\n", Skipped("w.yml", "malformed YAML: but found another document", 2, 1)),
        (
            "- on: push\n",
            Skipped("w.yml", "not a workflow: the document is a sequence, expected a mapping", 1, 1),
        ),
        (
            "just text\n",
            Skipped(
                "w.yml", "not a workflow: the document is the scalar 'just text', expected a mapping", 1, 1
            ),
        ),
        ("jobs: {}\n", Skipped("w.yml", "not a workflow: no `on:` trigger", 1, 1)),
        ("on: push\n", Skipped("w.yml", "not a workflow: `jobs:` is nothing, expected a mapping", 1, 1)),
        (
            "on: push\njobs: [a, b]\n",
            Skipped("w.yml", "not a workflow: `jobs:` is a sequence, expected a mapping", 2, 7),
        ),
        (
            "on: push\njobs:\n",
            Skipped("w.yml", "not a workflow: `jobs:` is an empty value, expected a mapping", 2, 6),
        ),
    ],
)
def test_malformed_input_is_skipped(text: str, expected: Skipped) -> None:
    assert parse_workflow("w.yml", text) == expected


def test_malformed_jobs_and_steps_are_problems_and_the_rest_is_kept() -> None:
    text = (
        "on: push\njobs:\n  bad: just-a-string\n  good:\n    steps:\n      - run: ok\n      - 42\n"
        "  odd:\n    steps: {a: b}\n  empty:\n    steps:\n"
    )
    wf = parsed(text)
    assert [j.id for j in wf.jobs] == ["good", "odd", "empty"]
    assert [s.key for s in wf.jobs[0].steps] == ["#0"]
    assert wf.problems == (
        Skipped("w.yml", "job bad is the scalar 'just-a-string', not a mapping", 3, 8),
        Skipped("w.yml", "job good: step 1 is the scalar '42', not a mapping", 7, 9),
        Skipped("w.yml", "job odd: `steps:` is a mapping, not a list", 9, 12),
    )


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("on: push\njobs: " + "[" * 50_000 + "]" * 50_000 + "\n", 1006),
        ("on: push\njobs:\n  a:\n    x: " + "- " * 40_000 + "z\n", None),
    ],
)
def test_nesting_that_would_crash_libyaml_is_skipped(text: str, column: int | None) -> None:
    result = parse_workflow("w.yml", text)
    assert isinstance(result, Skipped)
    if column is not None:  # flow nesting: stopped at the 1001st `[`
        assert result == Skipped("w.yml", "not read: YAML nested deeper than 1000 levels", 2, column)
    else:  # `- - -` is not allowed after `x:` on one line, and the parser says so before composing
        assert result.reason.startswith("malformed YAML: ")


def test_compact_sequences_nested_too_deep_are_skipped() -> None:
    text = "- " * 40_000 + "z\n"
    assert parse_workflow("w.yml", text) == Skipped(
        "w.yml", "not read: YAML nested deeper than 1000 levels", 1, 2001
    )


def test_moderate_nesting_is_read() -> None:
    text = "on: push\njobs:\n" + "".join(" " * i + "k:\n" for i in range(2, 1500))
    assert [j.id for j in parsed(text).jobs] == ["k"]


def test_cyclic_merge_keys_terminate() -> None:
    wf = parsed("on: push\njobs:\n  a: &a\n    <<: *a\n    runs-on: x\n")
    assert [r.text for r in wf.jobs[0].runs_on] == ["x"]


def test_control_characters_are_skipped_without_position() -> None:
    assert parse_workflow("w.yml", "on: push\x00\n") == Skipped(
        "w.yml",
        "malformed YAML: ReaderError: unacceptable character #x0000: control characters are not "
        'allowed in "<unicode string>", position 8',
    )


def test_long_lines_take_the_exact_depth_check_and_complex_keys_are_ignored() -> None:
    text = "on: push\njobs: {a: {runs-on: x}}\n? [complex]\n: key\nname: " + "n" * 6000 + "\n"
    wf = parsed(text)
    assert [r.text for r in wf.jobs[0].runs_on] == ["x"]
    assert wf.name == "n" * 6000
