"""`secloop fix pipeline`: mechanical fixes of GitHub Actions workflows, as minimal text edits.

Three fixes, each the documented remedy of one audit:
- GHA-UNPINNED-ACTION: `owner/repo@v4` becomes `owner/repo@<40-hex sha> # v4`. The SHA comes from a
  pin already in the repository (`owner/repo@<sha> # v4` elsewhere), from a pins file, or from the
  GitHub API when the caller allows it (`resolve`); a ref that cannot be resolved is left alone and
  reported.
- GHA-PERSIST-CREDENTIALS: `persist-credentials: false` is added to actions/checkout, inside the
  braces when `with:` is a one-line flow mapping. A `with:` that is an anchor or alias (shared with
  other steps) or a flow mapping over several lines is reported, not edited.
- GHA-EXCESSIVE-PERMISSIONS (no `permissions:` anywhere): `permissions: {contents: read}` is added at
  the top of the workflow, before `jobs:`.

Edits replace or insert only their own span, so comments, quoting and layout elsewhere are kept. A
file is written only when the edited text still parses and re-scans without the fixed findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from secloop.core.model import Location
from secloop.pipeline.audits.unpinned_action import FULL_SHA
from secloop.pipeline.engine import scan_texts
from secloop.pipeline.workflow import Job, Scalar, Step, Workflow, compose, lookup, parse_workflow

USES_LINE = re.compile(
    r"uses\s*:\s*['\"]?(?P<uses>[^\s'\"#@]+)@(?P<sha>[0-9a-fA-F]{40})['\"]?\s*#\s*(?P<ref>[^\s#]+)"
)
JOBS_KEY = re.compile(r"^jobs\s*:", re.MULTILINE)
Resolver = Callable[[str, str], str | None]
PC = "GHA-PERSIST-CREDENTIALS"


@dataclass(frozen=True, slots=True)
class Edit:
    start: int  # offsets into the text; an insertion has start == end
    end: int
    text: str
    rule_id: str
    message: str


@dataclass
class FileFix:
    path: str
    before: str
    after: str
    applied: list[Edit] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # what could not be fixed, and why

    @property
    def changed(self) -> bool:
        return self.after != self.before


def known_pins(texts: Iterable[str]) -> dict[tuple[str, str], str]:
    """(action, ref) -> SHA from `uses: action@<sha> # ref` lines already in the repository."""
    pins: dict[tuple[str, str], str] = {}
    for text in texts:
        for match in USES_LINE.finditer(text):
            pins.setdefault((match["uses"].lower(), match["ref"]), match["sha"].lower())
    return pins


class _Offsets:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.starts.append(index + 1)

    def of(self, location: Location) -> int:
        line = (location.start_line or 1) - 1
        return self.starts[line] + (location.start_column or 1) - 1

    def line_end(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end


def _pin_edit(offsets: _Offsets, step: Step, uses: Scalar, resolve: Resolver) -> Edit | str | None:
    value = uses.text.strip()
    if value.startswith(("./", "docker://")) or "@" not in value:
        return None
    name, ref = value.rsplit("@", 1)
    if FULL_SHA.fullmatch(ref):
        return None
    action = "/".join(name.split("/")[:2])
    sha = resolve(action, ref)
    if sha is None:
        return f"{uses.location}: {name}@{ref} left as is: no SHA known for it (use --pins or --resolve)"
    start = offsets.of(uses.location)
    end = start + len(uses.raw)
    quote = uses.raw[0] if uses.raw[:1] in ("'", '"') else ""
    replacement = f"{quote}{name}@{sha}{quote}"
    line_end = offsets.line_end(end)
    rest = offsets.text[end:line_end]
    if "#" not in rest:
        replacement += f" # {ref}"
    return Edit(start, end, replacement, "GHA-UNPINNED-ACTION", f"pinned {name}@{ref} to {sha}")


def _persist_edit(offsets: _Offsets, step: Step, with_node: Any) -> Edit | str | None:
    if not step.uses_action("actions/checkout") or step.uses is None:
        return None
    setting = lookup(step.with_, "persist-credentials")
    if setting is not None and setting.value is not None and setting.value.text.strip().lower() == "false":
        return None
    unsafe = _unsafe_with(offsets.text, step, with_node)
    if unsafe is not None:
        return f"{step.uses.location}: persist-credentials not added: {unsafe}"
    if setting is not None:
        if setting.value is None:
            return None
        start = offsets.of(setting.value.location)
        return Edit(
            start,
            start + len(setting.value.raw),
            "false",
            "GHA-PERSIST-CREDENTIALS",
            "persist-credentials: false",
        )
    indent = " " * ((step.location.start_column or 1) - 1)
    uses_end = offsets.line_end(offsets.of(step.uses.location) + len(step.uses.raw))
    if with_node is None:
        text = f"\n{indent}with:\n{indent}  persist-credentials: false"
        return Edit(uses_end, uses_end, text, PC, "with: persist-credentials: false")
    pairs = getattr(with_node, "value", [])
    if getattr(with_node, "flow_style", False):
        # `{a: 1}` becomes `{persist-credentials: false, a: 1}`; the rest of the line is untouched.
        at = pairs[0][0].start_mark.index if pairs else with_node.start_mark.index + 1
        text = "persist-credentials: false" + (", " if pairs else "")
        return Edit(at, at, text, PC, "persist-credentials: false")
    first = pairs[0][0].start_mark
    at = offsets.starts[first.line]
    return Edit(at, at, f"{' ' * first.column}persist-credentials: false\n", PC, "persist-credentials: false")


def _unsafe_with(text: str, step: Step, node: Any) -> str | None:
    """Why the step's `with:` cannot be edited in place, or None when it can."""
    if node is None:
        return "`with:` comes from a YAML merge key" if step.with_ else None
    start, end = node.start_mark, node.end_mark
    if text[start.index : start.index + 1] == "&":
        return "`with:` is a YAML anchor or alias; editing it would change every step that shares it"
    if getattr(node, "id", None) != "mapping":
        return "`with:` is not a mapping"
    if text[start.index : start.index + 1] == "!":
        return "`with:` carries an explicit YAML tag"
    if not node.value:
        return None if node.flow_style else "`with:` is empty"
    if node.flow_style and start.line != end.line:
        return "`with:` is a flow mapping over several lines"
    own = {k.value for k, _ in node.value if getattr(k, "id", None) == "scalar"}
    if "<<" in own and "persist-credentials" not in own and lookup(step.with_, "persist-credentials"):
        return "persist-credentials comes from a YAML merge key"
    return None


