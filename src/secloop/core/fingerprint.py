"""Fingerprints that survive line shifts and reformatting.

A fingerprint never contains a line number. Producers hash what identifies a finding: a secret's
hash, a package + version + advisory, or a file + logical key (job, step) + rule. For findings that
are only known by their text, `line_fingerprint` hashes the whitespace-normalised line plus its
occurrence index among identical lines in the file, so inserting lines above it or re-indenting the
file keeps the fingerprint.
"""

from __future__ import annotations

import hashlib
import re

_WS = re.compile(r"\s+")


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


def normalise(text: str) -> str:
    """Drop all whitespace and quote style so reformatting keeps the fingerprint."""
    return _WS.sub("", text).replace("'", '"')


def line_fingerprint(rule_id: str, path: str, line_text: str, occurrence: int = 0) -> str:
    return digest(rule_id, path, normalise(line_text), str(occurrence))


def keyed_fingerprint(rule_id: str, *key: str) -> str:
    return digest(rule_id, *key)
