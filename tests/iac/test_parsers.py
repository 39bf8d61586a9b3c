"""Each parser alone: values with their lines, and malformed input as a typed `Skipped`."""

from __future__ import annotations

import textwrap

import pytest

from secloop.core.model import Skipped
from secloop.iac.model import Framework, ParsedFile
from secloop.iac.parsers import PARSERS, parser_for
from secloop.iac.parsers.cloudformation import PARSER as CFN
from secloop.iac.parsers.compose import PARSER as COMPOSE
from secloop.iac.parsers.docker import PARSER as DOCKER
from secloop.iac.parsers.docker import substitute
from secloop.iac.parsers.kubernetes import PARSER as K8S
from secloop.iac.parsers.terraform import PARSER as TF
from secloop.sources.yaml_lines import YamlMap
from tests.iac.conftest import FIXTURES


def parse(parser: object, path: str, text: str) -> ParsedFile:
    assert hasattr(parser, "parse")
    result: ParsedFile = parser.parse(path, textwrap.dedent(text).lstrip("\n"))
    return result


# -- Terraform ------------------------------------------------------------------------------------

HCL = """
variable "region" {
  default = "eu-west-1"
}

resource "aws_s3_bucket" "b" {
  bucket  = "logs-${var.region}"
  count   = 2
  ratio   = -1.5
  on      = true
  off     = null
  cidrs   = ["0.0.0.0/0", var.extra]
  tags    = { Name = "x", "team-id" = 7 }
  arn_ref = aws_kms_key.k.arn
  cond    = var.on ? "a" : "b"
  policy  = jsonencode({ Statement = [{ Action = "s3:*" }] })
  doc     = <<-EOT
    {"a": 1}
  EOT
  escaped = "say \\"hi\\"\\n"

  versioning {
    enabled = true
  }
  versioning {
    enabled = false
  }

  dynamic "grant" {
    for_each = var.grants
    content {
      permission = grant.value
    }
  }
}

data "aws_iam_policy_document" "d" {}
module "m" {
  source = "./m"
}
locals {
  a = 1
}
output "ignored" {
  value = 1
}
"""


def test_terraform_blocks_become_resources_with_addresses_and_lines() -> None:
    parsed = parse(TF, "main.tf", HCL)
    assert parsed.skipped == ()
    assert [(r.type, r.address, r.line) for r in parsed.resources] == [
        ("variable", "var.region", 1),
        ("aws_s3_bucket", "aws_s3_bucket.b", 5),
        ("data.aws_iam_policy_document", "data.aws_iam_policy_document.d", 36),
        ("module", "module.m", 37),
        ("locals", "locals", 40),
    ]
    assert all(r.framework is Framework.TERRAFORM for r in parsed.resources)


def test_terraform_values_literals_and_expressions() -> None:
    body = parse(TF, "main.tf", HCL).resources[1].body
    assert body["bucket"] == "logs-${var.region}"
    assert (body["count"], body["ratio"], body["on"], body["off"]) == (2, -1.5, True, None)
    assert body["cidrs"] == ["0.0.0.0/0", "${var.extra}"]
    assert body["tags"] == {"Name": "x", "team-id": 7}
    assert body["arn_ref"] == "${aws_kms_key.k.arn}"
    assert body["cond"] == '${var.on ? "a" : "b"}'
    assert body["policy"] == {"Statement": [{"Action": "s3:*"}]}  # jsonencode reads as its object
    assert body["doc"] == '{"a": 1}\n'
    assert body["escaped"] == 'say "hi"\n'
    assert [b["enabled"] for b in body["versioning"]] == [True, False]
    grant = body["dynamic:grant"][0]  # kept whole: expanded later where for_each is static
    assert grant["content"][0]["permission"] == "${grant.value}"
    lines = {k: body.key_lines[k] for k in ("bucket", "policy", "versioning", "dynamic:grant")}
    assert lines == {"bucket": 6, "policy": 15, "versioning": 21, "dynamic:grant": 28}
    assert isinstance(body["policy"], YamlMap) and body["policy"]["Statement"][0].line == 15


