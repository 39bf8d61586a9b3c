"""A parser for the PromQL subset that SLO rule files use.

Supported: number literals; vector selectors with a metric name and/or label matchers (=, !=, =~,
!~); range selectors (`[5m]`) as the argument of rate(), increase() and the *_over_time functions;
vector(scalar); histogram_quantile(scalar, vector); aggregations sum, min, max, avg and count with
`by (...)` or `without (...)` before or after the argument; binary + - * / % between scalars and
vectors (one-to-one matching on all labels, or on(...)/ignoring(...), and many-to-one/one-to-many
with group_left(...)/group_right(...)); comparisons == != > < >= <= (filtering, or with `bool`); and,
or, unless; parentheses and unary minus. Anything else (offset, @, subqueries, other functions) is
refused with `PromQLError`, which the caller turns into an error naming the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_TOKEN = re.compile(
    r"\s*(?:(?P<dur>(?:\d+(?:ms|s|m|h|d|w|y))+(?![a-zA-Z0-9_:]))"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r"|(?P<op>==|!=|>=|<=|=~|!~|[-+*/%^<>=(){}\[\],]))"
)
AGGREGATIONS = frozenset({"sum", "min", "max", "avg", "count"})
RANGE_FUNCTIONS = frozenset(
    {"rate", "increase", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time"}
)
COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
SET_OPS = frozenset({"and", "or", "unless"})
_UNSUPPORTED = frozenset({"offset", "@"})
_GROUPS = {"group_left": "left", "group_right": "right"}


class PromQLError(ValueError):
    """The expression is not valid PromQL or uses something outside the supported subset."""


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self.pattern is not None
        hit = self.pattern.fullmatch(value) is not None
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True, slots=True)
class Number:
    value: float


@dataclass(frozen=True, slots=True)
class Selector:
    matchers: tuple[Matcher, ...]
    range_s: float | None = None


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Aggregate:
    op: str
    expr: Expr
    labels: tuple[str, ...] = ()
    without: bool = False


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    lhs: Expr
    rhs: Expr
    bool_mode: bool = False
    on: tuple[str, ...] | None = None
    ignoring: tuple[str, ...] = ()
    group: str | None = None  # "left" (many-to-one) or "right" (one-to-many)
    include: tuple[str, ...] = ()  # labels copied from the "one" side


@dataclass(frozen=True, slots=True)
class Negate:
    expr: Expr


Expr = Number | Selector | Call | Aggregate | Binary | Negate


def parse_duration(text: str) -> float:
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise PromQLError(f"not a duration: {text!r}")
    return total


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = re.sub(r"#[^\n]*", "", text).rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PromQLError(f"unexpected character {text[pos:].strip()[:1]!r} at offset {pos}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Parser:
    # Binary operator precedence, lowest first (PromQL's order; ^ is not supported).
    LEVELS: tuple[frozenset[str], ...] = (
        frozenset({"or"}),
        frozenset({"and", "unless"}),
        COMPARISONS,
        frozenset({"+", "-"}),
        frozenset({"*", "/", "%"}),
    )

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        index = self.pos + ahead
        return self.toks[index] if index < len(self.toks) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise PromQLError(f"expected {value!r}, found {tok[1] or 'the end'!r}")
        if tok[0] == "end":
            raise PromQLError("unexpected end of expression")
        self.pos += 1
        return tok

    def parse(self) -> Expr:
        expr = self.binary(0)
        if self.peek()[0] != "end":
            raise PromQLError(f"unexpected {self.peek()[1]!r}")
        return expr

    def binary(self, level: int) -> Expr:
        if level == len(self.LEVELS):
            return self.unary()
        lhs = self.binary(level + 1)
        while self.peek()[1] in self.LEVELS[level]:
            op = self.take()[1]
            bool_mode = False
            if self.peek()[1] == "bool":
                if op not in COMPARISONS:
                    raise PromQLError(f"`bool` only follows a comparison, not {op!r}")
                self.take()
                bool_mode = True
            on: tuple[str, ...] | None = None
            ignoring: tuple[str, ...] = ()
            matching = self.peek()[1] in ("on", "ignoring")
            if self.peek()[1] == "on":
                self.take()
                on = self.label_list()
            elif self.peek()[1] == "ignoring":
                self.take()
                ignoring = self.label_list()
            group, include = self.group_modifier(op, matching)
            both = sorted(set(on or ()) & set(include))
            if both:
                raise PromQLError(
                    f"label {both[0]!r} must not occur in on(...) and the group modifier at once"
                )
            if self.peek()[1] in _UNSUPPORTED:
                raise PromQLError(f"{self.peek()[1]} is not supported")
            rhs = self.binary(level + 1)
            lhs = Binary(op, lhs, rhs, bool_mode, on, ignoring, group, include)
        return lhs

    def group_modifier(self, op: str, matching: bool) -> tuple[str | None, tuple[str, ...]]:
        word = self.peek()[1]
        if word not in _GROUPS:
            return None, ()
        if not matching:
            raise PromQLError(f"{word} needs on(...) or ignoring(...) before it")
        if op in SET_OPS:
            raise PromQLError(f"no grouping allowed for `{op}`")
        self.take()
        include = self.label_list() if self.peek()[1] == "(" else ()
        return _GROUPS[word], include

    def unary(self) -> Expr:
        if self.peek()[1] == "-":
            self.take()
            return Negate(self.unary())
        if self.peek()[1] == "+":
            self.take()
        return self.primary()

    def label_list(self) -> tuple[str, ...]:
        self.take("(")
        names: list[str] = []
        while self.peek()[1] != ")":
            kind, name = self.take()
            if kind != "ident":
                raise PromQLError(f"expected a label name, found {name!r}")
            names.append(name)
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return tuple(names)

    def primary(self) -> Expr:
        kind, value = self.peek()
        if kind == "num":
            self.take()
            return Number(float(value))
        if value == "(":
            self.take()
            inner = self.binary(0)
            self.take(")")
            if self.peek()[1] == "[":
                raise PromQLError("subqueries are not supported")
            return inner
        if value == "{":
            return self.selector(None)
        if kind == "ident":
            if value in _UNSUPPORTED:
                raise PromQLError(f"{value} is not supported")
            if value in AGGREGATIONS and self.peek(1)[1] in ("(", "by", "without"):
                return self.aggregate()
            if self.peek(1)[1] == "(":
                return self.call()
            self.take()
            return self.selector(value)
        raise PromQLError(f"unexpected {value or 'end of expression'!r}")

    def aggregate(self) -> Aggregate:
        op = self.take()[1]
        labels: tuple[str, ...] = ()
        without = False
        if self.peek()[1] in ("by", "without"):
            without = self.take()[1] == "without"
            labels = self.label_list()
        self.take("(")
        inner = self.binary(0)
        self.take(")")
        if self.peek()[1] in ("by", "without"):
            if labels:
                raise PromQLError(f"{op}: by/without given twice")
            without = self.take()[1] == "without"
            labels = self.label_list()
        return Aggregate(op, inner, labels, without)

    def call(self) -> Call:
        func = self.take()[1]
        self.take("(")
        args: list[Expr] = []
        while self.peek()[1] != ")":
            args.append(self.binary(0))
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        if func in RANGE_FUNCTIONS:
            if len(args) != 1 or not isinstance(args[0], Selector) or args[0].range_s is None:
                raise PromQLError(f"{func}() takes one range selector such as metric[5m]")
        elif func == "vector":
            if len(args) != 1:
                raise PromQLError("vector() takes one scalar")
        elif func == "histogram_quantile":
            if len(args) != 2:
                raise PromQLError("histogram_quantile() takes a quantile and a vector of buckets")
        else:
            raise PromQLError(f"function {func}() is not supported")
        return Call(func, tuple(args))

    def selector(self, name: str | None) -> Selector:
        matchers: list[Matcher] = []
        if name is not None:
            matchers.append(Matcher("__name__", "=", name))
        if self.peek()[1] == "{":
            self.take()
            while self.peek()[1] != "}":
                kind, label = self.take()
                if kind != "ident":
                    raise PromQLError(f"expected a label name, found {label!r}")
                op = self.take()[1]
                if op not in ("=", "!=", "=~", "!~"):
                    raise PromQLError(f"expected a label matcher operator, found {op!r}")
                kind, raw = self.take()
                if kind != "str":
                    raise PromQLError(f"expected a quoted label value, found {raw!r}")
                value = _unquote(raw)
                try:
                    pattern = re.compile(value) if op in ("=~", "!~") else None
                except re.error as exc:
                    raise PromQLError(f"bad regular expression {value!r}: {exc}") from None
                matchers.append(Matcher(label, op, value, pattern))
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
        if not matchers:
            raise PromQLError("a selector needs a metric name or a label matcher")
        range_s: float | None = None
        if self.peek()[1] == "[":
            self.take()
            kind, text = self.take()
            if kind not in ("dur", "num"):
                raise PromQLError(f"expected a duration, found {text!r}")
            range_s = parse_duration(text) if kind == "dur" else float(text)
            if self.peek()[1] == ":":
                raise PromQLError("subqueries are not supported")
            self.take("]")
        if self.peek()[1] in _UNSUPPORTED:
            raise PromQLError(f"{self.peek()[1]} is not supported")
        return Selector(tuple(matchers), range_s)


def parse(text: str) -> Expr:
    """The expression tree, or `PromQLError` saying what is not supported."""
    return _Parser(text).parse()
