"""GitLab checks beyond branch protection: merge request approval settings, deploy keys, protected
tags, CI/CD variables and unresolved discussions.

Each check reads one answer of the snapshot. An answer the token could not read (403: Maintainer
role, 404: a Premium feature or a hidden project) makes its checks `unknown` with that reason, and
an answer an older secloop did not fetch makes them `unknown ... was not fetched`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from secloop.core.enums import Status
from secloop.core.timestamps import parse_timestamp
from secloop.pipeline.posture import rules as R
from secloop.pipeline.posture.access import deploy_key_checks
from secloop.pipeline.posture.model import Check, Snapshot, unread_checks

PASS, FAIL, UNKNOWN, NA = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "CREDENTIALS")
# Names of what a credential is about, not of the credential itself (AWS_ACCESS_KEY_ID, SSH_PUBLIC_KEY).
NOT_SECRET_PARTS = frozenset({"PUBLIC", "PUBKEY"})
NOT_SECRET_LAST = frozenset({"ID", "NAME", "URL", "USER", "USERNAME", "HOST"})
_PART = re.compile(r"[A-Za-z0-9]+")
SHOWN = 5


def _listed(names: list[str]) -> str:
    more = f", +{len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


# -- merge request approval settings ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approvals:
    """`GET /projects/:id/approvals`; None: the answer was not read or lacks the setting."""

    path: str | None
    author_approval: bool | None
    committers_approval: bool | None
    overriding: bool | None


def _flag(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    return value if isinstance(value, bool) else None


def approvals(snapshot: Snapshot) -> Approvals:
    answer = snapshot.get("approvals")
    body = answer.body if answer is not None and answer.ok and isinstance(answer.body, dict) else {}
    committers_off = _flag(body, "merge_requests_disable_committers_approval")
    overriding_off = _flag(body, "disable_overriding_approvers_per_merge_request")
    return Approvals(
        answer.path if answer is not None else None,
        _flag(body, "merge_requests_author_approval"),
        None if committers_off is None else not committers_off,
        None if overriding_off is None else not overriding_off,
    )


def review_adjust(check: Check, settings: Approvals) -> Check:
    """POSTURE-NO-REQUIRED-REVIEW after the approval settings: an approval the author may give
    themself is no review by another person; weaker settings are named in a passing reason."""
    if check.rule is not R.NO_REQUIRED_REVIEW or check.status is not PASS:
        return check
    if settings.author_approval:
        reason = (
            f"{check.reason}, but merge request authors may approve their own changes "
            "(merge_requests_author_approval is true)"
        )
        return Check(check.rule, FAIL, reason, settings.path)
    notes = []
    if settings.committers_approval:
        notes.append("committers may approve merge requests they added commits to")
    if settings.overriding:
        notes.append("approval rules may be edited in each merge request")
    if not notes:
        return check
    return Check(check.rule, PASS, f"{check.reason} ({'; '.join(notes)})", check.path)


# -- deploy keys -----------------------------------------------------------------------------------


def _expired(key: dict[str, Any], now: datetime) -> bool:
    expires = parse_timestamp(key.get("expires_at"))
    return expires is not None and expires <= now


def gitlab_deploy_keys(snapshot: Snapshot) -> list[Check]:
    """POSTURE-DEPLOY-KEY-WRITE/-STALE, judged as on GitHub: `can_push` is write access, and an
    expired key (it can no longer authenticate) is left out like a disabled one."""
    answer = snapshot.get("deploy_keys")
    if answer is None or not answer.ok:
        return deploy_key_checks(snapshot)
    keys = [
        {
            "id": k.get("id"),
            "title": k.get("title"),
            "read_only": not k["can_push"] if isinstance(k.get("can_push"), bool) else None,
            "created_at": k.get("created_at"),
            "last_used": k.get("last_used_at"),
            "enabled": not _expired(k, snapshot.fetched_at),
        }
        for k in answer.body or ()
        if isinstance(k, dict)
    ]
    as_github = replace(answer, body=keys)
    return deploy_key_checks(replace(snapshot, answers={**snapshot.answers, "deploy_keys": as_github}))


# -- protected tags --------------------------------------------------------------------------------


def tag_checks(snapshot: Snapshot) -> list[Check]:
    """POSTURE-TAGS-UNPROTECTED: the project's recent tags against its protected-tag patterns."""
    protected, tags = snapshot.get("protected_tags"), snapshot.get("tags")
    if tags is None or not tags.ok:
        return unread_checks((R.TAGS_UNPROTECTED,), tags, "the tag list")
    names = sorted({str(t.get("name")) for t in tags.body or () if isinstance(t, dict)})
    if not names:
        return [Check(R.TAGS_UNPROTECTED, NA, "the project has no tags", tags.path)]
    if protected is None or not protected.ok:
        return unread_checks((R.TAGS_UNPROTECTED,), protected, "the protected tag list")
    patterns = sorted({str(t.get("name")) for t in protected.body or () if isinstance(t, dict)})
    if not patterns:
        why = f"{len(names)} recent tag(s) ({_listed(names)}) and no protected tag pattern"
        return [Check(R.TAGS_UNPROTECTED, FAIL, why, protected.path)]
    covered = [n for n in names if any(fnmatchcase(n, p) for p in patterns)]
    if not covered:
        why = (
            f"the protected tag patterns ({_listed(patterns)}) match none of the recent tags "
            f"({_listed(names)})"
        )
        return [Check(R.TAGS_UNPROTECTED, FAIL, why, protected.path)]
    why = f"{len(covered)} of {len(names)} recent tag(s) match a protected tag pattern ({_listed(patterns)})"
    return [Check(R.TAGS_UNPROTECTED, PASS, why, protected.path)]


