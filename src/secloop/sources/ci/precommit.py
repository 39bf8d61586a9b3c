"""The pre-commit configuration: which hooks run before code is committed."""

from __future__ import annotations

from secloop.core.model import Skipped
from secloop.sources.ci import nodes as n
from secloop.sources.ci.interface import Hook, PreCommit

NAMES = (".pre-commit-config.yaml", ".pre-commit-config.yml")


def parse(path: str, text: str) -> PreCommit:
    skipped: list[Skipped] = []
    root = n.compose_mapping(path, text, skipped)
    hooks: list[Hook] = []
    for repo in n.seq(n.get(root, "repos")):
        url = n.scalar(n.get(repo, "repo")) or ""
        for hook in n.seq(n.get(repo, "hooks")):
            ident = n.get(hook, "id")
            if ident is None:
                continue
            args = tuple(a for a in (n.scalar(x) for x in n.seq(n.get(hook, "args"))) if a)
            entry = n.scalar(n.get(hook, "entry")) or ""
            hooks.append(Hook(path, n.line(ident), url, n.scalar(ident) or "", entry, args))
    return PreCommit(path, tuple(hooks), tuple(skipped))
