"""AWS S3 buckets: encryption, public access, logging, versioning, bucket policies.

Since provider v4 a bucket's settings live in separate resources (`aws_s3_bucket_versioning`,
`aws_s3_bucket_public_access_block`, …) that point at the bucket by reference or by name; a bucket
is judged together with them.
"""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Severity
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import (
    Project,
    as_list,
    blocks,
    dig,
    falsy,
    has_block,
    iac_rule,
    line_of,
    policy,
    truthy,
    unknown,
    violation,
)
from secloop.iac.policies.policy_doc import statements
from secloop.sources.yaml_lines import YamlMap

TF, CFN = Framework.TERRAFORM, Framework.CLOUDFORMATION
BUCKET = "aws_s3_bucket"
CFN_BUCKET = "AWS::S3::Bucket"
PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read", "website"}
CFN_PUBLIC_ACLS = {"PublicRead", "PublicReadWrite", "AuthenticatedRead"}
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/", "https://acs.amazonaws.com/groups/global/")
BLOCK_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
CFN_BLOCK_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")

ENCRYPTION = iac_rule(
    "IAC-AWS-S3-ENCRYPTION",
    "S3 bucket has no server-side encryption configuration",
    Severity.MEDIUM,
    "The bucket declares no default encryption. AWS now applies SSE-S3 to new buckets, but without "
    "a declared configuration the key (and who may use it) is not under the team's control and "
    "drift goes unnoticed.",
    "Add `aws_s3_bucket_server_side_encryption_configuration` (Terraform) or `BucketEncryption` "
    "(CloudFormation), preferably with a customer-managed KMS key (`aws:kms`).",
    (311,),
    "aws",
    "encryption",
)
PUBLIC_ACL = iac_rule(
    "IAC-AWS-S3-PUBLIC-ACL",
    "S3 bucket ACL grants public access",
    Severity.HIGH,
    "A canned ACL such as public-read lets anyone on the internet (or any AWS account) list or read "
    "the bucket's objects.",
    "Use `private` (or no ACL with object ownership `BucketOwnerEnforced`) and serve public content "
    "through CloudFront with origin access control.",
    (732,),
    "aws",
    "public-access",
)
PUBLIC_ACCESS_BLOCK = iac_rule(
    "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK",
    "S3 bucket is not covered by a full public access block",
    Severity.MEDIUM,
    "Without all four public-access-block settings a later ACL or bucket policy change can make the "
    "bucket public; the block is the guard rail that stops it.",
    "Add `aws_s3_bucket_public_access_block` for the bucket with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets all true "
    "(CloudFormation: `PublicAccessBlockConfiguration`).",
    (284,),
    "aws",
    "public-access",
)
LOGGING = iac_rule(
    "IAC-AWS-S3-LOGGING",
    "S3 bucket has no access logging",
    Severity.LOW,
    "Without server access logs there is no record of who read or changed objects, which an incident "
    "investigation needs.",
    "Add `aws_s3_bucket_logging` (or `LoggingConfiguration`) targeting a dedicated log bucket.",
    (778,),
    "aws",
    "logging",
)
VERSIONING = iac_rule(
    "IAC-AWS-S3-VERSIONING",
    "S3 bucket versioning is not enabled",
    Severity.LOW,
    "Without versioning an overwrite or delete (by mistake or by ransomware) cannot be undone.",
    'Add `aws_s3_bucket_versioning` with `status = "Enabled"` (or `VersioningConfiguration`).',
    (693,),
    "aws",
    "resilience",
)
POLICY_PUBLIC = iac_rule(
    "IAC-AWS-S3-POLICY-PUBLIC",
    "S3 bucket policy allows anyone",
    Severity.HIGH,
    'A bucket policy statement with Effect Allow, Principal "*" and no Condition grants its '
    "actions to everyone on the internet.",
    "Name the principals that need access, or add a Condition (aws:SourceVpce, aws:PrincipalOrgID).",
    (732,),
    "aws",
    "public-access",
)


def _configs(bucket: Resource, project: Project, kind: str) -> list[Resource]:
    return project.referrers(bucket, [kind], "bucket", "bucket")


