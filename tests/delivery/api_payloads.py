"""Recorded-shape API responses (trimmed to the fields real responses carry that matter here)."""

from __future__ import annotations

from typing import Any

SHA_A = "a" * 40
SHA_B = "b" * 40
MERGE = "c" * 40


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": len(login), "type": "User", "site_admin": False}


def github_commit(sha: str, authored: str, committed: str) -> dict[str, Any]:
    """One item of `pulls/N/commits`: the git dates are under `commit`, the accounts beside it."""
    return {
        "sha": sha,
        "commit": {
            "author": {"name": "Alice", "email": "alice@example.invalid", "date": authored},
            "committer": {"name": "Alice", "email": "alice@example.invalid", "date": committed},
            "message": "work",
        },
        "author": _user("alice"),
        "committer": _user("alice"),
        "parents": [{"sha": SHA_A}],
    }


def gitlab_commit(sha: str, authored: str, committed: str) -> dict[str, Any]:
    return {
        "id": sha,
        "short_id": sha[:8],
        "title": "work",
        "author_name": "Alice",
        "authored_date": authored,
        "committer_name": "Alice",
        "committed_date": committed,
        "created_at": committed,
    }


def github_routes(slug: str, tag_sha: str) -> dict[str, list[Any]]:
    base = f"/repos/{slug}"
    deployment = {
        "url": f"https://api.github.com{base}/deployments/11",
        "id": 11,
        "sha": tag_sha,
        "ref": "main",
        "task": "deploy",
        "environment": "production",
        "created_at": "2026-03-04T09:00:00Z",
        "updated_at": "2026-03-04T09:06:00Z",
        "creator": _user("deployer"),
        "production_environment": True,
    }
    staging = dict(deployment, id=12, sha=SHA_B, environment="staging", ref=SHA_B)
    return {
        f"{base}/deployments": [[deployment], [staging]],
        f"{base}/deployments/11/statuses": [
            [
                {
                    "id": 2,
                    "state": "success",
                    "environment": "production",
                    "created_at": "2026-03-04T09:05:00Z",
                },
                {
                    "id": 1,
                    "state": "in_progress",
                    "environment": "production",
                    "created_at": "2026-03-04T09:01:00Z",
                },
            ]
        ],
        f"{base}/deployments/12/statuses": [
            [
                {
                    "id": 3,
                    "state": "in_progress",
                    "environment": "staging",
                    "created_at": "2026-03-04T10:00:00Z",
                }
            ]
        ],
        f"{base}/releases": [
            [
                {"id": 1, "tag_name": "v2.0.0", "draft": True, "prerelease": False, "published_at": None},
                {
                    "id": 2,
                    "tag_name": "v1.0.0",
                    "target_commitish": "main",
                    "draft": False,
                    "prerelease": False,
                    "created_at": "2026-03-03T12:00:00Z",
                    "published_at": "2026-03-03T12:30:00Z",
                },
                {
                    "id": 3,
                    "tag_name": "v0.9.0",
                    "draft": False,
                    "prerelease": False,
                    "published_at": "2026-03-01T08:00:00Z",
                },
            ]
        ],
        f"{base}/pulls": [
            [
                {
                    "number": 5,
                    "state": "closed",
                    "title": "Add retries",
                    "user": _user("alice"),
                    "created_at": "2026-03-02T08:00:00Z",
                    "merged_at": "2026-03-02T11:00:00Z",
                    "closed_at": "2026-03-02T11:00:00Z",
                    "merge_commit_sha": MERGE,
                },
                {
                    "number": 6,
                    "state": "closed",
                    "title": "Abandoned",
                    "user": _user("alice"),
                    "created_at": "2026-03-02T08:00:00Z",
                    "merged_at": None,
                    "closed_at": "2026-03-02T09:00:00Z",
                    "merge_commit_sha": SHA_A,
                },
            ]
        ],
        f"{base}/pulls/5": [
            {"number": 5, "additions": 30, "deletions": 4, "changed_files": 2, "merged": True}
        ],
        # Oldest first, except that a rebase moved the earliest-authored commit to the end (page 2);
        # the rebase also rewrote every committer date to the morning the pull request was opened.
        f"{base}/pulls/5/commits": [
            [
                github_commit("1" * 40, "2026-03-01T16:00:00Z", "2026-03-02T07:50:00Z"),
                github_commit("2" * 40, "2026-03-01T18:00:00Z", "2026-03-02T07:55:00Z"),
            ],
            [github_commit("3" * 40, "2026-03-01T14:30:00Z", "2026-03-02T07:58:00Z")],
        ],
        f"{base}/pulls/5/reviews": [
            [
                {
                    "id": 1,
                    "user": _user("alice"),
                    "state": "COMMENTED",
                    "submitted_at": "2026-03-02T08:10:00Z",
                },
                {"id": 2, "user": _user("bob"), "state": "APPROVED", "submitted_at": "2026-03-02T09:30:00Z"},
                {"id": 3, "user": _user("carol"), "state": "PENDING"},
            ]
        ],
        f"{base}/issues": [
            [
                {
                    "number": 7,
                    "title": "Checkout down",
                    "labels": [{"name": "incident"}],
                    "state": "closed",
                    "created_at": "2026-03-04T10:00:00Z",
                    "closed_at": "2026-03-04T12:00:00Z",
                },
                {
                    "number": 8,
                    "title": "Fix checkout",
                    "labels": [{"name": "incident"}],
                    "created_at": "2026-03-04T10:30:00Z",
                    "closed_at": None,
                    "pull_request": {"url": "…"},
                },
            ]
        ],
    }


