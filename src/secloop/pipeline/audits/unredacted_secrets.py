"""GHA-UNREDACTED-SECRETS: `fromJSON(secrets.X)` fields are not masked in the logs."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import iter_nodes
from secloop.pipeline.audits.expression_audit import ExpressionAudit
from secloop.pipeline.expressions import Call, Node, iter_paths

RULE = Rule(
    id="GHA-UNREDACTED-SECRETS",
    title="Structured secret parsed with `fromJSON` (its fields are not masked)",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The runner masks a secret's whole value in logs. A field taken out of a JSON secret with "
        "`fromJSON(secrets.X).field` is a different string, which the runner does not know and prints "
        "in clear wherever the step echoes it."
    ),
    fix=(
        "Store each value the workflow needs as a secret of its own, or register the extracted value "
        "with `::add-mask::` before any step can print it."
    ),
    cwe=(532,),
    cicd_sec=(6,),
)


class UnredactedSecrets(ExpressionAudit):
    rule = RULE

    def judge(self, node: Node) -> Iterator[tuple[str, str]]:
        for sub in iter_nodes(node):
            if not (isinstance(sub, Call) and sub.function.lower() == "fromjson"):
                continue
            names = sorted({".".join(p) for arg in sub.args for p in iter_paths(arg) if p[0] == "secrets"})
            for name in names:
                yield f"`fromJSON({name})` yields fields the log masking does not know", name
