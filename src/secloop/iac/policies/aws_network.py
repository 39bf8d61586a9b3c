"""AWS security groups open to the whole internet on SSH, RDP and other administrative ports.

An ingress rule can sit inline in `aws_security_group`, or in its own `aws_security_group_rule` /
`aws_vpc_security_group_ingress_rule` (CloudFormation: `SecurityGroupIngress`). A group attached to
an instance that gets a public IP is reachable from the internet for sure: its findings are raised
to critical and name the instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secloop.core.enums import Severity
from secloop.core.rules import Rule
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import (
    Project,
    as_list,
    blocks,
    iac_rule,
    policy,
    truthy,
    violation,
)
from secloop.sources.yaml_lines import YamlMap

TF, CFN = Framework.TERRAFORM, Framework.CLOUDFORMATION
WORLD = {"0.0.0.0/0", "::/0"}
ADMIN_PORTS = {
    23: "Telnet",
    445: "SMB",
    1433: "SQL Server",
    1521: "Oracle",
    2375: "Docker API",
    2376: "Docker API",
    3306: "MySQL",
    5432: "PostgreSQL",
    5900: "VNC",
    5985: "WinRM",
    5986: "WinRM",
    6379: "Redis",
    9200: "Elasticsearch",
    10250: "kubelet",
    11211: "Memcached",
    27017: "MongoDB",
}


def _port_rule(rule_id: str, what: str, cwe: tuple[int, ...]) -> Rule:
    return iac_rule(
        rule_id,
        f"Security group allows {what} from the whole internet",
        Severity.HIGH,
        f"An ingress rule opens {what} to 0.0.0.0/0 or ::/0, so every scanner on the internet can try "
        "passwords and exploits against it; a group attached to an instance with a public IP is raised "
        "to critical.",
        "Restrict the source to known ranges (a VPN, a bastion's security group) or use SSM Session "
        "Manager / EC2 Instance Connect instead of open administrative ports.",
        cwe,
        "aws",
        "network",
        "no-humans-in-production",
    )


OPEN_SSH = _port_rule("IAC-AWS-SG-OPEN-SSH", "SSH (port 22)", (284,))
OPEN_RDP = _port_rule("IAC-AWS-SG-OPEN-RDP", "RDP (port 3389)", (284,))
OPEN_ADMIN = _port_rule("IAC-AWS-SG-OPEN-ADMIN-PORT", "an administrative or database port", (284,))


@dataclass(frozen=True, slots=True)
class Ingress:
    low: int
    high: int
    protocol: str
    sources: tuple[str, ...]
    line: int
    owner: Resource  # where the rule is written
    group: Resource | None  # the security group it belongs to, when known

    @property
    def all_ports(self) -> bool:
        return self.protocol in ("-1", "all") or (self.low <= 0 and self.high >= 65535)

    def covers(self, port: int) -> bool:
        return self.all_ports or (
            self.protocol in ("tcp", "6", "udp", "17") and self.low <= port <= self.high
        )


def _int(value: Any, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ingress(
    owner: Resource, group: Resource | None, body: Any, keys: tuple[str, ...], line: int
) -> Ingress | None:
    low_key, high_key, proto_key, *source_keys = keys
    protocol = str(body.get(proto_key, "-1")).lower()
    low, high = _int(body.get(low_key), 0), _int(body.get(high_key), 65535)
    sources = tuple(str(s) for k in source_keys for s in as_list(body.get(k)) if isinstance(s, str))
    if low is None or high is None:
        return None
    return Ingress(low, high, protocol, sources, line, owner, group)


TF_KEYS = ("from_port", "to_port", "protocol", "cidr_blocks", "ipv6_cidr_blocks")
VPC_KEYS = ("from_port", "to_port", "ip_protocol", "cidr_ipv4", "cidr_ipv6")
CFN_KEYS = ("FromPort", "ToPort", "IpProtocol", "CidrIp", "CidrIpv6")


def _rules_of(resource: Resource, project: Project) -> list[Ingress]:
    found: list[Ingress] = []
    if resource.type == "aws_security_group":
        for block in blocks(resource.body, "ingress"):
            rule = _ingress(resource, resource, block, TF_KEYS, block.line)
            found += [rule] if rule else []
    elif resource.type in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"):
        if resource.type == "aws_security_group_rule" and resource.body.get("type") != "ingress":
            return []
        ref = resource.body.get("security_group_id")
        group = next(
            (g for g in project.related(resource, "aws_security_group") if project.points_at(ref, g)), None
        )
        keys = TF_KEYS if resource.type == "aws_security_group_rule" else VPC_KEYS
        rule = _ingress(resource, group, resource.body, keys, resource.line)
        found += [rule] if rule else []
    elif resource.type == "AWS::EC2::SecurityGroup":
        for entry in as_list(resource.body.get("SecurityGroupIngress")):
            if isinstance(entry, YamlMap):
                rule = _ingress(resource, resource, entry, CFN_KEYS, entry.line)
                found += [rule] if rule else []
    elif resource.type == "AWS::EC2::SecurityGroupIngress":
        ref = resource.body.get("GroupId")
        group = next(
            (g for g in project.related(resource, "AWS::EC2::SecurityGroup") if project.points_at(ref, g)),
            None,
        )
        rule = _ingress(resource, group, resource.body, CFN_KEYS, resource.line)
        found += [rule] if rule else []
    return found


def _public_instance(group: Resource | None, project: Project) -> Resource | None:
    """An instance with a public IP that uses ``group``."""
    if group is None:
        return None
    if group.framework is TF:
        for instance in project.related(group, "aws_instance"):
            attached = as_list(instance.body.get("vpc_security_group_ids")) + as_list(
                instance.body.get("security_groups")
            )
            if truthy(instance.body.get("associate_public_ip_address")) and project.points_at(
                attached, group
            ):
                return instance
        return None
    for instance in project.related(group, "AWS::EC2::Instance"):
        attached = as_list(instance.body.get("SecurityGroupIds")) + as_list(
            instance.body.get("SecurityGroups")
        )
        interfaces = [i for i in as_list(instance.body.get("NetworkInterfaces")) if isinstance(i, YamlMap)]
        public = [i for i in interfaces if truthy(i.get("AssociatePublicIpAddress"))]
        groups = [g for i in public for g in as_list(i.get("GroupSet"))]
        if public and project.points_at(groups + attached, group):
            return instance
    return None


def _open(rule: Rule, ports: dict[int, str], resource: Resource, project: Project) -> Iterator[Violation]:
    for ingress in _rules_of(resource, project):
        world = sorted(WORLD & set(ingress.sources))
        if not world:
            continue
        hit = [f"{name} ({port})" for port, name in sorted(ports.items()) if ingress.covers(port)]
        if rule is OPEN_ADMIN and ingress.all_ports:
            hit = ["all ports"]
        if not hit:
            continue
        instance = _public_instance(ingress.group, project)
        where = f" and is attached to public instance {instance.address}" if instance else ""
        span = "all" if ingress.all_ports else f"{ingress.low}-{ingress.high}"
        yield violation(
            resource,
            f"ingress:{ingress.protocol}:{span}:{','.join(world)}",
            ingress.line,
            f"{resource.address} opens {', '.join(hit[:3])} to {', '.join(world)}{where}",
            Severity.CRITICAL if instance else None,
        )


def open_ssh(resource: Resource, project: Project) -> Iterator[Violation]:
    yield from _open(OPEN_SSH, {22: "SSH"}, resource, project)


def open_rdp(resource: Resource, project: Project) -> Iterator[Violation]:
    yield from _open(OPEN_RDP, {3389: "RDP"}, resource, project)


def open_admin(resource: Resource, project: Project) -> Iterator[Violation]:
    yield from _open(OPEN_ADMIN, ADMIN_PORTS, resource, project)


TF_GROUPS = ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"]
CFN_GROUPS = ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"]
POLICIES = (
    policy(OPEN_SSH, TF, TF_GROUPS, open_ssh),
    policy(OPEN_SSH, CFN, CFN_GROUPS, open_ssh),
    policy(OPEN_RDP, TF, TF_GROUPS, open_rdp),
    policy(OPEN_RDP, CFN, CFN_GROUPS, open_rdp),
    policy(OPEN_ADMIN, TF, TF_GROUPS, open_admin),
    policy(OPEN_ADMIN, CFN, CFN_GROUPS, open_admin),
)
