"""The posture's typed values: the API answers fetched (a snapshot) and the checks judged from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from secloop.core.enums import Status
from secloop.core.rules import Rule

SCHEMA = "secloop.posture/v1"
PLATFORMS = ("github", "gitlab")


@dataclass(frozen=True, slots=True)
class Answer:
    """One API answer, reduced to what the checks read (webhook URLs and secrets are redacted)."""

    path: str
    status: int  # 200, an HTTP error status, or 0 when the request did not complete
    body: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.ok:
            out["body"] = self.body
        if self.error:
            out["error"] = self.error
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(str(data["path"]), int(data["status"]), data.get("body"), data.get("error"))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the API said about one repository at one moment; `secloop assess` reads it offline."""

    platform: str
    api_url: str
    repo: str  # owner/name (GitHub) or group/project path (GitLab)
    branch: str | None
    fetched_at: datetime
    answers: dict[str, Answer] = field(default_factory=dict)

    def get(self, key: str) -> Answer | None:
        return self.answers.get(key)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "platform": self.platform,
            "api_url": self.api_url,
            "repo": self.repo,
            "branch": self.branch,
            "fetched_at": self.fetched_at.isoformat().replace("+00:00", "Z"),
            "answers": {key: self.answers[key].to_json() for key in sorted(self.answers)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document")
        stamp = datetime.fromisoformat(str(data["fetched_at"]).replace("Z", "+00:00"))
        answers = {str(k): Answer.from_json(v) for k, v in dict(data.get("answers") or {}).items()}
        return cls(
            str(data["platform"]),
            str(data["api_url"]),
            str(data["repo"]),
            data.get("branch"),
            stamp,
            answers,
        )


@dataclass(frozen=True, slots=True)
class Check:
    """One posture check: its rule, its status, why, and the API path that decided it."""

    rule: Rule
    status: Status  # pass, fail, unknown or not-applicable
    reason: str
    path: str | None = None
    subject: str = ""  # what failed, when one rule can fail several times (a webhook id, a login)

    @property
    def where(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


def unread_checks(rules: Iterable[Rule], answer: Answer | None, what: str) -> list[Check]:
    """`unknown` for each rule whose answer was refused (its error) or never fetched (older facts)."""
    reason = answer.error if answer is not None and answer.error else f"{what} was not fetched"
    path = answer.path if answer is not None else None
    return [Check(rule, Status.UNKNOWN, reason, path) for rule in rules]
