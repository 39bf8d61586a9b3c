"""AWS CloudFormation and SAM templates, in YAML or JSON.

A template is recognised by its content (`AWSTemplateFormatVersion`, or a resource `Type: AWS::…`).
Each entry of `Resources` becomes a resource whose body is its `Properties`; a `{"Ref": P}` to a
parameter with a `Default` is replaced by the default, the static case of CloudFormation's own
resolution. `Conditions` are evaluated the same way (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`,
`Condition`): a resource whose `Condition` is false with the defaults is not deployed and not
checked, and `Fn::If` on a decided condition is replaced by its branch (`AWS::NoValue` removes the
property). A condition that depends on anything else (a parameter without default, `AWS::Region`)
is undecided: the resource is checked and `Fn::If` stays as written.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from secloop.iac.model import Framework, ParsedFile, Resource
from secloop.iac.parsers.cfn_yaml import load_cfn_yaml
from secloop.iac.parsers.interface import IacParser, from_json
from secloop.sources.yaml_lines import YamlMap

_CANDIDATE = re.compile(r"\.(ya?ml|json|template)$")
_CFN = re.compile(
    r"AWSTemplateFormatVersion|AWS::Serverless-\d|^\s*\"?Type\"?\s*:\s*[\"']?AWS::\w+::\w+", re.MULTILINE
)


_DROP = object()  # a branch that is `AWS::NoValue`: the property is removed


class _Parameters:
    def __init__(self, defaults: dict[str, Any], conditions: Any = None) -> None:
        self.defaults = defaults
        self.raw = conditions if isinstance(conditions, YamlMap) else YamlMap(1)
        self.decided: dict[str, bool | None] = {}

    def condition(self, name: Any, depth: int = 0) -> bool | None:
        """The value of a named condition with the parameters' defaults; None when undecided."""
        if not isinstance(name, str) or depth > 20:
            return None
        if name not in self.decided:
            self.decided[name] = None  # a cycle stays undecided
            self.decided[name] = self._test(self.raw.get(name), depth + 1)
        return self.decided[name]

    def _test(self, spec: Any, depth: int) -> bool | None:
        if not isinstance(spec, YamlMap) or len(spec) != 1:
            return None
        fn, args = next(iter(spec.items()))
        if fn == "Condition":
            return self.condition(args, depth)
        if fn == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
            left, right = (self.resolve(a) for a in args)
            if isinstance(left, YamlMap | list) or isinstance(right, YamlMap | list):
                return None
            return _text(left) == _text(right)
        if fn in ("Fn::And", "Fn::Or", "Fn::Not") and isinstance(args, list) and args:
            values = [self._test(a, depth + 1) for a in args]
            if fn == "Fn::Not":
                return None if values[0] is None else not values[0]
            decisive: bool = fn == "Fn::Or"  # True decides an Or, False decides an And
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, YamlMap):
            if len(value) == 1:
                ref = value.get("Ref")
                if isinstance(ref, str) and ref in self.defaults:
                    return self.defaults[ref]
                if ref == "AWS::NoValue":
                    return _DROP
                branches = value.get("Fn::If")
                if isinstance(branches, list) and len(branches) == 3:
                    decided = self.condition(branches[0])
                    if decided is not None:
                        return self.resolve(branches[1] if decided else branches[2])
                    out = YamlMap(value.line)  # undecided: kept, its branches resolved
                    out.key_lines = value.key_lines
                    out["Fn::If"] = [branches[0], *(self._branch(b) for b in branches[1:])]
                    return out
            out = YamlMap(value.line)
            out.key_lines = value.key_lines
            for key, item in value.items():
                resolved = self.resolve(item)
                if resolved is not _DROP:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            return [r for r in (self.resolve(item) for item in value) if r is not _DROP]
        return value

    def _branch(self, value: Any) -> Any:
        resolved = self.resolve(value)
        return value if resolved is _DROP else resolved


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CloudFormationParser(IacParser):
    name = "CloudFormation"
    framework = Framework.CLOUDFORMATION

    def matches(self, path: str, text: str | None = None) -> bool:
        if not _CANDIDATE.search(path):
            return False
        return text is None or _CFN.search(text) is not None

    def parse(self, path: str, text: str) -> ParsedFile:
        doc, skipped = load_cfn_yaml(text, path)
        if skipped is not None and path.endswith(".json"):
            with contextlib.suppress(ValueError):
                doc, skipped = from_json(json.loads(text)), None
        if skipped is not None:
            return self.malformed(path, skipped.reason, skipped.line, skipped.column)
        if not isinstance(doc, YamlMap) or not isinstance(doc.get("Resources"), YamlMap):
            return self.malformed(
                path, "no `Resources` mapping", doc.line if isinstance(doc, YamlMap) else None
            )
        params = doc.get("Parameters")
        defaults = {
            name: spec["Default"]
            for name, spec in (params.items() if isinstance(params, YamlMap) else ())
            if isinstance(spec, YamlMap) and "Default" in spec
        }
        resolver = _Parameters(defaults, doc.get("Conditions"))
        found: list[Resource] = []
        resources: YamlMap = doc["Resources"]
        for logical_id, spec in resources.items():
            if not isinstance(spec, YamlMap) or not isinstance(spec.get("Type"), str):
                continue
            if "Condition" in spec and resolver.condition(spec["Condition"]) is False:
                continue  # not deployed with these parameters
            line = resources.line_of(logical_id)
            props = spec.get("Properties")
            body = resolver.resolve(props) if isinstance(props, YamlMap) else None
            body = body if isinstance(body, YamlMap) else YamlMap(line)
            found.append(
                Resource(self.framework, spec["Type"], str(logical_id), path, line, body, str(logical_id))
            )
        return ParsedFile(path, self.framework, tuple(found))


PARSER = CloudFormationParser()
