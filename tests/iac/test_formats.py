"""CloudFormation conditions, Kubernetes JSON and Helm-rendered output."""

from __future__ import annotations

import json
from pathlib import Path

from tests.iac.conftest import reasons, scan_dir, write
from tests.iac.test_terraform_expand import addresses, found

CFN_CONDITIONS = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
  Open:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Equals [dev, !Ref Env]
  NotProd: !Not [!Condition IsProd]
  DevAndNotProd: !And [!Condition IsDev, !Condition NotProd]
  ProdOrDev: !Or [!Condition IsProd, !Condition IsDev]
  Unknown: !Equals [!Ref Open, "yes"]
  UnknownOrDev: !Or [!Condition Unknown, !Condition IsDev]
  UnknownAndProd: !And [!Condition Unknown, !Condition IsProd]
  RegionBound: !Equals [!Ref "AWS::Region", eu-west-1]
Resources:
  ProdKey:
    Type: AWS::KMS::Key
    Condition: IsProd
    Properties:
      EnableKeyRotation: false
  DevKey:
    Type: AWS::KMS::Key
    Condition: DevAndNotProd
    Properties:
      EnableKeyRotation: false
  EitherKey:
    Type: AWS::KMS::Key
    Condition: ProdOrDev
    Properties:
      EnableKeyRotation: !If [IsProd, true, false]
  UndecidedKey:
    Type: AWS::KMS::Key
    Condition: UnknownOrDev
    Properties:
      EnableKeyRotation: !If [RegionBound, false, true]
  NeverKey:
    Type: AWS::KMS::Key
    Condition: UnknownAndProd
    Properties:
      EnableKeyRotation: false
  RegionKey:
    Type: AWS::KMS::Key
    Condition: RegionBound
    Properties:
      EnableKeyRotation: false
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      ImageTagMutability: !If [IsProd, IMMUTABLE, !Ref "AWS::NoValue"]
"""


def test_cloudformation_conditions_decide_with_parameter_defaults(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"stack.yaml": CFN_CONDITIONS}))
    # ProdKey (IsProd false) and NeverKey (false And anything) are not deployed: not checked
    assert addresses(scan) == ["DevKey", "EitherKey", "UndecidedKey", "RegionKey", "Repo"]
    assert found(scan) == {
        ("IAC-AWS-KMS-ROTATION", "stack.yaml", 28, "DevKey"),
        ("IAC-AWS-KMS-ROTATION", "stack.yaml", 33, "EitherKey"),  # Fn::If picked the false branch
        ("IAC-AWS-KMS-ROTATION", "stack.yaml", 48, "RegionKey"),  # undecided condition: checked
        ("IAC-AWS-ECR-TAG-MUTABLE", "stack.yaml", 52, "Repo"),  # AWS::NoValue removed the property
    }
    assert reasons(scan) == []


def test_cloudformation_conditions_in_json(tmp_path: Path) -> None:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Encrypt": {"Type": "String", "Default": "no"}},
        "Conditions": {"Encrypted": {"Fn::Equals": [{"Ref": "Encrypt"}, "yes"]}},
        "Resources": {
            "Volume": {
                "Type": "AWS::EC2::Volume",
                "Properties": {
                    "Size": 10,
                    "Encrypted": {"Fn::If": ["Encrypted", True, False]},
                },
            },
            "Extra": {
                "Type": "AWS::EC2::Volume",
                "Condition": "Encrypted",
                "Properties": {"Encrypted": False},
            },
        },
    }
    scan = scan_dir(write(tmp_path, {"stack.json": json.dumps(template, indent=2)}))
    assert addresses(scan) == ["Volume"]
    assert found(scan) == {("IAC-AWS-EBS-ENCRYPTION", "stack.json", 24, "Volume")}


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "debug", "namespace": "ops"},
    "spec": {
        "hostNetwork": True,
        "automountServiceAccountToken": False,
        "containers": [
            {
                "name": "shell",
                "image": "busybox:1.36",
                "securityContext": {
                    "privileged": True,
                    "runAsNonRoot": True,
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                },
                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
            }
        ],
    },
}


def test_kubernetes_json_single_object(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"pod.json": json.dumps(POD, indent=2)}))
    assert addresses(scan) == ["Pod/ops/debug"]
    assert found(scan) == {
        ("IAC-K8S-HOST-NETWORK", "pod.json", 9, "Pod/ops/debug"),
        ("IAC-K8S-PRIVILEGED", "pod.json", 16, "Pod/ops/debug"),
    }


def test_kubernetes_json_list_and_look_alikes(tmp_path: Path) -> None:
    fine = json.loads(json.dumps(POD))
    fine["metadata"]["name"] = "fine"
    del fine["spec"]["hostNetwork"]
    fine["spec"]["containers"][0]["securityContext"]["privileged"] = False
    listing = {"apiVersion": "v1", "kind": "List", "items": [fine, POD]}
    scan = scan_dir(
        write(
            tmp_path,
            {
                "all.json": json.dumps(listing),  # one line: kubectl output without indentation
                "package.json": '{"name": "app", "version": "1.0.0"}',
                "schema.json": '{"kind": "thing"}',
            },
        )
    )
    assert addresses(scan) == ["Pod/ops/debug", "Pod/ops/fine"]
    assert found(scan) == {
        ("IAC-K8S-HOST-NETWORK", "all.json", 1, "Pod/ops/debug"),
        ("IAC-K8S-PRIVILEGED", "all.json", 1, "Pod/ops/debug"),
    }
    assert scan.frameworks() == {scan.files[0][1]: ["all.json"]}


HELM_RENDERED = """
---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
automountServiceAccountToken: false
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: "nginx:latest"
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
          resources:
            limits: {cpu: 100m, memory: 64Mi}
---
# Source: web/templates/tests/empty.yaml
---
# Source: web/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      automountServiceAccountToken: false
      containers:
        - name: migrate
          image: "registry.example.com/migrate:1.2.3"
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              add: ["SYS_ADMIN"]
          resources:
            limits: {cpu: 100m, memory: 64Mi}
"""


def test_helm_rendered_multi_document_output(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"rendered/web.yaml": HELM_RENDERED}))
    assert addresses(scan) == ["ServiceAccount/web", "Deployment/web", "Job/migrate"]
    assert found(scan) == {
        ("IAC-K8S-IMAGE-TAG", "rendered/web.yaml", 20, "Deployment/web"),
        ("IAC-K8S-CAPABILITIES", "rendered/web.yaml", 47, "Job/migrate"),
    }
    assert scan.skipped == ()
