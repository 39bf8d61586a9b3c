"""GitHub Actions `${{ … }}` expressions: a tokenizer, a small recursive-descent parser and a taint walk.

The walk answers one question: can the *value* an expression produces carry text an outsider wrote?
It follows the value, not every name mentioned: `github.head_ref == 'main'` is a boolean,
`cond && 'a' || 'b'` is one of two constants, `contains(…)` and `hashFiles(…)` never echo their
arguments, while `format()`, `join()` and `||` pass theirs through. `env.X` and `matrix.X` are
followed into the `env:` and `strategy.matrix` values that define them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from secloop.core.enums import Confidence

# Fields of the event payload that outsiders write. `inputs.*` of workflow_dispatch is left out on
# purpose: only people with write access can dispatch a workflow.
ATTACKER_CONTROLLED: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split("."))
    for p in (
        "github.head_ref",
        "github.event.issue.title",
        "github.event.issue.body",
        "github.event.pull_request.title",
        "github.event.pull_request.body",
        "github.event.pull_request.head.ref",
        "github.event.pull_request.head.label",
        "github.event.pull_request.head.repo.default_branch",
        "github.event.comment.body",
        "github.event.review.body",
        "github.event.review_comment.body",
        "github.event.discussion.title",
        "github.event.discussion.body",
        "github.event.pages.*.page_name",
        "github.event.head_commit.message",
        "github.event.head_commit.author.email",
        "github.event.head_commit.author.name",
        "github.event.commits.*.message",
        "github.event.commits.*.author.email",
        "github.event.commits.*.author.name",
        "github.event.workflow_run.head_branch",
        "github.event.workflow_run.display_title",
        "github.event.workflow_run.head_commit.message",
        "github.event.workflow_run.head_commit.author.email",
        "github.event.workflow_run.head_commit.author.name",
        "github.event.workflow_run.pull_requests.*.head.ref",
    )
)

# Functions whose result never contains their arguments' text.
OPAQUE = frozenset(
    {"contains", "startswith", "endswith", "hashfiles", "success", "failure", "always", "cancelled"}
)
MAX_INDIRECTION = 4


class ExpressionError(ValueError):
    """The text is not a valid expression."""


# -- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?))"
    r"|(?P<name>[A-Za-z_][\w-]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>!.\[\](),*])"
    r")"
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string | number | name | op | end
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos:].lstrip()[:1]!r} at {pos}")
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(kind)))
        pos = match.end()
    tokens.append(Token("end", ""))
    return tokens


# -- syntax tree ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | float | bool | None


@dataclass(frozen=True, slots=True)
class Name:
    name: str


@dataclass(frozen=True, slots=True)
class Member:
    target: Node
    name: str  # "*" for a filter `.*`


@dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Literal | Name | Member | Index | Call | Unary | Binary

_PRECEDENCE = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self, text: str | None = None) -> Token:
        token = self.tokens[self.pos]
        if text is not None and (token.kind != "op" or token.text != text):
            raise ExpressionError(f"expected {text!r}, found {token.text or 'the end'!r}")
        self.pos += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in texts

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek().kind != "end":
            raise ExpressionError(f"unexpected {self.peek().text!r}")
        return node

    def binary(self, level: int) -> Node:
        if level == len(_PRECEDENCE):
            return self.unary()
        node = self.binary(level + 1)
        while self.at(*_PRECEDENCE[level]):
            op = self.take().text
            node = Binary(op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.at("!"):
            self.take()
            return Unary("!", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            return Literal(float(int(token.text, 16)) if "x" in token.text else float(token.text))
        if token.kind == "name":
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                return Literal(lowered == "true")
            if lowered == "null":
                return Literal(None)
            if self.at("("):
                return self.call(lowered)
            return Name(lowered)
        if token.kind == "op" and token.text == "(":
            node = self.binary(0)
            self.take(")")
            return node
        raise ExpressionError(f"unexpected {token.text or 'end of expression'!r}")

    def call(self, function: str) -> Node:
        self.take("(")
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.binary(0))
            while self.at(","):
                self.take()
                args.append(self.binary(0))
        self.take(")")
        return Call(function, tuple(args))

    def postfix(self, node: Node) -> Node:
        while self.at(".", "["):
            if self.take().text == ".":
                token = self.take()
                if token.kind == "name" or token.text == "*":
                    node = Member(node, token.text.lower())
                else:
                    raise ExpressionError(f"expected a property name, found {token.text!r}")
            else:
                index = Member(node, "*") if self.at("*") else None
                if index is not None:
                    self.take()
                    self.take("]")
                    node = index
                    continue
                node = Index(node, self.binary(0))
                self.take("]")
        return node


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """The syntax tree of an expression (without its `${{ }}`); ExpressionError when invalid."""
    return _Parser(tokenize(text)).parse()


def path_of(node: Node) -> tuple[str, ...] | None:
    """`github.event['issue'].title` as ("github", "event", "issue", "title"); `[0]` becomes "*"."""
    if isinstance(node, Name):
        return (node.name,)
    if isinstance(node, Member):
        base = path_of(node.target)
        return None if base is None else (*base, node.name)
    if isinstance(node, Index):
        base = path_of(node.target)
        if base is None:
            return None
        key = node.index
        if isinstance(key, Literal) and isinstance(key.value, str):
            return (*base, key.value.lower())
        return (*base, "*")
    return None


# -- taint ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Taint:
    """An attacker-controlled context the value may carry; `via` names the env/matrix hops to it."""

    ref: str
    confidence: Confidence
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Scope:
    """Where `env.X` and `matrix.X` are defined for the expression being judged.

    Each resolver returns the source texts (as written, with their `${{ }}`) a name may take.
    """

    env: Callable[[str], tuple[str, ...]] = field(default=lambda name: ())
    matrix: Callable[[str], tuple[str, ...]] = field(default=lambda name: ())


EMPTY_SCOPE = Scope()
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _matches(ref: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(ref) == len(pattern) and all(
        r == p or "*" in (r, p) for r, p in zip(ref, pattern, strict=True)
    )


def _ancestor(ref: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(ref) < len(pattern) and _matches(ref, pattern[: len(ref)])


def attacker_controlled(path: tuple[str, ...]) -> bool:
    return any(_matches(path, p) for p in ATTACKER_CONTROLLED)


def _text_taints(text: str, scope: Scope, depth: int, via: tuple[str, ...]) -> list[Taint]:
    """Taints of a value written in YAML, which may embed expressions in literal text."""
    found: list[Taint] = []
    for match in _EMBEDDED.finditer(text):
        found += taints(match.group(1).strip(), scope, depth, via)
    return found


def _walk(node: Node, scope: Scope, depth: int, via: tuple[str, ...], serialised: bool) -> list[Taint]:
    if isinstance(node, Literal):
        return []
    if isinstance(node, Name | Member | Index):
        path = path_of(node)
        if path is None:  # indexing a call result: fromJSON(x).y carries what x carries
            target = node.target if isinstance(node, Member | Index) else node
            return _walk(target, scope, depth, via, serialised)
        return _path_taints(path, scope, depth, via, serialised)
    if isinstance(node, Call):
        if node.function in OPAQUE:
            return []
        inner = serialised or node.function == "tojson"
        return [t for arg in node.args for t in _walk(arg, scope, depth, via, inner)]
    if isinstance(node, Unary):
        return []
    if node.op == "&&":  # a falsy left side is empty or a constant: only the right side reaches out
        return _walk(node.right, scope, depth, via, serialised)
    if node.op == "||":
        return _walk(node.left, scope, depth, via, serialised) + _walk(
            node.right, scope, depth, via, serialised
        )
    return []  # comparisons yield booleans


def _path_taints(
    path: tuple[str, ...], scope: Scope, depth: int, via: tuple[str, ...], serialised: bool
) -> list[Taint]:
    ref = ".".join(path)
    if attacker_controlled(path):
        return [Taint(ref, Confidence.HIGH, via)]
    if serialised and any(_ancestor(path, p) for p in ATTACKER_CONTROLLED):
        return [Taint(ref, Confidence.MEDIUM, via)]
    if len(path) == 2 and path[0] in ("env", "matrix") and depth < MAX_INDIRECTION:
        resolve = scope.env if path[0] == "env" else scope.matrix
        found: list[Taint] = []
        for text in resolve(path[1]):
            found += _text_taints(text, scope, depth + 1, (*via, ref))
        return found
    return []


def taints(
    expression: str, scope: Scope = EMPTY_SCOPE, depth: int = 0, via: tuple[str, ...] = ()
) -> list[Taint]:
    """Attacker-controlled contexts whose text the expression's value may carry."""
    try:
        node = parse(expression)
    except (ExpressionError, RecursionError):
        return _fallback(expression)
    return _walk(node, scope, depth, via, False)


