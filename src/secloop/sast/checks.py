"""secloop's own AST checks that need no taint: weak crypto and randomness, and secrets in logs.

They look at one module at a time and name the purpose they infer (a value called `token`, a hash
of a `password`), which is what Bandit's pattern tests do not: Bandit flags every `random` call and
every MD5, secloop flags the ones that protect something.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from secloop.core.model import Finding, Location
from secloop.sast.rules import CHECK_RULES
from secloop.sast.sinks import arg, dotted

RANDOM_FUNCS = frozenset(
    {"random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "randbytes", "shuffle",
     "uniform"}
)  # fmt: skip
FAST_HASHES = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b"}
)
SECRET_WORDS = frozenset(
    {"token", "password", "passwd", "pwd", "passphrase", "secret", "nonce", "otp", "salt", "csrf", "apikey",
     "session", "sessionid", "pin", "reset", "verification", "activation", "invite", "credential",
     "credentials", "authorization", "bearer", "privatekey", "jwt"}
)  # fmt: skip
# parts that make a name describe the secret rather than hold it: token_count, password_length
SAFE_WORDS = frozenset(
    {"len", "length", "count", "type", "name", "expiry", "expires", "exp", "url", "path", "file",
     "hash", "hashed", "digest", "masked", "redacted", "prefix", "suffix", "last4", "field", "label",
     "policy", "min", "max", "valid", "required", "changed", "at", "time", "endpoint", "header", "ttl",
     "age", "timeout", "strength", "hint", "scheme", "format", "size"}
)  # fmt: skip
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase"})
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
)
LOGGERS = re.compile(r"^(logging|(\w+\.)*(log|logger|_log|_logger|LOG|LOGGER|audit_log))$")
IV_MODES = {"CBC": 0, "CTR": 0, "OFB": 0, "CFB": 0, "CFB8": 0, "GCM": 0, "XTS": 0}
SALT_CALLS = {
    "hashlib.pbkdf2_hmac": (2, "salt"),
    "pbkdf2_hmac": (2, "salt"),
    "PBKDF2HMAC": (99, "salt"),
    "Scrypt": (99, "salt"),
    "hashlib.scrypt": (99, "salt"),
    "bcrypt.hashpw": (1, "salt"),
    "PBKDF2": (1, "salt"),
}
SMALL_KEY_CALLS = {
    "rsa.generate_private_key": (1, "key_size", 2048),
    "dsa.generate_private_key": (0, "key_size", 2048),
    "RSA.generate": (0, "bits", 2048),
    "DSA.generate": (0, "bits", 2048),
    "rsa.newkeys": (0, "nbits", 2048),
    "RSAKey.generate": (0, "bits", 2048),
    "paramiko.RSAKey.generate": (0, "bits", 2048),
}
# request attributes whose whole value is the body or every header
BODY_ATTRS = frozenset({"data", "body", "json", "form", "POST", "headers", "META", "get_json", "get_data"})
SECRET_HEADERS = re.compile(r"authorization|cookie|x-api-key|api[-_]key|token|secret", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Check:
    key: str  # the rule suffix: CRYPTO-RANDOM, LOG-SECRET, ...
    line: int
    column: int
    detail: str


def words(name: str) -> set[str]:
    """`resetToken` / `reset_token` / `RESET-TOKEN` -> {"reset", "token"}; `api_key` also gives "apikey"."""
    parts = [p.lower() for p in re.split(r"[_\W]+|(?<=[a-z0-9])(?=[A-Z])", name) if p]
    joined = {a + b for a, b in pairwise(parts)}
    return set(parts) | joined


def secret_name(name: str, vocabulary: frozenset[str] = SECRET_WORDS) -> bool:
    found = words(name)
    return bool(found & vocabulary) and not found & SAFE_WORDS


def _target_names(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        yield str(node.slice.value)
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _target_names(elt)


class ModuleChecks:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.aliases: dict[str, str] = {}  # local name -> dotted origin: choice -> random.choice
        self.constants: dict[str, bool] = {}  # name -> every assignment is a constant
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        const = self.constant(node.value)
                        self.constants[target.id] = self.constants.get(target.id, True) and const
        self.found: list[Check] = []

    def name(self, func: ast.expr) -> str:
        text = dotted(func)
        head, _, rest = text.partition(".")
        origin = self.aliases.get(head)
        return f"{origin}.{rest}" if origin and rest else origin or text

    def constant(self, node: ast.expr | None) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str | bytes)
        if isinstance(node, ast.BinOp):
            return self.constant(node.left) or self.constant(node.right)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id, False)
        if isinstance(node, ast.Call) and dotted(node.func) in {"bytes", "bytearray", "bytes.fromhex"}:
            return all(isinstance(a, ast.Constant) for a in node.args)
        if isinstance(node, ast.Call) and dotted(node.func).endswith("encode"):
            return isinstance(node.func, ast.Attribute) and self.constant(node.func.value)
        return False

    def add(self, key: str, node: ast.AST, detail: str) -> None:
        self.found.append(Check(key, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, detail))

    def run(self) -> list[Check]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [n for t in targets for n in _target_names(t)]
                self._randomness(node.value, names)
                self._password_hash(node.value, names)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and sub.value is not None:
                        self._randomness(sub.value, [node.name])
            elif isinstance(node, ast.keyword) and node.arg:
                self._randomness(node.value, [node.arg])
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Attribute) and node.attr == "MODE_ECB":
                self.add("CRYPTO-ECB", node, f"{dotted(node)}: ECB encrypts equal blocks to equal blocks")
        unique = {(c.key, c.line, c.column): c for c in self.found}
        return sorted(unique.values(), key=lambda c: (c.line, c.column, c.key))

    def _random_call(self, node: ast.expr) -> str | None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                name = self.name(sub.func)
                if (
                    name.startswith("random.")
                    and name.split(".")[-1] in RANDOM_FUNCS
                    and "SystemRandom" not in name
                ):
                    return name
        return None

    def _randomness(self, value: ast.expr, names: list[str]) -> None:
        secret = next((n for n in names if secret_name(n)), None)
        if secret is not None and (call := self._random_call(value)) is not None:
            self.add("CRYPTO-RANDOM", value, f"`{secret}` comes from {call}, which is predictable")

    def _password_hash(self, value: ast.expr, names: list[str]) -> None:
        if not any(words(n) & PASSWORD_WORDS for n in names):
            return
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call) and (algo := self._fast_hash(sub)) is not None:
                self.add("CRYPTO-PASSWORD-HASH", sub, f"a password is hashed with {algo}, a fast hash")

    def _fast_hash(self, call: ast.Call) -> str | None:
        name = self.name(call.func)
        if name.startswith("hashlib.") and name.split(".")[-1] in FAST_HASHES:
            return name
        if name == "hashlib.new" and call.args and isinstance(call.args[0], ast.Constant):
            algo = str(call.args[0].value).lower().replace("-", "")
            return f"hashlib.new({algo!r})" if algo in FAST_HASHES else None
        return None

    def _call(self, call: ast.Call) -> None:
        name = self.name(call.func)
        last = name.split(".")[-1]
        algo = self._fast_hash(call)
        hashed = [a for a in call.args if any(isinstance(n, ast.Name | ast.Attribute) for n in ast.walk(a))]
        if algo and any(
            words(dotted(n)) & PASSWORD_WORDS
            for a in hashed
            for n in ast.walk(a)
            if isinstance(n, ast.Name | ast.Attribute)
        ):
            self.add("CRYPTO-PASSWORD-HASH", call, f"a password is hashed with {algo}, a fast hash")
        if last == "ECB" and "modes" in name:
            self.add("CRYPTO-ECB", call, f"{name}: ECB encrypts equal blocks to equal blocks")
        if last in IV_MODES and ("modes" in name or name.startswith("cryptography")):
            iv = arg(call, 0, "initialization_vector", "nonce", "tweak")
            if self.constant(iv):
                self.add("CRYPTO-STATIC-IV", call, f"{name} gets a fixed IV or nonce")
        if last == "new" and len(call.args) >= 2 and "MODE_" in dotted(call.args[1]):
            iv = arg(call, 2, "iv", "nonce")
            if self.constant(iv):
                self.add("CRYPTO-STATIC-IV", call, f"{name} gets a fixed IV or nonce")
        salt_spec = SALT_CALLS.get(name) or SALT_CALLS.get(last)
        if salt_spec is not None and self.constant(arg(call, *salt_spec)):
            self.add("CRYPTO-STATIC-SALT", call, f"{name} gets a fixed salt")
        key_spec = next((v for k, v in SMALL_KEY_CALLS.items() if name == k or name.endswith("." + k)), None)
        if key_spec is not None:
            size = arg(call, key_spec[0], key_spec[1])
            if isinstance(size, ast.Constant) and isinstance(size.value, int) and size.value < key_spec[2]:
                self.add(
                    "CRYPTO-SMALL-KEY", call, f"{name} makes a {size.value}-bit key (at least {key_spec[2]})"
                )
        logger = isinstance(call.func, ast.Attribute) and bool(LOGGERS.match(dotted(call.func.value)))
        if (last in LOG_METHODS and logger) or name == "print":
            self._logged(call, name)

    def _logged(self, call: ast.Call, name: str) -> None:
        for value in [
            *call.args,
            *(k.value for k in call.keywords if k.arg not in {"exc_info", "stacklevel"}),
        ]:
            if (what := self._secret_in(value)) is not None:
                self.add("LOG-SECRET", call, f"{name} writes {what}")
                return

    def _secret_in(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and secret_name(node.id):
            return f"`{node.id}`"
        if isinstance(node, ast.Attribute):
            if _request(node.value) and node.attr in BODY_ATTRS:
                return f"the request's {node.attr}"
            if secret_name(node.attr):
                return f"`{dotted(node)}`"
            return None
        if isinstance(node, ast.Subscript):
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if isinstance(key, str) and (secret_name(key) or SECRET_HEADERS.search(key)):
                return f"`{key}`"
            return self._secret_in(node.value) if not isinstance(node.value, ast.Attribute) else None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and _request(func.value) and func.attr in BODY_ATTRS:
                return f"the request's {func.attr}()"
            if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
                key = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
                if isinstance(key, str) and (secret_name(key) or SECRET_HEADERS.search(key)):
                    return f"`{key}`"
                return None
            if dotted(func) not in {"str", "repr", "json.dumps", "dict"} and not dotted(func).endswith(
                "format"
            ):
                return None  # len(token), mask(token), hash(...) do not write the secret
            parts = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(func, ast.Attribute):
                parts.append(func.value)
            return next((w for p in parts if (w := self._secret_in(p)) is not None), None)
        if isinstance(node, ast.Await):
            return self._secret_in(node.value)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) and (what := self._secret_in(child)) is not None:
                return what
        return None


def _request(node: ast.expr) -> bool:
    return dotted(node) in {"request", "req", "self.request", "flask.request"}


def run_checks(tree: ast.Module) -> list[Check]:
    return ModuleChecks(tree).run()


def check_findings(path: str, tree: ast.Module) -> list[Finding]:
    out = []
    for check in run_checks(tree):
        rule = CHECK_RULES[check.key]
        out.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                message=f"{rule.title}: {check.detail}",
                locations=(Location(path, check.line, check.column),),
                fingerprint="",  # set by source.with_fingerprints
                properties=(("engine", "secloop-checks"),),
                fix=rule.fix,
            )
        )
    return out
