"""Write (or with --check, verify) the generated docs: rules, practices and --help blocks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typer.testing import CliRunner

from secloop.cli.main import app
from secloop.docsgen import generated

ROOT = Path(__file__).resolve().parent.parent


def help_of(command: str) -> str:
    args = [*command.split(), "--help"] if command else ["--help"]
    result = CliRunner().invoke(app, args, prog_name="secloop", env={"COLUMNS": "100", "TERM": "dumb"})
    return result.output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    args = parser.parse_args()
    stale = []
    for path, text in generated(ROOT, help_of).items():
        current = path.read_text("utf-8") if path.is_file() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, "utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
