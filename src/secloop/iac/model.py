"""The engine's values: what a parser reads (`Resource`), what a policy says (`Violation`), what a scan
returns (`IacScan`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from secloop.core.enums import Severity
from secloop.core.model import Finding, Skipped
from secloop.sources.yaml_lines import YamlMap


class Framework(str, Enum):
    TERRAFORM = "terraform"
    CLOUDFORMATION = "cloudformation"
    KUBERNETES = "kubernetes"
    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"


@dataclass(frozen=True, slots=True)
class Instruction:
    """One Dockerfile instruction: continuation lines joined, ARG/ENV references resolved where known."""

    keyword: str  # upper case: FROM, RUN, USER, ...
    value: str  # the arguments, as resolved
    line: int
    stage: int  # index of the FROM stage it belongs to (-1 before the first FROM)
    raw: str = ""  # the arguments as written


@dataclass(frozen=True, slots=True)
class Resource:
    """One checkable thing: a Terraform block, a CloudFormation resource, a Kubernetes object, a
    compose service or a whole Dockerfile. ``body`` is a mapping that remembers its lines."""

    framework: Framework
    type: str  # aws_s3_bucket, data.aws_iam_policy_document, AWS::S3::Bucket, Deployment, service, Dockerfile
    name: str
    path: str
    line: int
    body: YamlMap
    address: str
    instructions: tuple[Instruction, ...] = field(default=())
    #: a Terraform instance key made by `count` or `for_each`: ``[0]``, ``["eu"]``; else empty
    index: str = ""

    @property
    def module(self) -> str:
        """The folder of the file: a Terraform module, or the scope of cross-resource lookups."""
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


@dataclass(frozen=True, slots=True)
class ParsedFile:
    path: str
    framework: Framework
    resources: tuple[Resource, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class Violation:
    """What a policy found on one resource: the attribute that decides it and the line to show."""

    resource: Resource
    attribute: str  # logical key for the fingerprint: "acl", "ingress[22]", "container:web", ...
    line: int
    message: str
    severity: Severity | None = None  # overrides the rule's default (e.g. escalated by a connection)


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """A resource as the scan reports it, without its body."""

    framework: Framework
    type: str
    address: str
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class IacScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    resources: tuple[ResourceRef, ...]
    files: tuple[tuple[str, Framework], ...] = ()

    def frameworks(self) -> dict[Framework, list[str]]:
        found: dict[Framework, list[str]] = {}
        for path, framework in self.files:
            found.setdefault(framework, []).append(path)
        return found
