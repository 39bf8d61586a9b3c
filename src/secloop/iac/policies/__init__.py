"""The explicit policy registry: adding a policy family is one module and one line here."""

from __future__ import annotations

from secloop.iac.policies import (
    aws_data,
    aws_iam,
    aws_network,
    aws_s3,
    azure,
    compose,
    docker,
    gcp,
    kubernetes,
)
from secloop.iac.policies.interface import Policy

POLICIES: tuple[Policy, ...] = (
    *aws_s3.POLICIES,
    *aws_data.POLICIES,
    *aws_network.POLICIES,
    *aws_iam.POLICIES,
    *azure.POLICIES,
    *gcp.POLICIES,
    *kubernetes.POLICIES,
    *docker.POLICIES,
    *compose.POLICIES,
)
