"""Token formats cross-checked against public references (docs/secrets-formats.md): exact secrets reported.

Every token here is built at run time from a split prefix and seeded random characters, so no file of
the repository holds one.
"""

from __future__ import annotations

import base64
import random
import re
from pathlib import Path

import pytest

from secloop.core.enums import Severity
from secloop.secrets.rules import SPECS
from secloop.secrets.scan import scan_paths
from secloop.secrets.spec import ALPHABETS
from tests.secrets.conftest import engine

ROOT = Path(__file__).parents[2]
FORMATS_DOC = ROOT / "docs" / "secrets-formats.md"
CHANGED = {
    "SECRET-ANTHROPIC-API-KEY",
    "SECRET-ANTHROPIC-ADMIN-KEY",
    "SECRET-REPLICATE-API-TOKEN",
    "SECRET-XAI-API-KEY",
    "SECRET-SUPABASE-ACCESS-TOKEN",
    "SECRET-NETLIFY-TOKEN",
    "SECRET-POSTHOG-PERSONAL-API-KEY",
    "SECRET-LAUNCHDARKLY-KEY",
    "SECRET-SQUARE-ACCESS-TOKEN",
    "SECRET-PYPI-TOKEN",
    "SECRET-TESTPYPI-TOKEN",
    "SECRET-ASANA-PAT",
    "SECRET-INTERCOM-ACCESS-TOKEN",
    "SECRET-SLACK-CONFIG-ACCESS-TOKEN",
    "SECRET-SLACK-CONFIG-REFRESH-TOKEN",
    "SECRET-BITBUCKET-APP-PASSWORD",
    "SECRET-ATLASSIAN-ACCESS-TOKEN",
    "SECRET-DATABRICKS-OAUTH-SECRET",
    "SECRET-BUILDKITE-TOKEN",
    "SECRET-NETRC-PASSWORD",
}


def _chars(kind: str, n: int, seed: str) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(ALPHABETS[kind]) for _ in range(n))


def _intercom() -> str:
    token = base64.b64encode(b"tok:" + random.Random("intercom").randbytes(40)).decode()
    assert len(token) == 60 and token.endswith("=") and not token.endswith("==")
    return token


def _uuid(seed: str) -> str:
    h = _chars("hex", 32, seed)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _atctt(checksum: bool) -> str:
    body = "ATC" + "TT3xFfGN0" + _chars("b64url", 171, "at1")
    return body + ("=" + _chars("HEX", 8, "at2") if checksum else "")


# (rule, line of text, the secret the rule must report or None): each format the references document
# that the rule missed or wrongly reported before.
CASES = [
    (
        "SECRET-POSTHOG-PERSONAL-API-KEY",
        "ph" + "x_" + _chars("alnum", 30, "ph1") + "_" + _chars("alnum", 12, "ph2"),
        True,
    ),
    (
        "SECRET-NETLIFY-TOKEN",
        "nf" + "p_" + _chars("alnum", 20, "nf1") + "_" + _chars("alnum", 15, "nf2"),
        True,
    ),
    (
        "SECRET-REPLICATE-API-TOKEN",
        "r"
        + "8_"
        + _chars("alnum", 20, "r1")
        + "-"
        + _chars("alnum", 8, "r2")
        + "_"
        + _chars("alnum", 7, "r3"),
        True,
    ),
    ("SECRET-XAI-API-KEY", "xa" + "i-" + _chars("alnum", 50, "x1") + "_" + _chars("alnum", 29, "x2"), True),
    ("SECRET-SUPABASE-ACCESS-TOKEN", "sb" + "p_oauth_" + _chars("hex", 40, "sb"), True),
    ("SECRET-SQUARE-ACCESS-TOKEN", "sq0" + "atp-" + _chars("b64url", 22, "sq"), True),
    ("SECRET-ASANA-PAT", "1/" + _chars("digits", 16, "as1") + ":" + "zq" + _chars("alnum", 30, "as2"), True),
    ("SECRET-SLACK-CONFIG-ACCESS-TOKEN", "xo" + "xe.xoxp-1-Mi0y" + _chars("alnum", 160, "sc"), True),
    ("SECRET-SLACK-CONFIG-REFRESH-TOKEN", "xo" + "xe-1-My0x" + _chars("alnum", 142, "sr"), True),
    ("SECRET-PYPI-TOKEN", "py" + "pi-AgEIcHlwaS5vcmc" + _chars("b64url", 480, "py"), True),
    ("SECRET-ANTHROPIC-API-KEY", "sk-ant" + "-api03-" + _chars("b64url", 93, "an") + "AA", True),
    ("SECRET-ANTHROPIC-API-KEY", "sk-ant" + "-api03-" + _chars("b64url", 93, "an") + "BB", False),
    ("SECRET-ANTHROPIC-ADMIN-KEY", "sk-ant" + "-admin01-" + _chars("b64url", 95, "ad"), False),
    ("SECRET-LAUNCHDARKLY-KEY", "sd" + "k-" + _uuid("ld1"), True),
    ("SECRET-LAUNCHDARKLY-KEY", "mo" + "b-" + _uuid("ld2"), False),
    (
        "SECRET-BITBUCKET-APP-PASSWORD",
        "AT" + "BB" + _chars("alnum", 24, "bb1") + _chars("HEX", 8, "bb2"),
        True,
    ),
    (
        "SECRET-BITBUCKET-APP-PASSWORD",
        "AT" + "BB" + _chars("alnum", 24, "bb1") + _chars("lower", 8, "bb3"),
        False,
    ),
    (
        "SECRET-BITBUCKET-APP-PASSWORD",
        "AT" + "BB" + _chars("alnum", 20, "bb4") + "_=.-" + _chars("HEX", 8, "bb5"),
        False,
    ),
    ("SECRET-ATLASSIAN-ACCESS-TOKEN", _atctt(True), True),
    ("SECRET-ATLASSIAN-ACCESS-TOKEN", _atctt(False), False),
    (
        "SECRET-DATABRICKS-OAUTH-SECRET",
        "do"
        + "se"
        + _chars("alnum", 20, "db1")
        + "."
        + _chars("alnum", 5, "db2")
        + "-"
        + _chars("alnum", 5, "db3"),
        True,
    ),
    ("SECRET-DATABRICKS-OAUTH-SECRET", "do" + "se" + _chars("alnum", 31, "db4"), False),
    ("SECRET-BUILDKITE-TOKEN", "bk" + "ua_" + _chars("lowalnum", 40, "bk1"), True),
    ("SECRET-BUILDKITE-TOKEN", "bk" + "ua_" + _chars("lowalnum", 39, "bk2"), False),
]


