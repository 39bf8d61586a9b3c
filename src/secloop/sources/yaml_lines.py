"""YAML with line numbers: mappings remember the line of each key; a syntax error becomes a `Skipped`.

Read with PyYAML's C loader when libyaml is present. Custom tags (CloudFormation's `!Ref`, GitLab's
`!reference`) are read as the plain value underneath instead of failing the whole file.
"""

from __future__ import annotations

from typing import Any

import yaml

from secloop.core.model import Skipped


class YamlMap(dict[Any, Any]):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


def _c_loader() -> type[yaml.SafeLoader]:
    """PyYAML's C loader when it is present and sound, else the pure-Python one.

    When `yaml` is first imported under a tracer (coverage does this in the test run), the C extension
    can bind a second copy of `yaml.nodes`; its resolver then tags nothing and every load fails. A
    one-line probe catches that once, at import.
    """
    loader: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return yaml.SafeLoader
    probe = loader("probe: [1]")
    try:
        return loader if probe.get_single_data() == {"probe": [1]} else yaml.SafeLoader
    except yaml.YAMLError:
        return yaml.SafeLoader
    finally:
        probe.dispose()


_BaseLoader = _c_loader()


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool | None):
            raise yaml.constructor.ConstructorError(
                None, None, "found a mapping key that is not a scalar", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_tagged(loader: _LineLoader, _suffix: str, node: yaml.Node) -> Any:
    # CloudFormation (!Ref, !Sub) and GitLab (!reference) tags: keep the plain value underneath.
    if isinstance(node, yaml.MappingNode):
        return _construct_map(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return [loader.construct_object(child, deep=True) for child in node.value]
    return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_multi_constructor("!", _construct_tagged)


def load_yaml(text: str, path: str) -> tuple[list[Any], Skipped | None]:
    """Every document of a (multi-document) YAML text; on a syntax error the documents before it."""
    docs: list[Any] = []
    loader = _LineLoader(text)
    try:
        while loader.check_data():
            docs.append(loader.get_data())
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        return docs, Skipped(path, f"not valid YAML: {problem}", line, column)
    finally:
        loader.dispose()
    return docs, None


def get_map(node: Any, *keys: str) -> YamlMap | None:
    """Follow mapping keys; None when any step is missing or not a mapping."""
    for key in keys:
        if not isinstance(node, YamlMap):
            return None
        node = node.get(key)
    return node if isinstance(node, YamlMap) else None
