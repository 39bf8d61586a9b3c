"""Every policy against its labelled fixtures: the exact findings (rule, path, line, severity) of each
fixture folder, and for every rule at least one resource of its type that must stay clean."""

from __future__ import annotations

import pytest

from secloop.iac.policies import POLICIES
from secloop.iac.rules import RAISED, RULES
from secloop.practices.evaluators import operate
from tests.iac.conftest import FIXTURES, Row, rows, scan_dir

EXPECTED: dict[str, set[Row]] = {
    "terraform/s3": {
        ("IAC-AWS-S3-ENCRYPTION", "main.tf", 3, "medium"),
        ("IAC-AWS-S3-LOGGING", "main.tf", 3, "low"),
        ("IAC-AWS-S3-PUBLIC-ACCESS-BLOCK", "main.tf", 3, "medium"),
        ("IAC-AWS-S3-VERSIONING", "main.tf", 3, "low"),
        ("IAC-AWS-S3-PUBLIC-ACL", "main.tf", 5, "high"),
        ("IAC-AWS-S3-PUBLIC-ACL", "main.tf", 10, "high"),
        ("IAC-AWS-S3-POLICY-PUBLIC", "main.tf", 18, "high"),
        ("IAC-AWS-S3-PUBLIC-ACCESS-BLOCK", "main.tf", 108, "medium"),
        ("IAC-AWS-S3-ENCRYPTION", "main.tf", 113, "medium"),
        ("IAC-AWS-S3-LOGGING", "main.tf", 113, "low"),
        ("IAC-AWS-S3-PUBLIC-ACCESS-BLOCK", "main.tf", 113, "medium"),
        ("IAC-AWS-S3-VERSIONING", "main.tf", 116, "low"),
    },
    "terraform/data": {
        ("IAC-AWS-RDS-ENCRYPTION", "main.tf", 4, "high"),
        ("IAC-AWS-RDS-BACKUP", "main.tf", 5, "medium"),
        ("IAC-AWS-RDS-PUBLIC", "main.tf", 6, "high"),
        ("IAC-AWS-RDS-ENCRYPTION", "main.tf", 26, "high"),
        ("IAC-AWS-EBS-ENCRYPTION", "main.tf", 30, "medium"),
        ("IAC-AWS-EC2-IMDSV1", "main.tf", 46, "medium"),
        ("IAC-AWS-EBS-ENCRYPTION", "main.tf", 50, "medium"),
        ("IAC-AWS-EC2-IMDSV1", "main.tf", 69, "medium"),
        ("IAC-AWS-EBS-ENCRYPTION", "main.tf", 74, "medium"),
        ("IAC-AWS-KMS-ROTATION", "main.tf", 80, "medium"),
        ("IAC-AWS-CLOUDTRAIL-ENCRYPTION", "main.tf", 94, "medium"),
        ("IAC-AWS-CLOUDTRAIL-LOG-VALIDATION", "main.tf", 94, "medium"),
        ("IAC-AWS-ECR-TAG-MUTABLE", "main.tf", 106, "low"),
    },
    "terraform/network": {
        ("IAC-AWS-SG-OPEN-SSH", "main.tf", 9, "critical"),  # attached to a public instance
        ("IAC-AWS-SG-OPEN-RDP", "main.tf", 38, "high"),
        ("IAC-AWS-SG-OPEN-ADMIN-PORT", "main.tf", 53, "high"),
        ("IAC-AWS-SG-OPEN-ADMIN-PORT", "main.tf", 71, "high"),
        ("IAC-AWS-SG-OPEN-RDP", "main.tf", 71, "high"),
        ("IAC-AWS-SG-OPEN-SSH", "main.tf", 71, "high"),
    },
    "terraform/iam": {
        ("IAC-AWS-IAM-WILDCARD-ACTION", "main.tf", 3, "high"),
        ("IAC-AWS-IAM-WILDCARD-ACTION", "main.tf", 18, "high"),
        ("IAC-AWS-IAM-WILDCARD-RESOURCE", "main.tf", 41, "medium"),
    },
    "terraform/azure": {
        ("IAC-AZURE-STORAGE-HTTPS", "main.tf", 7, "high"),
        ("IAC-AZURE-STORAGE-MIN-TLS", "main.tf", 8, "medium"),
        ("IAC-AZURE-STORAGE-PUBLIC-BLOB", "main.tf", 9, "high"),
        ("IAC-AZURE-STORAGE-PUBLIC-BLOB", "main.tf", 26, "high"),
        ("IAC-AZURE-NSG-OPEN-SSH-RDP", "main.tf", 40, "high"),
        ("IAC-AZURE-NSG-OPEN-SSH-RDP", "main.tf", 65, "high"),
    },
    "terraform/gcp": {
        ("IAC-GCP-BUCKET-UNIFORM-ACCESS", "main.tf", 1, "medium"),
        ("IAC-GCP-BUCKET-PUBLIC", "main.tf", 15, "high"),
        ("IAC-GCP-FIREWALL-OPEN-SSH-RDP", "main.tf", 27, "high"),
        ("IAC-GCP-SQL-PUBLIC", "main.tf", 65, "high"),
    },
    "terraform/modules": {
        ("IAC-AWS-RDS-ENCRYPTION", "main.tf", 12, "high"),  # terraform.tfvars overrides the default
        ("IAC-AWS-RDS-PUBLIC", "modules/store/main.tf", 15, "high"),  # only through module.public_store
    },
    "cloudformation": {
        ("IAC-AWS-S3-LOGGING", "queue.json", 4, "low"),
        ("IAC-AWS-RDS-ENCRYPTION", "queue.json", 21, "high"),
        ("IAC-AWS-RDS-BACKUP", "queue.json", 25, "medium"),
        ("IAC-AWS-S3-ENCRYPTION", "stack.yaml", 13, "medium"),
        ("IAC-AWS-S3-LOGGING", "stack.yaml", 13, "low"),
        ("IAC-AWS-S3-PUBLIC-ACCESS-BLOCK", "stack.yaml", 13, "medium"),
        ("IAC-AWS-S3-PUBLIC-ACL", "stack.yaml", 17, "high"),
        ("IAC-AWS-S3-VERSIONING", "stack.yaml", 18, "low"),
        ("IAC-AWS-S3-PUBLIC-ACCESS-BLOCK", "stack.yaml", 45, "medium"),
        ("IAC-AWS-S3-POLICY-PUBLIC", "stack.yaml", 59, "high"),
        ("IAC-AWS-RDS-ENCRYPTION", "stack.yaml", 69, "high"),
        ("IAC-AWS-RDS-BACKUP", "stack.yaml", 70, "medium"),  # !Ref Retention -> Default 0
        ("IAC-AWS-RDS-PUBLIC", "stack.yaml", 71, "high"),  # !Ref Public -> Default "true"
        ("IAC-AWS-EBS-ENCRYPTION", "stack.yaml", 81, "medium"),
        ("IAC-AWS-KMS-ROTATION", "stack.yaml", 92, "medium"),
        ("IAC-AWS-ECR-TAG-MUTABLE", "stack.yaml", 108, "low"),
        ("IAC-AWS-SG-OPEN-SSH", "stack.yaml", 122, "critical"),  # group of a public instance
        ("IAC-AWS-SG-OPEN-RDP", "stack.yaml", 131, "critical"),  # separate ingress, same group
        ("IAC-AWS-IAM-WILDCARD-ACTION", "stack.yaml", 163, "high"),
        ("IAC-AWS-IAM-WILDCARD-RESOURCE", "stack.yaml", 172, "medium"),
    },
    "kubernetes": {
        ("IAC-K8S-RBAC-EXEC", "rbac.yaml", 10, "medium"),
        ("IAC-K8S-RBAC-WILDCARD", "rbac.yaml", 19, "high"),
        ("IAC-K8S-HOST-NETWORK", "workloads.yaml", 47, "high"),
        ("IAC-K8S-HOST-PID", "workloads.yaml", 48, "high"),
        ("IAC-K8S-HOST-IPC", "workloads.yaml", 49, "high"),
        ("IAC-K8S-SA-TOKEN", "workloads.yaml", 50, "low"),
        ("IAC-K8S-READONLY-ROOT-FS", "workloads.yaml", 52, "low"),
        ("IAC-K8S-IMAGE-TAG", "workloads.yaml", 53, "medium"),
        ("IAC-K8S-PRIVILEGED", "workloads.yaml", 55, "high"),
        ("IAC-K8S-RUN-AS-ROOT", "workloads.yaml", 56, "medium"),
        ("IAC-K8S-PRIVILEGE-ESCALATION", "workloads.yaml", 57, "medium"),
        ("IAC-K8S-CAPABILITIES", "workloads.yaml", 59, "high"),
        ("IAC-K8S-RESOURCE-LIMITS", "workloads.yaml", 60, "low"),
        ("IAC-K8S-HOSTPATH", "workloads.yaml", 64, "high"),  # "/" is sensitive
        ("IAC-K8S-HOSTPATH", "workloads.yaml", 67, "medium"),
        ("IAC-K8S-SA-TOKEN", "workloads.yaml", 71, "low"),
        ("IAC-K8S-IMAGE-TAG", "workloads.yaml", 84, "medium"),
    },
    "docker": {
        ("DOCKER-UNPINNED-BASE-IMAGE", "app/Dockerfile", 3, "medium"),  # ${BASE} -> python
        ("IAC-DOCKER-SECRET-ENV", "app/Dockerfile", 4, "high"),
        ("IAC-DOCKER-SECRET-ENV", "app/Dockerfile", 5, "high"),
        ("IAC-DOCKER-CURL-PIPE-SHELL", "app/Dockerfile", 7, "high"),
        ("IAC-DOCKER-ADD-URL", "app/Dockerfile", 9, "medium"),
        ("DOCKER-UNPINNED-BASE-IMAGE", "app/Dockerfile", 16, "medium"),
        ("IAC-DOCKER-ROOT-USER", "app/Dockerfile", 18, "medium"),
    },
    "compose": {
        ("IAC-COMPOSE-PRIVILEGED", "docker-compose.yml", 9, "high"),
        ("IAC-COMPOSE-HOST-NAMESPACE", "docker-compose.yml", 10, "medium"),
        ("IAC-COMPOSE-HOST-NAMESPACE", "docker-compose.yml", 11, "medium"),
        ("IAC-COMPOSE-CAPABILITIES", "docker-compose.yml", 12, "medium"),
        ("IAC-COMPOSE-DOCKER-SOCKET", "docker-compose.yml", 15, "high"),
        ("IAC-COMPOSE-DOCKER-SOCKET", "docker-compose.yml", 22, "high"),
    },
}

