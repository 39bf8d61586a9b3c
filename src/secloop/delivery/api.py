"""The GitHub and GitLab API sources: deployments, releases, merged pull requests, incident issues.

Opt-in and read-only: only with an explicit `--github OWNER/REPO` or `--gitlab GROUP/PROJECT` and a
token in GITHUB_TOKEN / GITLAB_TOKEN. Every GET is ETag-cached (see http.py), so a second run mostly
costs 304s. Lists are read newest first for at most ``pages`` pages of 100.

What is read and how it maps:
- GitHub: deployments with their newest final status (as a deployment_status webhook would say it),
  releases that are neither drafts nor prereleases (production deployments at `published_at`; the
  tag must be in the local repository to know its commit), closed pull requests that were merged
  (one request each for additions/deletions and for the reviews), issues with the incident label.
- GitLab: deployments with a final status (time: the deploy job's `finished_at`, else `updated_at`),
  releases (`released_at`, `commit.id`), merged merge requests (size from the diffs, reviews from
  approvals and comments in the notes), issues with the incident label.
A review is a review or a comment by anyone but the author; bots are people here.

The first commit of each merged pull request is the earliest *author* date of its commits (GitHub
`pulls/N/commits`, at most 250, oldest first; GitLab `merge_requests/N/commits`, newest first), as the
git reader dates a merged branch by its commits' earliest author date: a rebase or an amend rewrites
committer dates to the moment of the rewrite, the author date keeps when the work was done, and the
listing order is not trusted because a rebase can reorder commits. When the commits cannot be read
(an error, a rate limit, more than GitLab's page limit) the pull request keeps only its creation time
and the read's description counts it, so one odd pull request never fails the run.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from secloop.core.errors import InputError, UsageError
from secloop.core.model import Skipped
from secloop.delivery.events import Events
from secloop.delivery.http import ApiError, Client
from secloop.delivery.model import (
    PRODUCTION,
    SUCCESS,
    Deployment,
    DeploymentSource,
    Incident,
    PullRequest,
)
from secloop.delivery.webhooks import (
    GITLAB_FINAL,
    WebhookPayloadError,
    parse_github_deployment_status,
)
from secloop.delivery.webhooks import parse_time as parse_api_time

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
_SLUG = re.compile(r"^[\w.-]+(/[\w.-]+)+$")
_APPROVED = re.compile(r"^approved this merge request", re.IGNORECASE)

_GH_FINAL = ("success", "failure", "error")
_GH_COMMIT_PAGES = 3  # GitHub lists at most 250 commits of a pull request
# GitLab lists newest first, so a cut list would lack the oldest: past this the first commit is unknown.
_GL_COMMIT_PAGES = 10

Resolver = Callable[[str], str | None]  # tag name -> commit id in the local repository


@dataclass(frozen=True)
class ApiRead:
    events: Events
    description: str


@dataclass(frozen=True, slots=True)
class ApiOptions:
    incident_label: str = "incident"
    pages: int = 5
    base_url: str | None = None


def _token(variable: str, flag: str) -> str:
    token = os.environ.get(variable, "").strip()
    if not token:
        raise UsageError(
            f"{flag} needs a token in the environment variable {variable}",
            hint=f"export {variable}=… (read access to the repository is enough)",
        )
    return token


def _slug(value: str, flag: str) -> str:
    if not _SLUG.match(value):
        raise UsageError(f"{flag}: {value!r} is not OWNER/REPO", hint=f"e.g. {flag} octo-org/shop")
    return value


def _when(value: Any, name: str) -> datetime | None:
    return parse_api_time(value, name) if isinstance(value, str) and value else None


def _login(user: Any, key: str = "login") -> str | None:
    return str(user[key]) if isinstance(user, Mapping) and user.get(key) else None


@dataclass
class _FirstCommits:
    """Reads the first commit of merged pull requests and keeps count of those it could not tell."""

    client: Client
    asked: int = 0
    unknown: int = 0
    reason: str | None = None  # the first failure, named in the note
    limited: bool = False  # after a rate-limit refusal, ask no more

    def earliest(
        self, label: str, path: str, pages: int, date: Callable[[Mapping[str, Any]], Any]
    ) -> datetime | None:
        """The earliest ``date`` of the commits listed at ``path``; None (counted) when unknown."""
        self.asked += 1
        found = self._earliest(path, pages, date)
        if isinstance(found, datetime):
            return found
        self.unknown += 1
        if self.reason is None:
            self.reason = f"{label}: {found}"
        return None

    def _earliest(self, path: str, pages: int, date: Callable[[Mapping[str, Any]], Any]) -> datetime | str:
        """The earliest date, or why it is unknown."""
        if self.limited:
            return "not asked: the rate limit is used up"
        try:
            commits, more = self.client.walk(path, {"per_page": "100"}, pages)
        except ApiError as exc:
            self.limited = exc.rate_limited
            return exc.detail
        if more:
            return f"more than {pages * 100} commits"
        moments: list[datetime] = []
        for commit in commits:
            if not isinstance(commit, Mapping):
                return "a commit that is not an object"
            name = f"commit {str(commit.get('id') or commit.get('sha'))[:12]}"
            try:
                moment = _when(date(commit), name)
            except WebhookPayloadError as exc:
                return str(exc)
            if moment is None:
                return f"{name}: no author date"
            moments.append(moment)
        return min(moments) if moments else "no commits listed"

    def note(self) -> str:
        if not self.unknown:
            return ""
        more = f", and {self.unknown - 1} more" if self.unknown > 1 else ""
        return (
            f"; {self.unknown} of {self.asked} pull request(s): first commit unknown, creation time used "
            f"({self.reason}{more})"
        )


def _github_author_date(commit: Mapping[str, Any]) -> Any:
    detail = commit.get("commit")
    author = detail.get("author") if isinstance(detail, Mapping) else None
    return author.get("date") if isinstance(author, Mapping) else None


def _gitlab_author_date(commit: Mapping[str, Any]) -> Any:
    return commit.get("authored_date")


def github_client(options: ApiOptions) -> Client:
    token = _token("GITHUB_TOKEN", "--github")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    return Client(options.base_url or os.environ.get("SECLOOP_GITHUB_API") or GITHUB_API, headers)


def gitlab_client(options: ApiOptions) -> Client:
    token = _token("GITLAB_TOKEN", "--gitlab")
    base = options.base_url or os.environ.get("SECLOOP_GITLAB_API") or GITLAB_API
    return Client(base, {"PRIVATE-TOKEN": token})


def read_github(client: Client, repo: str, options: ApiOptions, resolve_tag: Resolver) -> ApiRead:
    slug = _slug(repo, "--github")
    where = f"github {slug}"
    skipped: list[Skipped] = []
    deployments: list[Deployment] = []
    for item in client.pages(f"/repos/{slug}/deployments", {"per_page": "100"}, options.pages):
        statuses, _ = client.get(f"/repos/{slug}/deployments/{item.get('id')}/statuses", {"per_page": "100"})
        final = next(
            (s for s in statuses or [] if isinstance(s, Mapping) and s.get("state") in _GH_FINAL), None
        )
        if final is None:
            continue
        origin = f"{where} deployment {item.get('id')}"
        try:
            parsed = parse_github_deployment_status({"deployment": item, "deployment_status": final}, origin)
        except WebhookPayloadError as exc:
            skipped.append(Skipped(where, f"deployment {item.get('id')}: {exc}"))
            continue
        if parsed is not None:
            deployments.append(replace(parsed, source=DeploymentSource.API))
    for release in client.pages(f"/repos/{slug}/releases", {"per_page": "100"}, options.pages):
        if release.get("draft") or release.get("prerelease"):
            continue
        name = str(release.get("tag_name") or "")
        published = _when(release.get("published_at"), f"release {name}: published_at")
        sha = resolve_tag(name)
        if sha is None or published is None:
            skipped.append(Skipped(where, f"release {name}: tag not in the local repository; fetch the tags"))
            continue
        deployments.append(_release(name, sha, published, f"{where} release {name}"))
    firsts = _FirstCommits(client)
    pulls = [
        _github_pull(client, slug, pr, options, where, firsts)
        for pr in client.pages(
            f"/repos/{slug}/pulls",
            {"state": "closed", "sort": "updated", "direction": "desc", "per_page": "100"},
            options.pages,
        )
        if pr.get("merged_at")
    ]
    issues = client.pages(
        f"/repos/{slug}/issues",
        {"labels": options.incident_label, "state": "all", "per_page": "100"},
        options.pages,
    )
    incidents = [
        _incident(f"#{i['number']}", i, where) for i in issues if "pull_request" not in i and "number" in i
    ]
    return _read(where, deployments, incidents, pulls, skipped, client, firsts)


def _release(name: str, sha: str, time: datetime, origin: str) -> Deployment:
    return Deployment(PRODUCTION, sha.lower(), name, time, SUCCESS, DeploymentSource.API, origin)


def _incident(ident: str, issue: Mapping[str, Any], where: str) -> Incident:
    opened = _when(issue.get("created_at"), f"issue {ident}: created_at")
    if opened is None:
        raise WebhookPayloadError(f"issue {ident}: created_at is missing")
    return Incident(
        id=ident,
        opened=opened,
        resolved=_when(issue.get("closed_at"), f"issue {ident}: closed_at"),
        deployment_sha=None,
        root_cause_sha=None,
        severity=None,
        title=str(issue.get("title")) if issue.get("title") else None,
        environment=PRODUCTION,
        origin=f"{where} issue {ident}",
    )


def _github_pull(
    client: Client,
    slug: str,
    pr: Mapping[str, Any],
    options: ApiOptions,
    where: str,
    firsts: _FirstCommits,
) -> PullRequest:
    number = int(pr["number"])
    detail, _ = client.get(f"/repos/{slug}/pulls/{number}")
    reviews = client.pages(f"/repos/{slug}/pulls/{number}/reviews", {"per_page": "100"}, options.pages)
    first = firsts.earliest(
        f"pull {number}", f"/repos/{slug}/pulls/{number}/commits", _GH_COMMIT_PAGES, _github_author_date
    )
    author = _login(pr.get("user"))
    seen: list[tuple[datetime, str]] = []
    for review in reviews:
        who = _login(review.get("user"))
        moment = _when(review.get("submitted_at"), f"pull {number}: submitted_at")
        if who and who != author and moment is not None and review.get("state") != "PENDING":
            seen.append((moment, who))
    created = _when(pr.get("created_at"), f"pull {number}: created_at")
    if created is None:
        raise WebhookPayloadError(f"pull {number}: created_at is missing")
    return PullRequest(
        number=number,
        created=created,
        merged=_when(pr.get("merged_at"), f"pull {number}: merged_at"),
        first_review=min(seen)[0] if seen else None,
        additions=_int(detail, "additions"),
        deletions=_int(detail, "deletions"),
        author=author,
        reviewers=tuple(sorted({who for _, who in seen})),
        merge_sha=str(pr["merge_commit_sha"]).lower() if pr.get("merge_commit_sha") else None,
        origin=f"{where} pull {number}",
        title=str(pr.get("title")) if pr.get("title") else None,
        first_commit=first,
    )


def _int(data: Any, key: str) -> int | None:
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _read(
    where: str,
    deployments: list[Deployment],
    incidents: list[Incident],
    pulls: list[PullRequest],
    skipped: list[Skipped],
    client: Client,
    firsts: _FirstCommits,
) -> ApiRead:
    description = (
        f"{where}: {len(deployments)} deployment(s), {len(incidents)} incident issue(s), "
        f"{len(pulls)} merged pull request(s); {client.requests} request(s), "
        f"{client.not_modified} answered from the cache{firsts.note()}"
    )
    events = Events(
        deployments=tuple(deployments),
        incidents=tuple(incidents),
        skipped=tuple(skipped),
        path=where,
        pull_requests=tuple(pulls),
    )
    return ApiRead(events, description)


def read_gitlab(client: Client, project: str, options: ApiOptions) -> ApiRead:
    slug = _slug(project, "--gitlab")
    where = f"gitlab {slug}"
    base = f"/projects/{urllib.parse.quote(slug, safe='')}"
    skipped: list[Skipped] = []
    deployments: list[Deployment] = []
    listed = client.pages(
        f"{base}/deployments", {"order_by": "id", "sort": "desc", "per_page": "100"}, options.pages
    )
    for item in listed:
        status = str(item.get("status") or "")
        if status not in GITLAB_FINAL:
            continue
        job = item.get("deployable") if isinstance(item.get("deployable"), Mapping) else {}
        moment = _when(job.get("finished_at") or item.get("updated_at"), f"deployment {item.get('id')}")
        environment = item.get("environment")
        name = environment.get("name") if isinstance(environment, Mapping) else None
        sha = item.get("sha")
        if moment is None or not isinstance(sha, str) or not name:
            skipped.append(Skipped(where, f"deployment {item.get('id')}: no sha, environment or time"))
            continue
        deployments.append(
            Deployment(
                str(name).lower(),
                sha.lower(),
                str(item.get("ref")) if item.get("ref") else None,
                moment,
                GITLAB_FINAL[status],
                DeploymentSource.API,
                f"{where} deployment {item.get('id')}",
            )
        )
    for release in client.pages(f"{base}/releases", {"per_page": "100"}, options.pages):
        if release.get("upcoming_release"):
            continue
        name = str(release.get("tag_name") or "")
        commit = release.get("commit")
        sha = commit.get("id") if isinstance(commit, Mapping) else None
        moment = _when(release.get("released_at"), f"release {name}: released_at")
        if not isinstance(sha, str) or moment is None:
            skipped.append(Skipped(where, f"release {name}: no commit or release time"))
            continue
        deployments.append(_release(name, sha, moment, f"{where} release {name}"))
    firsts = _FirstCommits(client)
    pulls = [
        _gitlab_merge_request(client, base, mr, options, where, firsts)
        for mr in client.pages(
            f"{base}/merge_requests",
            {"state": "merged", "order_by": "updated_at", "sort": "desc", "per_page": "100"},
            options.pages,
        )
    ]
    issues = client.pages(
        f"{base}/issues",
        {"labels": options.incident_label, "scope": "all", "per_page": "100"},
        options.pages,
    )
    incidents = [_incident(f"#{i['iid']}", i, where) for i in issues if "iid" in i]
    return _read(where, deployments, incidents, pulls, skipped, client, firsts)


def _diff_size(diffs: list[Any]) -> tuple[int, int]:
    added = removed = 0
    for entry in diffs:
        text = entry.get("diff") if isinstance(entry, Mapping) else None
        for line in str(text or "").splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
    return added, removed


def _gitlab_merge_request(
    client: Client,
    base: str,
    mr: Mapping[str, Any],
    options: ApiOptions,
    where: str,
    firsts: _FirstCommits,
) -> PullRequest:
    iid = int(mr["iid"])
    first = firsts.earliest(
        f"merge request !{iid}",
        f"{base}/merge_requests/{iid}/commits",
        _GL_COMMIT_PAGES,
        _gitlab_author_date,
    )
    diffs = client.pages(f"{base}/merge_requests/{iid}/diffs", {"per_page": "100"}, options.pages)
    notes = client.pages(
        f"{base}/merge_requests/{iid}/notes",
        {"sort": "asc", "order_by": "created_at", "per_page": "100"},
        options.pages,
    )
    author = _login(mr.get("author"), "username")
    seen: list[tuple[datetime, str]] = []
    for note in notes:
        who = _login(note.get("author"), "username")
        moment = _when(note.get("created_at"), f"merge request {iid}: note created_at")
        is_review = not note.get("system") or _APPROVED.match(str(note.get("body") or ""))
        if who and who != author and moment is not None and is_review:
            seen.append((moment, who))
    created = _when(mr.get("created_at"), f"merge request {iid}: created_at")
    if created is None:
        raise WebhookPayloadError(f"merge request {iid}: created_at is missing")
    added, removed = _diff_size(diffs)
    sha = mr.get("merge_commit_sha") or mr.get("squash_commit_sha") or mr.get("sha")
    return PullRequest(
        number=iid,
        created=created,
        merged=_when(mr.get("merged_at"), f"merge request {iid}: merged_at"),
        first_review=min(seen)[0] if seen else None,
        additions=added,
        deletions=removed,
        author=author,
        reviewers=tuple(sorted({who for _, who in seen})),
        merge_sha=str(sha).lower() if sha else None,
        origin=f"{where} merge request !{iid}",
        title=str(mr.get("title")) if mr.get("title") else None,
        first_commit=first,
    )


def read_api(
    github: str | None, gitlab: str | None, options: ApiOptions, resolve_tag: Resolver
) -> list[ApiRead]:
    """Read the sources asked for; a response of the wrong shape is an input error naming the item."""
    reads: list[ApiRead] = []
    try:
        if github:
            reads.append(read_github(github_client(options), github, options, resolve_tag))
        if gitlab:
            reads.append(read_gitlab(gitlab_client(options), gitlab, options))
    except (WebhookPayloadError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"unexpected API response: {exc}", hint="check --api-url points at the forge's REST API"
        ) from None
    return reads


def combined(reads: list[ApiRead]) -> tuple[Events | None, tuple[str, ...]]:
    """The events of several reads as one, and their descriptions."""
    if not reads:
        return None, ()
    events = Events(
        deployments=tuple(d for r in reads for d in r.events.deployments),
        incidents=tuple(i for r in reads for i in r.events.incidents),
        skipped=tuple(s for r in reads for s in r.events.skipped),
        pull_requests=tuple(p for r in reads for p in r.events.pull_requests),
    )
    return events, tuple(r.description for r in reads)
