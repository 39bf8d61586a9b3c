"""AWS policy documents in every form they take in IaC: a JSON string (heredoc or `jsonencode`d
object), a CloudFormation `PolicyDocument` mapping, or a `data "aws_iam_policy_document"` block."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from secloop.iac.policies.interface import as_list, blocks, unknown
from secloop.sources.yaml_lines import YamlMap


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...]  # "*" for everyone; AWS/Service/Federated values otherwise
    conditional: bool
    not_action: bool
    line: int

    @property
    def key(self) -> str:
        return self.sid or str(self.index)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in as_list(value) if isinstance(v, str | int))


def _principals(value: Any) -> tuple[str, ...]:
    if isinstance(value, dict):
        return tuple(p for v in value.values() for p in _strings(v))
    return _strings(value)


def _document(value: Any) -> Any:
    if isinstance(value, str) and not unknown(value):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def statements(value: Any, line: int) -> list[Statement]:
    """The statements of a JSON or mapping policy document; [] when unknown or malformed."""
    doc = _document(value)
    if not isinstance(doc, dict):
        return []
    found = []
    for index, stmt in enumerate(as_list(doc.get("Statement"))):
        if not isinstance(stmt, dict) or unknown(stmt):
            continue
        found.append(
            Statement(
                index=index,
                sid=str(stmt.get("Sid", "")),
                effect=str(stmt.get("Effect", "")),
                actions=_strings(stmt.get("Action", stmt.get("NotAction"))),
                resources=_strings(stmt.get("Resource", stmt.get("NotResource"))),
                principals=_principals(stmt.get("Principal")),
                conditional=bool(stmt.get("Condition")),
                not_action="NotAction" in stmt,
                line=stmt.line if isinstance(stmt, YamlMap) and isinstance(value, YamlMap) else line,
            )
        )
    return found


def document_statements(body: YamlMap) -> list[Statement]:
    """The `statement` blocks of a `data "aws_iam_policy_document"`."""
    found = []
    for index, block in enumerate(blocks(body, "statement")):
        principals = tuple(p for pb in blocks(block, "principals") for p in _strings(pb.get("identifiers")))
        found.append(
            Statement(
                index=index,
                sid=str(block.get("sid", "")),
                effect=str(block.get("effect", "Allow")),
                actions=_strings(block.get("actions", block.get("not_actions"))),
                resources=_strings(block.get("resources", block.get("not_resources"))),
                principals=principals,
                conditional=bool(blocks(block, "condition")),
                not_action="not_actions" in block,
                line=block.line,
            )
        )
    return found
