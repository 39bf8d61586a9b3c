"""The `${{ }}` expression parser and the taint walk over it."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secloop.core.enums import Confidence
from secloop.pipeline.audits.template_injection import classify
from secloop.pipeline.expressions import (
    Binary,
    Call,
    ExpressionError,
    Index,
    Literal,
    Member,
    Name,
    Scope,
    Taint,
    Unary,
    iter_paths,
    parse,
    path_of,
    taints,
    tokenize,
)


def test_tokenizer_kinds() -> None:
    tokens = [(t.kind, t.text) for t in tokenize("a.b-c['x'] == 'it''s' && !0x1F || 1.5e3")]
    assert tokens == [
        ("name", "a"),
        ("op", "."),
        ("name", "b-c"),
        ("op", "["),
        ("string", "'x'"),
        ("op", "]"),
        ("op", "=="),
        ("string", "'it''s'"),
        ("op", "&&"),
        ("op", "!"),
        ("number", "0x1F"),
        ("op", "||"),
        ("number", "1.5e3"),
        ("end", ""),
    ]


def test_parse_precedence_and_shapes() -> None:
    tree = parse("github.event_name == 'push' && format('{0}', github.ref) || !success()")
    assert tree == Binary(
        "||",
        Binary(
            "&&",
            Binary("==", Member(Name("github"), "event_name"), Literal("push")),
            Call("format", (Literal("{0}"), Member(Name("github"), "ref"))),
        ),
        Unary("!", Call("success", ())),
    )
    assert parse("github.event.commits[0].message") == Member(
        Index(Member(Member(Name("github"), "event"), "commits"), Literal(0.0)), "message"
    )
    assert parse("x.*.name") == Member(Member(Name("x"), "*"), "name")
    assert parse("(TRUE)") == Literal(True)
    assert parse("null") == Literal(None)
    assert parse("'a''b'") == Literal("a'b")


@pytest.mark.parametrize("text", ["a ==", "a.", "f(a,", "a[1", "'open", "a $ b", "(a", "a b", ""])
def test_invalid_expressions_raise(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


def test_paths_normalise_indexes() -> None:
    assert path_of(parse("github.event['Issue'].title")) == ("github", "event", "issue", "title")
    assert path_of(parse("github.event.pages[github.x].page_name")) == (
        "github",
        "event",
        "pages",
        "*",
        "page_name",
    )
    assert path_of(parse("fromJSON(x).y")) is None
    assert sorted(iter_paths(parse("contains(a.b, c[d.e])"))) == [("a", "b"), ("c", "*"), ("d", "e")]


SAFE = [
    "github.sha",
    "github.event.pull_request.head.sha",
    "github.event.pull_request.number",
    "steps.build.outcome",
    "steps.build.conclusion",
    "github.triggering_actor == 'octocat'",
    "github.head_ref == 'main'",
    "github.event.pull_request.title && 'yes' || 'no'",
    "startsWith(github.head_ref, 'release/')",
    "hashFiles('**/lock', github.head_ref)",
    "!github.event.issue.body",
    "42",
    "matrix.os",
    "inputs.title",
]


@pytest.mark.parametrize("expression", SAFE)
def test_safe_values(expression: str) -> None:
    scope = Scope(matrix=lambda name: ("ubuntu-latest", "macos-latest") if name == "os" else ())
    assert taints(expression, scope) == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("github.event.issue.title", [("github.event.issue.title", Confidence.HIGH)]),
        ("github.head_ref || 'main'", [("github.head_ref", Confidence.HIGH)]),
        ("'x' || github.event.comment.body", [("github.event.comment.body", Confidence.HIGH)]),
        ("join(github.event.commits.*.message, ' ')", [("github.event.commits.*.message", Confidence.HIGH)]),
        ("fromJSON(toJSON(github.event.issue)).title", [("github.event.issue", Confidence.MEDIUM)]),
        ("toJSON(github.event)", [("github.event", Confidence.MEDIUM)]),
        ("toJSON(github.event.pull_request.head.sha)", []),
        (
            "github.event.pull_request.head.ref != '' && github.head_ref",
            [("github.head_ref", Confidence.HIGH)],
        ),
    ],
)
def test_attacker_controlled_values(expression: str, expected: list[tuple[str, Confidence]]) -> None:
    assert classify(expression) == expected


def test_env_and_matrix_indirection() -> None:
    env = {
        "title": ("${{ github.event.pull_request.title }}",),
        "nested": ("prefix ${{ env.title }}",),
        "loop": ("${{ env.loop }}",),
        "safe": ("${{ github.sha }}",),
    }
    scope = Scope(
        env=lambda name: env.get(name, ()),
        matrix=lambda name: ("plain", "${{ github.head_ref }}") if name == "ref" else (),
    )
    assert taints("env.TITLE", scope) == [
        Taint("github.event.pull_request.title", Confidence.HIGH, ("env.title",))
    ]
    assert taints("env.nested", scope) == [
        Taint("github.event.pull_request.title", Confidence.HIGH, ("env.nested", "env.title"))
    ]
    assert taints("env.loop", scope) == []
    assert taints("env.safe", scope) == []
    assert taints("matrix.ref", scope) == [Taint("github.head_ref", Confidence.HIGH, ("matrix.ref",))]


def test_unparseable_text_falls_back_to_medium_confidence_mentions() -> None:
    assert taints("github.event.issue.title }} {{") == [Taint("github.event.issue.title", Confidence.MEDIUM)]


_ATOMS = st.sampled_from(
    [
        "github.head_ref",
        "github.sha",
        "'x'",
        "1",
        "true",
        "env.A",
        "matrix.b",
        "x[0]",
        "f(a, b)",
        ".",
        "(",
        ")",
    ]
)
_OPS = st.sampled_from([" == ", " && ", " || ", "!", " ", ",", "[", "]", "'"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ATOMS, _OPS), max_size=12), st.text(max_size=30))
def test_fuzzed_expressions_never_raise_anything_but_expression_error(
    parts: list[tuple[str, str]], noise: str
) -> None:
    text = "".join(a + o for a, o in parts) + noise
    with contextlib.suppress(ExpressionError):
        parse(text)
    assert isinstance(taints(text), list)
