"""Commit-graph walks: which deployment first shipped each commit, and what each merge brought in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secloop.delivery.git import History


@dataclass(frozen=True)
class Attribution:
    owner: list[int]  # per commit: index of the first deployment that contains it, -1 if none
    shipped: list[list[int]]  # per deployment: the commits it shipped first


def attribute(history: History, tips: Sequence[int | None]) -> Attribution:
    """Walk deployments in order; each claims the commits reachable from it that no earlier one reached.

    An already-claimed commit stops the walk: every ancestor of it was reachable from the deployment
    that claimed it, so it was claimed then or before. Each commit is visited once over all deployments
    (the in-memory equivalent of `git rev-list B ^A` from one deployment to the next, for any topology).
    """
    parents = history.parents
    owner = [-1] * len(history)
    shipped: list[list[int]] = []
    for number, tip in enumerate(tips):
        new: list[int] = []
        if tip is not None and owner[tip] < 0:
            owner[tip] = number
            stack = [tip]
            while stack:
                commit = stack.pop()
                new.append(commit)
                for parent in parents[commit]:
                    if owner[parent] < 0:
                        owner[parent] = number
                        stack.append(parent)
        shipped.append(new)
    return Attribution(owner, shipped)


def first_parent_chain(history: History, head: int) -> list[int]:
    """HEAD and its first parents: the trunk's own history, newest first."""
    chain = [head]
    parents = history.parents
    while parents[chain[-1]]:
        chain.append(parents[chain[-1]][0])
    return chain


def merged_in(history: History, trunk: list[int]) -> dict[int, list[int]]:
    """For each merge commit on the trunk, the commits its other parents brought in.

    Merges are processed oldest first and a commit is claimed once, so a branch that merged the trunk
    (or another branch) into itself is not charged for commits that reached the trunk before it.
    """
    on_trunk = set(trunk)
    seen: set[int] = set()
    brought: dict[int, list[int]] = {}
    parents = history.parents
    for merge in reversed(trunk):
        others = parents[merge][1:]
        if not others:
            continue
        commits: list[int] = []
        stack = [p for p in others if p not in on_trunk and p not in seen]
        seen.update(stack)
        while stack:
            commit = stack.pop()
            commits.append(commit)
            for parent in parents[commit]:
                if parent not in on_trunk and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        brought[merge] = commits
    return brought
