"""YAML composed into nodes (which keep their line and column) and turned into plain values.

Nodes are recognised by `node.id` ("mapping", "sequence", "scalar"), never by isinstance: when PyYAML
is first imported under a tracer, its C extension can bind a second copy of `yaml.nodes`, and the
classes of the nodes it builds are then not the ones `yaml.nodes` exports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TRUE = frozenset({"yes", "true", "on"})
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True, slots=True)
class Duplicate:
    key: str
    mark: Mark
    first: Mark


class YamlSyntaxError(Exception):
    def __init__(self, problem: str, mark: Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark


def _loader_class() -> type[yaml.SafeLoader]:
    """The C loader when it composes soundly (see the module docstring), else the Python one."""
    loader_class: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:
        return yaml.SafeLoader
    probe = loader_class("probe: [1]")
    try:
        node = probe.get_single_node()
        root: Any = node
        sound = root is not None and root.id == "mapping" and root.value[0][1].value[0].tag == _INT
    except yaml.YAMLError:
        sound = False
    finally:
        probe.dispose()
    return loader_class if sound else yaml.SafeLoader


_LOADER = _loader_class()


def mark_of(node: Any) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def compose(text: str) -> Any | None:
    """The root node of a single-document YAML text (None when the text holds no document)."""
    loader = _LOADER(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlSyntaxError(
            str(problem), Mark(mark.line + 1, mark.column + 1) if mark is not None else None
        ) from None
    finally:
        loader.dispose()


def _int(text: str) -> int | str:
    value = text.replace("_", "")
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-")
    try:
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits, 8)
        return sign * int(digits)
    except ValueError:
        return text


def _float(text: str) -> float | str:
    value = text.replace("_", "").lower()
    if value.endswith(".inf"):
        return float("-inf") if value.startswith("-") else float("inf")
    if value == ".nan":
        return float("nan")
    try:
        return float(value)
    except ValueError:
        return text


def scalar(node: Any) -> Any:
    """A scalar node's value by its resolved tag; timestamps stay text (pydantic parses dates)."""
    value: str = node.value
    tag = node.tag
    if node.style or tag == "tag:yaml.org,2002:str":
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() in _TRUE
    if tag == _INT:
        return value if _SEXAGESIMAL.match(value) else _int(value)
    if tag == _FLOAT:
        return value if _SEXAGESIMAL.match(value) else _float(value)
    return value


def to_python(node: Any, duplicates: list[Duplicate]) -> Any:
    """Plain dicts, lists and scalars; duplicate keys are recorded (the later value wins)."""
    kind = node.id
    if kind == "scalar":
        return scalar(node)
    if kind == "sequence":
        return [to_python(child, duplicates) for child in node.value]
    result: dict[Any, Any] = {}
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            merged = to_python(value_node, duplicates)
            for item in merged if isinstance(merged, list) else [merged]:
                if isinstance(item, dict):
                    result.update({k: v for k, v in item.items() if k not in result})
            continue
        key = to_python(key_node, duplicates) if key_node.id == "scalar" else str(key_node.tag)
        if key in seen:
            duplicates.append(Duplicate(str(key), mark_of(key_node), mark_of(seen[key])))
        seen[key] = key_node
        result[key] = to_python(value_node, duplicates)
    return result


def locate(root: Any, path: Sequence[str | int]) -> tuple[Any, Any | None, bool]:
    """Follow ``path`` through the nodes: (the deepest node reached, its key node, whether all of it
    was found). Segments that are not keys or indexes (pydantic's union tags) are passed over."""
    node, key = root, None
    for segment in path:
        kind = node.id
        if kind == "mapping" and isinstance(segment, str):
            for key_node, value_node in node.value:
                if key_node.id == "scalar" and key_node.value == segment:
                    node, key = value_node, key_node
                    break
            else:
                return node, key, False
        elif kind == "sequence" and isinstance(segment, int):
            if not 0 <= segment < len(node.value):
                return node, key, False
            node, key = node.value[segment], None
    return node, key, True