# rule -> (fixture folder, resource address) of a resource the rule reads and must pass.
CLEAN: dict[str, list[tuple[str, str]]] = {
    "IAC-AWS-S3-ENCRYPTION": [
        ("terraform/s3", "aws_s3_bucket.good"),
        ("terraform/s3", "aws_s3_bucket.logs"),
        ("cloudformation", "Logs"),
    ],
    "IAC-AWS-S3-PUBLIC-ACL": [("terraform/s3", "aws_s3_bucket.logs"), ("cloudformation", "Data")],
    "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK": [("terraform/s3", "aws_s3_bucket.good"), ("cloudformation", "Logs")],
    "IAC-AWS-S3-LOGGING": [
        ("terraform/s3", "aws_s3_bucket.good"),
        ("terraform/s3", "aws_s3_bucket.logs"),
        ("cloudformation", "Logs"),
    ],
    "IAC-AWS-S3-VERSIONING": [
        ("terraform/s3", "aws_s3_bucket.good"),
        ("terraform/s3", "aws_s3_bucket.logs"),
        ("cloudformation", "Data"),
    ],
    "IAC-AWS-S3-POLICY-PUBLIC": [("terraform/s3", "aws_s3_bucket_policy.good")],
    "IAC-AWS-RDS-ENCRYPTION": [
        ("terraform/data", "aws_db_instance.good"),
        ("terraform/data", "aws_db_instance.replica"),
        ("terraform/data", "aws_rds_cluster.aurora"),
        ("cloudformation", "SafeDatabase"),
    ],
    "IAC-AWS-RDS-BACKUP": [("terraform/data", "aws_db_instance.good"), ("cloudformation", "SafeDatabase")],
    "IAC-AWS-RDS-PUBLIC": [
        ("terraform/data", "aws_db_instance.good"),
        ("terraform/modules", "module.private_store.aws_db_instance.store"),
    ],
    "IAC-AWS-EBS-ENCRYPTION": [
        ("terraform/data", "aws_ebs_volume.good"),
        ("terraform/data", "aws_instance.hardened"),
    ],
    "IAC-AWS-KMS-ROTATION": [
        ("terraform/data", "aws_kms_key.good"),
        ("terraform/data", "aws_kms_key.signing"),
        ("cloudformation", "Key"),
    ],
    "IAC-AWS-CLOUDTRAIL-ENCRYPTION": [("terraform/data", "aws_cloudtrail.good"), ("cloudformation", "Trail")],
    "IAC-AWS-CLOUDTRAIL-LOG-VALIDATION": [
        ("terraform/data", "aws_cloudtrail.good"),
        ("cloudformation", "Trail"),
    ],
    "IAC-AWS-ECR-TAG-MUTABLE": [("terraform/data", "aws_ecr_repository.good")],
    "IAC-AWS-EC2-IMDSV1": [("terraform/data", "aws_instance.hardened"), ("cloudformation", "Template")],
    "IAC-AWS-SG-OPEN-SSH": [("terraform/network", "aws_security_group.internal")],
    "IAC-AWS-SG-OPEN-RDP": [("terraform/network", "aws_security_group.bastion")],
    "IAC-AWS-SG-OPEN-ADMIN-PORT": [
        ("terraform/network", "aws_vpc_security_group_ingress_rule.https"),
        ("terraform/network", "aws_security_group_rule.egress_all"),
        ("cloudformation", "AdminGroup"),
    ],
    "IAC-AWS-IAM-WILDCARD-ACTION": [
        ("terraform/iam", "aws_iam_policy.least"),
        ("cloudformation", "WriterPolicy"),
    ],
    "IAC-AWS-IAM-WILDCARD-RESOURCE": [
        ("terraform/iam", "aws_iam_policy.least"),
        ("terraform/iam", "aws_iam_role_policy.s3_all"),
    ],
    "IAC-AZURE-STORAGE-HTTPS": [("terraform/azure", "azurerm_storage_account.good")],
    "IAC-AZURE-STORAGE-PUBLIC-BLOB": [
        ("terraform/azure", "azurerm_storage_account.good"),
        ("terraform/azure", "azurerm_storage_container.private"),
    ],
    "IAC-AZURE-STORAGE-MIN-TLS": [("terraform/azure", "azurerm_storage_account.good")],
    "IAC-AZURE-NSG-OPEN-SSH-RDP": [("terraform/azure", "azurerm_network_security_rule.rdp_vpn")],
    "IAC-GCP-BUCKET-UNIFORM-ACCESS": [("terraform/gcp", "google_storage_bucket.data")],
    "IAC-GCP-BUCKET-PUBLIC": [("terraform/gcp", "google_storage_bucket_iam_binding.readers")],
    "IAC-GCP-FIREWALL-OPEN-SSH-RDP": [
        ("terraform/gcp", "google_compute_firewall.iap"),
        ("terraform/gcp", "google_compute_firewall.web"),
    ],
    "IAC-GCP-SQL-PUBLIC": [("terraform/gcp", "google_sql_database_instance.private")],
    "IAC-K8S-PRIVILEGED": [("kubernetes", "Deployment/shop/api")],
    "IAC-K8S-RUN-AS-ROOT": [("kubernetes", "Deployment/shop/api"), ("kubernetes", "CronJob/report")],
    "IAC-K8S-HOST-NETWORK": [("kubernetes", "Deployment/shop/api")],
    "IAC-K8S-HOST-PID": [("kubernetes", "Deployment/shop/api")],
    "IAC-K8S-HOST-IPC": [("kubernetes", "Deployment/shop/api")],
    "IAC-K8S-CAPABILITIES": [("kubernetes", "Deployment/shop/api")],  # adds only NET_BIND_SERVICE
    "IAC-K8S-PRIVILEGE-ESCALATION": [("kubernetes", "Deployment/shop/api"), ("kubernetes", "CronJob/report")],
    "IAC-K8S-READONLY-ROOT-FS": [("kubernetes", "Deployment/shop/api"), ("kubernetes", "CronJob/report")],
    "IAC-K8S-RESOURCE-LIMITS": [("kubernetes", "Deployment/shop/api"), ("kubernetes", "CronJob/report")],
    "IAC-K8S-IMAGE-TAG": [("kubernetes", "Deployment/shop/api")],
    "IAC-K8S-SA-TOKEN": [("kubernetes", "Deployment/shop/api")],  # its ServiceAccount turns it off
    "IAC-K8S-HOSTPATH": [("kubernetes", "Deployment/shop/api"), ("kubernetes", "CronJob/report")],
    "IAC-K8S-RBAC-EXEC": [("kubernetes", "ClusterRole/reader")],
    "IAC-K8S-RBAC-WILDCARD": [("kubernetes", "Role/shop/debugger")],
    "IAC-DOCKER-ROOT-USER": [("docker", "good/Dockerfile"), ("docker", "good/distroless.Dockerfile")],
    "DOCKER-UNPINNED-BASE-IMAGE": [("docker", "good/Dockerfile"), ("docker", "good/distroless.Dockerfile")],
    "IAC-DOCKER-ADD-URL": [("docker", "good/Dockerfile")],
    "IAC-DOCKER-SECRET-ENV": [("docker", "good/Dockerfile")],
    "IAC-DOCKER-CURL-PIPE-SHELL": [("docker", "good/Dockerfile")],
    "IAC-COMPOSE-PRIVILEGED": [("compose", "services.web")],
    "IAC-COMPOSE-HOST-NAMESPACE": [("compose", "services.web"), ("compose", "services.proxy")],
    "IAC-COMPOSE-DOCKER-SOCKET": [("compose", "services.web")],
    "IAC-COMPOSE-CAPABILITIES": [("compose", "services.web"), ("compose", "services.proxy")],
}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_fixture_folder_findings_are_exact(folder: str) -> None:
    scan = scan_dir(FIXTURES / folder)
    assert scan.skipped == ()
    assert rows(scan) == EXPECTED[folder]


