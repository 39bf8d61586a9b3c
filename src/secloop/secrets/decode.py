"""Encoded content: base64, hex and percent-encoded runs that decode to text worth scanning again.

Hyperscan tells the engine which kinds of run a buffer holds (one cheap trigger per kind); only then
are the runs located here with Python `re` and decoded. Decoded bytes that are not mostly printable
text (random binary, compressed data, digests) are dropped: no token format lives in them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

MIN_DECODED = 12
PRINTABLE_SHARE = 0.9
_DIGIT = re.compile(rb"[0-9]")
_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}

# Each kind has a cheap trigger, compiled into the engine's Hyperscan database as a single-match
# pattern (32 standard base64 characters in a row, 16 hex-encoded printable bytes, an encoded
# separator such as %3D), and a signature Python checks at the start of each run: only encodings of
# ASCII text are decoded. In base64 of ASCII the first character of every 4-character group encodes
# a sextet below 32 ([A-Za-f]) and the second one of {0-7, 16-23, 32-39, 48-55}; in hex of printable
# ASCII every byte starts with 2-7. Identifiers, paths, digests and base64 of binary data rarely look
# like that, so few runs are decoded at all.
_B64_GROUP = rb"[A-Za-f][A-HQ-Xg-nw-z0-3][A-Za-z0-9+/_-]{2}"
_PERCENT_MARK = rb"%(?:2[2BF]|3[ADF]|40)"  # %22 " %2B + %2F / %3A : %3D = %3F ? %40 @, as encoders write them
TRIGGERS: dict[str, bytes] = {
    "base64": rb"[A-Za-z0-9+/]{32}",
    "hex": rb"(?:[2-7][0-9A-Fa-f]){16}",
    "percent": _PERCENT_MARK + rb"[^%\s]{0,64}%[0-9A-F]{2}",
}
# Runs are located without scanning byte by byte in Python: a translation table maps the run's
# alphabet to "A" and everything else to " ", bytes.find jumps to the next long enough run, and the
# signature is checked once, at the run's start (where a genuine encoding is aligned).
_ALPHABETS = {
    "base64": b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-",
    "hex": b"0123456789ABCDEFabcdef",
}
_TABLES = {
    kind: bytes(65 if b in alphabet else 32 for b in range(256)) for kind, alphabet in _ALPHABETS.items()
}
_MIN_RUN = {"base64": 24, "hex": 32}
_SIGNATURES: dict[str, re.Pattern[bytes]] = {
    "base64": re.compile(rb"(?:" + _B64_GROUP + rb"){6}[A-Za-z0-9+/_-]*={0,2}"),
    "hex": re.compile(rb"(?:[2-7][0-9A-Fa-f]){16}(?:[0-9A-Fa-f]{2})*"),
}
_PERCENT = re.compile(_PERCENT_MARK)
_PERCENT_STOP = re.compile(rb"[\s\"'<>]")


@dataclass(frozen=True, slots=True)
class Decoded:
    start: int
    end: int
    encoding: str
    data: bytes


def _printable(data: bytes) -> bool:
    if len(data) < MIN_DECODED:
        return False
    good = sum(1 for b in data if b in _PRINTABLE)
    return good >= PRINTABLE_SHARE * len(data)


def _base64(run: bytes) -> bytes | None:
    body = run.rstrip(b"=")
    if len(body) % 4 == 1:
        return None
    alphabet_url = b"-" in body or b"_" in body
    if alphabet_url and (b"+" in body or b"/" in body):
        return None
    padded = body + b"=" * (-len(body) % 4)
    try:
        if alphabet_url:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _decode(kind: str, run: bytes) -> bytes | None:
    if kind == "base64":
        # Identifiers and paths are base64-shaped; genuine encodings mix upper, lower and digits.
        if not (_DIGIT.search(run, 0, 64) or b"+" in run or b"/" in run):
            return None
        return _base64(run)
    if kind == "hex":
        return binascii.unhexlify(run)
    decoded = unquote_to_bytes(run)
    return decoded if decoded != run else None


def _runs(data: bytes, kind: str) -> Iterator[tuple[int, int]]:
    if kind == "percent":
        last = -1
        for mark in _PERCENT.finditer(data):
            if mark.start() < last:
                continue
            stop = _PERCENT_STOP.search(data, mark.end())
            end = stop.start() if stop else len(data)
            start = (
                max(data.rfind(c, 0, mark.start()) for c in (b" ", b"\n", b"\t", b'"', b"'", b"<", b">")) + 1
            )
            last = end
            yield start, end
        return
    table, needle = _TABLES[kind], b"A" * _MIN_RUN[kind]
    shadow = data.translate(table)
    pos = shadow.find(needle)
    while pos >= 0:
        end = shadow.find(b" ", pos)
        end = len(data) if end < 0 else end
        match = _SIGNATURES[kind].match(data, pos)
        if match is not None and (kind != "hex" or match.end() == end):
            yield pos, match.end()
        pos = shadow.find(needle, end)


def decoded_runs(data: bytes, kinds: set[str]) -> Iterator[Decoded]:
    """Every run of the given kinds in data that decodes to mostly printable text."""
    for kind in sorted(kinds):
        for start, end in _runs(data, kind):
            decoded = _decode(kind, data[start:end])
            if decoded is not None and _printable(decoded):
                yield Decoded(start, end, kind, decoded)
