"""docker-compose files: every entry of `services` becomes a resource."""

from __future__ import annotations

import re

from secloop.iac.model import Framework, ParsedFile, Resource
from secloop.iac.parsers.interface import IacParser, basename
from secloop.sources.yaml_lines import YamlMap, load_yaml

_NAME = re.compile(r"^(docker-)?compose([.-][^/]*)?\.ya?ml$")


class ComposeParser(IacParser):
    name = "docker-compose"
    framework = Framework.COMPOSE

    def matches(self, path: str, text: str | None = None) -> bool:
        return _NAME.match(basename(path)) is not None

    def parse(self, path: str, text: str) -> ParsedFile:
        docs, skipped = load_yaml(text, path)
        if skipped is not None:
            return self.malformed(path, skipped.reason, skipped.line, skipped.column)
        doc = docs[0] if docs else None
        services = doc.get("services") if isinstance(doc, YamlMap) else None
        if not isinstance(services, YamlMap):
            return ParsedFile(path, self.framework)
        found = [
            Resource(
                self.framework, "service", str(name), path, services.line_of(name), body, f"services.{name}"
            )
            for name, body in services.items()
            if isinstance(body, YamlMap)
        ]
        return ParsedFile(path, self.framework, tuple(found))


PARSER = ComposeParser()
