"""The canary judge on 50 metrics x 2 sides x 1,000 points (goal: < 1 s), beside SciPy's Mann-Whitney.

    env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/bench_canary.py

Writes the inputs to bench/.work/canary/ (config + baseline.csv + canary.csv), then times
(1) the whole judge in-process: config, both CSV files parsed, 50 metrics classified (Mann-Whitney U
with tie correction, Hodges-Lehmann shift and 98% interval, Brown-Forsythe spread check), scored
and decided; (2) secloop's Mann-Whitney alone and (3) scipy.stats.mannwhitneyu (asymptotic, in the
peers venv) on the same 50 pairs. SciPy computes no Hodges-Lehmann interval, so (2)/(3) compares the
U test plus secloop's interval against SciPy's U test alone.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from secloop.release.canary.config import load_config  # noqa: E402
from secloop.release.canary.inputs import load_samples  # noqa: E402
from secloop.release.canary.judge import judge  # noqa: E402
from secloop.release.stats.ranks import mann_whitney  # noqa: E402

WORK = ROOT / "bench" / ".work" / "canary"
PEERS = ROOT / "bench" / ".work" / "venv-peers" / "bin" / "python"
METRICS, POINTS, RUNS = 50, 1000, 5

SCIPY = """
import json, sys, time
from scipy.stats import mannwhitneyu
pairs = json.load(open(sys.argv[1]))
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    ps = [mannwhitneyu(c, b, alternative="two-sided", method="asymptotic").pvalue for b, c in pairs]
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "p": ps}))
"""


def build() -> list[tuple[list[float], list[float]]]:
    rng = random.Random(42)
    WORK.mkdir(parents=True, exist_ok=True)
    pairs: list[tuple[list[float], list[float]]] = []
    config = ["groups: {latency: 60, saturation: 40}", "metrics:"]
    base_rows, canary_rows = ["metric,value,time"], ["metric,value,time"]
    for m in range(METRICS):
        name = f"m{m:02d}"
        group = "latency" if m % 2 else "saturation"
        config.append(f"  - {{name: {name}, group: {group}, allowed_increase: 1.05}}")
        shift = 1.08 if m % 10 == 0 else 1.0  # every tenth metric regresses
        base = [round(rng.lognormvariate(4.0, 0.3), 3) for _ in range(POINTS)]
        canary = [round(rng.lognormvariate(4.0, 0.3) * shift, 3) for _ in range(POINTS)]
        pairs.append((base, canary))
        base_rows += [f"{name},{v},{i}" for i, v in enumerate(base)]
        canary_rows += [f"{name},{v},{i}" for i, v in enumerate(canary)]
    (WORK / "judge.yaml").write_text("\n".join(config) + "\nbaseline: baseline.csv\ncanary: canary.csv\n")
    (WORK / "baseline.csv").write_text("\n".join(base_rows) + "\n")
    (WORK / "canary.csv").write_text("\n".join(canary_rows) + "\n")
    (WORK / "pairs.json").write_text(json.dumps(pairs))
    return pairs


def main() -> None:
    pairs = build()
    best_judge = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        config = load_config(WORK / "judge.yaml")
        verdict = judge(
            config, load_samples(WORK / "baseline.csv", config), load_samples(WORK / "canary.csv", config)
        )
        best_judge = min(best_judge, time.perf_counter() - start)
    best_mw = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        ours = [mann_whitney(c, b).p_value for b, c in pairs]
        best_mw = min(best_mw, time.perf_counter() - start)
    high = sum(1 for r in verdict.results if r.failed)
    print(
        f"judge: {METRICS} metrics x 2 x {POINTS} points in {best_judge:.3f} s (best of {RUNS}; goal < 1 s)"
    )
    print(f"  decision {verdict.decision.value}, score {verdict.score:.1f}, {high} metrics failed")
    print(f"secloop Mann-Whitney + Hodges-Lehmann 98% CI, 50 pairs: {best_mw:.3f} s")
    if PEERS.exists():
        out = subprocess.run(
            [str(PEERS), "-c", SCIPY, str(WORK / "pairs.json"), str(RUNS)],
            check=True,
            capture_output=True,
            text=True,
        )
        scipy = json.loads(out.stdout)
        worst = max(abs(a - b) for a, b in zip(ours, scipy["p"], strict=True))
        print(f"scipy.stats.mannwhitneyu (U and p only), 50 pairs: {scipy['seconds']:.3f} s")
        print(
            f"  ratio secloop/scipy: {best_mw / scipy['seconds']:.1f}x; worst p-value difference {worst:.2g}"
        )
    if best_judge >= 1.0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