def tf_encryption(bucket: Resource, project: Project) -> Iterator[Violation]:
    if has_block(bucket.body, "server_side_encryption_configuration"):
        return
    if _configs(bucket, project, "aws_s3_bucket_server_side_encryption_configuration"):
        return
    yield violation(
        bucket, "encryption", bucket.line, f"bucket {bucket.address} declares no default encryption"
    )


def cfn_encryption(bucket: Resource, _project: Project) -> Iterator[Violation]:
    if "BucketEncryption" not in bucket.body:
        yield violation(bucket, "encryption", bucket.line, f"bucket {bucket.name} has no BucketEncryption")


def tf_public_acl(resource: Resource, _project: Project) -> Iterator[Violation]:
    acl = resource.body.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_ACLS:
        line = line_of(resource.body, "acl", resource.line)
        yield violation(resource, "acl", line, f'{resource.address} sets acl = "{acl}"')
    # explicit grants: `grant` blocks of a bucket, `access_control_policy` of aws_s3_bucket_acl
    grants = blocks(resource.body, "grant") + [
        g
        for policy_block in blocks(resource.body, "access_control_policy")
        for g in blocks(policy_block, "grant")
    ]
    for grant in grants:
        uri = grant.get("uri") or dig(grant, "grantee", "uri")
        group = uri.rsplit("/", 1)[-1] if isinstance(uri, str) else ""
        if (
            isinstance(uri, str)
            and uri.startswith(PUBLIC_GRANTEES)
            and group in ("AllUsers", "AuthenticatedUsers")
        ):
            what = grant.get("permission") or ", ".join(str(x) for x in as_list(grant.get("permissions")))
            yield violation(
                resource,
                f"grant:{group}",
                grant.line,
                f"{resource.address} grants {what or 'access'} to {group}",
            )


def cfn_public_acl(bucket: Resource, _project: Project) -> Iterator[Violation]:
    acl = bucket.body.get("AccessControl")
    if isinstance(acl, str) and acl in CFN_PUBLIC_ACLS:
        line = line_of(bucket.body, "AccessControl", bucket.line)
        yield violation(bucket, "acl", line, f"bucket {bucket.name} sets AccessControl: {acl}")


def tf_public_access_block(bucket: Resource, project: Project) -> Iterator[Violation]:
    account = project.related(bucket, "aws_s3_account_public_access_block")
    if any(all(truthy(a.body.get(f)) for f in BLOCK_FLAGS) for a in account):
        return
    configured = _configs(bucket, project, "aws_s3_bucket_public_access_block")
    if not configured:
        yield violation(
            bucket, "public-access-block", bucket.line, f"bucket {bucket.address} has no public access block"
        )
        return
    for block in configured:
        missing = [f for f in BLOCK_FLAGS if not truthy(block.body.get(f)) and not unknown(block.body.get(f))]
        if missing:
            line = min(
                (line_of(block.body, f, block.line) for f in missing if f in block.body), default=block.line
            )
            yield violation(
                bucket,
                "public-access-block",
                line,
                f"{block.address} for bucket {bucket.address} leaves {', '.join(missing)} off",
            )


def cfn_public_access_block(bucket: Resource, _project: Project) -> Iterator[Violation]:
    config = bucket.body.get("PublicAccessBlockConfiguration")
    if config is None:
        yield violation(
            bucket,
            "public-access-block",
            bucket.line,
            f"bucket {bucket.name} has no PublicAccessBlockConfiguration",
        )
        return
    missing = [f for f in CFN_BLOCK_FLAGS if not truthy(dig(config, f)) and not unknown(dig(config, f))]
    if missing:
        line = line_of(bucket.body, "PublicAccessBlockConfiguration", bucket.line)
        if isinstance(config, YamlMap) and missing[0] in config:
            line = config.line_of(missing[0])
        message = f"bucket {bucket.name} leaves {', '.join(missing)} off"
        yield violation(bucket, "public-access-block", line, message)


def _is_log_target(bucket: Resource, project: Project) -> bool:
    """A bucket that receives other buckets' access logs does not need logs of its own."""
    if project.referrers(bucket, ["aws_s3_bucket_logging"], "target_bucket", "bucket"):
        return True
    return any(
        project.points_at(b.get("target_bucket"), bucket, "bucket")
        for other in project.related(bucket, BUCKET)
        for b in blocks(other.body, "logging")
    )


