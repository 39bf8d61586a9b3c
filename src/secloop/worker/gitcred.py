"""A read-only git credential helper over a file in git's credential-store format.

git's own `store` helper also writes: after a refused token it erases that line from the operator's
file. This one answers `get` only and ignores `store` and `erase`, so the file stays as it was given.
git runs it as `<python> -m secloop.worker.gitcred FILE ACTION` with the request on stdin.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit


def parse_request(lines: Iterable[str]) -> dict[str, str]:
    """git's `key=value` request lines, up to the first empty line."""
    request: dict[str, str] = {}
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep:
            request[key] = value
    return request


def lookup(stored: Iterable[str], request: Mapping[str, str]) -> tuple[str, str] | None:
    """The first stored user and password for the request's protocol and host (and user, if asked)."""
    for line in stored:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = urlsplit(line)
        if parts.password is None or parts.username is None:
            continue
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        user = unquote(parts.username)
        if parts.scheme != request.get("protocol") or host != request.get("host", "").lower():
            continue
        if request.get("username") not in (None, user):
            continue
        return user, unquote(parts.password)
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m secloop.worker.gitcred FILE get|store|erase", file=sys.stderr)
        return 2
    path, action = argv
    request = parse_request(sys.stdin)
    if action != "get":
        return 0
    try:
        stored = Path(path).read_text("utf-8").splitlines()
    except OSError as exc:
        print(f"secloop credential helper: {path}: {exc.strerror}", file=sys.stderr)
        return 0
    found = lookup(stored, request)
    if found is not None:
        sys.stdout.write(f"username={found[0]}\npassword={found[1]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
