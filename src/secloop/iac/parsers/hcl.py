"""HCL text to values with lines, through python-hcl2's grammar.

python-hcl2 8.x does not fill `__start_line__` (its `with_meta` option is declared but unused), and
its own pipeline builds position metadata for every node and then a second tree of rule objects:
about 1 s for 3,000 lines. We load the same grammar and post-lexer into a Lark parser without
position propagation (tokens keep their own lines) and turn the parse tree into values directly,
which is about four times faster. Expressions that are not literals are kept as their source text
wrapped in ``${…}``, the form Terraform itself would show; `secloop.iac.terraform` resolves the ones
that are static.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path
from typing import Any

import hcl2
from hcl2.postlexer import PostLexer
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from secloop.sources.yaml_lines import YamlMap

_GRAMMAR = Path(hcl2.__file__).parent / "hcl2.lark"
_NOISE = frozenset({"new_line_or_comment"})


class HclError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@functools.cache
def _parser() -> Lark:
    # cache=True keeps the compiled LALR tables in the temporary folder: 1.4 s once, 0.06 s after.
    return Lark(
        _GRAMMAR.read_text("utf-8"),
        parser="lalr",
        propagate_positions=False,
        postlex=PostLexer(),
        cache=True,
    )


def parse_hcl(text: str) -> Tree[Token]:
    try:
        return _parser().parse(text + "\n")
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        char = getattr(exc, "char", None)
        kind = getattr(token, "type", "")
        if kind == "$END":
            what = "unexpected end of file (a brace or quote is not closed)"
        elif kind == "NL_OR_COMMENT" or str(token).startswith(("\n", "\r")):
            what = "unexpected end of line (an expression is missing)"
        elif token is not None:
            what = f"unexpected {str(token).splitlines()[0].strip()[:30]!r}"
        else:
            what = f"unexpected character {char!r}"
        raise HclError(f"not valid HCL: {what}", exc.line, exc.column) from None
    except (LarkError, RecursionError) as exc:
        raise HclError(f"not valid HCL: {type(exc).__name__}", None, None) from None


def first_token(node: Tree[Token] | Token) -> Token | None:
    while isinstance(node, Tree):
        if not node.children:
            return None
        node = node.children[0]
    return node


def last_token(node: Tree[Token] | Token) -> Token | None:
    while isinstance(node, Tree):
        if not node.children:
            return None
        node = node.children[-1]
    return node


def line_of(node: Tree[Token] | Token, default: int = 1) -> int:
    token = first_token(node)
    return token.line if token is not None and token.line is not None else default


class Converter:
    """Turns parse-tree nodes of one file into Python values: str, int, float, bool, None, list,
    YamlMap; non-literal expressions become ``"${source}"`` strings."""

    def __init__(self, text: str) -> None:
        self.text = text

    def source(self, node: Tree[Token] | Token) -> str:
        first, last = first_token(node), last_token(node)
        if first is None or last is None or first.start_pos is None or last.end_pos is None:
            return ""
        return self.text[first.start_pos : last.end_pos].strip()

    def expression(self, node: Tree[Token] | Token) -> Any:
        if isinstance(node, Token):
            return str(node)
        handler = _HANDLERS.get(str(node.data))
        if handler is not None:
            return handler(self, node)
        return "${" + self.source(node) + "}"

    # -- bodies ------------------------------------------------------------------------------

    def body(self, tree: Tree[Token], line: int) -> YamlMap:
        """Attributes as keys; nested blocks as lists of mappings under their type; `dynamic "x"`
        blocks under ``dynamic:x``."""
        result = YamlMap(line)
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                name = self.name(child.children[0])
                result[name] = self.expression(child.children[2])
                result.key_lines[name] = line_of(child, line)
            elif child.data == "block":
                labels, inner = self.block_parts(child)
                block_line = line_of(child, line)
                key = labels[0]
                if key == "dynamic" and len(labels) > 1:
                    # kept whole (for_each, iterator, content): `secloop.iac.terraform` expands it
                    # where for_each is static
                    key = f"dynamic:{labels[1]}"
                    value = self.body(inner, block_line)
                else:
                    value = self.body(inner, block_line)
                existing = result.get(key)
                if isinstance(existing, list):
                    existing.append(value)
                else:
                    result[key] = [value]
                    result.key_lines[key] = block_line
        return result

    def block_parts(self, block: Tree[Token]) -> tuple[list[str], Tree[Token]]:
        labels: list[str] = []
        inner: Tree[Token] | None = None
        for child in block.children:
            if isinstance(child, Tree):
                if child.data == "body":
                    inner = child
                elif child.data not in _NOISE:
                    labels.append(self.name(child))
        return labels, inner if inner is not None else Tree("body", [])

    def name(self, node: Tree[Token] | Token) -> str:
        if isinstance(node, Tree) and node.data == "string":
            value = self.expression(node)
            return value if isinstance(value, str) else self.source(node)
        token = first_token(node)
        return str(token) if token is not None else ""


def _meaningful(node: Tree[Token]) -> list[Tree[Token] | Token]:
    return [c for c in node.children if isinstance(c, Tree) and c.data not in _NOISE]


def _expr_term(conv: Converter, node: Tree[Token]) -> Any:
    inner = _meaningful(node)
    if len(inner) == 1:
        return conv.expression(inner[0])
    return "${" + conv.source(node) + "}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(chars: str) -> str:
    if "\\" not in chars:
        return chars
    out: list[str] = []
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch == "\\" and i + 1 < len(chars) and chars[i + 1] in _ESCAPES:
            out.append(_ESCAPES[chars[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _string(conv: Converter, node: Tree[Token]) -> Any:
    out: list[str] = []
    for part in node.children:
        if not isinstance(part, Tree):
            continue  # the quotes
        for piece in part.children:
            if isinstance(piece, Token):
                out.append(_unescape(str(piece)))
            elif piece.data == "interpolation":
                inner = [c for c in piece.children if isinstance(c, Tree)]
                out.append("${" + (conv.source(inner[0]) if inner else "") + "}")
            else:  # template directives: keep the whole string as written
                return "${" + conv.source(node) + "}"
    return "".join(out)


def _literal(_conv: Converter, node: Tree[Token]) -> Any:
    word = str(first_token(node))
    return {"true": True, "false": False}.get(word)


def _int(_conv: Converter, node: Tree[Token]) -> Any:
    return int(str(first_token(node)))


def _float(_conv: Converter, node: Tree[Token]) -> Any:
    return float(str(first_token(node)))


def _unary(conv: Converter, node: Tree[Token]) -> Any:
    sign = str(node.children[0])
    value = conv.expression(node.children[1])
    if sign == "-" and isinstance(value, int | float) and not isinstance(value, bool):
        return -value
    return "${" + conv.source(node) + "}"


def _tuple(conv: Converter, node: Tree[Token]) -> Any:
    return [conv.expression(c) for c in _meaningful(node)]


def _object(conv: Converter, node: Tree[Token]) -> Any:
    result = YamlMap(line_of(node))
    for elem in _meaningful(node):
        if not isinstance(elem, Tree) or elem.data != "object_elem":
            return "${" + conv.source(node) + "}"
        key_node = elem.children[0]
        key_inner = _meaningful(key_node) if isinstance(key_node, Tree) else []
        key: Any = conv.source(key_node)
        if key_inner and isinstance(key_inner[0], Tree):
            term = key_inner[0]
            inner = _meaningful(term) if term.data == "expr_term" else [term]
            if len(inner) == 1 and isinstance(inner[0], Tree) and inner[0].data in ("identifier", "string"):
                key = conv.name(inner[0])
        result[key] = conv.expression(elem.children[2])
        result.key_lines[key] = line_of(elem)
    return result


def _heredoc(conv: Converter, node: Tree[Token]) -> Any:
    raw = str(first_token(node))
    body = raw.split("\n", 1)[1] if "\n" in raw else ""
    body = body.rstrip("\n")
    body = body.rsplit("\n", 1)[0] + "\n" if "\n" in body else ""
    if node.data == "heredoc_template_trim":
        body = textwrap.dedent(body)
    return body


# Functions whose static argument is their value (for our purposes): a set is a list without repeats.
_PASS_THROUGH = frozenset({"jsonencode", "toset", "tolist", "tomap"})


def unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _function(conv: Converter, node: Tree[Token]) -> Any:
    name = conv.name(node.children[0])
    args = next((c for c in node.children if isinstance(c, Tree) and c.data == "arguments"), None)
    if name in _PASS_THROUGH and args is not None:
        values = _meaningful(args)
        if len(values) == 1:
            value = conv.expression(values[0])
            if name == "toset" and isinstance(value, list):
                return unique(value)
            if name == "jsonencode" or not (isinstance(value, str) and "${" in value):
                return value
    return "${" + conv.source(node) + "}"


_HANDLERS = {
    "expr_term": _expr_term,
    "string": _string,
    "literal_value": _literal,
    "int_lit": _int,
    "float_lit": _float,
    "unary_op": _unary,
    "tuple": _tuple,
    "object": _object,
    "heredoc_template": _heredoc,
    "heredoc_template_trim": _heredoc,
    "function_call": _function,
}