@pytest.mark.parametrize("rule_id", sorted(CLEAN))
def test_clean_resources_pass(rule_id: str) -> None:
    for folder, address in CLEAN[rule_id]:
        scan = scan_dir(FIXTURES / folder)
        assert address in {r.address for r in scan.resources}, (folder, address)
        flagged = {dict(f.properties)["resource"] for f in scan.findings if f.rule_id == rule_id}
        assert address not in flagged, (folder, address)


def test_every_policy_has_a_positive_and_a_negative_fixture() -> None:
    positive = {row[0] for found in EXPECTED.values() for row in found}
    assert set(RAISED) == positive
    assert set(RAISED) == set(CLEAN)


def test_the_slice_has_at_least_forty_policies_declared_once() -> None:
    assert len(set(RAISED)) >= 40
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert "DOCKER-UNPINNED-BASE-IMAGE" in RAISED and "DOCKER-UNPINNED-BASE-IMAGE" in ids
    assert operate.RULES == ()  # the operate evaluator reuses the engine's declaration
    for policy in POLICIES:
        rule = policy.rule
        assert rule.cwe and rule.description and rule.fix, rule.id
        if rule.id != "DOCKER-UNPINNED-BASE-IMAGE":
            assert rule.stage.value == "build" and rule.id.startswith("IAC-"), rule.id
