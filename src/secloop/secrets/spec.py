"""Secret rules as data: the TOML shape of a rule, its validation and the example templates.

A rule file (`secrets/rules/<family>.toml`) holds one `[family]` table (name, fix) and `[[rule]]`
entries. Each rule's `regex` is Python syntax with a group named `secret` (several alternatives may
name theirs `secret_2`, `secret_3`, …); the engine compiles it for Hyperscan too.

Examples (`tp`, `fp`) are templates, never literal secrets: `{{alnum:36}}` expands to 36 random
characters of that alphabet and `{{}}` to nothing (it splits a literal prefix such as `ghp{{}}_`),
so no rule file holds a string that any secret scanner, ours included, would report.
"""

from __future__ import annotations

import random
import re
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.enums import Confidence, Severity
from secloop.core.errors import InputError, Place

RULE_ID = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)+$")
SECRET_GROUP = re.compile(r"^secret(?:_\d+)?$")
_REQUIRED = {"id", "title", "description", "regex", "keywords", "severity", "confidence", "tp", "fp"}
_OPTIONAL = {
    "entropy",
    "allowlist",
    "context_allowlist",
    "stopwords",
    "generic",
    "noise",
    "span",
    "fix",
    "cwe",
}

ALPHABETS = {
    "alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "lowalnum": "0123456789abcdefghijklmnopqrstuvwxyz",
    "upalnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "base32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "b64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "b64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    "word": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
    "bech32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
_PLACEHOLDER = re.compile(r"\{\{(?:(?P<kind>[A-Za-z0-9]+)(?::(?P<n>\d+))?)?\}\}")


@dataclass(frozen=True, slots=True)
class SecretRule:
    """One detector.

    `generic` rules yield to a specific rule that reports the same secret; `noise = false` turns off the
    shared placeholder checks for rules whose secrets legitimately repeat characters (key material);
    `span` is how many bytes before the line of a match its start may lie (multi-line rules).
    """

    id: str
    title: str
    description: str
    family: str
    regex: str
    keywords: tuple[str, ...]
    severity: Severity
    confidence: Confidence
    fix: str
    tp: tuple[str, ...]
    fp: tuple[str, ...]
    entropy: float | None = None
    allowlist: tuple[str, ...] = ()
    context_allowlist: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    generic: bool = False
    noise: bool = True
    span: int = 0
    cwe: tuple[int, ...] = (798,)
    secret_group: int = 0  # imported rules name their secret by number; 0 means the named group
    paths: tuple[str, ...] = ()  # when set, the rule applies only to paths matching one of these
    path_allowlist: tuple[str, ...] = ()
    source: str = ""


def expand(template: str, rng: random.Random) -> str:
    """Turn an example template into text: `{{kind:n}}` → n random characters, `{{uuid}}`, `{{}}` → ''."""

    def one(match: re.Match[str]) -> str:
        kind, count = match.group("kind"), match.group("n")
        if kind is None:
            return ""
        if kind == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if kind not in ALPHABETS or count is None:
            raise ValueError(f"unknown example placeholder {match.group(0)!r}")
        alphabet = ALPHABETS[kind]
        return "".join(rng.choice(alphabet) for _ in range(int(count)))

    return _PLACEHOLDER.sub(one, template)


def _line_of(text: str, needle: str, after: int = 0) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and needle in line:
            return number
    return None


def _strings(value: Any, field: str, where: Place) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"rule field '{field}' must be a list of strings", place=where)
    return tuple(value)


def _check_regex(pattern: str, field: str, where: Place, need_secret: bool) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"rule field '{field}' is not a valid regular expression: {exc}",
            place=where,
            hint="write Python `re` syntax",
        ) from exc
    if need_secret and compiled.groups and not any(SECRET_GROUP.match(n) for n in compiled.groupindex):
        raise InputError(
            "the regex has groups but none named 'secret'",
            place=where,
            hint="name the group that holds the secret: (?P<secret>...)",
        )


