"""AWS CloudFormation and SAM templates, in YAML or JSON.

A template is recognised by its content (`AWSTemplateFormatVersion`, or a resource `Type: AWS::…`).
Each entry of `Resources` becomes a resource whose body is its `Properties`; a `{"Ref": P}` to a
parameter with a `Default` is replaced by the default, the static case of CloudFormation's own
resolution.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from secloop.iac.model import Framework, ParsedFile, Resource
from secloop.iac.parsers.cfn_yaml import load_cfn_yaml
from secloop.iac.parsers.interface import IacParser
from secloop.sources.yaml_lines import YamlMap

_CANDIDATE = re.compile(r"\.(ya?ml|json|template)$")
_CFN = re.compile(
    r"AWSTemplateFormatVersion|AWS::Serverless-\d|^\s*\"?Type\"?\s*:\s*[\"']?AWS::\w+::\w+", re.MULTILINE
)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        out = YamlMap(1)
        for key, item in value.items():
            out[key] = _from_json(item)
        return out
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value


class _Parameters:
    def __init__(self, defaults: dict[str, Any]) -> None:
        self.defaults = defaults

    def resolve(self, value: Any) -> Any:
        if isinstance(value, YamlMap):
            if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in self.defaults:
                return self.defaults[value["Ref"]]
            out = YamlMap(value.line)
            out.key_lines = value.key_lines
            for key, item in value.items():
                out[key] = self.resolve(item)
            return out
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value


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
                doc, skipped = _from_json(json.loads(text)), None
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
        resolver = _Parameters(defaults)
        found: list[Resource] = []
        resources: YamlMap = doc["Resources"]
        for logical_id, spec in resources.items():
            if not isinstance(spec, YamlMap) or not isinstance(spec.get("Type"), str):
                continue
            line = resources.line_of(logical_id)
            props = spec.get("Properties")
            body = resolver.resolve(props) if isinstance(props, YamlMap) else YamlMap(line)
            found.append(
                Resource(self.framework, spec["Type"], str(logical_id), path, line, body, str(logical_id))
            )
        return ParsedFile(path, self.framework, tuple(found))


PARSER = CloudFormationParser()
