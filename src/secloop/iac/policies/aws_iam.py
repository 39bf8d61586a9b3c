"""AWS IAM policies that allow every action, or write actions on every resource."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Severity
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import Project, as_list, blocks, iac_rule, line_of, policy, violation
from secloop.iac.policies.policy_doc import Statement, document_statements, statements
from secloop.sources.yaml_lines import YamlMap

TF, CFN = Framework.TERRAFORM, Framework.CLOUDFORMATION
# Actions that only read: allowed on "*" without a finding.
_READ_ONLY = re.compile(
    r"^[\w-]+:(Describe|List|Get|Head|Search|Lookup|BatchGet|Query|Scan|View)[\w*]*$", re.I
)

WILDCARD_ACTION = iac_rule(
    "IAC-AWS-IAM-WILDCARD-ACTION",
    "IAM policy allows every action (of a service)",
    Severity.HIGH,
    'A statement with Action "*" grants administrator rights; "service:*" grants every action of a '
    "service, including deleting data and changing its own permissions. Least privilege is lost and "
    "a stolen credential can do anything.",
    "List the actions the workload calls (IAM Access Analyzer can generate them from CloudTrail).",
    (269,),
    "aws",
    "iam",
)
WILDCARD_RESOURCE = iac_rule(
    "IAC-AWS-IAM-WILDCARD-RESOURCE",
    "IAM policy allows write actions on every resource",
    Severity.MEDIUM,
    'A statement allows actions that change state on Resource "*", so the principal can touch '
    "resources of other applications in the account.",
    "Scope Resource to the ARNs the workload owns.",
    (732,),
    "aws",
    "iam",
)

_TF_POLICIES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
_CFN_POLICIES = (
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
)


def _statements(resource: Resource) -> list[Statement]:
    body = resource.body
    if resource.type == "data.aws_iam_policy_document":
        return document_statements(body)
    if resource.framework is TF:
        found = statements(body.get("policy"), line_of(body, "policy", resource.line))
        for inline in blocks(body, "inline_policy"):  # aws_iam_role
            found += statements(inline.get("policy"), line_of(inline, "policy", inline.line))
        return found
    found = statements(body.get("PolicyDocument"), line_of(body, "PolicyDocument", resource.line))
    for inline in as_list(body.get("Policies")):
        if isinstance(inline, YamlMap):
            found += statements(inline.get("PolicyDocument"), inline.line)
    return found


def wildcard_action(resource: Resource, _project: Project) -> Iterator[Violation]:
    for stmt in _statements(resource):
        if stmt.effect != "Allow" or stmt.not_action:
            continue
        wide = [a for a in stmt.actions if a == "*" or a.endswith(":*")]
        if wide:
            what = "every action" if "*" in wide else f"every action of {', '.join(sorted(wide))}"
            yield violation(
                resource, f"statement:{stmt.key}:action", stmt.line, f"{resource.address} allows {what}"
            )


def wildcard_resource(resource: Resource, _project: Project) -> Iterator[Violation]:
    for stmt in _statements(resource):
        if stmt.effect != "Allow" or stmt.not_action or "*" not in stmt.resources:
            continue
        if any(a == "*" or a.endswith(":*") for a in stmt.actions):
            continue  # IAC-AWS-IAM-WILDCARD-ACTION says it already
        writes = [a for a in stmt.actions if not _READ_ONLY.match(a)]
        if writes:
            shown = ", ".join(writes[:3]) + (" …" if len(writes) > 3 else "")
            yield violation(
                resource,
                f"statement:{stmt.key}:resource",
                stmt.line,
                f"{resource.address} allows {shown} on every resource",
            )


_TF_TYPES = [*_TF_POLICIES, "aws_iam_role", "data.aws_iam_policy_document"]
POLICIES = (
    policy(WILDCARD_ACTION, TF, _TF_TYPES, wildcard_action),
    policy(WILDCARD_ACTION, CFN, _CFN_POLICIES, wildcard_action),
    policy(WILDCARD_RESOURCE, TF, _TF_TYPES, wildcard_resource),
    policy(WILDCARD_RESOURCE, CFN, _CFN_POLICIES, wildcard_resource),
)
