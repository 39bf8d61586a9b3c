"""Terraform instances and generated blocks: `.tf.json`, `count`, `for_each`, `dynamic`, modules
from elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

from secloop.iac.model import IacScan
from secloop.iac.practices import scan_evidence
from tests.iac.conftest import reasons, scan_dir, write

Found = tuple[str, str, int, str]  # rule id, path, line, resource address


def found(scan: IacScan) -> set[Found]:
    out = set()
    for f in scan.findings:
        assert f.primary is not None and f.primary.start_line is not None
        out.add((f.rule_id, f.primary.path, f.primary.start_line, dict(f.properties)["resource"]))
    return out


def addresses(scan: IacScan) -> list[str]:
    return [r.address for r in scan.resources]


def test_static_count_makes_one_resource_per_instance(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    variable "create" { default = false }
                    resource "aws_kms_key" "k" {
                      count               = 2
                      enable_key_rotation = count.index == 0 ? true : false
                    }
                    resource "aws_kms_key" "off" {
                      count = var.create ? 1 : 0
                    }
                    resource "aws_kms_key" "zero" {
                      count = 0
                    }
                """,
            },
        )
    )
    assert addresses(scan) == ["aws_kms_key.k[0]", "aws_kms_key.k[1]"]
    assert found(scan) == {("IAC-AWS-KMS-ROTATION", "main.tf", 4, "aws_kms_key.k[1]")}
    assert scan.skipped == ()
    fingerprints = {f.fingerprint for f in scan.findings}
    assert len(fingerprints) == 1


def test_unknown_count_keeps_one_instance_and_says_so(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {"main.tf": 'variable "n" {}\nresource "aws_kms_key" "k" {\n  count = var.n\n}\n'},
        )
    )
    assert addresses(scan) == ["aws_kms_key.k"]
    assert found(scan) == {("IAC-AWS-KMS-ROTATION", "main.tf", 2, "aws_kms_key.k")}
    assert reasons(scan) == [
        ("main.tf", 2, None, "Terraform: aws_kms_key.k: count is not static (var.n); checked as one instance")
    ]
    assert scan_evidence(scan)[-1] == "1 IaC item in 1 file not checked or checked only in part (listed)"


def test_for_each_over_a_map_and_a_set(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    variable "names" { default = ["logs", "data", "logs"] }
                    variable "mutability" {
                      default = { web = "MUTABLE", api = "IMMUTABLE" }
                    }
                    resource "aws_ecr_repository" "set" {
                      for_each             = toset(var.names)
                      name                 = each.key
                      image_tag_mutability = each.value == "logs" ? "MUTABLE" : "IMMUTABLE"
                    }
                    resource "aws_ecr_repository" "map" {
                      for_each             = var.mutability
                      name                 = "repo-${each.key}"
                      image_tag_mutability = each.value
                    }
                    resource "aws_ecr_repository" "none" {
                      for_each = {}
                    }
                """,
            },
        )
    )
    assert addresses(scan) == [
        'aws_ecr_repository.set["data"]',
        'aws_ecr_repository.set["logs"]',
        'aws_ecr_repository.map["api"]',
        'aws_ecr_repository.map["web"]',
    ]
    assert found(scan) == {
        ("IAC-AWS-ECR-TAG-MUTABLE", "main.tf", 8, 'aws_ecr_repository.set["logs"]'),
        ("IAC-AWS-ECR-TAG-MUTABLE", "main.tf", 13, 'aws_ecr_repository.map["web"]'),
    }


def test_unknown_for_each_is_noted(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    variable "names" {}
                    resource "aws_ecr_repository" "r" {
                      for_each             = toset(var.names)
                      image_tag_mutability = "MUTABLE"
                    }
                """,
            },
        )
    )
    assert found(scan) == {("IAC-AWS-ECR-TAG-MUTABLE", "main.tf", 4, "aws_ecr_repository.r")}
    assert reasons(scan) == [
        (
            "main.tf",
            2,
            None,
            "Terraform: aws_ecr_repository.r: for_each is not static (toset(var.names)); "
            "checked as one instance",
        )
    ]


