"""The rules of the SAST engine: one per mapped Bandit test, one per taint sink family, one per own
AST check, and the JavaScript/TypeScript rules of secloop's Semgrep pack."""

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
    "LDAP": (
        "Request data reaches an LDAP search filter",
        Severity.HIGH,
        90,
        "Escape values with ldap3.utils.conv.escape_filter_chars or ldap.filter.filter_format.",
    ),
    "XPATH": (
        "Request data reaches an XPath expression",
        Severity.HIGH,
        643,
        "Pass values as XPath variables (tree.xpath('//u[@name=$name]', name=value)).",
    ),
    "TRUST": (
        "Request data is stored unvalidated in the session, flask.g or the app's config",
        Severity.MEDIUM,
        501,
        "Validate the value (allowlist, int(), a schema) before it crosses into trusted state.",
    ),
    "VALIDATION": (
        "Request data is converted without validation",
        Severity.LOW,
        20,
        "Check the value first (isdigit, a schema, a typed parameter) or catch ValueError and answer 400.",
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

CHECK_PREFIX = "SAST-PY-"
# key -> (title, severity, CWE, fix): secloop's own AST checks that need no taint (sast/checks.py)
_CHECKS: dict[str, tuple[str, Severity, int, str]] = {
    "CRYPTO-RANDOM": (
        "A token, password or session id comes from the `random` module",
        Severity.HIGH,
        338,
        "Use secrets.token_urlsafe/token_hex/choice (or random.SystemRandom) for values nobody may guess.",
    ),
    "CRYPTO-PASSWORD-HASH": (
        "A password is hashed with a fast hash (MD5, SHA-1, SHA-2)",
        Severity.HIGH,
        916,
        "Hash passwords with argon2, bcrypt, scrypt or PBKDF2 (hashlib.pbkdf2_hmac with 600,000 rounds).",
    ),
    "CRYPTO-ECB": (
        "A block cipher runs in ECB mode",
        Severity.HIGH,
        327,
        "Use an authenticated mode (AES-GCM, ChaCha20-Poly1305) with a random nonce.",
    ),
    "CRYPTO-STATIC-IV": (
        "A cipher gets a fixed IV or nonce",
        Severity.HIGH,
        1204,
        "Draw a new IV/nonce for every message with os.urandom/secrets.token_bytes and send it along.",
    ),
    "CRYPTO-STATIC-SALT": (
        "A password hash or key derivation gets a fixed salt",
        Severity.MEDIUM,
        760,
        "Draw a random salt per password (os.urandom(16), bcrypt.gensalt()) and store it with the hash.",
    ),
    "CRYPTO-SMALL-KEY": (
        "An RSA or DSA key is shorter than 2048 bits",
        Severity.HIGH,
        326,
        "Generate RSA/DSA keys of at least 2048 bits (3072 for use past 2030), or use Ed25519.",
    ),
    "LOG-SECRET": (
        "A password, token, Authorization header or request body is logged",
        Severity.MEDIUM,
        532,
        "Log an identifier or a masked form, never the secret or the whole request body.",
    ),
}


def check_rule_id(key: str) -> str:
    return f"{CHECK_PREFIX}{key}"


CHECK_RULES: dict[str, Rule] = {
    key: Rule(
        id=check_rule_id(key),
        title=title,
        stage=Stage.BUILD,
        severity=severity,
        confidence=Confidence.MEDIUM,
        description=f"{title}: secloop's own AST check, which infers the value's purpose from its name.",
        fix=fix,
        cwe=(cwe,),
        tags=("crypto" if key.startswith("CRYPTO") else "logging", "python"),
    )
    for key, (title, severity, cwe, fix) in _CHECKS.items()
}
#: the labelled-set category of each non-Bandit rule
CATEGORY: dict[str, str] = {
    **{rule.id: family for family, rule in TAINT_RULES.items()},
    **{rule.id: ("LOGGING" if key == "LOG-SECRET" else "CRYPTO") for key, rule in CHECK_RULES.items()},
}

# key -> (title, severity, CWE, fix): JavaScript/TypeScript rules of secloop's Semgrep pack (rules/semgrep/)
_JS: dict[str, tuple[str, Severity, int, str]] = {
    "EVAL": (
        "Code is built at run time with eval or new Function",
        Severity.HIGH,
        95,
        "Parse data with JSON.parse and dispatch on an allowlist; never evaluate strings.",
    ),
    "CMD": (
        "A shell command is built by concatenation (child_process.exec)",
        Severity.CRITICAL,
        78,
        "Use execFile/spawn with an argument array and no shell.",
    ),
    "XSS": (
        "HTML is written from a non-literal (innerHTML, document.write)",
        Severity.HIGH,
        79,
        "Set textContent, or sanitise with DOMPurify before writing HTML.",
    ),
    "SQL": (
        "A SQL query is built by string concatenation",
        Severity.HIGH,
        89,
        "Use placeholders ($1, ?) and pass the values separately.",
    ),
    "JWT-SECRET": (
        "A JWT is signed or verified with a secret written in the code",
        Severity.HIGH,
        798,
        "Read the signing key from configuration or a secret store; rotate the exposed one.",
    ),
}
JS_RULES: dict[str, Rule] = {
    key: Rule(
        id=f"SAST-JS-{key}",
        title=title,
        stage=Stage.BUILD,
        severity=severity,
        confidence=Confidence.MEDIUM,
        description=f"{title}: a rule of secloop's Semgrep pack (rules/semgrep/), run when Semgrep is found.",
        fix=fix,
        cwe=(cwe,),
        tags=("semgrep", "javascript", "typescript"),
    )
    for key, (title, severity, cwe, fix) in _JS.items()
}

RULES: tuple[Rule, ...] = (
    *BANDIT_RULES.values(),
    *TAINT_RULES.values(),
    *CHECK_RULES.values(),
    *JS_RULES.values(),
)
RULE_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
#: rules for `build.sast` (everything the engine raises) and `code.input-validation` (taint only)
RAISED: tuple[str, ...] = tuple(rule.id for rule in RULES)
CHECK_RAISED: tuple[str, ...] = tuple(rule.id for rule in CHECK_RULES.values())
TAINT_RAISED: tuple[str, ...] = tuple(rule.id for rule in TAINT_RULES.values())
