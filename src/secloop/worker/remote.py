"""Repositories by clone URL: the URL check, the commit HEAD names, and a shallow checkout of one commit.

Only https URLs are fetched (file:// only when the caller allows it: tests and `--allow-file-urls`).
A URL carrying credentials is refused, since it would be stored as the repository's identity. Git runs
without the user's or the system's configuration, with hooks disabled, every other protocol refused,
no terminal prompt and a time limit: a clone of an untrusted repository runs none of its code.

Private repositories: credentials never travel in the URL (it is the repository's stored identity) nor
in git's argv (visible to every local user). `SECLOOP_GIT_CREDENTIALS` names a file in git's
credential-store format, one `https://<user>:<token>@<host>` line per forge, which a read-only helper
(secloop.worker.gitcred) answers, so a token goes only to the host it is written for.
`SECLOOP_GIT_CA_BUNDLE` names the CA certificates of a forge with a private certificate authority.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from secloop.core.errors import UsageError

GIT_TIMEOUT = 600.0
CREDENTIALS_VARIABLE = "SECLOOP_GIT_CREDENTIALS"
CA_BUNDLE_VARIABLE = "SECLOOP_GIT_CA_BUNDLE"
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def is_url(text: str) -> bool:
    return "://" in text


def check_url(url: str, *, allow_file: bool = False) -> str:
    """The URL when secloop may fetch it; UsageError naming why not."""
    parts = urlsplit(url)
    schemes = ("https", "file") if allow_file else ("https",)
    if parts.scheme not in schemes:
        raise UsageError(
            f"refusing to clone {parts.scheme or 'a URL without a scheme'}:// URLs: {url[:200]}",
            hint="give an https:// clone URL"
            + ("" if allow_file else " (file:// URLs need --allow-file-urls)"),
        )
    if parts.username or parts.password:
        raise UsageError(
            "the clone URL carries credentials; they would be stored with the repository's name",
            hint=f"give the URL without user:password@; for a private repository put the token in a git "
            f"credential file (https://<user>:<token>@<host> per line) and name it in {CREDENTIALS_VARIABLE}",
        )
    if parts.scheme == "https" and not parts.hostname:
        raise UsageError(f"the clone URL has no host: {url[:200]}")
    if parts.scheme == "file" and not parts.path:
        raise UsageError(f"the file URL has no path: {url[:200]}")
    if any(c in url for c in "\n\r\t ") or url.startswith("-"):
        raise UsageError("the clone URL contains white space or starts with '-'")
    return url


def repo_name(url: str) -> str:
    """owner/name from a clone URL (the last two path segments, without .git)."""
    path = urlsplit(url).path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    segments = [s for s in path.split("/") if s]
    return "/".join(segments[-2:]) or url


def _file_setting(variable: str, what: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"{variable} names {path}, which is not a file", hint=f"point it at the {what}")
    return path


def _credential_options() -> list[str]:
    """git -c options for the credential file and CA bundle the environment names, if any."""
    options: list[str] = []
    credentials = _file_setting(CREDENTIALS_VARIABLE, "git credential-store file")
    if credentials is not None:
        # The empty value drops any helper configured elsewhere; ours only reads the file (git's `store`
        # helper would erase a refused token from it).
        helper = shlex.join([sys.executable, "-m", "secloop.worker.gitcred", str(credentials)])
        options += ["-c", "credential.helper=", "-c", f"credential.helper=!{helper}"]
    bundle = _file_setting(CA_BUNDLE_VARIABLE, "PEM file of the forge's CA certificates")
    if bundle is not None:
        options += ["-c", f"http.sslCAInfo={bundle}"]
    return options


def _git(args: list[str], *, allow_file: bool, cwd: Path | None = None) -> str:
    protocols = ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always"]
    if allow_file:
        protocols += ["-c", "protocol.file.allow=always"]
    hardening = [
        "-c",
        f"core.hooksPath={os.devnull}",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "submodule.recurse=false",
        "-c",
        "advice.detachedHead=false",
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        "LC_ALL": "C",
    }
    try:
        done = subprocess.run(  # nosec B603: fixed argv; the URL was checked and follows "--"
            ["git", *protocols, *hardening, *_credential_options(), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {args[0]} took longer than {GIT_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise UsageError(f"git {args[0]} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout


def remote_head(url: str, *, allow_file: bool = False) -> str:
    """The commit the remote's HEAD names now."""
    check_url(url, allow_file=allow_file)
    out = _git(["ls-remote", "--", url, "HEAD"], allow_file=allow_file)
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == "HEAD" and _SHA.match(sha):
            return sha
    raise UsageError(f"{url} has no HEAD commit (an empty repository?)")


def checkout(url: str, commit: str, dest: Path, *, allow_file: bool = False) -> Path:
    """Fetch exactly `commit` (depth 1) from `url` into the new directory `dest` and check it out."""
    check_url(url, allow_file=allow_file)
    if not _SHA.match(commit):
        raise UsageError(f"not a full commit id: {commit[:80]!r}")
    dest.mkdir(parents=True)
    _git(["init", "-q", str(dest)], allow_file=allow_file)
    _git(["fetch", "-q", "--depth", "1", "--no-tags", "--", url, commit], allow_file=allow_file, cwd=dest)
    _git(["checkout", "-q", "--detach", commit], allow_file=allow_file, cwd=dest)
    return dest