def _with_nodes(path: str, text: str) -> dict[tuple[int, int], Any]:
    """(line, column) of each step mapping -> the node of its own `with:` value."""
    root = compose(path, text)
    found: dict[tuple[int, int], Any] = {}
    for job in _values(_value(root, "jobs")):
        for step in getattr(_value(job, "steps"), "value", None) or ():
            node = _value(step, "with")
            if node is not None:
                found[(step.start_mark.line + 1, step.start_mark.column + 1)] = node
    return found


def _value(node: Any, key: str) -> Any:
    if getattr(node, "id", None) != "mapping":
        return None
    for k, v in node.value:
        if getattr(k, "id", None) == "scalar" and k.value == key:
            return v
    return None


def _values(node: Any) -> list[Any]:
    if getattr(node, "id", None) != "mapping":
        return []
    return [v for _, v in node.value]


def _permissions_edit(offsets: _Offsets, workflow: Workflow) -> Edit | str | None:
    if workflow.permissions is not None or all(job.permissions is not None for job in workflow.jobs):
        return None
    match = JOBS_KEY.search(offsets.text)
    if match is None:
        return f"{workflow.path}: permissions not added: no top-level `jobs:` key found"
    return Edit(
        match.start(),
        match.start(),
        "permissions:\n  contents: read\n\n",
        "GHA-EXCESSIVE-PERMISSIONS",
        "permissions: contents: read for every job without its own",
    )


