"""Azure storage accounts and network security groups (azurerm provider)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secloop.core.enums import Severity
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import (
    Project,
    as_list,
    blocks,
    falsy,
    iac_rule,
    line_of,
    policy,
    truthy,
    violation,
)

TF = Framework.TERRAFORM
ACCOUNT = "azurerm_storage_account"
# Source address prefixes that mean "anyone", not an address to bind.
_ANYWHERE = {"*", "0.0.0.0", "0.0.0.0/0", "internet", "any", "::/0"}  # noqa: S104  # nosec B104

HTTPS_ONLY = iac_rule(
    "IAC-AZURE-STORAGE-HTTPS",
    "Azure storage account accepts plain HTTP",
    Severity.HIGH,
    "With secure transfer turned off, requests and their shared-key or SAS credentials can travel "
    "unencrypted.",
    "Remove `enable_https_traffic_only = false` / `https_traffic_only_enabled = false` (true is the "
    "default).",
    (319,),
    "azure",
    "encryption",
)
PUBLIC_BLOB = iac_rule(
    "IAC-AZURE-STORAGE-PUBLIC-BLOB",
    "Azure storage allows anonymous public blob access",
    Severity.HIGH,
    "An account that allows public blobs, or a container with access type blob/container, serves its "
    "data to anyone with the URL.",
    "Set `allow_nested_items_to_be_public = false` on the account and `container_access_type = "
    '"private"` on containers.',
    (284,),
    "azure",
    "public-access",
)
MIN_TLS = iac_rule(
    "IAC-AZURE-STORAGE-MIN-TLS",
    "Azure storage account accepts TLS older than 1.2",
    Severity.MEDIUM,
    "TLS 1.0 and 1.1 have known weaknesses and are retired by Azure; allowing them lets clients downgrade.",
    'Set `min_tls_version = "TLS1_2"` (the default of recent provider versions).',
    (326,),
    "azure",
    "encryption",
)
NSG_ADMIN = iac_rule(
    "IAC-AZURE-NSG-OPEN-SSH-RDP",
    "Azure network security rule allows SSH or RDP from the internet",
    Severity.HIGH,
    "An inbound Allow rule from `*`/`Internet`/0.0.0.0/0 to port 22 or 3389 exposes the machines "
    "behind it to password guessing and exploits from anywhere.",
    "Restrict `source_address_prefix` to known ranges, or use Azure Bastion / just-in-time access.",
    (284,),
    "azure",
    "network",
    "no-humans-in-production",
)


def https_only(account: Resource, _project: Project) -> Iterator[Violation]:
    for key in ("enable_https_traffic_only", "https_traffic_only_enabled"):
        if falsy(account.body.get(key)):
            yield violation(
                account,
                "https",
                line_of(account.body, key, account.line),
                f"{account.address} accepts plain HTTP",
            )


def public_blob(resource: Resource, _project: Project) -> Iterator[Violation]:
    if resource.type == ACCOUNT:
        for key in ("allow_nested_items_to_be_public", "allow_blob_public_access"):
            if truthy(resource.body.get(key)):
                yield violation(
                    resource,
                    "public",
                    line_of(resource.body, key, resource.line),
                    f"{resource.address} allows public blobs",
                )
        return
    access = resource.body.get("container_access_type")
    if access in ("blob", "container"):
        line = line_of(resource.body, "container_access_type", resource.line)
        yield violation(resource, "public", line, f"{resource.address} is readable anonymously ({access})")


def min_tls(account: Resource, _project: Project) -> Iterator[Violation]:
    value = account.body.get("min_tls_version")
    if value in ("TLS1_0", "TLS1_1"):
        yield violation(
            account,
            "tls",
            line_of(account.body, "min_tls_version", account.line),
            f"{account.address} accepts {value}",
        )


def _ports(rule: Any) -> list[str]:
    return [
        str(p)
        for key in ("destination_port_range", "destination_port_ranges")
        for p in as_list(rule.get(key))
    ]


def _covers(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = spec.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False


def _open_rule(rule: Any) -> list[str]:
    if str(rule.get("direction", "")).lower() != "inbound" or str(rule.get("access", "")).lower() != "allow":
        return []
    sources = [
        str(s).lower()
        for k in ("source_address_prefix", "source_address_prefixes")
        for s in as_list(rule.get(k))
    ]
    if not _ANYWHERE & set(sources):
        return []
    return [
        name for port, name in ((22, "SSH"), (3389, "RDP")) if any(_covers(p, port) for p in _ports(rule))
    ]


def nsg_admin(resource: Resource, _project: Project) -> Iterator[Violation]:
    rules = (
        blocks(resource.body, "security_rule")
        if resource.type == "azurerm_network_security_group"
        else [resource.body]
    )
    for rule in rules:
        hit = _open_rule(rule)
        if hit:
            name = rule.get("name", "")
            yield violation(
                resource,
                f"rule:{name}",
                rule.line if rule is not resource.body else resource.line,
                f"{resource.address} allows {' and '.join(hit)} from the internet",
            )


POLICIES = (
    policy(HTTPS_ONLY, TF, [ACCOUNT], https_only),
    policy(PUBLIC_BLOB, TF, [ACCOUNT, "azurerm_storage_container"], public_blob),
    policy(MIN_TLS, TF, [ACCOUNT], min_tls),
    policy(NSG_ADMIN, TF, ["azurerm_network_security_group", "azurerm_network_security_rule"], nsg_admin),
)
