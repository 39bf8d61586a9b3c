"""Terraform modules: variables, locals, tfvars and local module calls resolved where static."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.iac.engine import parse_files
from secloop.iac.model import Resource
from secloop.iac.terraform import resolve, resource_ref
from tests.iac.conftest import write


def resolved(root: Path, files: dict[str, str]) -> dict[str, Resource]:
    write(root, files)
    texts = [(rel, (root / rel).read_text("utf-8")) for rel in sorted(files)]
    parsed, skipped = parse_files(texts)
    assert skipped == []
    return {r.address: r for r in resolve(parsed)}


def test_variables_locals_and_templates(tmp_path: Path) -> None:
    found = resolved(
        tmp_path,
        {
            "variables.tf": """
                variable "env" { default = "prod" }
                variable "tags" { default = { team = "core", tier = 2 } }
                variable "ports" { default = [22, 443] }
                variable "secret" {}
                locals {
                  name   = "${local.prefix}-app"
                  prefix = "${var.env}-eu"
                  public = true
                }
            """,
            "main.tf": """
                resource "x" "a" {
                  whole    = var.tags
                  key      = var.tags["team"]
                  attr     = var.tags.tier
                  index    = var.ports[1]
                  template = "${local.name}/${var.ports[0]}"
                  flag     = local.public
                  templ    = "on=${local.public}"
                  unknown  = var.secret
                  partial  = "${var.secret}-${var.env}"
                  other    = aws_kms_key.k.arn
                  missing  = var.nope
                  nested   = { inner = [local.prefix] }
                }
            """,
        },
    )
    body = found["x.a"].body
    assert body["whole"] == {"team": "core", "tier": 2}
    assert (body["key"], body["attr"], body["index"]) == ("core", 2, 443)
    assert body["template"] == "prod-eu-app/22"
    assert (body["flag"], body["templ"]) == (True, "on=true")
    assert body["unknown"] == "${var.secret}"
    assert body["partial"] == "${var.secret}-prod"
    assert body["other"] == "${aws_kms_key.k.arn}"
    assert body["missing"] == "${var.nope}"
    assert body["nested"] == {"inner": ["prod-eu"]}
    assert body.key_lines["flag"] == 7  # lines survive resolution


def test_auto_tfvars_override_defaults_only_in_root_modules(tmp_path: Path) -> None:
    found = resolved(
        tmp_path,
        {
            "variables.tf": 'variable "size" { default = 1 }\nvariable "name" { default = "a" }\n',
            "terraform.tfvars": "size = 2\n",
            "z.auto.tfvars": 'name = "z"\n',
            "prod.tfvars": "size = 99\n",  # only with -var-file: not applied
            "main.tf": 'resource "x" "r" {\n  size = var.size\n  name = var.name\n}\n',
        },
    )
    assert dict(found["x.r"].body) == {"size": 2, "name": "z"}


def test_local_modules_are_evaluated_through_each_call(tmp_path: Path) -> None:
    found = resolved(
        tmp_path,
        {
            "main.tf": """
                variable "open" { default = true }
                module "one" {
                  source = "./mod"
                  flag   = var.open
                }
                module "two" {
                  source  = "./mod"
                  version = "ignored"
                }
                module "registry" {
                  source = "terraform-aws-modules/vpc/aws"
                }
            """,
            "mod/main.tf": """
                variable "flag" { default = false }
                resource "x" "r" { flag = var.flag }
                module "inner" {
                  source = "../leaf"
                  value  = var.flag
                }
            """,
            "leaf/main.tf": 'variable "value" {}\nresource "y" "leaf" { value = var.value }\n',
            "cycle/a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "x" "a" {}\n',
            "cycle/b/main.tf": 'module "a" {\n  source = "../a"\n}\nresource "x" "b" {}\n',
        },
    )
    assert {
        a: r.body.get("flag", r.body.get("value")) for a, r in found.items() if a.endswith(("x.r", "leaf"))
    } == {
        "module.one.x.r": True,
        "module.two.x.r": False,
        "module.one.module.inner.y.leaf": True,
        "module.two.module.inner.y.leaf": False,
    }
    assert found["module.one.x.r"].path == "mod/main.tf"
    assert "x.r" not in found  # a called folder is not also evaluated alone
    # A folder reached only through a cycle is still checked once.
    assert sorted(a for a in found if a.startswith(("x.a", "x.b", "module.a", "module.b"))) == [
        "module.b",
        "module.b.module.a",
        "module.b.x.b",
        "x.a",
    ]


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("${aws_s3_bucket.b.id}", "aws_s3_bucket.b"),
        ("${aws_s3_bucket.b[0].arn}", "aws_s3_bucket.b"),
        ("${data.aws_iam_policy_document.d.json}", "data.aws_iam_policy_document.d"),
        ("${var.x}", None),
        ("${module.m.out}", None),
        ("${aws_s3_bucket.b.arn}/*", None),
        ("plain", None),
        (3, None),
    ],
)
def test_resource_ref(value: object, address: str | None) -> None:
    assert resource_ref(value) == address