def gitlab_routes(encoded: str) -> dict[str, list[Any]]:
    base = f"/api/v4/projects/{encoded}"
    return {
        f"{base}/deployments": [
            [
                {
                    "id": 41,
                    "iid": 2,
                    "ref": "main",
                    "sha": SHA_A.upper(),
                    "status": "success",
                    "created_at": "2026-03-04T09:00:00.000Z",
                    "updated_at": "2026-03-04T09:07:00.000Z",
                    "environment": {"id": 9, "name": "production", "tier": "production"},
                    "deployable": {"id": 700, "status": "success", "finished_at": "2026-03-04T09:06:00.000Z"},
                },
                {
                    "id": 40,
                    "iid": 1,
                    "ref": "main",
                    "sha": SHA_B,
                    "status": "running",
                    "created_at": "2026-03-03T09:00:00.000Z",
                    "updated_at": "2026-03-03T09:00:00.000Z",
                    "environment": {"id": 9, "name": "production"},
                    "deployable": None,
                },
            ]
        ],
        f"{base}/releases": [
            [
                {
                    "tag_name": "v1.0.0",
                    "name": "v1.0.0",
                    "released_at": "2026-03-03T12:30:00.000Z",
                    "upcoming_release": False,
                    "commit": {"id": SHA_B, "short_id": SHA_B[:8]},
                }
            ]
        ],
        f"{base}/merge_requests": [
            [
                {
                    "id": 900,
                    "iid": 3,
                    "title": "Retry payments",
                    "state": "merged",
                    "author": {"id": 1, "username": "alice"},
                    "created_at": "2026-03-02T08:00:00.000Z",
                    "merged_at": "2026-03-02T12:00:00.000Z",
                    "merge_commit_sha": None,
                    "squash_commit_sha": MERGE,
                    "sha": SHA_A,
                }
            ]
        ],
        f"{base}/merge_requests/3/diffs": [
            [
                {
                    "old_path": "a.py",
                    "new_path": "a.py",
                    "diff": "@@ -1,2 +1,3 @@\n-old\n+new\n+more\n ctx\n",
                },
                {"old_path": "b.py", "new_path": "b.py", "diff": "@@ -0,0 +1 @@\n+only\n"},
            ]
        ],
        # Newest first: the oldest commits are on the last page; times with a zone offset.
        f"{base}/merge_requests/3/commits": [
            [gitlab_commit("4" * 40, "2026-03-01T19:00:00.000+02:00", "2026-03-02T07:59:00.000Z")],
            [
                gitlab_commit("5" * 40, "2026-03-01T13:00:00.000Z", "2026-03-02T07:58:00.000Z"),
                gitlab_commit("6" * 40, "2026-03-01T12:15:00.000Z", "2026-03-02T07:57:00.000Z"),
            ],
        ],
        f"{base}/merge_requests/3/notes": [
            [
                {
                    "id": 1,
                    "body": "added 1 commit",
                    "system": True,
                    "author": {"username": "bob"},
                    "created_at": "2026-03-02T08:30:00.000Z",
                },
                {
                    "id": 2,
                    "body": "Looks fine?",
                    "system": False,
                    "author": {"username": "alice"},
                    "created_at": "2026-03-02T08:40:00.000Z",
                },
                {
                    "id": 3,
                    "body": "approved this merge request",
                    "system": True,
                    "author": {"username": "bob"},
                    "created_at": "2026-03-02T10:00:00.000Z",
                },
            ]
        ],
        f"{base}/issues": [
            [
                {
                    "iid": 4,
                    "title": "Payments failing",
                    "labels": ["incident"],
                    "created_at": "2026-03-04T10:00:00.000Z",
                    "closed_at": None,
                }
            ]
        ],
    }
