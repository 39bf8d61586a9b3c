"""The flags file: what it reads, and every problem reported with its line."""

from __future__ import annotations

from datetime import date

import pytest

from secloop.core.errors import EXIT_USAGE
from secloop.release.flags.loader import FlagsFileError, find_flags_file
from secloop.release.flags.model import FlagType, Payload
from tests.release.flags.conftest import fixture_flags, flags_from

HEAD = """\
flags:
  f:
    type: release
    owner: me
    created: 2026-11-01
    environments:
      default:
        enabled: true
        strategies:
"""


def problems(text: str) -> list[str]:
    with pytest.raises(FlagsFileError) as caught:
        flags_from(text)
    assert caught.value.exit_code == EXIT_USAGE
    return [f"{p.place.line}: {p.message}" for p in caught.value.problems]


def test_reads_the_fixture() -> None:
    flags = fixture_flags()
    assert [f.name for f in flags.flags] == [
        "new-checkout",
        "search-ranking",
        "payments-kill-switch",
        "beta-dashboard",
        "cache-ttl",
    ]
    checkout = flags.by_name["new-checkout"]
    assert checkout.type is FlagType.RELEASE
    assert checkout.created == date(2026, 10, 1)
    assert checkout.line == 9
    strategy = checkout.environments[0].strategies[0]
    assert (strategy.name, strategy.rollout, strategy.stickiness, strategy.group_id) == (
        "flexibleRollout",
        25,
        "default",
        "new-checkout",
    )
    assert strategy.constraints[0].values == ("DE", "FR")
    assert checkout.environment("production") is not None
    search = flags.by_name["search-ranking"]
    assert [(v.name, v.weight) for v in search.variants] == [
        ("control", 500),
        ("vector", 300),
        ("hybrid", 200),
    ]
    assert search.variants[1].payload == Payload("json", '{"k": 10}')
    assert search.variants[2].overrides[0].values == ("qa-1", "qa-2")
    assert search.environments[0].strategies[0].group_id == "search-ranking"  # groupId defaults to the name
    dashboard = flags.by_name["beta-dashboard"]
    assert dashboard.environments[0].strategies[0].user_ids == ("alice", "bob")
    assert dashboard.environments[0].strategies[1].segments == ("beta-testers",)
    assert flags.segments[0].constraints[0].case_insensitive is True
    assert flags.environments() == ("default", "production")


def test_problems_name_their_lines() -> None:
    text = HEAD + (
        "          - name: flexibleRollout\n"  # 10
        "            parameters: {rollout: 120}\n"  # 11
        "            constraints:\n"  # 12
        "              - {contextName: a, operator: LIKE, values: [x]}\n"  # 13
        "              - {contextName: a, operator: NUM_GT, value: ten}\n"  # 14
        "              - {contextName: a, operator: IN}\n"  # 15
        "          - name: sometimes\n"  # 16
        "          - name: default\n"  # 17
        "            segments: [nobody]\n"  # 18
        "    variants:\n"  # 19
        "      - {name: a, weight: 0, payload: {type: json, value: '{nope'}}\n"  # 20
        "    colour: red\n"  # 21
    )
    assert problems(text) == [
        "11: 'rollout' must be a whole percentage 0..100, got 120",
        "13: unknown operator 'LIKE'",
        "14: NUM_GT needs a number, got 'ten'",
        "15: IN needs a non-empty 'values' list",
        "16: unknown strategy 'sometimes'",
        "18: unknown segment 'nobody'",
        "19: the variants of flag 'f' weigh 0 in total",
        "20: the json payload of a variant of flag 'f' does not parse: "
        "Expecting property name enclosed in double quotes",
        "21: unknown key 'colour' in flag 'f'",
    ]


def test_flag_fields_are_checked() -> None:
    text = """\
    flags:
      bad name!:
        type: temporary
        created: yesterday
        environments: {}
    """
    assert problems(text) == [
        "2: flag 'bad name!' needs 'owner'",
        "2: flag name 'bad name!' is not URL-friendly",
        "3: unknown flag type 'temporary'",
        "4: 'created' of flag 'bad name!' must be a date (YYYY-MM-DD), got 'yesterday'",
        "5: flag 'bad name!' has no environment",
    ]


def test_dates_and_versions_are_parsed_when_loading() -> None:
    text = HEAD + (
        "          - name: default\n"
        "            constraints:\n"
        "              - {contextName: currentTime, operator: DATE_AFTER, value: 'not a date'}\n"  # 12
        "              - {contextName: v, operator: SEMVER_EQ, value: '1.2'}\n"  # 13
        "              - {contextName: v, operator: SEMVER_LT}\n"  # 14
    )
    assert problems(text) == [
        "12: DATE_AFTER needs a ISO 8601 date-time, got 'not a date'",
        "13: SEMVER_EQ needs a semantic version, got '1.2'",
        "14: SEMVER_LT needs a single 'value'",
    ]


def test_yaml_syntax_error_has_line_and_column() -> None:
    with pytest.raises(FlagsFileError) as caught:
        flags_from("flags:\n  f: [unclosed\n")
    place = caught.value.problems[0].place
    assert (place.path, place.line) == ("flags.yaml", 3)
    assert caught.value.render().startswith("error: the flags file has 1 problem\nflags.yaml:3:")


def test_not_a_mapping() -> None:
    assert problems("- just a list\n") == ["1: a flags file is one YAML mapping with a 'flags' key"]
    assert problems("flags: 3\n") == ["1: 'flags' must be a mapping, got int"]


def test_render_lists_every_problem_with_file_and_line() -> None:
    with pytest.raises(FlagsFileError) as caught:
        flags_from("flags: {}\nversion: 2\nextra: 1\n", "cfg/flags.yaml")
    assert caught.value.render() == (
        "error: the flags file has 2 problems\n"
        "cfg/flags.yaml:2: unsupported version 2\n  hint: use version: 1\n"
        "cfg/flags.yaml:3: unknown key 'extra' in the flags file\n  hint: known: flags, segments, version"
    )


def test_default_locations(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    assert find_flags_file(root) is None
    (root / ".secloop").mkdir()
    (root / ".secloop" / "flags.yaml").write_text("flags: {}\n")
    assert find_flags_file(root) == root / ".secloop" / "flags.yaml"
    (root / "flags.yaml").write_text("flags: {}\n")
    assert find_flags_file(root) == root / "flags.yaml"
