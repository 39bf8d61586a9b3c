"""Stale flags: lifetime by type, fully rolled out, not referenced in code."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from secloop.release.flags.stale import find_stale, stale_json
from secloop.sources.repo import Repo
from tests.release.flags.conftest import CODE_FILES as CODE
from tests.release.flags.conftest import fixture_flags, repo_with_flags

AS_OF = date(2026, 11, 27)


def reasons(root: Path | None = None, as_of: date = AS_OF) -> dict[str, list[str]]:
    repo = Repo(root) if root is not None else None
    return {
        item.flag.name: [r.kind for r in item.reasons]
        for item in find_stale(fixture_flags(), as_of, repo, "flags.yaml")
    }


def test_lifetimes_by_type() -> None:
    # release created 2026-10-01 (57 days), experiment 2026-10-20 (38), operational 2026-11-20 (7),
    # kill switch 2025-01-15 (never), permission 2026-09-01 (never)
    assert reasons() == {"new-checkout": ["lifetime"]}
    assert reasons(as_of=date(2026, 11, 28)) == {"new-checkout": ["lifetime"], "cache-ttl": ["lifetime"]}
    assert reasons(as_of=date(2026, 11, 10)) == {}


def test_detail_names_the_age_and_lifetime() -> None:
    (item,) = find_stale(fixture_flags(), AS_OF)
    assert item.reasons[0].detail == (
        "created 2026-10-01, 57 days ago; a release flag is expected to live 40 days"
    )
    assert item.action == (
        "remove 'new-checkout' and the code paths it guards, keeping the winning path (owner: team-payments)"
    )


def test_unreferenced_flags(tmp_path: Path) -> None:
    root = repo_with_flags(tmp_path / "repo", files=CODE)
    # the mention "beta-dashboard" in a comment counts, "beta-dashboard-old" alone would not
    assert reasons(root) == {"new-checkout": ["lifetime"]}
    (root / "app" / "dash.py").write_text("# beta-dashboard-old only\n")
    (root / "app" / "cache.py").write_text("ttl = 300\n")
    assert reasons(root) == {
        "new-checkout": ["lifetime"],
        "beta-dashboard": ["unreferenced"],
        "cache-ttl": ["unreferenced"],
    }


def test_fully_rolled_out(tmp_path: Path) -> None:
    text = """\
flags:
  done:
    type: permission
    owner: me
    created: 2026-11-01
    environments:
      default: {enabled: true}
      production:
        enabled: true
        strategies: [{name: flexibleRollout, parameters: {rollout: 100}}]
  half:
    type: permission
    owner: me
    created: 2026-11-01
    environments:
      default: {enabled: true}
      production: {enabled: false}
  guard:
    type: kill-switch
    owner: me
    created: 2026-11-01
    environments:
      default: {enabled: true}
"""
    root = repo_with_flags(tmp_path / "r", text, {"a.py": "done half guard\n"})
    from secloop.release.flags.loader import load_flags

    flags = load_flags(root / "flags.yaml", "flags.yaml")
    items = find_stale(flags, AS_OF, Repo(root), "flags.yaml")
    assert [(i.flag.name, [r.detail for r in i.reasons]) for i in items] == [
        ("done", ["on for everyone in every environment (default, production)"])
    ]
    document = json.loads(stale_json(items, flags, AS_OF, True))
    assert document["items"][0] == {
        "flag": "done",
        "type": "permission",
        "owner": "me",
        "created": "2026-11-01",
        "location": {"path": "flags.yaml", "line": 2},
        "reasons": [
            {"kind": "rolled-out", "detail": "on for everyone in every environment (default, production)"}
        ],
        "action": "remove 'done' and the code paths it guards, keeping the winning path (owner: me)",
    }
