from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from secloop.core.config import Config, load_config, load_suppressions_file
from secloop.core.enums import Severity
from secloop.core.errors import ConfigError


def test_defaults_when_no_config(tmp_path: Path) -> None:
    config, source = load_config(tmp_path)
    assert source is None
    assert config == Config()
    assert config.fail_on_severity is Severity.HIGH


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.secloop]\nfail_on = "MEDIUM"\n')
    config, source = load_config(tmp_path)
    assert source == tmp_path / "pyproject.toml"
    assert config.fail_on_severity is Severity.MEDIUM


def test_pyproject_without_table_gives_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    config, source = load_config(tmp_path)
    assert source is None
    assert config == Config()


def test_secloop_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.secloop]\nfail_on = "low"\n')
    (tmp_path / "secloop.toml").write_text('fail_on = "none"\n')
    config, source = load_config(tmp_path)
    assert source == tmp_path / "secloop.toml"
    assert config.fail_on_severity is None


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.secloop]\nfail_on = "high"\nfial_on_unknown = true\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    err = info.value
    assert err.exit_code == 2
    assert err.place is not None
    assert (err.place.path, err.place.line) == (str(path), 6)
    assert "unknown option 'fial_on_unknown'" in err.message
    assert err.hint is not None and "fail_on_unknown" in err.hint


def test_bad_value_names_line(tmp_path: Path) -> None:
    path = tmp_path / "secloop.toml"
    path.write_text('# comment\nfail_on = "severe"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.place is not None and info.value.place.line == 2
    assert "option 'fail_on'" in info.value.message


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "secloop.toml"
    path.write_text('fail_on = "high"\naudit = tru\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    place = info.value.place
    assert place is not None and place.line == 2 and place.column is not None
    assert info.value.render().startswith(f"error: {path}:2:")


def test_explicit_config_file(tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text('fail_on = "critical"\nexclude = ["vendor/*"]\n')
    config, source = load_config(tmp_path, path)
    assert source == path
    assert config.exclude == ("vendor/*",)


def test_explicit_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.secloop]\naudit = true\n")
    config, _ = load_config(tmp_path / "elsewhere", path)
    assert config.audit is True


def test_missing_explicit_config_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, tmp_path / "nope.toml")
    assert "cannot read config" in info.value.message


def test_suppressions_in_config(tmp_path: Path) -> None:
    (tmp_path / "secloop.toml").write_text(
        '[[suppress]]\nrule = "GHA-UNPINNED-ACTION"\npath = ".github/*"\n'
        'reason = "vendored"\nexpires = 2027-01-31\n'
    )
    config, _ = load_config(tmp_path)
    (entry,) = config.suppress
    assert (entry.rule, entry.path, entry.reason, entry.expires) == (
        "GHA-UNPINNED-ACTION",
        ".github/*",
        "vendored",
        date(2027, 1, 31),
    )


def test_suppression_without_reason_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "secloop.toml").write_text('fail_on = "high"\n\n[[suppress]]\nrule = "X"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "suppress.0.reason" in info.value.message


def test_suppressions_file(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[[suppress]]\nrule = "A"\nreason = "ok for now"\n\n[[suppress]]\nrule = "B"\nreason = "fine"\n'
    )
    entries = load_suppressions_file(path)
    assert [e.rule for e in entries] == ["A", "B"]
    assert load_suppressions_file(tmp_path / "absent.toml") == ()


def test_suppressions_file_bad_entry_points_at_its_header(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[[suppress]]\nrule = "A"\nreason = "ok for now"\n\n[[suppress]]\nrule = "B"\n')
    with pytest.raises(ConfigError) as info:
        load_suppressions_file(path)
    assert info.value.place is not None and info.value.place.line == 5
    assert "suppression #2" in info.value.message


def test_suppressions_file_unknown_table(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("other = 1\n")
    with pytest.raises(ConfigError) as info:
        load_suppressions_file(path)
    assert info.value.place is not None and info.value.place.line == 1


def test_digest_is_stable_and_sensitive() -> None:
    assert Config().digest() == Config().digest()
    assert Config().digest() != Config(fail_on="low").digest()
