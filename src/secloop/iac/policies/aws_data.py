"""AWS data and compute settings: RDS, EBS, KMS, CloudTrail, ECR, EC2 instance metadata."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Severity
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import (
    Project,
    blocks,
    dig,
    iac_rule,
    line_of,
    policy,
    truthy,
    unknown,
    violation,
)

TF, CFN = Framework.TERRAFORM, Framework.CLOUDFORMATION

RDS_ENCRYPTION = iac_rule(
    "IAC-AWS-RDS-ENCRYPTION",
    "RDS database storage is not encrypted",
    Severity.HIGH,
    "Database storage, its snapshots and replicas are readable by anyone who gets the volume or a "
    "copied snapshot. Encryption can only be chosen when the database is created.",
    "Set `storage_encrypted = true` (CloudFormation `StorageEncrypted: true`), with a `kms_key_id`.",
    (311,),
    "aws",
    "encryption",
)
RDS_BACKUP = iac_rule(
    "IAC-AWS-RDS-BACKUP",
    "RDS automated backups are disabled",
    Severity.MEDIUM,
    "A backup retention period of 0 turns off automated backups and point-in-time recovery.",
    "Set `backup_retention_period` to 7 days or more.",
    (693,),
    "aws",
    "resilience",
)
RDS_PUBLIC = iac_rule(
    "IAC-AWS-RDS-PUBLIC",
    "RDS database is publicly accessible",
    Severity.HIGH,
    "A publicly accessible instance gets a public DNS name and IP, exposing the database port to the "
    "internet's password guessing and exploits.",
    "Set `publicly_accessible = false` and reach the database through the VPC.",
    (284,),
    "aws",
    "public-access",
)
EBS_ENCRYPTION = iac_rule(
    "IAC-AWS-EBS-ENCRYPTION",
    "EBS volume is not encrypted",
    Severity.MEDIUM,
    "Unencrypted volumes and their snapshots can be read by whoever can copy or share them.",
    "Set `encrypted = true` on volumes and block devices, or `aws_ebs_encryption_by_default`.",
    (311,),
    "aws",
    "encryption",
)
KMS_ROTATION = iac_rule(
    "IAC-AWS-KMS-ROTATION",
    "KMS key rotation is not enabled",
    Severity.MEDIUM,
    "Without automatic rotation a symmetric customer-managed key keeps the same key material for "
    "ever, so a leak of it has no end date.",
    "Set `enable_key_rotation = true` (CloudFormation `EnableKeyRotation: true`).",
    (320,),
    "aws",
    "encryption",
)
TRAIL_ENCRYPTION = iac_rule(
    "IAC-AWS-CLOUDTRAIL-ENCRYPTION",
    "CloudTrail logs are not encrypted with a KMS key",
    Severity.MEDIUM,
    "Audit logs encrypted only with S3-managed keys can be read by anyone with read access to the "
    "bucket; a KMS key adds a separate, audited permission.",
    "Set `kms_key_id` (CloudFormation `KMSKeyId`) to a customer-managed key.",
    (311,),
    "aws",
    "logging",
)
TRAIL_VALIDATION = iac_rule(
    "IAC-AWS-CLOUDTRAIL-LOG-VALIDATION",
    "CloudTrail log file validation is not enabled",
    Severity.MEDIUM,
    "Without digest files nobody can prove the audit log was not altered or deleted after an intrusion.",
    "Set `enable_log_file_validation = true` (CloudFormation `EnableLogFileValidation: true`).",
    (354,),
    "aws",
    "logging",
)
ECR_MUTABLE = iac_rule(
    "IAC-AWS-ECR-TAG-MUTABLE",
    "ECR repository allows image tags to be overwritten",
    Severity.LOW,
    "With mutable tags a pushed tag can later point at a different image, so what a deployment runs "
    "is not what was reviewed and scanned.",
    'Set `image_tag_mutability = "IMMUTABLE"` (CloudFormation `ImageTagMutability: IMMUTABLE`).',
    (494,),
    "aws",
    "immutable-infrastructure",
)
IMDSV1 = iac_rule(
    "IAC-AWS-EC2-IMDSV1",
    "EC2 instance metadata service accepts IMDSv1",
    Severity.MEDIUM,
    "IMDSv1 answers plain GET requests, so a server-side request forgery in the application can read "
    "the instance role's credentials.",
    'Add `metadata_options { http_tokens = "required" }` (launch templates: `MetadataOptions`).',
    (918,),
    "aws",
)


def tf_rds_encryption(db: Resource, _project: Project) -> Iterator[Violation]:
    body = db.body
    if db.type == "aws_db_instance" and (body.get("replicate_source_db") or body.get("snapshot_identifier")):
        return  # replicas and restores inherit the source's encryption
    if str(body.get("engine", "")).startswith("aurora") and db.type == "aws_db_instance":
        return  # Aurora storage is configured on the cluster
    value = body.get("storage_encrypted")
    if truthy(value) or unknown(value):
        return
    line = line_of(body, "storage_encrypted", db.line)
    yield violation(db, "storage_encrypted", line, f"{db.address} stores data unencrypted")


def cfn_rds_encryption(db: Resource, _project: Project) -> Iterator[Violation]:
    body = db.body
    if db.type == "AWS::RDS::DBInstance" and (
        "DBClusterIdentifier" in body or "SourceDBInstanceIdentifier" in body
    ):
        return
    value = body.get("StorageEncrypted")
    if not truthy(value) and not unknown(value):
        line = line_of(body, "StorageEncrypted", db.line)
        yield violation(db, "storage_encrypted", line, f"{db.name} stores data unencrypted")


def _backup(db: Resource, key: str) -> Iterator[Violation]:
    value = db.body.get(key)
    if value == 0 or value == "0":
        yield violation(
            db, "backup", line_of(db.body, key, db.line), f"{db.address} keeps no automated backups"
        )


def tf_rds_backup(db: Resource, _project: Project) -> Iterator[Violation]:
    yield from _backup(db, "backup_retention_period")


def cfn_rds_backup(db: Resource, _project: Project) -> Iterator[Violation]:
    yield from _backup(db, "BackupRetentionPeriod")


def _public(db: Resource, key: str) -> Iterator[Violation]:
    if truthy(db.body.get(key)):
        yield violation(db, "public", line_of(db.body, key, db.line), f"{db.address} is publicly accessible")


def tf_rds_public(db: Resource, _project: Project) -> Iterator[Violation]:
    yield from _public(db, "publicly_accessible")


def cfn_rds_public(db: Resource, _project: Project) -> Iterator[Violation]:
    yield from _public(db, "PubliclyAccessible")


def _encrypted_by_default(resource: Resource, project: Project) -> bool:
    return any(
        truthy(r.body.get("enabled", True))
        for r in project.related(resource, "aws_ebs_encryption_by_default")
    )


def tf_ebs_encryption(resource: Resource, project: Project) -> Iterator[Violation]:
    if _encrypted_by_default(resource, project):
        return
    if resource.type == "aws_ebs_volume":
        devices = [(resource.body, "volume")]
    elif resource.type == "aws_instance":
        devices = [
            (b, f"{kind}:{b.get('device_name', i)}")
            for kind in ("root_block_device", "ebs_block_device")
            for i, b in enumerate(blocks(resource.body, kind))
        ]
    else:  # aws_launch_template
        devices = [
            (ebs, f"block_device:{m.get('device_name', i)}")
            for i, m in enumerate(blocks(resource.body, "block_device_mappings"))
            for ebs in blocks(m, "ebs")
        ]
    for body, key in devices:
        value = body.get("encrypted")
        if truthy(value) or unknown(value) or (resource.type == "aws_ebs_volume" and body.get("snapshot_id")):
            continue
        line = line_of(body, "encrypted", body.line)
        yield violation(
            resource, key, line, f"{resource.address}: {key.split(':')[0].replace('_', ' ')} is not encrypted"
        )


def cfn_ebs_encryption(volume: Resource, _project: Project) -> Iterator[Violation]:
    value = volume.body.get("Encrypted")
    if not truthy(value) and not unknown(value) and "SnapshotId" not in volume.body:
        line = line_of(volume.body, "Encrypted", volume.line)
        yield violation(volume, "volume", line, f"volume {volume.name} is not encrypted")


def _rotation(key: Resource, rotation: str, spec_keys: tuple[str, ...]) -> Iterator[Violation]:
    spec = next((key.body[k] for k in spec_keys if k in key.body), "SYMMETRIC_DEFAULT")
    if spec != "SYMMETRIC_DEFAULT":
        return  # AWS rotates only symmetric keys
    value = key.body.get(rotation)
    if not truthy(value) and not unknown(value):
        line = line_of(key.body, rotation, key.line)
        yield violation(key, "rotation", line, f"key {key.address} is never rotated")


def tf_kms_rotation(key: Resource, _project: Project) -> Iterator[Violation]:
    yield from _rotation(key, "enable_key_rotation", ("customer_master_key_spec", "key_spec"))


def cfn_kms_rotation(key: Resource, _project: Project) -> Iterator[Violation]:
    yield from _rotation(key, "EnableKeyRotation", ("KeySpec",))


def _trail_encryption(trail: Resource, key: str) -> Iterator[Violation]:
    if not trail.body.get(key):
        yield violation(trail, "kms", trail.line, f"trail {trail.address} is not encrypted with a KMS key")


def _trail_validation(trail: Resource, key: str) -> Iterator[Violation]:
    value = trail.body.get(key)
    if not truthy(value) and not unknown(value):
        yield violation(
            trail,
            "validation",
            line_of(trail.body, key, trail.line),
            f"trail {trail.address} does not validate log files",
        )


def tf_ecr_mutable(repo: Resource, _project: Project) -> Iterator[Violation]:
    value = repo.body.get("image_tag_mutability", "MUTABLE")
    if value == "MUTABLE":
        line = line_of(repo.body, "image_tag_mutability", repo.line)
        yield violation(repo, "tags", line, f"repository {repo.address} lets tags be overwritten")


def cfn_ecr_mutable(repo: Resource, _project: Project) -> Iterator[Violation]:
    value = repo.body.get("ImageTagMutability", "MUTABLE")
    if value == "MUTABLE":
        line = line_of(repo.body, "ImageTagMutability", repo.line)
        yield violation(repo, "tags", line, f"repository {repo.name} lets tags be overwritten")


def tf_imdsv1(resource: Resource, _project: Project) -> Iterator[Violation]:
    options = blocks(resource.body, "metadata_options")
    tokens = options[0].get("http_tokens") if options else None
    endpoint = options[0].get("http_endpoint") if options else None
    if tokens == "required" or unknown(tokens) or endpoint == "disabled":
        return
    line = line_of(options[0], "http_tokens", options[0].line) if options else resource.line
    yield violation(resource, "imds", line, f"{resource.address} accepts IMDSv1 requests")


def cfn_imdsv1(template: Resource, _project: Project) -> Iterator[Violation]:
    data = template.body.get("LaunchTemplateData")
    tokens = dig(data, "MetadataOptions", "HttpTokens")
    if tokens == "required" or unknown(tokens) or dig(data, "MetadataOptions", "HttpEndpoint") == "disabled":
        return
    yield violation(
        template,
        "imds",
        line_of(template.body, "LaunchTemplateData", template.line),
        f"launch template {template.name} accepts IMDSv1 requests",
    )


RDS = ["aws_db_instance", "aws_rds_cluster"]
CFN_RDS = ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"]
POLICIES = (
    policy(RDS_ENCRYPTION, TF, RDS, tf_rds_encryption),
    policy(RDS_ENCRYPTION, CFN, CFN_RDS, cfn_rds_encryption),
    policy(RDS_BACKUP, TF, RDS, tf_rds_backup),
    policy(RDS_BACKUP, CFN, CFN_RDS, cfn_rds_backup),
    policy(RDS_PUBLIC, TF, ["aws_db_instance"], tf_rds_public),
    policy(RDS_PUBLIC, CFN, ["AWS::RDS::DBInstance"], cfn_rds_public),
    policy(EBS_ENCRYPTION, TF, ["aws_ebs_volume", "aws_instance", "aws_launch_template"], tf_ebs_encryption),
    policy(EBS_ENCRYPTION, CFN, ["AWS::EC2::Volume"], cfn_ebs_encryption),
    policy(KMS_ROTATION, TF, ["aws_kms_key"], tf_kms_rotation),
    policy(KMS_ROTATION, CFN, ["AWS::KMS::Key"], cfn_kms_rotation),
    policy(TRAIL_ENCRYPTION, TF, ["aws_cloudtrail"], lambda r, _p: _trail_encryption(r, "kms_key_id")),
    policy(TRAIL_ENCRYPTION, CFN, ["AWS::CloudTrail::Trail"], lambda r, _p: _trail_encryption(r, "KMSKeyId")),
    policy(
        TRAIL_VALIDATION,
        TF,
        ["aws_cloudtrail"],
        lambda r, _p: _trail_validation(r, "enable_log_file_validation"),
    ),
    policy(
        TRAIL_VALIDATION,
        CFN,
        ["AWS::CloudTrail::Trail"],
        lambda r, _p: _trail_validation(r, "EnableLogFileValidation"),
    ),
    policy(ECR_MUTABLE, TF, ["aws_ecr_repository"], tf_ecr_mutable),
    policy(ECR_MUTABLE, CFN, ["AWS::ECR::Repository"], cfn_ecr_mutable),
    policy(IMDSV1, TF, ["aws_instance", "aws_launch_template"], tf_imdsv1),
    policy(IMDSV1, CFN, ["AWS::EC2::LaunchTemplate"], cfn_imdsv1),
)
