from __future__ import annotations

from secloop.core.fingerprint import digest, keyed_fingerprint, line_fingerprint, normalise


def test_normalise_ignores_whitespace_and_quote_style() -> None:
    assert normalise("  uses:  'actions/checkout@v4'  ") == normalise('uses: "actions/checkout@v4"')


def test_line_fingerprint_ignores_indentation() -> None:
    a = line_fingerprint("R", "a.py", "    x = 1")
    b = line_fingerprint("R", "a.py", "x=1")
    assert a == b
    assert len(a) == 32


def test_line_fingerprint_distinguishes_occurrences_rules_and_paths() -> None:
    base = line_fingerprint("R", "a.py", "x = 1")
    assert base != line_fingerprint("R", "a.py", "x = 1", occurrence=1)
    assert base != line_fingerprint("S", "a.py", "x = 1")
    assert base != line_fingerprint("R", "b.py", "x = 1")


def test_keyed_fingerprint_has_no_separator_collisions() -> None:
    assert keyed_fingerprint("R", "ab", "c") != keyed_fingerprint("R", "a", "bc")
    assert digest("x") == digest("x")