# -- CI/CD variables -------------------------------------------------------------------------------


def secret_like(key: str) -> bool:
    """Whether a variable's name says it holds a credential (NPM_TOKEN, DB_PASSWORD, APIKEY)."""
    parts = [p.upper() for p in _PART.findall(key)]
    if not parts or parts[-1] in NOT_SECRET_LAST or NOT_SECRET_PARTS.intersection(parts):
        return False
    return any(p.endswith(word) for p in parts for word in SECRET_WORDS)


def variable_checks(snapshot: Snapshot) -> list[Check]:
    """POSTURE-CI-VARIABLE-EXPOSED for each secret-named project variable that is not both masked
    (or hidden) and protected."""
    answer = snapshot.get("variables")
    if answer is None or not answer.ok:
        return unread_checks((R.CI_VARIABLE_EXPOSED,), answer, "the CI/CD variable list")
    variables = [v for v in answer.body or () if isinstance(v, dict) and isinstance(v.get("key"), str)]
    secrets = [v for v in variables if secret_like(v["key"])]
    out: list[Check] = []
    for var in sorted(secrets, key=lambda v: (v["key"], str(v.get("environment_scope", "*")))):
        masked = var.get("masked") is True or var.get("hidden") is True
        protected = var.get("protected") is True
        if masked and protected:
            continue
        scope = str(var.get("environment_scope", "*"))
        if not (masked or protected):
            state = "neither masked nor protected"
        else:
            state = "not masked" if not masked else "not protected"
        reason = f"CI/CD variable {var['key']} (environments {scope}) is {state}"
        out.append(Check(R.CI_VARIABLE_EXPOSED, FAIL, reason, answer.path, f"{var['key']}@{scope}"))
    if out:
        return out
    if secrets:
        why = (
            f"{len(secrets)} of {len(variables)} project variable(s) named like secrets, "
            "each masked and protected"
        )
    else:
        why = f"no project variable is named like a secret ({len(variables)} variable(s))"
    return [Check(R.CI_VARIABLE_EXPOSED, PASS, why, answer.path)]


# -- unresolved discussions ------------------------------------------------------------------------


def discussion_check(snapshot: Snapshot) -> Check:
    """POSTURE-MR-DISCUSSIONS-UNRESOLVED from the project's merge settings."""
    project = snapshot.get("project")
    if project is None or not project.ok:
        return unread_checks((R.DISCUSSIONS_UNRESOLVED,), project, "the project")[0]
    body = project.body if isinstance(project.body, dict) else {}
    key = "only_allow_merge_if_all_discussions_are_resolved"
    if body.get("merge_requests_enabled") is False:
        return Check(
            R.DISCUSSIONS_UNRESOLVED, NA, "merge requests are disabled for the project", project.path
        )
    value = body.get(key)
    if not isinstance(value, bool):
        why = f"{key} was not fetched (facts saved by an older secloop; run secloop posture again)"
        return Check(R.DISCUSSIONS_UNRESOLVED, UNKNOWN, why, project.path)
    return Check(
        R.DISCUSSIONS_UNRESOLVED, PASS if value else FAIL, f"{key} is {str(value).lower()}", project.path
    )


def extra_checks(snapshot: Snapshot) -> list[Check]:
    """The checks above, in a fixed order, after the branch and webhook checks."""
    return [
        *gitlab_deploy_keys(snapshot),
        *tag_checks(snapshot),
        *variable_checks(snapshot),
        discussion_check(snapshot),
    ]