def test_instances_keep_their_connections(tmp_path: Path) -> None:
    # each bucket instance has its own public access block instance: no finding for either
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    resource "aws_s3_bucket" "b" {
                      count  = 2
                      bucket = "b-${count.index}"
                    }
                    resource "aws_s3_bucket_public_access_block" "b" {
                      count                   = 2
                      bucket                  = aws_s3_bucket.b[count.index].id
                      block_public_acls       = true
                      block_public_policy     = true
                      ignore_public_acls      = true
                      restrict_public_buckets = true
                    }
                """,
            },
        )
    )
    assert addresses(scan)[:2] == ["aws_s3_bucket.b[0]", "aws_s3_bucket.b[1]"]
    assert not any(f.rule_id == "IAC-AWS-S3-PUBLIC-ACCESS-BLOCK" for f in scan.findings)
    assert ("IAC-AWS-S3-ENCRYPTION", "main.tf", 1, "aws_s3_bucket.b[1]") in found(scan)


SG_DYNAMIC = """
variable "rules" {
  default = [
    { port = 22, cidr = "0.0.0.0/0" },
    { port = 443, cidr = "0.0.0.0/0" },
  ]
}
variable "unknown" {}
resource "aws_security_group" "web" {
  dynamic "ingress" {
    for_each = var.rules
    iterator = rule
    content {
      from_port   = rule.value.port
      to_port     = rule.value.port
      protocol    = "tcp"
      cidr_blocks = [rule.value.cidr]
    }
  }
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "later" {
  dynamic "ingress" {
    for_each = var.unknown
    content {
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
"""


def test_dynamic_blocks_are_expanded_where_static(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"main.tf": SG_DYNAMIC}))
    assert found(scan) == {
        ("IAC-AWS-SG-OPEN-SSH", "main.tf", 12, "aws_security_group.web"),
        ("IAC-AWS-SG-OPEN-RDP", "main.tf", 19, "aws_security_group.web"),
    }
    assert reasons(scan) == [
        (
            "main.tf",
            26,
            None,
            'Terraform: aws_security_group.later: dynamic "ingress" is not static (var.unknown); '
            "its blocks were not checked",
        )
    ]


def test_registry_git_and_missing_modules_are_listed_as_not_checked(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    module "vpc" {
                      source  = "terraform-aws-modules/vpc/aws"
                      version = "5.0.0"
                    }
                    module "git" {
                      source = "git::https://example.com/mods.git//s3?ref=v1"
                    }
                    module "gone" {
                      source = "./modules/gone"
                    }
                """,
            },
        )
    )
    assert reasons(scan) == [
        (
            "main.tf",
            1,
            None,
            "Terraform: module.vpc: source 'terraform-aws-modules/vpc/aws' is not a local folder "
            "(registry, Git and archive modules are not downloaded); its resources were not checked",
        ),
        (
            "main.tf",
            5,
            None,
            "Terraform: module.git: source 'git::https://example.com/mods.git//s3?ref=v1' is not a "
            "local folder (registry, Git and archive modules are not downloaded); its resources were "
            "not checked",
        ),
        (
            "main.tf",
            8,
            None,
            "Terraform: module.gone: local module folder 'modules/gone' is not among the scanned "
            "files; its resources were not checked",
        ),
    ]


def test_module_count_and_for_each(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    module "keys" {
                      source   = "./modules/key"
                      for_each = { a = true, b = false }
                      rotate   = each.value
                    }
                    module "off" {
                      source = "./modules/key"
                      count  = 0
                      rotate = false
                    }
                """,
                "modules/key/main.tf": """
                    variable "rotate" {}
                    resource "aws_kms_key" "k" {
                      enable_key_rotation = var.rotate
                    }
                """,
            },
        )
    )
    assert addresses(scan) == [
        'module.keys["a"].aws_kms_key.k',
        'module.keys["b"].aws_kms_key.k',
    ]
    assert found(scan) == {
        ("IAC-AWS-KMS-ROTATION", "modules/key/main.tf", 3, 'module.keys["b"].aws_kms_key.k')
    }


TF_JSON = {
    "variable": {"public": {"default": "public-read"}, "ports": {"default": [22]}},
    "locals": {"name": "logs-${var.public}"},
    "resource": {
        "aws_s3_bucket": {
            "b": {"bucket": "${local.name}", "acl": "${var.public}", "versioning": {"enabled": True}}
        },
        "aws_security_group": {
            "sg": {
                "dynamic": {
                    "ingress": {
                        "for_each": "${var.ports}",
                        "content": {
                            "from_port": "${ingress.value}",
                            "to_port": "${ingress.value}",
                            "protocol": "tcp",
                            "cidr_blocks": ["0.0.0.0/0"],
                        },
                    }
                }
            }
        },
        "aws_kms_key": {"k": [{"count": 2, "enable_key_rotation": True}]},
    },
    "module": {"store": {"source": "./store", "versioned": False}},
}
STORE_JSON = {
    "variable": {"versioned": {}},
    "resource": {
        "aws_s3_bucket_versioning": {
            "v": {
                "bucket": "${aws_s3_bucket.s.id}",
                "versioning_configuration": {"status": '${var.versioned ? "Enabled" : "Suspended"}'},
            }
        },
        "aws_s3_bucket": {"s": {"bucket": "store"}},
    },
}


def test_tf_json_has_the_semantics_of_tf(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf.json": json.dumps(TF_JSON, indent=2),
            "store/main.tf.json": json.dumps(STORE_JSON, indent=2),
            "terraform.tfvars.json": '{"public": "public-read-write"}',
        },
    )
    scan = scan_dir(tmp_path)
    assert addresses(scan) == [
        "aws_s3_bucket.b",
        "aws_security_group.sg",
        "aws_kms_key.k[0]",
        "aws_kms_key.k[1]",
        "module.store.aws_s3_bucket_versioning.v",
        "module.store.aws_s3_bucket.s",
    ]
    rules = {(rule, path, line, address) for rule, path, line, address in found(scan)}
    assert ("IAC-AWS-S3-PUBLIC-ACL", "main.tf.json", 19, "aws_s3_bucket.b") in rules
    assert ("IAC-AWS-SG-OPEN-SSH", "main.tf.json", 30, "aws_security_group.sg") in rules
    assert ("IAC-AWS-S3-VERSIONING", "store/main.tf.json", 15, "module.store.aws_s3_bucket.s") in rules
    assert not any(r[0] == "IAC-AWS-S3-VERSIONING" and r[1] == "main.tf.json" for r in rules)
    assert not any(r[0] == "IAC-AWS-KMS-ROTATION" for r in rules)
    assert scan.skipped == ()
    public_acl = next(f for f in scan.findings if f.rule_id == "IAC-AWS-S3-PUBLIC-ACL")
    assert "public-read-write" in public_acl.message


def test_malformed_tf_json_is_listed_with_its_place(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"main.tf.json": '{\n  "resource": {\n    "x": [1,\n}\n'}))
    assert len(reasons(scan)) == 1
    path, line, _column, reason = reasons(scan)[0]
    assert (path, line) == ("main.tf.json", 4)
    assert reason.startswith("Terraform: not valid JSON:")


def test_minified_tf_json_calls_a_module_in_a_sibling_folder(tmp_path: Path) -> None:
    root = {"module": {"keys": {"source": "../modules/key", "rotate": False}}}
    module = {
        "variable": {"rotate": {}},
        "resource": {"aws_kms_key": {"k": {"enable_key_rotation": "${var.rotate}"}}},
    }
    write(
        tmp_path,
        {"live/main.tf.json": json.dumps(root), "modules/key/main.tf.json": json.dumps(module, indent=1)},
    )
    scan = scan_dir(tmp_path)
    assert addresses(scan) == ["module.keys.aws_kms_key.k"]
    assert found(scan) == {
        ("IAC-AWS-KMS-ROTATION", "modules/key/main.tf.json", 8, "module.keys.aws_kms_key.k")
    }
    assert scan.skipped == ()


def test_a_set_with_an_unknown_member_is_not_expanded(tmp_path: Path) -> None:
    scan = scan_dir(
        write(
            tmp_path,
            {
                "main.tf": """
                    variable "extra" {}
                    resource "aws_kms_key" "k" {
                      for_each = toset(["a", var.extra])
                    }
                """,
            },
        )
    )
    assert addresses(scan) == ["aws_kms_key.k"]
    assert reasons(scan) == [
        (
            "main.tf",
            2,
            None,
            'Terraform: aws_kms_key.k: for_each is not static (["a", var.extra]); checked as one instance',
        )
    ]
