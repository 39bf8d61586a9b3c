"""The explicit evaluator registry: practice id -> evaluator. One module per stage."""

from __future__ import annotations

from secloop.practices.base import Evaluator
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

EVALUATORS: dict[str, Evaluator] = {
    **plan.EVALUATORS,
    **code.EVALUATORS,
    **build.EVALUATORS,
    **test.EVALUATORS,
    **deploy.EVALUATORS,
    **release.EVALUATORS,
    **operate.EVALUATORS,
    **monitor.EVALUATORS,
    **pipeline.EVALUATORS,
}