@pytest.mark.parametrize(
    ("rule_id", "secret", "reported"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_documented_format_is_reported_and_near_miss_is_not(
    rule_id: str, secret: str, reported: bool
) -> None:
    text = f'CREDENTIAL = "{secret}"\n'
    hits = [h.secret for h in engine().scan(text.encode()) if h.rule.id == rule_id]
    assert hits == ([secret] if reported else [])


def test_intercom_token_is_the_base64_of_tok_and_only_that_is_reported() -> None:
    token = _intercom()
    lookalike = token.replace("dG9rO", "ZG9rO", 1)
    text = f"INTERCOM_ACCESS_TOKEN={token}\nintercom_token: {lookalike}\n"
    hits = [
        (h.secret, h.start)
        for h in engine().scan(text.encode())
        if h.rule.id == "SECRET-INTERCOM-ACCESS-TOKEN"
    ]
    assert hits == [(token, len("INTERCOM_ACCESS_TOKEN="))]


def test_launchdarkly_file_reports_the_sdk_key_line_only(tmp_path: Path) -> None:
    sdk, mobile = "sd" + "k-" + _uuid("ld3"), "mo" + "b-" + _uuid("ld4")
    path = tmp_path / "flags.env"
    path.write_text(f"LD_MOBILE_KEY={mobile}\nLD_SDK_KEY={sdk}\n", "utf-8")
    findings = [f for f in scan_paths([(str(path), None)]).findings if f.rule_id == "SECRET-LAUNCHDARKLY-KEY"]
    assert [(f.severity, f.primary.start_line if f.primary else 0) for f in findings] == [(Severity.HIGH, 2)]
    assert dict(findings[0].properties)["secret_prefix"] == "sdk-…"


def test_buildkite_example_uses_letters_beyond_hex() -> None:
    assert set(_chars("lowalnum", 40, "bk1")) - set(ALPHABETS["hex"])


def test_netrc_default_entry_reports_its_password_and_an_entry_without_one_is_silent() -> None:
    password = _chars("alnum", 20, "nr1")
    text = f"default login anonymous\npassword {password}\n"
    hits = [h.secret for h in engine().scan(text.encode()) if h.rule.id == "SECRET-NETRC-PASSWORD"]
    assert hits == [password]
    silent = "default login anonymous\nmacdef init\n"
    assert [h for h in engine().scan(silent.encode()) if h.rule.id == "SECRET-NETRC-PASSWORD"] == []


def _doc_rows() -> list[list[str]]:
    rows = []
    for line in FORMATS_DOC.read_text("utf-8").splitlines():
        if line.startswith("| SECRET-"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_formats_page_has_one_row_per_rule_and_names_a_source_for_each_check() -> None:
    rows = _doc_rows()
    assert sorted(r[0] for r in rows) == sorted(s.id for s in SPECS)
    assert {r[1] for r in rows} == {"changed", "checked", "not checked"}
    for rule_id, status, source, what, change in rows:
        if status == "not checked":
            assert (source, what) == ("", "") and change, rule_id  # the last column says why
        else:
            assert source and what and change, rule_id
    assert {r[0] for r in rows if r[1] == "changed"} == CHANGED
