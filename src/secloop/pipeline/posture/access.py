"""GitHub access that goes around review: ruleset bypass lists and deploy keys.

A ruleset protects the judged branch when it is active, targets branches and its `ref_name`
condition includes the branch (`~ALL`, `~DEFAULT_BRANCH` for the default branch, or an fnmatch
pattern over `refs/heads/<name>`) without excluding it. GitHub matches ref patterns with File.fnmatch;
`fnmatchcase` differs only in letting `*` cross `/`, which can only widen what is judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from secloop.core.enums import Status
from secloop.core.timestamps import parse_timestamp
from secloop.pipeline.posture import rules as R
from secloop.pipeline.posture.github import ruleset_key
from secloop.pipeline.posture.model import Check, Snapshot, unread_checks

# GitHub does not document these ids; see github/rest-api-description#7111.
REPOSITORY_ROLES = {2: "maintain", 4: "write", 5: "admin"}
STALE_DAYS = 365
_BYPASS_ALWAYS = ("always", "exempt")


def _patterns(condition: Any, key: str) -> list[str]:
    values = condition.get(key) if isinstance(condition, dict) else None
    return [str(v) for v in values] if isinstance(values, list) else []


def _matches(patterns: list[str], branch: str, default: str | None) -> bool:
    ref = f"refs/heads/{branch}"
    for pattern in patterns:
        if pattern == "~ALL" or (pattern == "~DEFAULT_BRANCH" and branch == default):
            return True
        if fnmatchcase(ref, pattern) or fnmatchcase(branch, pattern):
            return True
    return False


def protects(ruleset: dict[str, Any], branch: str, default: str | None) -> bool:
    """Whether an active branch ruleset's `ref_name` condition covers `branch`."""
    if ruleset.get("enforcement") != "active" or ruleset.get("target", "branch") not in ("branch", None):
        return False
    conditions = ruleset.get("conditions")
    ref_name = conditions.get("ref_name") if isinstance(conditions, dict) else None
    return _matches(_patterns(ref_name, "include"), branch, default) and not _matches(
        _patterns(ref_name, "exclude"), branch, default
    )


def actor_name(actor: dict[str, Any]) -> str:
    kind, ident = actor.get("actor_type"), actor.get("actor_id")
    if kind == "RepositoryRole":
        name = REPOSITORY_ROLES.get(ident, f"#{ident}") if isinstance(ident, int) else f"#{ident}"
        return f"repository role {name}"
    if kind == "OrganizationAdmin":
        return "organisation admins"
    if kind == "DeployKey":
        return "deploy keys"
    if kind == "Integration":
        return f"GitHub App {ident}"
    return f"{kind} {ident}" if ident is not None else str(kind)


def _mode(actor: dict[str, Any]) -> str:
    # GitHub treats a bypass actor without a mode as "always".
    return str(actor.get("bypass_mode") or "always")


@dataclass(frozen=True, slots=True)
class Bypass:
    checks: list[Check]
    no_bypass: bool | None  # every ruleset of the branch read, and none has a bypass actor


