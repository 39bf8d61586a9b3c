"""Evaluators that decide from repository contents alone: one module per stage.

Engines replace some of them with engine-backed evaluators; the merged registry is
`secloop.practices.registry.EVALUATORS`.
"""

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

CONTENT_EVALUATORS: dict[str, Evaluator] = {
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
