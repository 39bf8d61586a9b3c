"""Terraform / OpenTofu: `.tf` and `.tofu` files, and variable files (`.tfvars`).

Each file is read alone into blocks: `resource`, `data`, `module`, `variable` and `locals` become
resources; a `.tfvars` file becomes one `tfvars` resource holding its assignments. Variables, locals
and references are resolved afterwards, per folder (module), by `secloop.iac.terraform`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secloop.iac.model import Framework, ParsedFile, Resource
from secloop.iac.parsers.interface import IacParser

if TYPE_CHECKING:
    from lark import Token, Tree

    from secloop.iac.parsers.hcl import Converter

_KEPT = {"resource", "data", "module", "variable", "locals"}


class TerraformParser(IacParser):
    name = "Terraform"
    framework = Framework.TERRAFORM

    def matches(self, path: str, text: str | None = None) -> bool:
        return path.endswith((".tf", ".tofu", ".tfvars")) and not path.endswith(".tfstate")

    def parse(self, path: str, text: str) -> ParsedFile:
        from lark import Tree  # the grammar and its tables load only when there is Terraform to read

        from secloop.iac.parsers.hcl import Converter, HclError, parse_hcl

        try:
            tree = parse_hcl(text)
        except HclError as exc:
            return self.malformed(path, str(exc), exc.line, exc.column)
        conv = Converter(text)
        body = tree.children[0] if tree.children and isinstance(tree.children[0], Tree) else None
        if body is None:
            return ParsedFile(path, self.framework)
        if path.endswith(".tfvars"):
            values = conv.body(body, 1)
            return ParsedFile(
                path, self.framework, (Resource(self.framework, "tfvars", path, path, 1, values, path),)
            )
        resources = [
            r
            for child in body.children
            if isinstance(child, Tree) and child.data == "block"
            for r in _resources(conv, path, child)
        ]
        return ParsedFile(path, self.framework, tuple(resources))


def _resources(conv: Converter, path: str, block: Tree[Token]) -> list[Resource]:
    from secloop.iac.parsers.hcl import line_of

    labels, inner = conv.block_parts(block)
    if not labels or labels[0] not in _KEPT:
        return []
    line = line_of(block)
    body = conv.body(inner, line)
    kind = labels[0]
    tf = Framework.TERRAFORM
    if kind == "resource" and len(labels) == 3:
        return [Resource(tf, labels[1], labels[2], path, line, body, f"{labels[1]}.{labels[2]}")]
    if kind == "data" and len(labels) == 3:
        address = f"data.{labels[1]}.{labels[2]}"
        return [Resource(tf, f"data.{labels[1]}", labels[2], path, line, body, address)]
    if kind == "module" and len(labels) == 2:
        return [Resource(tf, "module", labels[1], path, line, body, f"module.{labels[1]}")]
    if kind == "variable" and len(labels) == 2:
        return [Resource(tf, "variable", labels[1], path, line, body, f"var.{labels[1]}")]
    if kind == "locals":
        return [Resource(tf, "locals", "", path, line, body, "locals")]
    return []


PARSER = TerraformParser()
