"""secloop's own secrets code, rule data, tests, docs and benchmarks hold no secret a scanner would report."""

from __future__ import annotations

from pathlib import Path

from secloop.secrets.scan import scan_paths

ROOT = Path(__file__).parents[2]
MINE = (
    "src/secloop/secrets",
    "src/secloop/cli/secrets.py",
    "src/secloop/cli/hook.py",
    "tests/secrets",
    "tests/fixtures/secrets",
    "docs/commands/scan-secrets.md",
    "docs/commands/hook.md",
    "bench/bench_secrets.py",
    "bench/bench_secrets_repo.py",
    "bench/bench_secrets_cli.py",
    "bench/bench_secrets_corpus.py",
    "bench/bench_secrets_rescan.py",
)


def test_our_own_files_are_clean() -> None:
    files: list[Path] = []
    for rel in MINE:
        path = ROOT / rel
        files += (
            sorted(p for p in path.rglob("*") if p.is_file())
            if path.is_dir()
            else [path]
            if path.exists()
            else []
        )
    files = [f for f in files if "__pycache__" not in f.parts]
    assert len(files) > 20
    result = scan_paths([(str(f.relative_to(ROOT)), None) for f in files])
    assert [(f.rule_id, str(f.primary)) for f in result.findings] == []
