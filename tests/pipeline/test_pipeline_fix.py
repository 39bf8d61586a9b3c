"""`secloop fix pipeline`: exact edits, only the edited spans change, re-scan clean, API resolution."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from secloop.cli.main import run as run_cli
from secloop.pipeline.engine import scan_texts
from secloop.pipeline.fix import PC, fix_workflow, known_pins, resolver
from secloop.pipeline.workflow import Workflow, parse_workflow

CHECKOUT = "11bd71901bbe5b1630ceea73d27597364c9af683"
SETUP = "a26af69be951a213d495a4c3e4e4022e16d87065"
BEFORE = """\
name: ci
on: push  # comment kept
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: co2
        uses: "actions/checkout@v4.2.1"  # keep
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - uses: actions/checkout@v4
        with:
          persist-credentials: true
      - uses: some/unknown@main
      - run: make test
"""
AFTER = f"""\
name: ci
on: push  # comment kept
permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{CHECKOUT} # v4
        with:
          persist-credentials: false
      - name: co2
        uses: "actions/checkout@{CHECKOUT}"  # keep
        with:
          persist-credentials: false
          fetch-depth: 0
      - uses: actions/setup-python@{SETUP} # v5
        with: {{python-version: "3.12"}}
      - uses: actions/checkout@{CHECKOUT} # v4
        with:
          persist-credentials: false
      - uses: some/unknown@main
      - run: make test
