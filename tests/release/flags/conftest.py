"""Helpers for the flags tests: flags files from text, the shared fixture file, contexts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import typer

from secloop.cli.flags import register
from secloop.cli.main import run_app
from secloop.release.flags.engine import Engine
from secloop.release.flags.loader import load_flags, parse_flags
from secloop.release.flags.model import FlagsFile

CODE_FILES = {
    "app/checkout.py": "if flags.is_enabled('new-checkout', ctx):\n    pass\n",
    "app/search.py": 'variant = client.get_string_value("search-ranking", "bm25")\n',
    "app/pay.py": "PAYMENTS = 'payments-kill-switch'\n",
    "app/cache.py": "ttl = flag('cache-ttl')\n",
    "app/dash.py": "# beta-dashboard-old is another flag; this file does not read beta-dashboard itself\n",
}
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "flags" / "flags.yaml"


def fixture_flags() -> FlagsFile:
    return load_flags(FIXTURE, "flags.yaml")


def flags_from(text: str, path: str = "flags.yaml") -> FlagsFile:
    return parse_flags(textwrap.dedent(text), path)


def rollout_flag(rollout: int, stickiness: str = "default", group: str = "g", extra: str = "") -> Engine:
    """A one-strategy gradual rollout named 'f' in the default environment."""
    return Engine(
        flags_from(
            f"""\
            flags:
              f:
                type: release
                owner: me
                created: 2026-11-01
                environments:
                  default:
                    enabled: true
                    strategies:
                      - name: flexibleRollout
                        parameters: {{rollout: {rollout}, stickiness: {stickiness}, groupId: {group}}}
            {extra}"""
        )
    )


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`secloop flags ...` through the real exit-code mapping: (exit code, stdout, stderr)."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    with pytest.raises(SystemExit) as exited:
        run_app(app, ["flags", *args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def repo_with_flags(root: Path, flags_text: str | None = None, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "flags.yaml").write_text(flags_text if flags_text is not None else FIXTURE.read_text())
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root
