"""Where `env.X` and `matrix.X` of an expression come from: the step's, job's and workflow's `env:`
(the nearest wins, as at run time) and the job's static `strategy.matrix` values."""

from __future__ import annotations

from secloop.pipeline.expressions import Scope
from secloop.pipeline.workflow import Entry, Job, Step, Workflow


def _value(levels: tuple[tuple[Entry, ...], ...], name: str) -> tuple[str, ...]:
    for entries in levels:
        for entry in entries:
            if entry.key.lower() == name:
                return (entry.value.text,) if entry.value is not None else ()
    return ()


def scope_of(workflow: Workflow, job: Job | None = None, step: Step | None = None) -> Scope:
    levels = tuple(
        entries
        for entries in (
            step.env if step else (),
            job.env if job else (),
            workflow.env,
        )
        if entries
    )

    def env(name: str) -> tuple[str, ...]:
        return _value(levels, name)

    def matrix(name: str) -> tuple[str, ...]:
        if job is None:
            return ()
        for key, values in job.matrix:
            if key.lower() == name:
                return tuple(v.text for v in values)
        return ()

    return Scope(env=env, matrix=matrix)