"""
PINS = {
    ("actions/checkout", "v4"): CHECKOUT,
    ("actions/checkout", "v4.2.1"): CHECKOUT,
    ("actions/setup-python", "v5"): SETUP,
}


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        run_cli(args)
    return int(exited.value.code or 0)


def test_the_three_fixes_edit_only_their_spans() -> None:
    result = fix_workflow(".github/workflows/ci.yml", BEFORE, resolver(dict(PINS)))
    assert result.after == AFTER
    assert result.left == [
        ".github/workflows/ci.yml:17:15: some/unknown@main left as is: no SHA known for it "
        "(use --pins or --resolve)"
    ]
    assert sorted({e.rule_id for e in result.applied}) == [
        "GHA-EXCESSIVE-PERMISSIONS",
        "GHA-PERSIST-CREDENTIALS",
        "GHA-UNPINNED-ACTION",
    ]
    scan = scan_texts([(".github/workflows/ci.yml", result.after)])
    assert scan.of("GHA-PERSIST-CREDENTIALS", "GHA-EXCESSIVE-PERMISSIONS") == ()
    assert [f.message for f in scan.of("GHA-UNPINNED-ACTION")] == [
        "some/unknown@main is used by the movable ref 'main'; pin it to a full commit SHA"
    ]


def test_a_clean_workflow_is_left_alone() -> None:
    result = fix_workflow("ci.yml", AFTER, resolver({}))
    assert not result.changed
    assert result.applied == []


HEAD = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
CO = f"actions/checkout@{CHECKOUT}"


@pytest.mark.parametrize(
    ("step", "fixed"),
    [
        (
            f"      - uses: {CO}\n        with: {{fetch-depth: 0}}  # keep {{this}}\n",
            f"      - uses: {CO}\n"
            "        with: {persist-credentials: false, fetch-depth: 0}  # keep {this}\n",
        ),
        (
            f"      - uses: {CO}\n        with: {{ fetch-depth: 0, lfs: true }}\n",
            f"      - uses: {CO}\n"
            "        with: { persist-credentials: false, fetch-depth: 0, lfs: true }\n",
        ),
        (
            f"      - uses: {CO}\n        with: {{}} # empty\n",
            f"      - uses: {CO}\n        with: {{persist-credentials: false}} # empty\n",
        ),
        (
            f'      - uses: {CO}\n        with: {{"fetch-depth": 0}}\n',
            f'      - uses: {CO}\n        with: {{persist-credentials: false, "fetch-depth": 0}}\n',
        ),
        (
            f"      - {{uses: {CO}, with: {{lfs: true}}}}\n",
            f"      - {{uses: {CO}, with: {{persist-credentials: false, lfs: true}}}}\n",
        ),
        (
            f"      - uses: {CO}\n        with: {{persist-credentials: true, lfs: true}}\n",
            f"      - uses: {CO}\n        with: {{persist-credentials: false, lfs: true}}\n",
        ),
    ],
)
def test_a_flow_mapping_with_is_rewritten_in_place(step: str, fixed: str) -> None:
    result = fix_workflow("w.yml", HEAD + step, resolver({}))
    assert result.after == HEAD + fixed
    assert result.left == []
    assert [e.rule_id for e in result.applied] == ["GHA-PERSIST-CREDENTIALS"]
    reparsed = parse_workflow("w.yml", result.after)
    assert isinstance(reparsed, Workflow) and reparsed.problems == ()
    assert scan_texts([("w.yml", HEAD + step)]).of("GHA-PERSIST-CREDENTIALS") != ()
    assert scan_texts([("w.yml", result.after)]).of("GHA-PERSIST-CREDENTIALS") == ()


@pytest.mark.parametrize(
    ("steps", "left"),
    [
        (
            f"      - uses: {CO}\n        with: {{fetch-depth: 0,\n          lfs: true}}\n",
            ["w.yml:7:15: persist-credentials not added: `with:` is a flow mapping over several lines"],
        ),
        (
            f"      - uses: {CO}\n        with: &co {{fetch-depth: 0}}\n"
            f"      - uses: {CO}\n        with: *co\n",
            [
                "w.yml:7:15: persist-credentials not added: `with:` is a YAML anchor or alias; editing it "
                "would change every step that shares it",
                "w.yml:9:15: persist-credentials not added: `with:` is a YAML anchor or alias; editing it "
                "would change every step that shares it",
            ],
        ),
        (
            f"      - uses: {CO}\n        with: !!map {{fetch-depth: 0}}\n",
            ["w.yml:7:15: persist-credentials not added: `with:` carries an explicit YAML tag"],
        ),
        (
            f"      - uses: {CO}\n        with: &co {{persist-credentials: true}}\n"
            f"      - uses: {CO}\n        with:\n          <<: *co\n          lfs: true\n",
            [
                "w.yml:7:15: persist-credentials not added: `with:` is a YAML anchor or alias; editing it "
                "would change every step that shares it",
                "w.yml:9:15: persist-credentials not added: persist-credentials comes from a YAML merge key",
            ],
        ),
        (
            f"      - uses: {CO}\n        with: &co\n          fetch-depth: 0\n",
            [
                "w.yml:7:15: persist-credentials not added: `with:` is a YAML anchor or alias; editing it "
                "would change every step that shares it"
            ],
        ),
    ],
)
def test_unsafe_with_is_reported_not_rewritten(steps: str, left: list[str]) -> None:
    result = fix_workflow("w.yml", HEAD + steps, resolver({}))
    assert not result.changed
    assert result.left == left


def test_a_merge_key_gets_an_own_key_before_it() -> None:
    steps = (
        f"      - uses: {CO}\n        with: &co {{fetch-depth: 0}}\n"
        f"      - uses: {CO}\n        with:\n          <<: *co\n          lfs: true\n"
    )
    result = fix_workflow("w.yml", HEAD + steps, resolver({}))
    assert result.after == HEAD + steps.replace(
        "        with:\n          <<", "        with:\n          persist-credentials: false\n          <<"
    )
    assert result.left == [
        "w.yml:7:15: persist-credentials not added: `with:` is a YAML anchor or alias; editing it "
        "would change every step that shares it"
    ]
    assert [f.primary.start_line for f in scan_texts([("w.yml", result.after)]).of(PC) if f.primary] == [7]


def test_known_pins_come_from_commented_sha_pins() -> None:
    texts = [f"    - uses: actions/checkout@{CHECKOUT.upper()} # v4.2.1\n", "    - uses: a/b@main\n"]
    assert known_pins(texts) == {("actions/checkout", "v4.2.1"): CHECKOUT}


def _repo(root: Path, text: str = BEFORE) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(text)
    return root


def test_cli_shows_a_diff_then_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "r")
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps({f"{a}@{r}": s for (a, r), s in PINS.items()}))
    assert run(["fix", "pipeline", str(repo), "--pins", str(pins)]) == 1
    out = capsys.readouterr()
    assert "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n" in out.out
    assert f"+      - uses: actions/checkout@{CHECKOUT} # v4\n" in out.out
    assert "some/unknown@main left as is" in out.err
    assert (repo / ".github" / "workflows" / "ci.yml").read_text() == BEFORE
    assert run(["fix", "pipeline", str(repo), "--pins", str(pins), "--write"]) == 0
    assert (repo / ".github" / "workflows" / "ci.yml").read_text() == AFTER
    capsys.readouterr()
    assert run(["fix", "pipeline", str(repo), "--pins", str(pins)]) == 0
    assert capsys.readouterr().out == "nothing to fix\n"


class _FakeGitHub(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, str]] = {
        "/repos/actions/checkout/commits/v4": CHECKOUT,
        "/repos/actions/setup-python/commits/v5": SETUP,
    }
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Accept")))
        sha = self.answers.get(self.path)
        body = (sha or "Not Found").encode()
        self.send_response(200 if sha else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def fake_github() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeGitHub.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_resolve_asks_the_api_and_records_the_pins(
    tmp_path: Path, fake_github: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - uses: actions/setup-python@v5\n      - uses: actions/setup-node@v4\n"
    )
    repo = _repo(tmp_path / "r", text)
    pins = tmp_path / "pins.json"
    code = run(
        ["fix", "pipeline", str(repo), "--resolve", "--api-url", fake_github, "--pins", str(pins), "--write"]
    )
    assert code == 0
    fixed = (repo / ".github" / "workflows" / "ci.yml").read_text()
    assert f"      - uses: actions/setup-python@{SETUP} # v5\n" in fixed
    assert "      - uses: actions/setup-node@v4\n" in fixed
    assert json.loads(pins.read_text()) == {"actions/setup-python@v5": SETUP}
    assert "--resolve: actions/setup-node@v4: the API answered 404" in capsys.readouterr().err
    assert ("/repos/actions/setup-python/commits/v5", "application/vnd.github.sha") in _FakeGitHub.seen


def test_without_resolve_nothing_is_sent(tmp_path: Path, fake_github: str) -> None:
    repo = _repo(tmp_path / "r")
    assert run(["fix", "pipeline", str(repo), "--api-url", fake_github]) == 1
    assert _FakeGitHub.seen == []


def test_plain_http_to_a_remote_api_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "r")
    assert run(["fix", "pipeline", str(repo), "--resolve", "--api-url", "http://api.example.com"]) == 2
    assert "API URL must use https" in capsys.readouterr().err


def test_a_malformed_pins_file_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "r")
    pins = tmp_path / "pins.json"
    pins.write_text('{\n  "actions/checkout@v4": \n}\n')
    assert run(["fix", "pipeline", str(repo), "--pins", str(pins), "--write"]) == 2
    assert f"{pins}:3:1" in capsys.readouterr().err
    assert (repo / ".github" / "workflows" / "ci.yml").read_text() == BEFORE


def test_an_unparseable_workflow_is_reported_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "r", "on: push\njobs: [\n")
    assert run(["fix", "pipeline", str(repo), "--write"]) == 0
    assert "ci.yml: not fixed:" in capsys.readouterr().err
    assert (repo / ".github" / "workflows" / "ci.yml").read_text() == "on: push\njobs: [\n"
