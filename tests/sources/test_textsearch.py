from __future__ import annotations

import re
from pathlib import Path

import pytest

from secloop.sources import textsearch
from secloop.sources.repo import Repo
from secloop.sources.textsearch import Text, database


def test_matching_lines_keep_python_semantics() -> None:
    text = Text("import os\n  import logging\nx = 'import logging'\n")
    assert text.matching_lines(re.compile(r"^\s*import\s+logging\b")) == [1]


def test_crlf_and_end_anchor() -> None:
    text = Text("foo\r\nbar foo\r\n")
    assert text.matching_lines(re.compile(r"foo$")) == [0, 1]
    assert text.lines[1] == "bar foo"


def test_start_of_line_empty_match_and_case() -> None:
    text = Text("a\nB\nb\n")
    assert text.matching_lines(re.compile(r"^b", re.IGNORECASE)) == [1, 2]


def test_unicode_word_characters() -> None:
    text = Text("x\ncafé_login = 1\n")
    assert text.matching_lines(re.compile(r"\bcafé\w+")) == [1]


def test_backreference_runs_as_prefilter_then_confirms() -> None:
    text = Text("ab\naa\nxyzz\n")
    assert text.matching_lines(re.compile(r"(\w)\1")) == [1, 2]


def test_pattern_hyperscan_cannot_compile_falls_back_to_re() -> None:
    rx = re.compile(r"(?a:\w)é")
    assert database(rx) is None
    assert Text("zz\nbé\n").matching_lines(rx) == [1]
    assert Text("é\n").matching_lines(rx) == []


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(("pattern", "line"), [(r"a{,3}b", "aab"), (r"[[:x]+", "[:"), (r"\u00e9", "é")])
def test_python_only_syntax_never_goes_to_hyperscan(pattern: str, line: str) -> None:
    rx = re.compile(pattern)
    assert database(rx) is None
    assert Text(f"-\n{line}\n").matching_lines(rx) == [1]


def test_no_match_returns_nothing() -> None:
    assert Text("nothing here\n").matching_lines(re.compile("absent")) == []


def test_compiled_database_is_reused_from_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path))
    rx = re.compile(r"unique-pattern-\d+")
    monkeypatch.setattr(textsearch, "_DATABASES", {})
    assert database(rx) is not None
    assert len(list((tmp_path / "hs").glob("*.db"))) == 1
    monkeypatch.setattr(textsearch, "_DATABASES", {})
    loaded = database(rx)
    assert loaded is not None
    assert Text("a\nunique-pattern-42\n").matching_lines(rx) == [1]


def test_repo_grep_reports_one_based_lines(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\nimport logging\n")
    (tmp_path / "b.bin").write_bytes(b"\0import logging")
    hits = list(Repo(tmp_path).grep(r"import logging", ["a.py", "b.bin", "missing.py"]))
    assert [(h.path, h.line, h.text) for h in hits] == [("a.py", 2, "import logging")]
