"""The model file: schema errors and reference errors name file:line:col, what was expected and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.errors import EXIT_USAGE, InputError
from secloop.core.model import Skipped
from secloop.threatmodel.loader import load_model
from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.schema import Category, ComponentKind, ThreatStatus
from secloop.threatmodel.yamlnodes import _LOADER, compose, scalar, to_python
from tests.threatmodel.conftest import FIXTURES, MINIMAL, load, problems


def test_a_valid_model_loads_with_element_lines() -> None:
    loaded = load(MINIMAL)
    assert loaded.model.system.name == "Minimal"
    assert loaded.model.components[0].kind is ComponentKind.PROCESS
    assert loaded.marks["component:api"].line == 6
    assert loaded.line_of("system:scope") == 3
    assert loaded.line_of("flow:nope") is None


def test_the_fixture_model_loads() -> None:
    loaded = load_model(FIXTURES / "shop.yaml", display="shop.yaml")
    assert [f.key for f in loaded.model.flows] == ["order", "store"]
    assert loaded.model.threats[1].status is ThreatStatus.ACCEPTED
    assert str(loaded.model.threats[1].expires) == "2027-01-31"
    assert loaded.line_of("threat:0") == 70


def test_unknown_key_names_its_place_and_suggests_the_right_one() -> None:
    text = MINIMAL + "    properties:\n      encrytion_at_rest: true\n"
    assert problems(text) == [
        "tm.yaml:9:7: components[0].properties: unknown key 'encrytion_at_rest'\n"
        "  expected: one of: "
        + ", ".join(__import__("secloop.threatmodel.schema", fromlist=["PROPERTY_NAMES"]).PROPERTY_NAMES)
        + "\n  hint: did you mean 'encryption_at_rest'?"
    ]


def test_missing_key_points_at_the_mapping() -> None:
    text = "system:\n  description: no name\n"
    assert problems(text) == [
        "tm.yaml:2:3: system: missing required key 'name'\n"
        "  expected: 'name:' in this mapping\n"
        "  hint: add 'name: …' (the schema is in docs/commands/threatmodel.md)"
    ]


def test_bad_enum_value_lists_the_allowed_values_and_suggests_one() -> None:
    text = MINIMAL.replace("kind: process", "kind: datastore")
    assert problems(text) == [
        "tm.yaml:7:11: components[0].kind: 'datastore' is not allowed\n"
        "  expected: 'process', 'data-store' or 'external-entity'\n"
        "  hint: did you mean 'data-store'?"
    ]


def test_a_yaml_boolean_where_text_is_expected_gets_a_quoting_hint() -> None:
    text = MINIMAL.replace("name: Minimal", "name: yes")
    assert problems(text) == [
        "tm.yaml:2:9: system.name: input should be a valid string\n"
        "  expected: text\n"
        "  hint: quote the value: YAML reads yes/no/on/off as true/false and bare numbers as numbers"
    ]


def test_wrong_types_and_bad_ids() -> None:
    text = MINIMAL + "    data: orders\n  - id: 'two words'\n    kind: process\n"
    assert problems(text) == [
        "tm.yaml:8:11: components[0].data: input should be a valid list\n"
        "  expected: a list (one '- item' per line, or [a, b])",
        "tm.yaml:9:9: components[1].id: string should match pattern '^[A-Za-z0-9][A-Za-z0-9._:/-]*$'\n"
        "  expected: an id: letters, digits and . _ : / -, starting with a letter or digit",
    ]


def test_yaml_syntax_error_has_its_line() -> None:
    (problem,) = problems("system:\n  name: [unclosed\n")
    first, hint = problem.splitlines()
    # libyaml and PyYAML's Python parser word the problem differently; the place is the same.
    assert first in (
        "tm.yaml:3:1: not valid YAML: did not find expected ',' or ']'",
        "tm.yaml:3:1: not valid YAML: expected ',' or ']', but got '<stream end>'",
    )
    assert hint == "  hint: check the indentation and quoting"


def test_duplicate_keys_are_problems() -> None:
    text = MINIMAL + "    kind: data-store\n"
    assert problems(text) == [
        "tm.yaml:8:5: duplicate key 'kind' (first at line 7)\n"
        "  hint: keep one of them: YAML would silently use the last"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "tm.yaml:1:1: the file is empty"),
        ("- a\n- b\n", "tm.yaml:1:1: the threat model must be a mapping"),
    ],
)
def test_empty_or_non_mapping_documents(text: str, expected: str) -> None:
    assert problems(text)[0].splitlines()[0] == expected


def test_reference_errors_suggest_the_closest_id() -> None:
    text = (
        MINIMAL
        + "    data: [order]\ndata_assets:\n  - id: orders\n    classification: internal\n"
        + "flows:\n  - source: api\n    destination: databse\n"
        + "  - id: db\n    source: api\n    destination: api\n"
    )
    assert problems(text) == [
        "tm.yaml:8:12: components[0].data[0]: no data asset has the id 'order'\n"
        "  expected: the id of a data asset (orders)\n"
        "  hint: did you mean 'orders'?",
        "tm.yaml:14:18: flows[0].destination: no component or actor has the id 'databse'\n"
        "  expected: the id of a component or actor (api)\n"
        "  hint: declare the component or actor or fix the reference",
    ]


def test_ids_are_unique_across_sections_and_flows_need_ids_when_ambiguous() -> None:
    text = (
        MINIMAL
        + "actors:\n  - id: api\nflows:\n  - source: api\n    destination: api\n"
        + "  - source: api\n    destination: api\n"
    )
    assert [p.splitlines()[0] for p in problems(text)] == [
        "tm.yaml:9:9: actors[0].id: the id 'api' is already used (line 6)",
        "tm.yaml:13:5: flows[1]: a second flow from 'api' to 'api' (the first is at line 11)",
    ]


def test_boundaries_members_once_known_parents_no_cycles() -> None:
    text = MINIMAL + (
        "trust_boundaries:\n"
        "  - id: a\n    parent: b\n    components: [api]\n"
        "  - id: b\n    parent: a\n    components: [api, ghost]\n"
        "  - id: c\n    parent: nowhere\n"
    )
    assert [p.splitlines()[0] for p in problems(text)] == [
        "tm.yaml:10:13: trust_boundaries[0]: the boundary 'a' is nested inside itself",
        "tm.yaml:13:13: trust_boundaries[1]: the boundary 'b' is nested inside itself",
        "tm.yaml:14:18: trust_boundaries[1]: 'api' is already inside the boundary 'a'",
        "tm.yaml:14:23: trust_boundaries[1].components[1]: no component or actor has the id 'ghost'",
        "tm.yaml:16:13: trust_boundaries[2].parent: no trust boundary has the id 'nowhere'",
    ]


THREATS = MINIMAL + "threats:\n"


@pytest.mark.parametrize(
    ("entry", "first_line"),
    [
        (
            "  - target: api\n    rule: TM-SPOOF-ADMIN-NO-MFA\n    status: accepted\n",
            "tm.yaml:11:13: threats[0]: an accepted threat needs reason and expires",
        ),
        (
            "  - target: api\n    rule: TM-SPOOF-ADMIN-NO-MFA\n    status: transferred\n",
            "tm.yaml:11:13: threats[0]: a transferred threat needs a reason",
        ),
        (
            "  - target: api\n    rule: TM-SPOOF-ADMIN-NO-MFA\n    status: mitigated\n",
            "tm.yaml:11:13: threats[0]: a mitigated threat needs at least one mitigation",
        ),
        (
            "  - target: api\n    title: x\n",
            "tm.yaml:9:5: threats[0]: a threat without 'rule:' needs category, severity",
        ),
        (
            "  - target: api\n    rule: TM-SPOOF-ADMIN-NO-MFAA\n",
            "tm.yaml:10:11: threats[0].rule: no rule has the id 'TM-SPOOF-ADMIN-NO-MFAA'",
        ),
        (
            "  - target: apj\n    rule: TM-SPOOF-ADMIN-NO-MFA\n",
            "tm.yaml:9:13: threats[0].target: no element has the id 'apj'",
        ),
        (
            "  - id: T1\n    target: api\n    rule: TM-SPOOF-ADMIN-NO-MFA\n",
            "tm.yaml:9:9: threats[0]: a threat that answers a rule takes its id from the rule and the "
            "element",
        ),
    ],
)
def test_threat_entries_are_complete(entry: str, first_line: str) -> None:
    assert problems(THREATS + entry)[0].splitlines()[0] == first_line


def test_the_same_rule_and_target_twice() -> None:
    entry = "  - target: api\n    rule: TM-SPOOF-ADMIN-NO-MFA\n"
    assert problems(THREATS + entry + entry)[0].splitlines()[0] == (
        "tm.yaml:12:11: threats[1]: TM-SPOOF-ADMIN-NO-MFA on 'api' is already answered by threats[0]"
    )


def test_rule_hint_suggests_the_closest_rule() -> None:
    out = problems(THREATS + "  - target: api\n    rule: TM-SPOOF-ADMIN-NO-MFAA\n")
    assert out[0].splitlines()[2] == "  hint: did you mean 'TM-SPOOF-ADMIN-NO-MFA'?"


def test_special_category_data_must_be_personal_data() -> None:
    text = MINIMAL + (
        "data_assets:\n  - id: health\n    classification: restricted\n"
        "    privacy: {special_category: true}\n"
    )
    assert problems(text)[0].splitlines()[0] == (
        "tm.yaml:11:33: data_assets[0].privacy: special-category data is personal data"
    )


def test_model_error_renders_all_problems_and_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "threatmodel.yaml"
    path.write_text("system:\n  name: x\n  colour: red\ncomponents: 3\n", "utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path, display="threatmodel.yaml")
    error = caught.value
    assert isinstance(error, InputError) and error.exit_code == EXIT_USAGE
    assert error.render().splitlines()[0] == "error: the threat model has 2 problems"
    assert error.skipped() == Skipped(
        "threatmodel.yaml",
        "malformed threat model: system: unknown key 'colour'; expected one of: name, description, owner, "
        "scope, code, reviewed (and 1 more problem(s))",
        3,
        3,
    )


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as missing:
        load_model(tmp_path / "nope.yaml", display="nope.yaml")
    assert str(missing.value.problems[0].place) == "nope.yaml"
    assert missing.value.message == "the threat-model file does not exist"
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"system: \xff\n")
    with pytest.raises(ModelError) as caught:
        load_model(binary)
    assert caught.value.message == "not UTF-8 text (byte 8)"


def test_yaml_scalars_follow_their_resolved_tags() -> None:
    # YAML 1.1, as PyYAML resolves it: 0o17 is text, 017 is octal, 1:30 is sexagesimal (kept as text).
    node = compose(
        "a: [0x1F, 0o17, 017, -1_000, 1.5e+3, .inf, -.Inf, .nan, ~, On, '7', 1:30, 2026-01-02, 0b101]"
    )
    values = to_python(node, [])["a"]
    assert values[:7] == [31, "0o17", 15, -1000, 1500.0, float("inf"), float("-inf")]
    assert values[7] != values[7]  # NaN
    assert values[8:] == [None, True, "7", "1:30", "2026-01-02", 5]
    merged = to_python(compose("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"), [])
    assert merged["other"] == {"y": 3, "x": 1}
    assert _LOADER.__name__ in ("CSafeLoader", "SafeLoader")
    assert scalar(compose("'yes'")) == "yes"


def test_categories_know_their_framework() -> None:
    assert Category.REPUDIATION.framework == "STRIDE"
    assert Category.UNAWARENESS.framework == "LINDDUN"
