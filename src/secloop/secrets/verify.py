"""Opt-in live verification: ask the provider whether a found credential still works.

Nothing here runs unless `scan secrets --verify` asks for it. Only endpoints on the allowlist are ever
contacted; the built-in ones are the providers' public APIs (GitHub `GET /user`, Slack `auth.test`),
and a URL with a password is tried (HTTP basic auth, `GET /`) only when its origin is listed. Each
request has a timeout, requests are spaced by a rate limit, and the answer becomes the finding's
`verified` property: `true` (the provider accepted it), `false` (rejected: revoked or never valid) or
`unknown` (no verifier, not allowed, a timeout, any other answer).

The scan keeps no secret, so the value is recovered for the check alone: the finding's file (or
blob) is read again and the rule re-run until a match with the recorded SHA-256 turns up.

Settings (`.secloop/verify.toml` in the repository, or `--verify-config FILE`):

    allow = ["https://nexus.example.com"]     # origins added to the built-in ones
    timeout = 5.0                              # seconds per request
    rate = 2.0                                 # requests per second at most
    [base_urls]                                # where each provider's API lives (GitHub Enterprise…)
    github = "https://github.example.com/api/v3"
    slack = "https://slack.com"
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, Place
from secloop.core.model import Finding
from secloop.secrets.engine import Engine
from secloop.secrets.scan import secret_hash

DEFAULT_BASE_URLS = {"github": "https://api.github.com", "slack": "https://slack.com"}
GITHUB_RULES = frozenset(
    {
        "SECRET-GITHUB-PAT-CLASSIC",
        "SECRET-GITHUB-PAT-FINE-GRAINED",
        "SECRET-GITHUB-OAUTH-TOKEN",
        "SECRET-GITHUB-APP-USER-TOKEN",
        "SECRET-GITHUB-APP-INSTALLATION-TOKEN",
    }
)
SLACK_RULES = frozenset(
    {
        "SECRET-SLACK-BOT-TOKEN",
        "SECRET-SLACK-USER-TOKEN",
        "SECRET-SLACK-APP-TOKEN",
        "SECRET-SLACK-LEGACY-TOKEN",
    }
)
URL_RULES = frozenset({"SECRET-URL-PASSWORD"})
_SLACK_INVALID = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired"}
)
_USER_AGENT = "secloop-verify"


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{(parts.hostname or '').lower()}{port}"


@dataclass
class VerifySettings:
    allow: tuple[str, ...] = ()
    timeout: float = 5.0
    rate: float = 2.0
    base_urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BASE_URLS))

    def allowed(self, url: str) -> bool:
        wanted = origin(url)
        builtin = {origin(u) for u in self.base_urls.values()}
        return wanted in builtin or wanted in {origin(a) for a in self.allow}


def load_settings(path: Path | None) -> VerifySettings:
    """The settings file, or the defaults when there is none; malformed input is an error with its place."""
    if path is None or not path.is_file():
        return VerifySettings()
    text = path.read_text("utf-8")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", place=Place(str(path))) from exc
    unknown = set(data) - {"allow", "timeout", "rate", "base_urls"}
    if unknown:
        raise InputError(
            f"unknown verify setting '{sorted(unknown)[0]}'",
            place=Place(str(path)),
            hint="known: allow, timeout, rate, [base_urls]",
        )
    allow = data.get("allow", [])
    bases = data.get("base_urls", {})
    if not isinstance(allow, list) or not all(isinstance(a, str) and "://" in a for a in allow):
        raise InputError("'allow' must be a list of URLs (scheme://host[:port])", place=Place(str(path)))
    if not isinstance(bases, dict) or not all(isinstance(v, str) for v in bases.values()):
        raise InputError("[base_urls] maps a provider (github, slack) to a URL", place=Place(str(path)))
    if set(bases) - set(DEFAULT_BASE_URLS):
        raise InputError(f"unknown provider in [base_urls]: {sorted(set(bases) - set(DEFAULT_BASE_URLS))[0]}")
    return VerifySettings(
        allow=tuple(allow),
        timeout=float(data.get("timeout", 5.0)),
        rate=float(data.get("rate", 2.0)),
        base_urls={**DEFAULT_BASE_URLS, **bases},
    )


class RateLimiter:
    """At most `rate` requests per second across the whole run."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            delay = self._next - now
            if delay > 0:
                time.sleep(delay)
                now += delay
            self._next = now + self.interval