def test_tfvars_is_one_resource_of_assignments() -> None:
    parsed = parse(TF, "env/prod.tfvars", 'region = "us-east-1"\nsizes = [1, 2]\n')
    assert [(r.type, dict(r.body)) for r in parsed.resources] == [
        ("tfvars", {"region": "us-east-1", "sizes": [1, 2]})
    ]


@pytest.mark.parametrize(
    ("text", "line", "column", "what"),
    [
        ('resource "a" "b" {\n  x = \n}\n', 2, 7, "unexpected end of line (an expression is missing)"),
        ('resource "a" "b" {\n  x = 1\n', 3, 1, "unexpected end of file (a brace or quote is not closed)"),
        ('resource "a" "b" {\n  x = 1 +* 2\n}\n', 2, 10, "unexpected '* 2'"),
    ],
)
def test_malformed_hcl_is_skipped_with_the_place(text: str, line: int, column: int, what: str) -> None:
    parsed = TF.parse("bad.tf", text)
    assert parsed.resources == ()
    assert parsed.skipped == (
        Skipped("bad.tf", f"Terraform: not valid HCL: {what}; its resources were not checked", line, column),
    )


# -- CloudFormation -------------------------------------------------------------------------------


def test_cloudformation_short_tags_read_as_long_form_with_lines() -> None:
    text = """
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      Env: {Type: String, Default: prod}
    Resources:
      Bucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "${AWS::StackName}-data"
          Arn: !GetAtt Key.Arn
          Env: !Ref Env
          Other: !Ref Missing
          Joined: !Join [",", [a, b]]
          Nested: !If [IsProd, !Ref Env, !Ref AWS::NoValue]
      NoProps:
        Type: AWS::SNS::Topic
      NotAResource: 3
    """
    parsed = parse(CFN, "t.yaml", text)
    assert [(r.type, r.name, r.line) for r in parsed.resources] == [
        ("AWS::S3::Bucket", "Bucket", 5),
        ("AWS::SNS::Topic", "NoProps", 14),
    ]
    body = parsed.resources[0].body
    assert body["BucketName"] == {"Fn::Sub": "${AWS::StackName}-data"}
    assert body["Arn"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert body["Env"] == "prod"  # a parameter default replaces the Ref
    assert body["Other"] == {"Ref": "Missing"}
    assert body["Joined"] == {"Fn::Join": [",", ["a", "b"]]}
    assert body["Nested"] == {"Fn::If": ["IsProd", "prod", {"Ref": "AWS::NoValue"}]}
    assert body.key_lines["Arn"] == 9


def test_cloudformation_is_recognised_by_content() -> None:
    assert parser_for("deploy/app.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n") is CFN
    assert parser_for("deploy/app.yaml", "name: x\nvalues: [1]\n") is None
    assert parser_for("cfn/t.json", '{"AWSTemplateFormatVersion": "2010-09-09"}') is CFN


def test_cloudformation_without_resources_or_malformed_is_skipped() -> None:
    assert CFN.parse("a.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\n').skipped == (
        Skipped("a.yaml", "CloudFormation: no `Resources` mapping; its resources were not checked", 1),
    )
    bad = CFN.parse("b.yaml", "AWSTemplateFormatVersion: x\nResources: [\n")
    assert bad.resources == () and bad.skipped[0].line == 3 and bad.skipped[0].path == "b.yaml"


# -- Kubernetes -----------------------------------------------------------------------------------


def test_kubernetes_multi_document_and_lists() -> None:
    text = """
    apiVersion: v1
    kind: List
    items:
      - apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: web}
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: reader
    ---
    just: data
    """
    parsed = parse(K8S, "k8s/all.yaml", text)
    assert [(r.type, r.address, r.line) for r in parsed.resources] == [
        ("Pod", "Pod/web/a", 4),
        ("ClusterRole", "ClusterRole/reader", 8),
    ]


def test_kubernetes_syntax_error_keeps_the_documents_before_it() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: [\n"
    parsed = K8S.parse("p.yaml", text)
    assert [r.address for r in parsed.resources] == ["Pod/a"]
    assert [(s.path, s.line) for s in parsed.skipped] == [("p.yaml", 8)]
    assert parsed.skipped[0].reason.startswith("Kubernetes: not valid YAML")


def test_helm_templates_are_reported_not_guessed() -> None:
    path = "helm/chart/templates/deployment.yaml"
    text = (FIXTURES / path).read_text("utf-8")
    parsed = K8S.parse("chart/templates/deployment.yaml", text)
    assert parsed.resources == ()
    assert "helm template" in parsed.skipped[0].reason


# -- Dockerfile -----------------------------------------------------------------------------------


def test_dockerfile_continuations_comments_heredocs_and_args() -> None:
    text = """
    # syntax=docker/dockerfile:1
    ARG VERSION=3.12
    FROM python:${VERSION}-slim AS base
    ARG VERSION
    ENV HOME=/app MODE="strict"
    RUN apt-get update \\
    # a comment inside the continuation
        && apt-get install -y curl
    RUN <<EOF
    echo $HOME
    EOF
    USER ${UNKNOWN:-app}
    """
    resource = parse(DOCKER, "Dockerfile", text).resources[0]
    assert [(i.keyword, i.line, i.stage) for i in resource.instructions] == [
        ("ARG", 2, -1),
        ("FROM", 3, 0),
        ("ARG", 4, 0),
        ("ENV", 5, 0),
        ("RUN", 6, 0),
        ("RUN", 9, 0),
        ("USER", 12, 0),
    ]
    values = [i.value for i in resource.instructions]
    assert values[1] == "python:3.12-slim AS base"
    assert values[4] == "apt-get update && apt-get install -y curl"
    assert values[5] == "<<EOF\necho /app"
    assert values[6] == "app"


def test_dockerfile_escape_directive() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  c:\\\n"
    resource = DOCKER.parse("Dockerfile", text).resources[0]
    assert [(i.keyword, i.value) for i in resource.instructions][1] == ("RUN", "dir c:\\")


def test_substitute_forms() -> None:
    known = {"A": "1", "E": ""}
    assert substitute("$A ${A} ${B:-two} ${E:-dflt} ${A:+set} ${E:+set} $B", known) == "1 1 two dflt set  $B"


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("FORM ubuntu\n", "Dockerfile: unknown instruction 'FORM'; its resources were not checked", 1),
        (
            "# only a comment\nRUN true\n",
            "Dockerfile: no FROM instruction; its resources were not checked",
            None,
        ),
    ],
)
def test_malformed_dockerfile_is_skipped(text: str, reason: str, line: int | None) -> None:
    parsed = DOCKER.parse("Dockerfile", text)
    assert parsed.resources == ()
    assert [(s.reason, s.line) for s in parsed.skipped] == [(reason, line)]


