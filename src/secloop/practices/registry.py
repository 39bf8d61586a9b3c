"""The explicit evaluator registry: practice id -> evaluator.

The stage modules decide what repository contents can decide; each engine's `practices` module then
replaces the evaluators it backs (merged last, so it wins). This is the seam engines plug into.
"""

from __future__ import annotations

from secloop.alerts import practices as alert_practices
from secloop.delivery import practices as delivery_practices
from secloop.deps import practices as deps_practices
from secloop.iac import practices as iac_practices
from secloop.monitor import practices as monitor_practices
from secloop.pipeline.posture import practices as posture_practices
from secloop.practices.base import Evaluator
from secloop.practices.evaluators import CONTENT_EVALUATORS
from secloop.probe import practices as probe_practices
from secloop.release.canary import practices as canary_practices
from secloop.release.flags import practices as flag_practices
from secloop.sast import practices as sast_practices
from secloop.secrets import practices as secrets_practices
from secloop.threatmodel import practices as threatmodel_practices

EVALUATORS: dict[str, Evaluator] = {
    **CONTENT_EVALUATORS,
    **delivery_practices.EVALUATORS,
    **deps_practices.EVALUATORS,
    **iac_practices.EVALUATORS,
    **sast_practices.EVALUATORS,
    **secrets_practices.EVALUATORS,
    **threatmodel_practices.EVALUATORS,
    **canary_practices.EVALUATORS,
    **flag_practices.EVALUATORS,
    **alert_practices.EVALUATORS,
    **probe_practices.EVALUATORS,
    **monitor_practices.EVALUATORS,
    # last: wraps the pipeline evaluators above with the saved API posture
    **posture_practices.EVALUATORS,
}
