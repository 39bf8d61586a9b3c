"""Rule data validation: every malformed rule file is an input error naming the file and the rule's line."""

from __future__ import annotations

import random

import pytest

from secloop.core.errors import InputError
from secloop.secrets.spec import expand, load_rule_files, parse_rule_file

HEAD = '[family]\nname = "t"\nfix = "rotate"\n\n'
RULE = """[[rule]]
id = "SECRET-T-ONE"
title = "t"
description = "d"
regex = '''(?P<secret>t_[a-z]{8})'''
keywords = ["t_"]
severity = "high"
confidence = "high"
tp = ["t_{{lower:8}}"]
fp = ["t_"]
"""


def test_a_valid_file_parses() -> None:
    [rule] = parse_rule_file(HEAD + RULE, "t.toml")
    assert (rule.id, rule.family, rule.fix, rule.source, rule.generic, rule.noise) == (
        "SECRET-T-ONE",
        "t",
        "rotate",
        "t.toml",
        False,
        True,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('id = "SECRET-T-ONE"', 'id = "secret-t-one"'), "rule id 'secret-t-one' must be UPPER-KEBAB-CASE"),
        (
            ("regex = '''(?P<secret>t_[a-z]{8})'''", "regex = '''(t_[a-z'''"),
            "rule field 'regex' is not a valid",
        ),
        (("regex = '''(?P<secret>t_[a-z]{8})'''", "regex = '''(t_[a-z]{8})'''"), "none named 'secret'"),
        (('keywords = ["t_"]', 'keywords = ["T_"]'), "keywords are lower-case literals"),
        (('severity = "high"', 'severity = "urgent"'), "'urgent' is not a valid Severity"),
        (('fp = ["t_"]\n', 'fp = ["t_"]\nextra = 1\n'), "unknown ['extra']"),
        (('tp = ["t_{{lower:8}}"]\n', ""), "missing ['tp']"),
    ],
)
def test_malformed_rules_name_the_file_and_line(change: tuple[str, str], message: str) -> None:
    text = HEAD + "# a comment\n" + RULE.replace(*change)
    with pytest.raises(InputError) as caught:
        parse_rule_file(text, "t.toml")
    assert message in caught.value.message
    assert caught.value.place is not None and str(caught.value.place) == "t.toml:6"


def test_duplicate_ids_across_files_and_a_missing_family() -> None:
    with pytest.raises(InputError, match="declared twice"):
        load_rule_files([("a.toml", HEAD + RULE), ("b.toml", HEAD + RULE)])
    with pytest.raises(InputError, match=r"needs \[family\]"):
        parse_rule_file(RULE, "t.toml")


def test_templates_expand_deterministically() -> None:
    text = expand("a{{}}b {{hex:4}} {{uuid}}", random.Random(1))
    assert text.startswith("ab ")
    assert text == expand("a{{}}b {{hex:4}} {{uuid}}", random.Random(1))
    with pytest.raises(ValueError, match="unknown example placeholder"):
        expand("{{nope:3}}", random.Random(1))
