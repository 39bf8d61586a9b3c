"""YAML with CloudFormation's short-form intrinsic functions, read into their long form.

``!Ref X`` becomes ``{"Ref": "X"}``, ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}`` and
every other ``!Name v`` becomes ``{"Fn::Name": v}``, so policies see one shape for templates written
either way. Mappings keep their lines (`YamlMap`). Nodes are told apart by ``node.id``, not by class:
under coverage PyYAML's C extension can load the node classes twice, and isinstance then fails.
"""

from __future__ import annotations

from typing import Any

import yaml

from secloop.core.model import Skipped
from secloop.sources import yaml_lines
from secloop.sources.yaml_lines import YamlMap

_PLAIN = {"Ref": "Ref", "Condition": "Condition"}


class _CfnLoader(yaml_lines._LineLoader):  # the line-keeping loader, with other tags
    pass


def _value(loader: _CfnLoader, node: yaml.Node) -> Any:
    kind = getattr(node, "id", "")  # "mapping", "sequence" or "scalar", as the node classes declare
    if kind == "mapping":
        return loader.construct_object(node, deep=True)
    if kind == "sequence":
        return [loader.construct_object(child, deep=True) for child in node.value]
    return loader.construct_scalar(node)


def _intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> YamlMap:
    key = _PLAIN.get(suffix, f"Fn::{suffix}")
    value = _value(loader, node)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    result = YamlMap(node.start_mark.line + 1)
    result[key] = value
    result.key_lines[key] = node.start_mark.line + 1
    return result


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_cfn_yaml(text: str, path: str) -> tuple[Any, Skipped | None]:
    """The single document of a template; on a syntax error None and the place."""
    loader = _CfnLoader(text)
    try:
        return loader.get_single_data(), None
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        return None, Skipped(path, f"not valid YAML: {problem}", line, column)
    finally:
        loader.dispose()
