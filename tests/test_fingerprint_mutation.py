"""Acceptance: fingerprints survive inserted lines and reformatting (≥ 99% kept, no old finding new)."""

from __future__ import annotations

from pathlib import Path

import yaml

from secloop.assess import assess
from secloop.core.baseline import Baseline, dump_baseline, write_atomic
from secloop.core.enums import BaselineState
from secloop.inputs import prepare
from tests.cli.conftest import make_repo

WORKFLOW = """\
name: wf{n}
on:
  pull_request_target:
  push:
    branches: [main]
jobs:
  build{n}:
    runs-on: [self-hosted, linux]
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
      - name: greet
        run: echo "${{{{ github.event.pull_request.title }}}}"
      - uses: some-org/some-action@main
      - run: curl -sSL https://example.invalid/install.sh | bash
  deploy{n}:
    uses: ./.github/workflows/reusable.yml
    secrets: inherit
"""


def reformat(text: str) -> str:
    data = yaml.safe_load(text)
    body = yaml.safe_dump(data, indent=4, sort_keys=False, default_flow_style=False, width=200)
    header = "".join(f"# inserted line {i}\n" for i in range(10))
    return header + body


def test_fingerprints_survive_insertions_and_reformatting(tmp_path: Path) -> None:
    files = {f".github/workflows/wf{n}.yml": WORKFLOW.format(n=n) for n in range(40)}
    repo = make_repo(tmp_path / "repo", files)
    before = assess(prepare(repo)).findings
    assert len(before) >= 40 * 5
    write_atomic(repo / ".secloop" / "baseline.json", dump_baseline(Baseline.from_findings(before)))

    for rel in files:
        path = repo / rel
        path.write_text(reformat(path.read_text()))
    after = assess(prepare(repo)).findings

    old = {f.fingerprint for f in before}
    new = {f.fingerprint for f in after}
    kept = len(old & new) / len(old)
    assert kept >= 0.99, f"only {kept:.2%} of fingerprints survived"
    assert all(f.baseline_state is BaselineState.UNCHANGED for f in after)
    moved = {f.fingerprint: f.primary.start_line for f in after if f.primary}
    original = {f.fingerprint: f.primary.start_line for f in before if f.primary}
    assert any(moved[fp] != original[fp] for fp in old & new), "the mutation must actually move findings"
