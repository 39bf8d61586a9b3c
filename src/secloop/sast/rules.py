"""The rules of the SAST engine: one per mapped Bandit test, one per taint sink family."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule
from secloop.sast.bandit_table import rows

BANDIT_PREFIX = "SAST-PY-"
TAINT_PREFIX = "SAST-PY-TAINT-"


def bandit_rule_id(test_id: str) -> str:
    return f"{BANDIT_PREFIX}{test_id}"


BANDIT_RULES: dict[str, Rule] = {
    test_id: Rule(
        id=bandit_rule_id(test_id),
        title=title[:1].upper() + title[1:],
        stage=Stage.BUILD,
        severity=Severity(severity),
        confidence=Confidence(confidence),
        description=f"Bandit {test_id}: {title}.",
        fix=fix,
        cwe=(cwe,),
        tags=("bandit", "python"),
    )
    for test_id, severity, confidence, cwe, title, fix in rows()
}

# family -> (title, severity, CWE, fix)
_TAINT: dict[str, tuple[str, Severity, int, str]] = {
    "SQL": (
        "Request data reaches a SQL query",
        Severity.HIGH,
        89,
        "Pass the value as a query parameter (cursor.execute(sql, params)) or use the ORM.",
    ),
    "CMD": (
        "Request data reaches a shell command",
        Severity.CRITICAL,
        78,
        "Call subprocess with a list of arguments and no shell; quote with shlex.quote if a shell is needed.",
    ),
    "CODE": (
        "Request data reaches eval/exec",
        Severity.CRITICAL,
        95,
        "Never evaluate input; parse it (json, ast.literal_eval) or dispatch on an allowlist.",
    ),
    "PATH": (
        "Request data reaches a file path",
        Severity.HIGH,
        22,
        "Reduce the name with os.path.basename/secure_filename or use safe_join/send_from_directory.",
    ),
    "SSRF": (
        "Request data chooses the URL of an outgoing request",
        Severity.HIGH,
        918,
        "Fix scheme and host in code, or check urlparse(url).hostname against an allowlist.",
    ),
    "REDIRECT": (
        "Request data chooses a redirect target",
        Severity.MEDIUM,
        601,
        "Redirect to url_for(...) or a relative path, or check the host (url_has_allowed_host_and_scheme).",
    ),
    "XSS": (
        "Request data reaches HTML output unescaped",
        Severity.HIGH,
        79,
        "Render through an autoescaping template, or escape with markupsafe.escape/html.escape.",
    ),
    "DESERIALIZE": (
        "Request data is deserialised unsafely",
        Severity.CRITICAL,
        502,
        "Use json or yaml.safe_load for data from outside; never pickle untrusted bytes.",
    ),
}
FAMILIES: tuple[str, ...] = tuple(_TAINT)


def taint_rule_id(family: str) -> str:
    return f"{TAINT_PREFIX}{family}"


TAINT_RULES: dict[str, Rule] = {
    family: Rule(
        id=taint_rule_id(family),
        title=title,
        stage=Stage.BUILD,
        severity=severity,
        confidence=Confidence.MEDIUM,
        description=(
            f"{title}: data from a Flask, Django or FastAPI request flows, within one function and "
            "without a sanitizer or allowlist check on the way, into a dangerous call."
        ),
        fix=fix,
        cwe=(cwe,),
        tags=("taint", "python"),
    )
    for family, (title, severity, cwe, fix) in _TAINT.items()
}

RULES: tuple[Rule, ...] = (*BANDIT_RULES.values(), *TAINT_RULES.values())
#: rules for `build.sast` (everything the engine raises) and `code.input-validation` (taint only)
RAISED: tuple[str, ...] = tuple(rule.id for rule in RULES)
TAINT_RAISED: tuple[str, ...] = tuple(rule.id for rule in TAINT_RULES.values())
