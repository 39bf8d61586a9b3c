"""Google Cloud storage buckets, firewalls and Cloud SQL (google provider)."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Severity
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import (
    Project,
    as_list,
    blocks,
    iac_rule,
    line_of,
    policy,
    truthy,
    unknown,
    violation,
)

TF = Framework.TERRAFORM
BUCKET = "google_storage_bucket"
_PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
_WORLD = {"0.0.0.0/0", "::/0"}

UNIFORM_ACCESS = iac_rule(
    "IAC-GCP-BUCKET-UNIFORM-ACCESS",
    "GCS bucket does not use uniform bucket-level access",
    Severity.MEDIUM,
    "With fine-grained (per-object) ACLs, access is decided object by object and an object can be "
    "made public without any IAM change showing it.",
    "Set `uniform_bucket_level_access = true`.",
    (284,),
    "gcp",
    "public-access",
)
PUBLIC_BUCKET = iac_rule(
    "IAC-GCP-BUCKET-PUBLIC",
    "GCS bucket is readable by allUsers or allAuthenticatedUsers",
    Severity.HIGH,
    "An IAM binding or ACL for allUsers (anyone) or allAuthenticatedUsers (any Google account) makes "
    "the bucket's objects public.",
    "Grant access to named service accounts or groups; serve public content through a CDN.",
    (284,),
    "gcp",
    "public-access",
)
FIREWALL_ADMIN = iac_rule(
    "IAC-GCP-FIREWALL-OPEN-SSH-RDP",
    "GCP firewall allows SSH or RDP from the internet",
    Severity.HIGH,
    "An ingress rule from 0.0.0.0/0 to port 22 or 3389 exposes every matching VM to password guessing "
    "and exploits from anywhere.",
    "Restrict `source_ranges` (e.g. to 35.235.240.0/20 for Identity-Aware Proxy TCP forwarding).",
    (284,),
    "gcp",
    "network",
    "no-humans-in-production",
)
SQL_PUBLIC = iac_rule(
    "IAC-GCP-SQL-PUBLIC",
    "Cloud SQL instance accepts connections from any address",
    Severity.HIGH,
    "An authorized network of 0.0.0.0/0 on a public IP lets anyone on the internet reach the database port.",
    "Remove the 0.0.0.0/0 network; use private IP or the Cloud SQL Auth Proxy.",
    (284,),
    "gcp",
    "public-access",
)


def uniform_access(bucket: Resource, _project: Project) -> Iterator[Violation]:
    value = bucket.body.get("uniform_bucket_level_access")
    if not truthy(value) and not unknown(value):
        line = line_of(bucket.body, "uniform_bucket_level_access", bucket.line)
        yield violation(bucket, "uniform", line, f"bucket {bucket.address} uses per-object ACLs")


def public_bucket(resource: Resource, project: Project) -> Iterator[Violation]:
    members = as_list(resource.body.get("member")) + as_list(resource.body.get("members"))
    members += as_list(resource.body.get("entity"))
    public = sorted(_PUBLIC_MEMBERS & {str(m) for m in members})
    if not public:
        return
    target = next(
        (
            b
            for b in project.related(resource, BUCKET)
            if project.points_at(resource.body.get("bucket"), b, "name")
        ),
        None,
    )
    which = f" bucket {target.address}" if target else ""
    key = "member" if "member" in resource.body else "members" if "members" in resource.body else "entity"
    yield violation(
        resource,
        "public",
        line_of(resource.body, key, resource.line),
        f"{resource.address} opens{which} to {', '.join(public)}",
    )


def _covers(spec: str, port: int) -> bool:
    low, _, high = spec.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False


def firewall_admin(rule: Resource, _project: Project) -> Iterator[Violation]:
    body = rule.body
    if str(body.get("direction", "INGRESS")).upper() != "INGRESS" or truthy(body.get("disabled")):
        return
    if not _WORLD & {str(s) for s in as_list(body.get("source_ranges"))}:
        return
    hit: set[str] = set()
    for allow in blocks(body, "allow"):
        if str(allow.get("protocol", "")).lower() not in ("tcp", "all", "6"):
            continue
        ports = [str(p) for p in as_list(allow.get("ports"))]
        for port, name in ((22, "SSH"), (3389, "RDP")):
            if not ports or any(_covers(p, port) for p in ports):
                hit.add(name)
    if hit:
        line = line_of(body, "source_ranges", rule.line)
        yield violation(
            rule, "ingress", line, f"{rule.address} allows {' and '.join(sorted(hit))} from the internet"
        )


def sql_public(instance: Resource, _project: Project) -> Iterator[Violation]:
    for settings in blocks(instance.body, "settings"):
        for config in blocks(settings, "ip_configuration"):
            for network in blocks(config, "authorized_networks"):
                if network.get("value") in _WORLD:
                    message = f"{instance.address} accepts connections from any address"
                    yield violation(instance, "authorized_networks", network.line, message)


POLICIES = (
    policy(UNIFORM_ACCESS, TF, [BUCKET], uniform_access),
    policy(
        PUBLIC_BUCKET,
        TF,
        [
            "google_storage_bucket_iam_member",
            "google_storage_bucket_iam_binding",
            "google_storage_bucket_access_control",
            "google_storage_default_object_access_control",
        ],
        public_bucket,
    ),
    policy(FIREWALL_ADMIN, TF, ["google_compute_firewall"], firewall_admin),
    policy(SQL_PUBLIC, TF, ["google_sql_database_instance"], sql_public),
)
