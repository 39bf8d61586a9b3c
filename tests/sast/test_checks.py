"""secloop's own AST checks: weak crypto and randomness, secrets in logs (one positive, one negative each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.sast.checks import secret_name, words
from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import rows, write

HEAD = """import hashlib
import logging
import os
import random
import secrets

import rsa
from Crypto.Cipher import AES
from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.ciphers import modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

log = logging.getLogger(__name__)
IV = b"fixed-iv-1234567"
"""
CASES = [
    # (rule, severity, vulnerable line, safe line): the line is line 18 of lib.py
    ("CRYPTO-RANDOM", "high", "session_id = random.getrandbits(64)", "session_id = secrets.randbits(64)"),
    (
        "CRYPTO-RANDOM",
        "high",
        "user.resetToken = str(random.random())",
        "user.colour = random.choice(COLOURS)",
    ),
    ("CRYPTO-PASSWORD-HASH", "high", "h = hashlib.sha1(password.encode())", "h = hashlib.sha1(body)"),
    ("CRYPTO-PASSWORD-HASH", "high", 'password_hash = hashlib.new("md5", p)', 'etag = hashlib.new("md5", p)'),
    ("CRYPTO-ECB", "high", "mode = modes.ECB()", "mode = modes.GCM(os.urandom(12))"),
    ("CRYPTO-ECB", "high", "c = AES.new(key, AES.MODE_ECB)", "c = AES.new(key, AES.MODE_GCM)"),
    ("CRYPTO-STATIC-IV", "high", "mode = modes.CBC(IV)", "mode = modes.CBC(os.urandom(16))"),
    (
        "CRYPTO-STATIC-IV",
        "high",
        'c = AES.new(key, AES.MODE_CBC, b"\\0" * 16)',
        "c = AES.new(key, AES.MODE_CBC, iv)",
    ),
    (
        "CRYPTO-STATIC-SALT",
        "medium",
        'k = PBKDF2HMAC(algo, 32, salt=b"salt", iterations=9)',
        "k = PBKDF2HMAC(algo, 32, salt=s, iterations=9)",
    ),
    ("CRYPTO-SMALL-KEY", "high", "pub, priv = rsa.newkeys(1024)", "pub, priv = rsa.newkeys(3072)"),
    (
        "CRYPTO-SMALL-KEY",
        "high",
        "k = dsa.generate_private_key(key_size=1024)",
        "k = dsa.generate_private_key(key_size=2048)",
    ),
    ("LOG-SECRET", "medium", 'log.info("token %s", api_token)', 'log.info("token %s", mask(api_token))'),
    (
        "LOG-SECRET",
        "medium",
        'log.debug("auth %s", headers["Authorization"])',
        'log.debug("ua %s", headers["User-Agent"])',
    ),
    ("LOG-SECRET", "medium", 'print("login", user, password)', 'print("login", user, len(password))'),
    (
        "LOG-SECRET",
        "medium",
        'logging.info("body %s", request.get_json())',
        'logging.info("path %s", request.path)',
    ),
]


def _lib(line: str) -> str:
    return (
        HEAD
        + f"\n\ndef f(key, iv, p, s, body, user, password, api_token, headers, request, algo):\n    {line}\n"
    )


@pytest.mark.parametrize(
    ("key", "severity", "bad", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_check_positive_and_negative(tmp_path: Path, key: str, severity: str, bad: str, good: str) -> None:
    assert _lib(bad).splitlines()[17] == f"    {bad}"
    bad_scan = scan_sast(Repo(write(tmp_path / "bad", {"lib.py": _lib(bad)})), bandit=False)
    assert rows(bad_scan) == [(f"SAST-PY-{key}", "lib.py", 18, severity)]
    good_scan = scan_sast(Repo(write(tmp_path / "good", {"lib.py": _lib(good)})), bandit=False)
    assert rows(good_scan) == []


def test_check_messages_and_from_imports(tmp_path: Path) -> None:
    text = """
from random import choice
import string

def make_otp():
    return "".join(choice(string.digits) for _ in range(6))

def make_colour():
    return choice(["red", "blue"])
"""
    scan = scan_sast(Repo(write(tmp_path, {"otp.py": text})), bandit=False)
    (finding,) = scan.findings
    assert (finding.rule_id, finding.primary and finding.primary.start_line) == ("SAST-PY-CRYPTO-RANDOM", 5)
    assert finding.message == (
        "A token, password or session id comes from the `random` module: "
        "`make_otp` comes from random.choice, which is predictable"
    )
    assert dict(finding.properties)["engine"] == "secloop-checks"


def test_secret_names() -> None:
    assert words("resetToken") >= {"reset", "token"}
    assert words("API_KEY") >= {"api", "key", "apikey"}
    assert secret_name("api_key") and secret_name("password") and secret_name("csrfToken")
    assert (
        not secret_name("token_count") and not secret_name("password_length") and not secret_name("username")
    )
