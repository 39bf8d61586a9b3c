"""Score Bandit alone, secloop's taint checks alone and both together on the labelled SAST set.

Usage: .venv/bin/python bench/bench_sast.py

The set is tests/fixtures/sast/labelled/: small Flask, Django and FastAPI cases, vulnerable (`true_*`)
and not (`false_*`), per category. A tool flags a case when it reports a finding of that category in
the file: for Bandit, its tests mapped to a category (tests/sast/labelled.py BANDIT_CATEGORY); for
secloop, its own rules of that category (taint SAST-PY-TAINT-*, checks SAST-PY-CRYPTO-*/LOG-*); for
Semgrep, secloop's own Semgrep pack (rules/semgrep/) run offline, when Semgrep is found
(SECLOOP_SEMGREP, else bench/.work/venv-semgrep/bin/semgrep, else PATH). Semgrep's public registry
rules are not compared: they need the network (`--config p/...`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secloop.sast.scan import read_files, scan_sast  # noqa: E402
from secloop.sast.semgrep import SEMGREP_ENV, run_semgrep  # noqa: E402
from secloop.sources.repo import Repo  # noqa: E402
from tests.sast.labelled import LABELLED, Score, bandit_category, cases, flagged, score, taint_category  # noqa: E402


def table(name: str, scores: list[Score], seconds: float) -> None:
    print(f"\n{name} ({seconds:.2f} s)")
    print(
        f"  {'category':<12} {'TP':>3} {'FN':>3} {'FP':>3} {'TN':>3}  {'TPR':>5}  {'FPR':>5}  {'TPR-FPR':>7}"
    )
    for s in scores:
        print(
            f"  {s.category:<12} {s.tp:>3} {s.fn:>3} {s.fp:>3} {s.tn:>3}  "
            f"{s.tpr:>5.2f}  {s.fpr:>5.2f}  {s.youden:>+7.2f}"
        )


def main() -> None:
    os.environ["SECLOOP_CACHE_DIR"] = tempfile.mkdtemp(prefix="secloop-bench-sast-")  # a cold cache
    all_cases = cases()
    repo = Repo(LABELLED)
    start = time.perf_counter()
    both = scan_sast(repo, include_fixtures=True, semgrep=False)
    both_s = time.perf_counter() - start
    start = time.perf_counter()
    taint = scan_sast(Repo(LABELLED), include_fixtures=True, bandit=False, semgrep=False)
    taint_s = time.perf_counter() - start
    start = time.perf_counter()
    again = scan_sast(Repo(LABELLED), include_fixtures=True, semgrep=False)
    cached_s = time.perf_counter() - start
    assert again.findings == both.findings
    bandit_hits = flagged(both.findings, bandit_category)
    taint_hits = flagged(taint.findings, taint_category)
    vulnerable = sum(c.vulnerable for c in all_cases)
    print(
        f"labelled set: {len(all_cases)} cases ({vulnerable} vulnerable, {len(all_cases) - vulnerable} not)"
    )
    print(f"engines: {', '.join(both.engines)}")
    print(f"scan: {both_s:.2f} s cold, {cached_s:.2f} s again (Bandit results cached by file content)")
    table("Bandit alone (its tests mapped to categories)", score(all_cases, bandit_hits), both_s - taint_s)
    table(
        "secloop rules (taint SAST-PY-TAINT-*, checks SAST-PY-CRYPTO-*/LOG-*)",
        score(all_cases, taint_hits),
        taint_s,
    )
    table("Bandit + secloop (either flags)", score(all_cases, bandit_hits | taint_hits), both_s)
    local = ROOT / "bench" / ".work" / "venv-semgrep" / "bin" / "semgrep"
    if SEMGREP_ENV not in os.environ and local.is_file():
        os.environ[SEMGREP_ENV] = str(local)
    texts, _ = read_files(Repo(LABELLED), include_fixtures=True)
    start = time.perf_counter()
    ran = run_semgrep(LABELLED, texts)
    semgrep_s = time.perf_counter() - start
    if ran.version is None:
        print(f"\n{ran.note}")
        return
    semgrep_hits = flagged(ran.findings, taint_category)
    table(
        f"Semgrep {ran.version} with secloop's pack (rules/semgrep/)",
        score(all_cases, semgrep_hits),
        semgrep_s,
    )


if __name__ == "__main__":
    main()
