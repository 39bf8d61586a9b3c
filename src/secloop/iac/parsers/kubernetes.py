"""Kubernetes manifests: multi-document YAML (plain, Kustomize bases, `helm template` output) and
JSON (`kubectl get -o json`: one object or a `List`).

Every object with `apiVersion` and `kind` becomes a resource (a `List` is unpacked). Helm chart
templates are not YAML until rendered: they are reported as not checked, with how to check them.
JSON is read by the YAML reader, which keeps lines; JSON that reader refuses is read without them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from secloop.core.model import Skipped
from secloop.iac.model import Framework, ParsedFile, Resource
from secloop.iac.parsers.interface import IacParser, from_json
from secloop.sources.yaml_lines import YamlMap, load_yaml

_CANDIDATE = re.compile(r"\.(ya?ml|json)$")
_KIND = re.compile(r"^kind\s*:|\"kind\"\s*:", re.MULTILINE)
_API = re.compile(r"^apiVersion\s*:|\"apiVersion\"\s*:", re.MULTILINE)
_HELM = re.compile(r"\{\{-?\s")


def _objects(data: Any) -> Iterator[YamlMap]:
    if not isinstance(data, YamlMap):
        return
    if not isinstance(data.get("apiVersion"), str) or not isinstance(data.get("kind"), str):
        return
    if data["kind"] == "List" and isinstance(data.get("items"), list):
        for item in data["items"]:
            yield from _objects(item)
        return
    yield data


class KubernetesParser(IacParser):
    name = "Kubernetes"
    framework = Framework.KUBERNETES

    def matches(self, path: str, text: str | None = None) -> bool:
        if not _CANDIDATE.search(path):
            return False
        return text is None or (_KIND.search(text) is not None and _API.search(text) is not None)

    def parse(self, path: str, text: str) -> ParsedFile:
        if _HELM.search(text) and "/templates/" in f"/{path}":
            reason = (
                "a Helm template is not YAML until rendered; its resources were not checked "
                "(scan the output of `helm template CHART > rendered.yaml`)"
            )
            return ParsedFile(path, self.framework, (), (Skipped(path, reason),))
        docs, skipped = load_yaml(text, path)
        if skipped is not None and path.endswith(".json"):
            try:
                docs, skipped = [from_json(json.loads(text))], None
            except ValueError as exc:
                line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
                return self.malformed(path, f"not valid JSON: {getattr(exc, 'msg', exc)}", line, column)
        resources: list[Resource] = []
        for doc in docs:
            for obj in _objects(doc):
                meta = obj.get("metadata")
                meta = meta if isinstance(meta, YamlMap) else YamlMap(obj.line)
                name = str(meta.get("name", ""))
                kind = obj["kind"]
                namespace = meta.get("namespace")
                address = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
                resources.append(Resource(self.framework, kind, name, path, obj.line, obj, address))
        extra = (
            ()
            if skipped is None
            else (
                Skipped(
                    path,
                    f"{self.name}: {skipped.reason}; the objects after it were not checked",
                    skipped.line,
                    skipped.column,
                ),
            )
        )
        return ParsedFile(path, self.framework, tuple(resources), extra)


PARSER = KubernetesParser()
