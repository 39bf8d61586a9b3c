"""GHA-OVERPROVISIONED-SECRETS: `toJSON(secrets)` or `secrets[…]` hands a step every secret at once."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import iter_nodes
from secloop.pipeline.audits.expression_audit import ExpressionAudit
from secloop.pipeline.expressions import Call, Index, Literal, Name, Node

RULE = Rule(
    id="GHA-OVERPROVISIONED-SECRETS",
    title="Every secret handed over at once (`toJSON(secrets)` or `secrets[…]`)",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "GitHub only sends a runner the secrets a job names. `toJSON(secrets)` or indexing `secrets` "
        "with a computed key makes the job name all of them, so one compromised step or action reads "
        "every secret of the repository and organisation instead of the one it needs."
    ),
    fix=(
        "Name each secret the step needs (`secrets.DEPLOY_TOKEN`) instead of serialising or "
        "indexing the context."
    ),
    cwe=(250,),
    cicd_sec=(6,),
)


def _is_secrets(node: Node) -> bool:
    return isinstance(node, Name) and node.name.lower() == "secrets"


class OverprovisionedSecrets(ExpressionAudit):
    rule = RULE

    def judge(self, node: Node) -> Iterator[tuple[str, str]]:
        for sub in iter_nodes(node):
            if isinstance(sub, Call) and sub.function.lower() == "tojson" and any(map(_is_secrets, sub.args)):
                yield "`toJSON(secrets)` serialises every secret", "tojson"
            elif (
                isinstance(sub, Index)
                and _is_secrets(sub.target)
                and not (isinstance(sub.index, Literal) and isinstance(sub.index.value, str))
            ):
                yield "`secrets[…]` with a computed key makes every secret available", "index"
