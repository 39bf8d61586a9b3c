"""GHA-BOT-CONDITION: trusting `github.actor == '…[bot]'`, which names who caused the latest event."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.model import Finding
from secloop.core.rules import Rule
from secloop.pipeline.audits._common import condition, literal_ends_with_bot
from secloop.pipeline.audits.interface import ConditionAudit
from secloop.pipeline.expressions import Binary, Call, Literal, Node, Unary, path_of
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow

RULE = Rule(
    id="GHA-BOT-CONDITION",
    title="Condition trusts a bot by `github.actor`",
    stage=Stage.PIPELINE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "`github.actor` is whoever caused the most recent event of the run, not who wrote the code. An "
        "attacker can make a bot (Dependabot, Renovate) the actor of a run on their own pull request, "
        "for example by getting it to rebase it, and pass a check such as "
        "`if: github.actor == 'dependabot[bot]'` that auto-approves or merges."
    ),
    fix=(
        "Check the author of the change instead: `github.event.pull_request.user.login == "
        "'dependabot[bot]'`, and for Dependabot use dependabot/fetch-metadata."
    ),
    cwe=(290,),
    cicd_sec=(1,),
)
_ACTOR_ONLY = frozenset({("github", "actor")})


def bot_checks(node: Node) -> Iterator[str]:
    """The bot names the condition accepts through `github.actor ==`."""
    if isinstance(node, Binary):
        if node.op == "==":
            for a, b in ((node.left, node.right), (node.right, node.left)):
                path = path_of(a)
                if (
                    path in _ACTOR_ONLY
                    and isinstance(b, Literal)
                    and isinstance(b.value, str)
                    and literal_ends_with_bot(b.value)
                ):
                    yield b.value
        yield from bot_checks(node.left)
        yield from bot_checks(node.right)
    elif isinstance(node, Unary):
        yield from bot_checks(node.operand)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from bot_checks(arg)


class BotCondition(ConditionAudit):
    rule = RULE

    def check_condition(
        self, workflow: Workflow, job: Job, step: Step | None, cond: Scalar
    ) -> Iterator[Finding]:
        if "actor" not in cond.text:
            return
        node = condition(cond)
        bots = sorted(set(bot_checks(node))) if node is not None else []
        if not bots:
            return
        privileged = bool(workflow.events & {"pull_request_target", "workflow_run"})
        yield self.finding(
            workflow,
            f"`if:` trusts github.actor == {', '.join(repr(b) for b in bots)}; the actor is whoever "
            "caused the latest event, not the author of the change",
            cond.location,
            job=job,
            step=step,
            key=tuple(bots),
            severity=Severity.HIGH if privileged else Severity.MEDIUM,
        )
