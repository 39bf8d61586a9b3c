"""Importing a gitleaks configuration: rules, secret groups, allowlists, paths and the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.errors import InputError
from secloop.secrets.gitleaks import go_to_python, parse_gitleaks
from secloop.secrets.rules import SPECS
from secloop.secrets.scan import get_engine, scan_paths
from tests.secrets.conftest import token

CONFIG = """\
title = "acme"

[allowlist]
paths = ['''(^|/)vendor/''']
stopwords = ["sandbox"]

[[rules]]
id = "acme-api-key"
description = "ACME API key"
regex = '''(?i)acme[_-]?key\\s*=\\s*["']([a-z0-9]{24})["']'''
secretGroup = 1
entropy = 3.0
keywords = ["acme"]

[[rules.allowlists]]
regexes = ['''^0+$''']

[[rules]]
id = "acme.internal-url"
regex = '''https://internal\\.acme\\.invalid/\\?sig=([A-Za-z0-9]{20})'''
path = '''\\.ya?ml$'''

[[rules]]
id = "pkcs12-file"
path = '''\\.p12$'''
"""


def _ids(config_rules: tuple[object, ...], name: str, text: str) -> list[str]:
    engine = get_engine(config_rules)  # type: ignore[arg-type]
    return [f.rule_id for f in scan_paths([(name, text.encode())], engine).findings]


def test_rules_are_translated_with_their_group_entropy_and_allowlists() -> None:
    imported = parse_gitleaks(CONFIG, "gitleaks.toml")
    assert [r.id for r in imported.rules] == ["SECRET-CUSTOM-ACME-API-KEY", "SECRET-CUSTOM-ACME-INTERNAL-URL"]
    assert imported.unsupported == ("pkcs12-file: path-only rules are not supported (no regex)",)
    key = imported.rules[0]
    assert (key.secret_group, key.entropy, key.keywords, key.title) == (1, 3.0, ("acme",), "ACME API key")
    assert key.allowlist == ("^0+$",)
    assert key.stopwords == ("sandbox",)
    assert key.path_allowlist == ("(^|/)vendor/",)
    rules = imported.rules
    assert _ids(rules, "app.py", 'ACME_KEY = "q7w8e9r0t1y2u3i4o5p6a7s8"\n') == ["SECRET-CUSTOM-ACME-API-KEY"]
    assert _ids(rules, "app.py", 'acme_key = "000000000000000000000000"\n') == []
    assert _ids(rules, "vendor/app.py", 'ACME_KEY = "q7w8e9r0t1y2u3i4o5p6a7s8"\n') == []
    assert _ids(rules, "app.py", 'ACME_KEY = "q7w8sandboxr0t1y2u3i4o5p6"\n') == []


def test_a_path_scoped_rule_only_applies_to_its_paths() -> None:
    rules = parse_gitleaks(CONFIG, "gitleaks.toml").rules
    url = "https://internal.acme.invalid/?sig=Ab12Cd34Ef56Gh78Ij90\n"
    assert _ids(rules, "deploy.yaml", url) == ["SECRET-CUSTOM-ACME-INTERNAL-URL"]
    assert _ids(rules, "deploy.py", url) == []


def test_use_default_keeps_the_built_in_rules_with_the_global_allowlist() -> None:
    imported = parse_gitleaks('[extend]\nuseDefault = true\n[allowlist]\npaths = ["^fixtures/"]\n', "g.toml")
    assert [r.id for r in imported.rules] == [r.id for r in SPECS]
    assert all(r.path_allowlist == ("^fixtures/",) for r in imported.rules)
    assert _ids(imported.rules, "fixtures/a.txt", token("github") + "\n") == []
    assert _ids(imported.rules, "src/a.txt", token("github") + "\n") == ["SECRET-GITHUB-PAT-CLASSIC"]


def test_go_syntax_is_translated() -> None:
    assert go_to_python(r"[[:alnum:]_]+\z") == r"[a-zA-Z0-9_]+\Z"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "[[rules]]\nid = 'x'\nregex = '''(unclosed'''\n",
            "rule x: regex is not a valid regular expression",
            2,
        ),
        ("title = 'empty'\n", "the gitleaks configuration has no usable rule", None),
        ("[[rules\n", "not valid TOML", None),
        ("[[rules]]\nregex = 'a'\n", "a [[rules]] entry has no id", None),
    ],
)
def test_malformed_configurations_are_input_errors_with_the_place(
    text: str, message: str, line: int | None
) -> None:
    with pytest.raises(InputError) as caught:
        parse_gitleaks(text, "gitleaks.toml")
    assert message in caught.value.message
    assert caught.value.place is not None and caught.value.place.line == line


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    from secloop.secrets.gitleaks import load_gitleaks_config

    with pytest.raises(InputError, match="cannot read the gitleaks configuration"):
        load_gitleaks_config(tmp_path / "nope.toml")
