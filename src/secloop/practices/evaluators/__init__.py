"""The explicit evaluator registry: practice id -> evaluator.

One module per stage decides what repository contents can decide; an engine's `practices` module
then replaces the evaluators it backs (listed last, so it wins). That is the seam engines plug into.
"""

from __future__ import annotations

from secloop.delivery import practices as delivery_practices
from secloop.deps import practices as deps_practices
from secloop.iac import practices as iac_practices
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
from secloop.secrets import practices as secrets_practices
from secloop.threatmodel import practices as threatmodel_practices

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
    # engine-backed evaluators
    **delivery_practices.EVALUATORS,
    **deps_practices.EVALUATORS,
    **iac_practices.EVALUATORS,
    **secrets_practices.EVALUATORS,
    **threatmodel_practices.EVALUATORS,
}
