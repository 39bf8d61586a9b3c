"""The files secloop ships to other pipelines, and its own CI, follow secloop's own advice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from secloop import __version__

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github/workflows/ci.yml"
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
GITLAB = ROOT / "templates/gitlab-ci.yml"
DEPENDABOT = ROOT / ".github/dependabot.yml"
USES_FILES = (WORKFLOW, ACTION)
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
VERSION_COMMENT = re.compile(r"^\s+# v\d+\.\d+\.\d+$")
# Every key a .pre-commit-hooks.yaml entry may carry (pre-commit's manifest schema).
HOOK_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "additional_dependencies",
    "args",
    "always_run",
    "fail_fast",
    "pass_filenames",
    "description",
    "language_version",
    "log_file",
    "require_serial",
    "stages",
    "verbose",
    "minimum_pre_commit_version",
}
HOOK_LANGUAGES = {
    "python",
    "system",
    "docker",
    "docker_image",
    "golang",
    "node",
    "rust",
    "script",
    "unsupported",
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def walk_uses(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uses" and isinstance(value, str):
                yield value
            else:
                yield from walk_uses(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_uses(item)


def uses_lines(path: Path) -> list[tuple[str, str]]:
    matches = (USES_LINE.match(line) for line in path.read_text(encoding="utf-8").splitlines())
    return [(m["ref"], m["rest"]) for m in matches if m is not None]


@pytest.mark.parametrize("path", USES_FILES, ids=lambda p: p.name)
def test_every_uses_is_pinned_to_a_commit_with_a_version_comment(path: Path) -> None:
    refs = list(walk_uses(load(path)))
    assert refs, f"{path.name} has no uses: at all"
    for ref in refs:
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a full 40-hex commit sha"
    lines = uses_lines(path)
    assert [ref for ref, _ in lines] == refs
    for ref, rest in lines:
        assert VERSION_COMMENT.match(rest), f"{path.name}: {ref} lacks a `# vX.Y.Z` comment"


def test_one_action_one_commit_everywhere() -> None:
    seen: dict[str, set[tuple[str, str]]] = {}
    for path in USES_FILES:
        for ref, rest in uses_lines(path):
            match = PINNED.match(ref)
            assert match is not None
            seen.setdefault(match["action"], set()).add((match["sha"], rest.strip()))
    assert seen == {
        "actions/checkout": {("34e114876b0b11c390a56381ad16ebd13914f8d5", "# v4.3.1")},
        "actions/setup-python": {("a26af69be951a213d495a4c3e4e4022e16d87065", "# v5.6.0")},
        "github/codeql-action/upload-sarif": {("5d4e8d1aca955e8d8589aabd499c5cae939e33c7", "# v4.31.9")},
    }


def test_ci_workflow_least_privilege_and_triggers() -> None:
    ci = load(WORKFLOW)
    assert ci["permissions"] == {}
    on = ci[True]  # PyYAML reads the bare key `on` as a boolean
    assert on == {"pull_request": None, "push": {"branches": ["main"]}}
    assert list(ci["jobs"]) == ["test"]
    job = ci["jobs"]["test"]
    assert job["permissions"] == {"contents": "read"}
    steps = job["steps"]
    checkout = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkout) == 1
    assert checkout[0]["with"]["persist-credentials"] is False
    assert steps[-1] == {"run": "make test"}
    assert "${{" not in str([s.get("run", "") for s in steps])


def test_ci_service_image_is_pinned_by_digest() -> None:
    services = load(WORKFLOW)["jobs"]["test"]["services"]
    for name, service in services.items():
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", service["image"]), name


def test_pre_commit_hook_manifest() -> None:
    hooks = load(HOOKS)
    assert isinstance(hooks, list)
    assert [hook["id"] for hook in hooks] == ["secloop-assess", "secloop-secrets", "secloop-secrets-push"]
    for hook in hooks:
        assert set(hook) <= HOOK_KEYS, set(hook) - HOOK_KEYS
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] in HOOK_LANGUAGES
    assess, secrets, push = hooks
    assert (push["entry"], push["stages"], push["pass_filenames"]) == (
        "secloop hook pre-push",
        ["pre-push"],
        False,
    )
    assert secrets["entry"] == "secloop scan secrets --staged"
    assert secrets["pass_filenames"] is False
    assert assess["entry"] == "secloop assess ."
    assert assess["language"] == "python"
    assert assess["pass_filenames"] is False
    assert assess["always_run"] is True
    assert re.fullmatch(r"\d+\.\d+\.\d+", assess["minimum_pre_commit_version"])


def test_action_inputs_and_steps() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert list(action["inputs"]) == ["path", "format", "fail-on", "version"]
    assert action["inputs"]["version"]["default"] == __version__
    assert action["inputs"]["format"]["default"] == "sarif"
    assert action["inputs"]["fail-on"]["default"] == "high"
    steps = action["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert all(s["shell"] == "bash" for s in runs)
    # Inputs travel through env: nothing a caller passes is pasted into a shell script.
    assert all("${{" not in s["run"] for s in runs)
    install = next(s for s in runs if s["name"] == "Install secloop")
    assert '"secloop==${SECLOOP_VERSION}"' in install["run"]
    assert install["env"] == {"SECLOOP_VERSION": "${{ inputs.version }}"}
    assess = next(s for s in runs if s.get("id") == "assess")
    assert 'secloop assess "$SECLOOP_PATH" --format "$SECLOOP_FORMAT" --output "$report"' in assess["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ steps.assess.outputs.report }}"
    assert "inputs.format == 'sarif'" in upload["if"]
    assert steps[-1]["name"] == "Gate"


def test_gitlab_template_job() -> None:
    template = load(GITLAB)
    assert template["variables"]["SECLOOP_VERSION"] == __version__
    job = template["secloop-assess"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = "\n".join(job["script"])
    assert "--format sarif --output gl-secloop.sarif" in script
    assert "--format junit --output gl-secloop-junit.xml --fail-on none" in script
    assert job["script"][-1] == 'exit "$status"'
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["paths"] == ["gl-secloop.sarif", "gl-secloop-junit.xml"]
    assert job["artifacts"]["reports"] == {"junit": "gl-secloop-junit.xml"}
    assert '"secloop==${SECLOOP_VERSION}"' in "\n".join(job["before_script"])


def test_dependabot_monthly_with_cooldown() -> None:
    config = load(DEPENDABOT)
    assert config["version"] == 2
    updates = config["updates"]
    assert [u["package-ecosystem"] for u in updates] == ["uv", "github-actions"]
    for update in updates:
        assert update["directory"] == "/"
        assert update["schedule"] == {"interval": "monthly"}
        assert update["cooldown"] == {"default-days": 14}