@dataclass(frozen=True, slots=True)
class Outcome:
    verified: str  # "true" | "false" | "unknown"
    detail: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the credential to a place nobody allowed: report the 3xx instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Verifier:
    def __init__(self, settings: VerifySettings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate)
        self.requests = 0
        # Direct connections only (no proxy from the environment), and no redirects.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    def _call(self, request: urllib.request.Request) -> tuple[int, bytes]:
        if not self.settings.allowed(request.full_url):
            raise PermissionError(f"{origin(request.full_url)} is not on the verify allowlist")
        self.limiter.wait()
        self.requests += 1
        request.add_header("User-Agent", _USER_AGENT)
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                return int(response.status), response.read(65536)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(65536)

    def check(self, rule_id: str, secret: str, context: str) -> Outcome:
        try:
            if rule_id in GITHUB_RULES:
                return self._github(secret)
            if rule_id in SLACK_RULES:
                return self._slack(secret)
            if rule_id in URL_RULES:
                return self._basic_auth_url(context)
        except PermissionError as exc:
            return Outcome("unknown", str(exc))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return Outcome("unknown", f"no answer: {getattr(exc, 'reason', exc)}")
        return Outcome("unknown", "no verifier for this rule")

    def _github(self, secret: str) -> Outcome:
        url = self.settings.base_urls["github"].rstrip("/") + "/user"
        request = urllib.request.Request(url, headers={"Authorization": f"token {secret}"})  # noqa: S310
        status, _ = self._call(request)
        if status == 200:
            return Outcome("true", "GitHub GET /user answered 200")
        if status == 401:
            return Outcome("false", "GitHub GET /user answered 401 (bad credentials)")
        return Outcome("unknown", f"GitHub GET /user answered {status}")

    def _slack(self, secret: str) -> Outcome:
        url = self.settings.base_urls["slack"].rstrip("/") + "/api/auth.test"
        request = urllib.request.Request(  # noqa: S310
            url, data=b"", method="POST", headers={"Authorization": f"Bearer {secret}"}
        )
        status, body = self._call(request)
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            answer = {}
        if status == 200 and answer.get("ok") is True:
            return Outcome("true", "Slack auth.test answered ok")
        if answer.get("ok") is False and answer.get("error") in _SLACK_INVALID:
            return Outcome("false", f"Slack auth.test answered {answer.get('error')}")
        return Outcome("unknown", f"Slack auth.test answered {status} {answer.get('error', '')}".strip())

    def _basic_auth_url(self, context: str) -> Outcome:
        parts = urllib.parse.urlsplit(context)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.password is None:
            return Outcome("unknown", "only http(s) URLs are verified")
        url = f"{origin(context)}/"
        user = urllib.parse.unquote(parts.username or "")
        token = base64.b64encode(f"{user}:{urllib.parse.unquote(parts.password)}".encode()).decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})  # noqa: S310
        status, _ = self._call(request)
        if 200 <= status < 300:
            return Outcome("true", f"GET {url} with the credentials answered {status}")
        if status in (401, 403):
            return Outcome("false", f"GET {url} with the credentials answered {status}")
        return Outcome("unknown", f"GET {url} answered {status}")


def recover(engine: Engine, rule_id: str, digest: str, data: bytes) -> tuple[str, str] | None:
    """(secret, matched text) of the rule's match in data whose SHA-256 is digest."""
    spec = next((r for r in engine.rules if r.id == rule_id), None)
    if spec is None:
        return None
    text = data.decode("utf-8", "surrogateescape")
    for match in re.finditer(spec.regex, text):
        for name, value in match.groupdict().items():
            if value and (name == "secret" or name.startswith("secret_")) and secret_hash(value) == digest:
                return value, match.group(0)
    for hit in engine.scan(data):  # decoded content (base64, hex, percent): the secret alone
        if hit.rule.id == rule_id and secret_hash(hit.secret) == digest:
            return hit.secret, hit.secret
    return None


def verify_findings(
    findings: tuple[Finding, ...],
    engine: Engine,
    read: Callable[[str, str | None], bytes | None],
    verifier: Verifier,
) -> tuple[Finding, ...]:
    """Each finding with `verified` and `verified_detail` properties; `read(path, blob)` gives content."""
    out: list[Finding] = []
    for finding in findings:
        props: Mapping[str, str] = dict(finding.properties)
        digest = props.get("secret_sha256", "")
        outcome = Outcome("unknown", "the secret could not be read again")
        if finding.rule_id not in GITHUB_RULES | SLACK_RULES | URL_RULES:
            outcome = Outcome("unknown", "no verifier for this rule")
        else:
            for location in finding.locations:
                if "!" in location.path:
                    continue  # an archive member: not re-read for verification
                data = read(location.path, location.blob)
                found = recover(engine, finding.rule_id, digest, data) if data is not None else None
                if found is not None:
                    outcome = verifier.check(finding.rule_id, *found)
                    break
        extra = (("verified", outcome.verified), ("verified_detail", outcome.detail))
        out.append(replace(finding, properties=tuple(sorted((*finding.properties, *extra)))))
    return tuple(out)