_QUOTED_INDEX = re.compile(r"\[\s*'([A-Za-z_][\w-]*)'\s*\]")
_ANY_INDEX = re.compile(r"\[[^\]]*\]")
_STRING = re.compile(r"'(?:[^']|'')*'")
_REFERENCE = re.compile(r"(?<![\w.-])(?>[A-Za-z_][\w-]*(?:\.[\w*-]+)*)(?!\s*\()")


def references(expression: str) -> list[str]:
    """Context paths an expression mentions, normalised: lower case, `[0]` and `['x']` as `.*` and `.x`."""
    text = _QUOTED_INDEX.sub(r".\1", expression)
    text = _ANY_INDEX.sub(".*", text)
    text = _STRING.sub(" ", text)
    return [m.group(0).lower() for m in _REFERENCE.finditer(text)]


def _fallback(expression: str) -> list[Taint]:
    """For text that does not parse (GitHub would reject it too): any mention is a medium-confidence taint."""
    return [
        Taint(ref, Confidence.MEDIUM)
        for ref in references(expression)
        if attacker_controlled(tuple(ref.split(".")))
    ]


def iter_paths(node: Node) -> Iterator[tuple[str, ...]]:
    """Every context path the expression mentions (for audits that look at names, not values)."""
    path = path_of(node) if isinstance(node, Name | Member | Index) else None
    if path is not None:
        yield path
        if isinstance(node, Index):
            yield from iter_paths(node.index)
        return
    if isinstance(node, Member):
        yield from iter_paths(node.target)
    elif isinstance(node, Index):
        yield from iter_paths(node.target)
        yield from iter_paths(node.index)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from iter_paths(arg)
    elif isinstance(node, Unary):
        yield from iter_paths(node.operand)
    elif isinstance(node, Binary):
        yield from iter_paths(node.left)
        yield from iter_paths(node.right)
