"""The explicit, reviewable rule registry: every rule of every engine and evaluator, listed here once."""

from __future__ import annotations

from secloop.alerts.rules import RULES as ALERT_RULES
from secloop.core.rules import RuleRegistry
from secloop.deps.rules import RULES as DEPS_RULES
from secloop.iac.rules import RULES as IAC_RULES
from secloop.monitor.rules import RULES as MONITOR_RULES
from secloop.pipeline.posture.rules import RULES as POSTURE_RULES
from secloop.pipeline.rules import RULES as PIPELINE_ENGINE_RULES
from secloop.practices.evaluators import (
    build,
    code,
    deploy,
    monitor,
    operate,
    pipeline,
    plan,
    release,
    test,
)
from secloop.probe.rules import RULES as PROBE_RULES
from secloop.release.canary.rules import RULES as CANARY_RULES
from secloop.release.flags.rules import RULES as FLAG_RULES
from secloop.sast.rules import RULES as SAST_RULES
from secloop.secrets.rules import RULES as SECRETS_RULES
from secloop.threatmodel.rules import RULES as THREATMODEL_RULES

REGISTRY = RuleRegistry(
    [
        *PIPELINE_ENGINE_RULES,
        *DEPS_RULES,
        *IAC_RULES,
        *SAST_RULES,
        *SECRETS_RULES,
        *THREATMODEL_RULES,
        *CANARY_RULES,
        *FLAG_RULES,
        *ALERT_RULES,
        *PROBE_RULES,
        *POSTURE_RULES,
        *MONITOR_RULES,
        *plan.RULES,
        *code.RULES,
        *build.RULES,
        *test.RULES,
        *deploy.RULES,
        *release.RULES,
        *operate.RULES,
        *monitor.RULES,
        *pipeline.RULES,
    ]
)
