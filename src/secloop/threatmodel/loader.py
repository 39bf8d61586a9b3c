"""Read a threat-model file: YAML nodes, then the schema, then the cross-references, with lines kept.

A pydantic error location (`("components", 3, "properties", "encrytion")`) is followed through the
composed YAML nodes to the line and column of the key or value at fault.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from secloop.core.errors import Place
from secloop.threatmodel.checks import check_references
from secloop.threatmodel.problems import ModelError, Problem
from secloop.threatmodel.schema import ThreatModel
from secloop.threatmodel.yamlnodes import (
    Duplicate,
    Mark,
    YamlSyntaxError,
    compose,
    locate,
    mark_of,
    to_python,
)

MAX_PROBLEMS = 25
SCHEMA_DOC = "docs/commands/threatmodel.md"


@dataclass(frozen=True)
class LoadedModel:
    path: str
    model: ThreatModel
    marks: dict[str, Mark]  # element key ("component:web", "flow:a->b", "threat:2") -> where it starts

    def line_of(self, key: str) -> int | None:
        mark = self.marks.get(key)
        return mark.line if mark is not None else None


def load_model(path: Path, known_rules: Collection[str] = (), *, display: str | None = None) -> LoadedModel:
    shown = display or str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ModelError([Problem(Place(shown), "the threat-model file does not exist")]) from None
    except OSError as exc:
        raise ModelError([Problem(Place(shown), f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise ModelError(
            [Problem(Place(shown), f"not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8")]
        ) from None
    return parse_model(text, shown, known_rules)


def parse_model(text: str, path: str, known_rules: Collection[str] = ()) -> LoadedModel:
    try:
        root = compose(text)
    except YamlSyntaxError as exc:
        where = Place(path, exc.mark.line, exc.mark.column) if exc.mark else Place(path)
        raise ModelError(
            [Problem(where, f"not valid YAML: {exc.problem}", hint="check the indentation and quoting")]
        ) from None
    if root is None or root.id != "mapping":
        where = Place(path, *(_pair(mark_of(root)) if root is not None else (1, 1)))
        raise ModelError(
            [
                Problem(
                    where,
                    "the threat model must be a mapping" if root is not None else "the file is empty",
                    expected="a mapping with at least 'system:' (and data_assets, components, flows, ...)",
                    hint="start from `secloop threatmodel init`",
                )
            ]
        )
    duplicates: list[Duplicate] = []
    data = to_python(root, duplicates)
    problems = [
        Problem(
            Place(path, d.mark.line, d.mark.column),
            f"duplicate key '{d.key}' (first at line {d.first.line})",
            hint="keep one of them: YAML would silently use the last",
        )
        for d in duplicates
    ]
    try:
        model = ThreatModel.model_validate(data)
    except ValidationError as exc:
        problems += [_problem(err, root, path) for err in exc.errors(include_url=False)[:MAX_PROBLEMS]]
        raise ModelError(problems) from None
    marks, reference_problems = check_references(model, root, path, known_rules)
    problems += reference_problems
    if problems:
        raise ModelError(problems[:MAX_PROBLEMS])
    return LoadedModel(path, model, marks)


def _pair(mark: Mark) -> tuple[int, int]:
    return mark.line, mark.column


def where_text(loc: Sequence[str | int]) -> str:
    text = ""
    for seg in loc:
        text += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if text else str(seg))
    return text or "(top level)"


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The schema model that the value at ``loc`` is validated against, if it is a model."""
    current: Any = ThreatModel
    for seg in loc:
        current = _unwrap(current)
        if isinstance(seg, int):
            args = typing.get_args(current)
            if typing.get_origin(current) is not list or not args:
                return None
            current = args[0]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next(
            (f for name, f in current.model_fields.items() if seg in (name, f.alias)),
            None,
        )
        if field is None:
            return None
        current = field.annotation
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X; `Annotated[X, ...]` -> X."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(models[0]) if len(models) == 1 else annotation
    return annotation


def keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list (one '- item' per line, or [a, b])",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "date_from_datetime_parsing": "a date as YYYY-MM-DD",
    "date_parsing": "a date as YYYY-MM-DD",
    "date_type": "a date as YYYY-MM-DD",
    "string_pattern_mismatch": "an id: letters, digits and . _ : / -, starting with a letter or digit",
    "string_too_short": "non-empty text",
}


def _problem(err: ErrorDetails, root: Any, path: str) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    node, key_node, found = locate(root, loc)
    where = where_text(loc)
    if kind == "missing":
        parent = where_text(loc[:-1])
        mark = mark_of(node)
        field = str(loc[-1])
        return Problem(
            Place(path, mark.line, mark.column),
            f"{parent}: missing required key '{field}'",
            expected=f"'{field}:' in this mapping",
            hint=f"add '{field}: …' (the schema is in {SCHEMA_DOC})",
        )
    if kind == "extra_forbidden":
        mark = mark_of(key_node if key_node is not None and found else node)
        model = _model_at(loc[:-1])
        allowed = keys_of(model) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        return Problem(
            Place(path, mark.line, mark.column),
            f"{where_text(loc[:-1])}: unknown key '{loc[-1]}'",
            expected="one of: " + ", ".join(allowed) if allowed else None,
            hint=f"did you mean '{close[0]}'?" if close else f"remove it (the schema is in {SCHEMA_DOC})",
        )
    mark = mark_of(node)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    hint = None
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        message = f"{where}: {value!r} is not allowed"
        allowed = [s.strip(" '") for s in expected.replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else None
        return Problem(Place(path, mark.line, mark.column), message, expected=expected, hint=hint)
    if kind == "string_type" and isinstance(value, bool | int | float):
        hint = "quote the value: YAML reads yes/no/on/off as true/false and bare numbers as numbers"
    message = f"{where}: {err['msg'][0].lower()}{err['msg'][1:]}"
    if kind == "value_error":
        message = f"{where}: {ctx.get('error', err['msg'])!s}"
    return Problem(
        Place(path, mark.line, mark.column),
        message,
        expected=_EXPECTED.get(kind),
        hint=hint,
    )