# -- compose and the registry ---------------------------------------------------------------------


def test_compose_services() -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n  db:\n    image: postgres:16\nvolumes: {}\n"
    parsed = parse(COMPOSE, "compose.yaml", text)
    assert [(r.address, r.line) for r in parsed.resources] == [("services.web", 2), ("services.db", 4)]
    assert COMPOSE.parse("compose.yaml", "services: [\n").skipped[0].line == 2


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("infra/main.tf", "Terraform"),
        ("infra/prod.tfvars", "Terraform"),
        ("Dockerfile", "Dockerfile"),
        ("docker/api.Dockerfile", "Dockerfile"),
        ("Containerfile", "Dockerfile"),
        ("docker-compose.prod.yml", "docker-compose"),
        ("compose.yaml", "docker-compose"),
    ],
)
def test_registry_by_name(path: str, name: str) -> None:
    parser = parser_for(path, "")
    assert parser is not None and parser.name == name


@pytest.mark.parametrize(
    "path", ["src/app/dockerfile.py", "docs/Dockerfile.md", "Dockerfile.j2", "main.tf.json.bak"]
)
def test_look_alikes_are_not_read(path: str) -> None:
    assert parser_for(path, "FROM x\n") is None


def test_registry_lists_every_format_once() -> None:
    assert [p.framework for p in PARSERS] == [
        Framework.TERRAFORM,
        Framework.DOCKERFILE,
        Framework.COMPOSE,
        Framework.CLOUDFORMATION,
        Framework.KUBERNETES,
    ]