def parse_rule(raw: Mapping[str, Any], family: str, fix: str, where: Place, check: bool = True) -> SecretRule:
    missing = _REQUIRED - raw.keys()
    unknown = raw.keys() - _REQUIRED - _OPTIONAL
    if missing or unknown:
        parts = [
            f"missing {sorted(missing)}" if missing else "",
            f"unknown {sorted(unknown)}" if unknown else "",
        ]
        raise InputError(
            f"rule {raw.get('id', '?')}: {', '.join(p for p in parts if p)}",
            place=where,
            hint=f"a rule has {', '.join(sorted(_REQUIRED))} and optionally {', '.join(sorted(_OPTIONAL))}",
        )
    ident = str(raw["id"])
    if not RULE_ID.match(ident):
        raise InputError(f"rule id {ident!r} must be UPPER-KEBAB-CASE", place=where)
    try:
        severity = Severity(str(raw["severity"]).lower())
        confidence = Confidence(str(raw["confidence"]).lower())
    except ValueError as exc:
        raise InputError(
            f"rule {ident}: {exc}", place=where, hint="severity: critical…info; confidence: high|medium|low"
        ) from exc
    allowlist = _strings(raw.get("allowlist", []), "allowlist", where)
    context = _strings(raw.get("context_allowlist", []), "context_allowlist", where)
    if check:  # the built-in rules are checked by the test suite; compiling them twice slows start-up
        _check_regex(str(raw["regex"]), "regex", where, need_secret=True)
        for pattern in (*allowlist, *context):
            _check_regex(pattern, "allowlist", where, need_secret=False)
    entropy = raw.get("entropy")
    if entropy is not None and not isinstance(entropy, int | float):
        raise InputError(f"rule {ident}: entropy must be a number of bits per character", place=where)
    keywords = _strings(raw["keywords"], "keywords", where)
    if any(k != k.lower() for k in keywords):
        raise InputError(f"rule {ident}: keywords are lower-case literals", place=where)
    return SecretRule(
        id=ident,
        title=str(raw["title"]),
        description=str(raw["description"]),
        family=family,
        regex=str(raw["regex"]),
        keywords=keywords,
        severity=severity,
        confidence=confidence,
        fix=str(raw.get("fix", fix)),
        tp=_strings(raw["tp"], "tp", where),
        fp=_strings(raw["fp"], "fp", where),
        entropy=float(entropy) if entropy is not None else None,
        allowlist=allowlist,
        context_allowlist=context,
        stopwords=tuple(s.lower() for s in _strings(raw.get("stopwords", []), "stopwords", where)),
        generic=bool(raw.get("generic", False)),
        noise=bool(raw.get("noise", True)),
        span=int(raw.get("span", 0)),
        cwe=tuple(int(n) for n in raw.get("cwe", (798,))),
        source=where.path,
    )


def parse_rule_file(text: str, path: str, check: bool = True) -> tuple[SecretRule, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", place=Place(path), hint="fix the TOML syntax") from exc
    table = data.get("family", {})
    family, fix = table.get("name"), table.get("fix")
    if not isinstance(family, str) or not isinstance(fix, str):
        raise InputError("a rule file needs [family] with name and fix", place=Place(path, 1))
    rules: list[SecretRule] = []
    header_line = 0
    for raw in data.get("rule", []):
        header_line = _line_of(text, "[[rule]]", header_line) or header_line
        rules.append(parse_rule(raw, family, fix, Place(path, header_line or None), check))
    return tuple(rules)


def load_rule_files(paths: Iterable[tuple[str, str]], check: bool = True) -> tuple[SecretRule, ...]:
    """Parse (name, text) pairs; rule ids must be unique across files."""
    seen: dict[str, str] = {}
    rules: list[SecretRule] = []
    for name, text in paths:
        for rule in parse_rule_file(text, name, check):
            if rule.id in seen:
                raise InputError(
                    f"rule {rule.id} declared twice ({seen[rule.id]} and {name})", place=Place(name)
                )
            seen[rule.id] = name
            rules.append(rule)
    return tuple(rules)


def read_rule_file(path: Path) -> tuple[SecretRule, ...]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read rule file: {exc.strerror}", place=Place(str(path))) from exc
    return parse_rule_file(text, str(path))