def tf_logging(bucket: Resource, project: Project) -> Iterator[Violation]:
    if has_block(bucket.body, "logging") or _configs(bucket, project, "aws_s3_bucket_logging"):
        return
    if _is_log_target(bucket, project):
        return
    yield violation(bucket, "logging", bucket.line, f"bucket {bucket.address} has no access logging")


def cfn_logging(bucket: Resource, project: Project) -> Iterator[Violation]:
    if "LoggingConfiguration" in bucket.body:
        return
    targets = [
        b
        for b in project.related(bucket, CFN_BUCKET)
        if project.points_at(dig(b.body, "LoggingConfiguration", "DestinationBucketName"), bucket)
    ]
    if not targets:
        yield violation(bucket, "logging", bucket.line, f"bucket {bucket.name} has no LoggingConfiguration")


def tf_versioning(bucket: Resource, project: Project) -> Iterator[Violation]:
    inline = blocks(bucket.body, "versioning")
    if any(truthy(b.get("enabled")) or unknown(b.get("enabled")) for b in inline):
        return
    if "dynamic:versioning" in bucket.body:
        return
    for config in _configs(bucket, project, "aws_s3_bucket_versioning"):
        status = dig(config.body, "versioning_configuration", "status")
        if status == "Enabled" or unknown(status):
            return
    line = inline[0].line if inline else bucket.line
    yield violation(bucket, "versioning", line, f"bucket {bucket.address} does not enable versioning")


def cfn_versioning(bucket: Resource, _project: Project) -> Iterator[Violation]:
    status = dig(bucket.body, "VersioningConfiguration", "Status")
    if status != "Enabled" and not unknown(status):
        line = line_of(bucket.body, "VersioningConfiguration", bucket.line)
        yield violation(bucket, "versioning", line, f"bucket {bucket.name} does not enable versioning")


def _public_statements(resource: Resource, value: object, line: int) -> Iterator[Violation]:
    for stmt in statements(value, line):
        if stmt.effect == "Allow" and "*" in stmt.principals and not stmt.conditional:
            actions = ", ".join(stmt.actions) or "?"
            yield violation(
                resource,
                f"statement:{stmt.key}",
                stmt.line,
                f"{resource.address} allows anyone ({actions}) without a condition",
            )


def tf_policy_public(resource: Resource, _project: Project) -> Iterator[Violation]:
    value = resource.body.get("policy")
    if value is not None and not falsy(value):
        yield from _public_statements(resource, value, line_of(resource.body, "policy", resource.line))


def cfn_policy_public(resource: Resource, _project: Project) -> Iterator[Violation]:
    value = resource.body.get("PolicyDocument")
    yield from _public_statements(resource, value, line_of(resource.body, "PolicyDocument", resource.line))


POLICIES = (
    policy(ENCRYPTION, TF, [BUCKET], tf_encryption),
    policy(ENCRYPTION, CFN, [CFN_BUCKET], cfn_encryption),
    policy(PUBLIC_ACL, TF, [BUCKET, "aws_s3_bucket_acl"], tf_public_acl),
    policy(PUBLIC_ACL, CFN, [CFN_BUCKET], cfn_public_acl),
    policy(PUBLIC_ACCESS_BLOCK, TF, [BUCKET], tf_public_access_block),
    policy(PUBLIC_ACCESS_BLOCK, CFN, [CFN_BUCKET], cfn_public_access_block),
    policy(LOGGING, TF, [BUCKET], tf_logging),
    policy(LOGGING, CFN, [CFN_BUCKET], cfn_logging),
    policy(VERSIONING, TF, [BUCKET], tf_versioning),
    policy(VERSIONING, CFN, [CFN_BUCKET], cfn_versioning),
    policy(POLICY_PUBLIC, TF, ["aws_s3_bucket_policy", BUCKET], tf_policy_public),
    policy(POLICY_PUBLIC, CFN, ["AWS::S3::BucketPolicy"], cfn_policy_public),
)
