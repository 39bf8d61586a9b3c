"""Import a gitleaks configuration (gitleaks.toml) so that teams keep their custom rules and allowlists.

Mapping: each `[[rules]]` becomes a rule `SECRET-CUSTOM-<ID>` (severity high, confidence medium:
gitleaks rules carry neither); `secretGroup`, `entropy`, `keywords`, `path` and the rule's allowlists
(`regexes`, `stopwords`, `paths`) keep their meaning; the global `[allowlist]` / `[[allowlists]]` apply
to every imported rule. `[extend] useDefault = true` adds secloop's built-in rules in place of
gitleaks' defaults. Go RE2 syntax is translated where Python differs (`\\z`, POSIX classes). A rule
that only matches file paths (no `regex`) cannot be expressed as a content rule and is reported.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from secloop.core.enums import Confidence, Severity
from secloop.core.errors import InputError, Place
from secloop.secrets.rules import builtin_rules
from secloop.secrets.spec import SecretRule

_POSIX = {
    "[:alnum:]": "a-zA-Z0-9",
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:lower:]": "a-z",
    "[:upper:]": "A-Z",
    "[:space:]": r"\s",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:punct:]": r"!-/:-@\[-`{-~",
    "[:word:]": r"\w",
}
_FIX = (
    "Rotate the credential at the service it opens, keep the new one in a secret store, and remove "
    "the old one from the code and its history."
)


@dataclass(frozen=True)
class ImportedConfig:
    """The rules to scan with (secloop's own first when the config extends the defaults)."""

    rules: tuple[SecretRule, ...]
    unsupported: tuple[str, ...]


def go_to_python(pattern: str) -> str:
    """Translate the RE2 constructs Python's `re` spells differently."""
    for posix, python in _POSIX.items():
        pattern = pattern.replace(posix, python)
    return pattern.replace(r"\z", r"\Z")


def _rule_id(raw: str) -> str:
    slug = re.sub(r"[^A-Z0-9]+", "-", raw.upper()).strip("-")
    return f"SECRET-CUSTOM-{slug or 'RULE'}"


def _strings(table: dict[str, Any], key: str, where: Place) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"'{key}' must be a list of strings", place=where)
    return tuple(value)


def _allowlists(table: dict[str, Any], single: str, many: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(table.get(single), dict):
        found.append(table[single])
    found += [a for a in table.get(many, []) if isinstance(a, dict)]
    return found


def _check(pattern: str, what: str, where: Place) -> str:
    translated = go_to_python(pattern)
    try:
        re.compile(translated)
    except re.error as exc:
        raise InputError(f"{what} is not a valid regular expression: {exc}", place=where) from exc
    return translated


def _line_of(text: str, rule_id: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*id\s*=\s*['\"]{re.escape(rule_id)}['\"]", line):
            return number
    return None


def parse_gitleaks(text: str, path: str) -> ImportedConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", place=Place(path), hint="fix the TOML syntax") from exc
    use_default = bool(data.get("extend", {}).get("useDefault", False))
    global_regexes: list[str] = []
    global_stopwords: list[str] = []
    global_paths: list[str] = []
    for allow in _allowlists(data, "allowlist", "allowlists"):
        place = Place(path)
        global_regexes += [
            _check(r, "a global allowlist regex", place) for r in _strings(allow, "regexes", place)
        ]
        global_stopwords += [s.lower() for s in _strings(allow, "stopwords", place)]
        global_paths += [_check(p, "a global allowlist path", place) for p in _strings(allow, "paths", place)]
    rules: list[SecretRule] = []
    unsupported: list[str] = []
    seen: set[str] = set()
    for raw in data.get("rules", []):
        name = str(raw.get("id", ""))
        where = Place(path, _line_of(text, name))
        if not name:
            raise InputError("a [[rules]] entry has no id", place=where)
        if "regex" not in raw:
            unsupported.append(f"{name}: path-only rules are not supported (no regex)")
            continue
        ident = _rule_id(name)
        if ident in seen:
            raise InputError(f"rule id {name!r} declared twice", place=where)
        seen.add(ident)
        regex = _check(str(raw["regex"]), f"rule {name}: regex", where)
        allow_secret = list(global_regexes)
        allow_context: list[str] = []
        stopwords = list(global_stopwords)
        path_allow = list(global_paths)
        for allow in _allowlists(raw, "allowlist", "allowlists"):
            patterns = [
                _check(r, f"rule {name}: allowlist regex", where) for r in _strings(allow, "regexes", where)
            ]
            if allow.get("regexTarget") in ("match", "line"):
                allow_context += patterns
            else:
                allow_secret += patterns
            stopwords += [s.lower() for s in _strings(allow, "stopwords", where)]
            path_allow += [
                _check(p, f"rule {name}: allowlist path", where) for p in _strings(allow, "paths", where)
            ]
        entropy = raw.get("entropy")
        rules.append(
            SecretRule(
                id=ident,
                title=str(raw.get("description") or name),
                description=f"Custom rule '{name}' imported from {Path(path).name}.",
                family="custom",
                regex=regex,
                keywords=tuple(k.lower() for k in _strings(raw, "keywords", where)),
                severity=Severity.HIGH,
                confidence=Confidence.MEDIUM,
                fix=_FIX,
                tp=(),
                fp=(),
                entropy=float(entropy) if isinstance(entropy, int | float) else None,
                allowlist=tuple(allow_secret),
                context_allowlist=tuple(allow_context),
                stopwords=tuple(stopwords),
                noise=False,
                secret_group=int(raw.get("secretGroup", 0)),
                paths=(_check(str(raw["path"]), f"rule {name}: path", where),) if raw.get("path") else (),
                path_allowlist=tuple(path_allow),
                source=path,
            )
        )
    if not rules and not use_default:
        raise InputError(
            "the gitleaks configuration has no usable rule",
            place=Place(path),
            hint="add [[rules]] with a regex, or [extend] useDefault = true to keep secloop's rules",
        )
    defaults: tuple[SecretRule, ...] = ()
    if use_default:
        defaults = tuple(
            replace(
                r,
                allowlist=(*r.allowlist, *global_regexes),
                stopwords=(*r.stopwords, *global_stopwords),
                path_allowlist=(*r.path_allowlist, *global_paths),
            )
            for r in builtin_rules()
        )
    return ImportedConfig((*defaults, *rules), tuple(unsupported))


def load_gitleaks_config(path: Path) -> ImportedConfig:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the gitleaks configuration: {exc.strerror}",
            place=Place(str(path)),
            hint="give the path of a gitleaks.toml",
        ) from exc
    return parse_gitleaks(text, str(path))