def _edits(workflow: Workflow, offsets: _Offsets, resolve: Resolver) -> tuple[list[Edit], list[str]]:
    withs = _with_nodes(workflow.path, offsets.text)
    edits: list[Edit] = []
    left: list[str] = []

    def take(outcome: Edit | str | None) -> None:
        if isinstance(outcome, Edit):
            edits.append(outcome)
        elif outcome is not None:
            left.append(outcome)

    take(_permissions_edit(offsets, workflow))
    for job, step in _steps(workflow):
        del job
        if step.uses is not None:
            take(_pin_edit(offsets, step, step.uses, resolve))
        where = (step.location.start_line or 0, step.location.start_column or 0)
        take(_persist_edit(offsets, step, withs.get(where)))
    return edits, left


def _steps(workflow: Workflow) -> Iterable[tuple[Job, Step]]:
    return workflow.steps()


def apply(text: str, edits: Iterable[Edit]) -> str:
    ordered = sorted(edits, key=lambda e: (e.start, e.end), reverse=True)
    for edit in ordered:
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def fix_workflow(path: str, text: str, resolve: Resolver) -> FileFix:
    parsed = parse_workflow(path, text)
    if not isinstance(parsed, Workflow):
        return FileFix(path, text, text, left=[f"{path}: not fixed: {parsed.reason}"])
    edits, left = _edits(parsed, _Offsets(text), resolve)
    if not edits:
        return FileFix(path, text, text, left=left)
    after = apply(text, edits)
    reparsed = parse_workflow(path, after)
    if not isinstance(reparsed, Workflow) or reparsed.problems:
        return FileFix(path, text, text, left=[*left, f"{path}: not fixed: the edited text would not parse"])
    fixed_rules = {e.rule_id for e in edits}
    before = _counts(path, text, fixed_rules)
    remaining = _counts(path, after, fixed_rules)
    if any(remaining[r] >= before[r] for r in fixed_rules):
        return FileFix(
            path, text, text, left=[*left, f"{path}: not fixed: the edits did not remove the findings"]
        )
    return FileFix(path, text, after, applied=edits, left=left)


def _counts(path: str, text: str, rules: set[str]) -> dict[str, int]:
    scan = scan_texts([(path, text)])
    return {rule: len(scan.of(rule)) for rule in rules}


def resolver(pins: dict[tuple[str, str], str], fallback: Resolver | None = None) -> Resolver:
    def resolve(action: str, ref: str) -> str | None:
        sha = pins.get((action.lower(), ref))
        if sha is None and fallback is not None:
            sha = fallback(action, ref)
            if sha is not None:
                pins[(action.lower(), ref)] = sha
        return sha

    return resolve


def github_resolver(api_url: str, token: str | None, errors: list[str], timeout: float = 10.0) -> Resolver:
    """Resolve a ref through GitHub's commits API (`Accept: application/vnd.github.sha` answers the
    bare SHA). Read-only; each failure is noted in `errors` and resolves to None."""
    import urllib.error
    import urllib.parse
    import urllib.request

    base = api_url.rstrip("/")
    if not base.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError(f"API URL must use https (or be loopback): {api_url}")

    def resolve(action: str, ref: str) -> str | None:
        url = f"{base}/repos/{action}/commits/{urllib.parse.quote(ref, safe='')}"
        request = urllib.request.Request(url, headers={"Accept": "application/vnd.github.sha"})  # noqa: S310
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
                body: bytes = response.read(100)
            sha = body.decode("ascii", "replace").strip().lower()
        except urllib.error.HTTPError as exc:
            errors.append(f"{action}@{ref}: the API answered {exc.code}")
            return None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            errors.append(f"{action}@{ref}: {exc}")
            return None
        if not FULL_SHA.fullmatch(sha):
            errors.append(f"{action}@{ref}: the API answered something other than a commit SHA")
            return None
        return sha

    return resolve
