"""Maven pom.xml: the versions the POM declares itself, `${properties}` resolved from the same POM.

Only declared dependencies are read. A version inherited from a parent POM or a BOM, a version range,
and every transitive dependency need Maven's own resolution (`mvn dependency:tree`); such entries are
listed as skipped with that reason, never guessed.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field

from secloop.core.model import Skipped
from secloop.deps.model import MAVEN, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename

_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_RANGE = re.compile(r"^[\[(].*[\])]$")
_NEEDS_MAVEN = "transitive dependencies and inherited versions need Maven (`mvn dependency:tree`)"


@dataclass
class _Node:
    tag: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, tag: str) -> str | None:
        found = self.child(tag)
        return found.text.strip() if found is not None else None


class _Refused(Exception):
    pass


def _tree(text: str) -> _Node:
    parser = xml.parsers.expat.ParserCreate()
    root = _Node("", 0)
    stack = [root]

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag.rsplit(":", 1)[-1], parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        stack[-1].text += chunk

    def doctype(*args: object) -> None:
        # A POM has no DTD; refusing one keeps entity expansion (and its blow-ups) out entirely.
        raise _Refused("a DOCTYPE declaration: not a POM")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = doctype
    parser.Parse(text.encode("utf-8"), True)
    return root


class MavenPomParser(LockfileParser):
    name = "pom.xml"
    ecosystem = MAVEN

    def matches(self, path: str) -> bool:
        return basename(path) == "pom.xml"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            root = _tree(text)
        except xml.parsers.expat.ExpatError as exc:
            return self.malformed(
                path, f"not well-formed XML: {xml.parsers.expat.errors.messages[exc.code]}", exc.lineno
            )
        except _Refused as exc:
            return self.malformed(path, str(exc), 1)
        project = root.child("project")
        if project is None:
            return self.malformed(path, "no <project> element: not a POM", 1)
        props = self._properties(project)
        managed = self._managed(project, props)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        deps = project.child("dependencies")
        for dep in deps.children if deps is not None else []:
            if dep.tag != "dependency":
                continue
            group, artifact = dep.value("groupId"), dep.value("artifactId")
            if not group or not artifact:
                return self.malformed(path, "a <dependency> without groupId or artifactId", dep.line)
            name = f"{self._resolve(group, props) or group}:{self._resolve(artifact, props) or artifact}"
            raw = dep.value("version")
            version = self._resolve(raw, props) if raw else managed.get(name)
            problem = self._problem(name, raw, version)
            if problem is not None:
                skipped.append(Skipped(path, problem, dep.line))
                continue
            assert version is not None
            scope = (dep.value("scope") or "compile").lower()
            packages.append(package(MAVEN, name, version, path, dep.line, direct=True, dev=scope == "test"))
        skipped.append(Skipped(path, f"pom.xml: declared versions only; {_NEEDS_MAVEN}"))
        return ParseResult(tuple(packages), tuple(skipped))

    @staticmethod
    def _problem(name: str, raw: str | None, version: str | None) -> str | None:
        if version is None:
            if raw is None:
                return f"pom.xml: `{name}` takes its version from a parent POM or BOM; {_NEEDS_MAVEN}"
            return f"pom.xml: `{name}` version {raw} uses a property this POM does not define; {_NEEDS_MAVEN}"
        if _RANGE.match(version):
            return f"pom.xml: `{name}` declares the version range {version}: not pinned; {_NEEDS_MAVEN}"
        return None

    @staticmethod
    def _properties(project: _Node) -> dict[str, str]:
        props: dict[str, str] = {}
        node = project.child("properties")
        for child in node.children if node is not None else []:
            props[child.tag] = child.text.strip()
        parent = project.child("parent")
        for key in ("version", "groupId", "artifactId"):
            own = project.value(key) or (parent.value(key) if parent is not None else None)
            if own:
                props[f"project.{key}"] = own
                props.setdefault(f"pom.{key}", own)
            if parent is not None and parent.value(key):
                props[f"project.parent.{key}"] = parent.value(key) or ""
        return props

    def _managed(self, project: _Node, props: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        management = project.child("dependencyManagement")
        deps = management.child("dependencies") if management is not None else None
        for dep in deps.children if deps is not None else []:
            group, artifact, raw = dep.value("groupId"), dep.value("artifactId"), dep.value("version")
            if group and artifact and raw:
                resolved = self._resolve(raw, props)
                if resolved:
                    out[
                        f"{self._resolve(group, props) or group}:{self._resolve(artifact, props) or artifact}"
                    ] = resolved
        return out

    @staticmethod
    def _resolve(value: str, props: dict[str, str]) -> str | None:
        """``value`` with every `${name}` substituted (properties may refer to properties); None when
        one is undefined or the references loop."""
        for _ in range(10):
            if "${" not in value:
                return value
            missing = False

            def sub(match: re.Match[str]) -> str:
                nonlocal missing
                found = props.get(match.group(1))
                if found is None:
                    missing = True
                    return match.group(0)
                return found

            value = _PROPERTY.sub(sub, value)
            if missing:
                return None
        return None


PARSER = MavenPomParser()