def ruleset_bypass(snapshot: Snapshot) -> Bypass:
    """POSTURE-RULESET-BYPASS for each active ruleset that protects the snapshot's branch."""
    listed, branch = snapshot.get("rulesets"), snapshot.branch
    if listed is None or not listed.ok:
        return Bypass(unread_checks((R.RULESET_BYPASS,), listed, "rulesets"), None)
    if branch is None:
        return Bypass([Check(R.RULESET_BYPASS, Status.NOT_APPLICABLE, "the repository has no branch")], None)
    repo = snapshot.get("repo")
    default = (repo.body or {}).get("default_branch") if repo is not None and repo.ok else None
    failed: list[Check] = []
    unread: list[Check] = []
    lenient: list[str] = []
    applicable, any_actor = 0, False
    items = [i for i in listed.body or () if isinstance(i, dict) and isinstance(i.get("id"), int)]
    for item in sorted(items, key=lambda i: int(i["id"])):
        if item.get("enforcement") != "active" or item.get("target", "branch") != "branch":
            continue
        label = f"ruleset {item.get('name')!r} ({item['id']})"
        detail = snapshot.get(ruleset_key(item["id"]))
        if detail is None or not detail.ok:
            why = detail.error if detail is not None and detail.error else "its detail was not fetched"
            path = detail.path if detail is not None else listed.path
            unread.append(Check(R.RULESET_BYPASS, Status.UNKNOWN, f"{label}: {why}", path, str(item["id"])))
            continue
        body = detail.body if isinstance(detail.body, dict) else {}
        if not protects(body, branch, default):
            continue
        applicable += 1
        actors = body.get("bypass_actors")
        if not isinstance(actors, list):
            why = "its bypass list is shown only to a token that may edit the ruleset (repository admin)"
            unread.append(
                Check(R.RULESET_BYPASS, Status.UNKNOWN, f"{label}: {why}", detail.path, str(item["id"]))
            )
            continue
        any_actor = any_actor or bool(actors)
        always = [a for a in actors if _mode(a) in _BYPASS_ALWAYS]
        lenient += [actor_name(a) for a in actors if _mode(a) not in _BYPASS_ALWAYS]
        if always:
            who = ", ".join(actor_name(a) + (" (exempt)" if _mode(a) == "exempt" else "") for a in always)
            reason = f"{label} protects {branch}, but {who} may bypass it always"
            failed.append(Check(R.RULESET_BYPASS, Status.FAIL, reason, detail.path, str(item["id"])))
    if failed or unread:
        return Bypass([*failed, *unread], None)
    if applicable == 0:
        reason = f"no active ruleset protects {branch}"
        return Bypass([Check(R.RULESET_BYPASS, Status.NOT_APPLICABLE, reason, listed.path)], None)
    reason = f"{applicable} active ruleset(s) protect {branch}; no actor may bypass them always"
    if lenient:
        reason += f" ({', '.join(sorted(set(lenient)))}: through pull requests only)"
    return Bypass([Check(R.RULESET_BYPASS, Status.PASS, reason, listed.path)], not any_actor)


def deploy_key_checks(snapshot: Snapshot) -> list[Check]:
    """POSTURE-DEPLOY-KEY-WRITE and POSTURE-DEPLOY-KEY-STALE for each enabled deploy key."""
    answer = snapshot.get("deploy_keys")
    rules = (R.DEPLOY_KEY_WRITE, R.DEPLOY_KEY_STALE)
    if answer is None or not answer.ok:
        return unread_checks(rules, answer, "deploy keys")
    keys = [k for k in answer.body or () if isinstance(k, dict) and k.get("enabled") is not False]
    path = answer.path
    out: list[Check] = []
    for key in keys:
        label = f"deploy key {key.get('id')} ({key.get('title')!r})"
        subject = str(key.get("id"))
        if key.get("read_only") is False:
            by = f" (added by {key['added_by']})" if key.get("added_by") else ""
            out.append(Check(R.DEPLOY_KEY_WRITE, Status.FAIL, f"{label} has write access{by}", path, subject))
        used, created = parse_timestamp(key.get("last_used")), parse_timestamp(key.get("created_at"))
        last = used or created
        if last is None:
            why = f"{label}: neither last_used nor created_at is a date"
            out.append(Check(R.DEPLOY_KEY_STALE, Status.UNKNOWN, why, path, subject))
            continue
        days = (snapshot.fetched_at - last).days
        if days > STALE_DAYS:
            when = (
                f"was last used on {last.date().isoformat()}"
                if used is not None
                else f"was created on {last.date().isoformat()} and has no recorded use"
            )
            out.append(
                Check(R.DEPLOY_KEY_STALE, Status.FAIL, f"{label} {when} ({days} days ago)", path, subject)
            )
    counted = f"{len(keys)} deploy key(s)" if keys else "no deploy key"
    if not any(c.rule is R.DEPLOY_KEY_WRITE for c in out):
        out.append(
            Check(R.DEPLOY_KEY_WRITE, Status.PASS, f"{counted}{', all read-only' if keys else ''}", path)
        )
    if not any(c.rule is R.DEPLOY_KEY_STALE for c in out):
        recent = f", each used or created in the last {STALE_DAYS} days" if keys else ""
        out.append(Check(R.DEPLOY_KEY_STALE, Status.PASS, f"{counted}{recent}", path))
    order = {r.id: i for i, r in enumerate(rules)}
    return sorted(out, key=lambda c: order[c.rule.id])
