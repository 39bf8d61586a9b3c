"""Engine-backed `release.canary`, `release.blue-green` and `release.ab-testing`.

Each keeps what the repository-content evaluator detects (its status, summary and evidence) and adds
the engine's facts: Argo Rollouts and Flagger resources checked for an automated analysis, secloop
canary-judge and experiment files validated with the engines' own parsers, and the CI steps that run
`secloop canary judge|bluegreen` or `secloop experiment analyze`.
"""

from __future__ import annotations

import re
import shlex
import weakref
from dataclasses import dataclass, field, replace

from secloop.core.enums import Status
from secloop.core.errors import InputError
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.release import (
    evaluate_ab_testing,
    evaluate_blue_green,
    evaluate_canary,
    flagger_style,
)
from secloop.release.canary.config import parse_config
from secloop.release.canary.rules import (
    ANALYSIS_TEMPLATE_MISSING,
    BLUEGREEN_NO_PREPROMOTION,
    CANARY_NO_ANALYSIS,
    EXPERIMENT_INVALID,
    JUDGE_CONFIG_INVALID,
)
from secloop.release.experiment.analyze import parse_experiment
from secloop.sources.manifests import KubeObject, inventory
from secloop.sources.repo import Repo
from secloop.sources.yaml_lines import YamlMap, get_map, load_yaml

_JUDGE_CMD = re.compile(r"\bsecloop\s+canary\s+(judge|bluegreen)\b([^\n;&|]*)")
_EXPERIMENT_CMD = re.compile(r"\bsecloop\s+experiment\s+analyze\b([^\n;&|]*)")
_JUDGE_FILES = r"(^|/)(canary[-_.]judge|\.secloop/canary[^/]*)\.(ya?ml|json)$"
_EXPERIMENT_FILES = r"(^|/)experiments?/[^/]+\.(ya?ml|json)$"
_TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")


def _finding(rule: Rule, message: str, path: str, line: int | None, *key: str) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=(Location(path, line),),
        fingerprint=keyed_fingerprint(rule.id, path, *key),
        fix=rule.fix,
    )


@dataclass
class Facts:
    canary: list[str] = field(default_factory=list)
    bluegreen: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    canary_findings: list[Finding] = field(default_factory=list)
    bluegreen_findings: list[Finding] = field(default_factory=list)
    experiment_findings: list[Finding] = field(default_factory=list)
    judged_in_ci: list[str] = field(default_factory=list)  # CI steps running the canary judge
    bluegreen_in_ci: list[str] = field(default_factory=list)
    judged_bluegreen: int = 0  # blue/green resources with a pre-promotion analysis
    unjudged_bluegreen: int = 0


def _template_refs(node: object) -> list[tuple[str, bool]]:
    """(templateName, cluster-scoped) of an analysis block."""
    refs = node.get("templates") if isinstance(node, dict) else None
    out: list[tuple[str, bool]] = []
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict):
            if ref.get("clusterTemplateName"):
                out.append((str(ref["clusterTemplateName"]), True))
            elif ref.get("templateName"):
                out.append((str(ref["templateName"]), bool(ref.get("clusterScope"))))
    return out


def _check_refs(
    facts: Facts, obj: KubeObject, refs: list[tuple[str, bool]], defined: set[str], line: int
) -> None:
    for name, cluster in refs:
        if not cluster and name not in defined:
            message = (
                f"Rollout '{obj.name}' uses AnalysisTemplate '{name}', which the repository does not define"
            )
            facts.canary_findings.append(
                _finding(ANALYSIS_TEMPLATE_MISSING, message, obj.path, line, obj.name, name)
            )


def _argo(facts: Facts, obj: KubeObject, strategy: YamlMap, defined: set[str]) -> None:
    canary = strategy.get("canary")
    if isinstance(canary, YamlMap):
        steps = canary.get("steps")
        blocks = (
            [s["analysis"] for s in steps if isinstance(s, dict) and "analysis" in s]
            if isinstance(steps, list)
            else []
        )
        if "analysis" in canary:
            blocks.append(canary["analysis"])
        refs = [ref for block in blocks for ref in _template_refs(block)]
        line = strategy.line_of("canary")
        if refs:
            names = ", ".join(sorted({n for n, _ in refs}))
            facts.canary.append(f"{obj.path}:{line}: Argo Rollout '{obj.name}' canary analysed by {names}")
            _check_refs(facts, obj, refs, defined, line)
        else:
            message = f"Argo Rollout '{obj.name}' runs a canary without any analysis template"
            facts.canary_findings.append(_finding(CANARY_NO_ANALYSIS, message, obj.path, line, obj.name))
    bluegreen = strategy.get("blueGreen")
    if isinstance(bluegreen, YamlMap):
        line = strategy.line_of("blueGreen")
        pre = _template_refs(bluegreen.get("prePromotionAnalysis"))
        post = _template_refs(bluegreen.get("postPromotionAnalysis"))
        _check_refs(facts, obj, pre + post, defined, line)
        if pre:
            facts.judged_bluegreen += 1
            names = ", ".join(sorted({n for n, _ in pre}))
            facts.bluegreen.append(
                f"{obj.path}:{line}: Argo Rollout '{obj.name}' judges green before promotion ({names})"
            )
        elif bluegreen.get("autoPromotionEnabled") is False:
            facts.judged_bluegreen += 1
            facts.bluegreen.append(
                f"{obj.path}:{line}: Argo Rollout '{obj.name}' waits for a manual promotion"
            )
        else:
            facts.unjudged_bluegreen += 1
            message = f"Argo Rollout '{obj.name}' promotes green automatically without a prePromotionAnalysis"
            facts.bluegreen_findings.append(
                _finding(BLUEGREEN_NO_PREPROMOTION, message, obj.path, line, obj.name)
            )


def _flagger(facts: Facts, obj: KubeObject) -> None:
    style = flagger_style(obj)
    if style is None:
        return
    metrics = style.analysis.get("metrics") if style.analysis is not None else None
    names = (
        [str(m.get("name", "?")) for m in metrics if isinstance(m, dict)] if isinstance(metrics, list) else []
    )
    if style.style == "blue-green":
        if names:
            facts.judged_bluegreen += 1
            facts.bluegreen.append(
                f"{obj.path}:{style.line}: Flagger Canary '{obj.name}' judges green on {', '.join(names)}"
            )
        else:
            facts.unjudged_bluegreen += 1
            message = f"Flagger Canary '{obj.name}' runs blue/green without metrics"
            facts.bluegreen_findings.append(
                _finding(BLUEGREEN_NO_PREPROMOTION, message, obj.path, style.line, obj.name)
            )
    elif style.style == "canary":
        if names:
            facts.canary.append(
                f"{obj.path}:{style.line}: Flagger Canary '{obj.name}' analyses {', '.join(names)}"
            )
        else:
            message = f"Flagger Canary '{obj.name}' shifts traffic without analysis metrics"
            facts.canary_findings.append(
                _finding(CANARY_NO_ANALYSIS, message, obj.path, style.line, obj.name)
            )


def _first_path(arguments: str) -> str | None:
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = "=" not in word and word not in ("--help",)
            continue
        return word
    return None


def _validate_judge(repo: Repo, path: str, facts: Facts, where: str) -> None:
    text = repo.read_text(path)
    if text is None:
        facts.canary.append(f"{where}: judge config {path} is not in the repository")
        return
    try:
        config = parse_config(text, path)
    except InputError as exc:
        line = exc.place.line if exc.place else None
        message = f"canary judge config does not validate: {exc.message}"
        facts.canary_findings.append(_finding(JUDGE_CONFIG_INVALID, message, path, line, exc.message))
        return
    critical = sum(1 for m in config.metrics if m.critical)
    security = sum(1 for m in config.metrics if m.kind.is_security)
    facts.canary.append(
        f"{path}: canary judge config with {len(config.metrics)} metrics "
        f"({critical} critical, {security} security)"
    )


def _validate_experiment(repo: Repo, path: str, facts: Facts, named: bool) -> None:
    text = repo.read_text(path)
    if text is None:
        return
    if not named:
        docs, skipped = load_yaml(text, path)
        root = docs[0] if docs and skipped is None else None
        if not isinstance(root, YamlMap) or "variations" not in root or "metrics" not in root:
            return  # not an experiment summary
    try:
        experiment = parse_experiment(text, path)
    except InputError as exc:
        line = exc.place.line if exc.place else None
        message = f"experiment does not validate: {exc.message}"
        facts.experiment_findings.append(_finding(EXPERIMENT_INVALID, message, path, line, exc.message))
        return
    names = ", ".join(v.name for v in experiment.variations)
    facts.experiments.append(f"{path}: experiment with {len(experiment.metrics)} metrics over {names}")


_CACHE: weakref.WeakKeyDictionary[Repo, Facts] = weakref.WeakKeyDictionary()


def collect(repo: Repo) -> Facts:
    """The release facts of ``repo``, gathered once for the three practices."""
    found = _CACHE.get(repo)
    if found is None:
        found = _CACHE[repo] = _collect(repo)
    return found


def _collect(repo: Repo) -> Facts:
    inv = inventory(repo)
    facts = Facts()
    defined = {obj.name for obj in inv.kube if obj.kind in _TEMPLATE_KINDS}
    for obj in inv.kube:
        if obj.kind == "Rollout" and obj.api_version.startswith("argoproj.io/"):
            strategy = get_map(obj.body, "spec", "strategy")
            if strategy is not None:
                _argo(facts, obj, strategy, defined)
        _flagger(facts, obj)
    judges: dict[str, str] = {}
    experiments: set[str] = set()
    for job in inv.jobs:
        for command in job.commands:
            for found in _JUDGE_CMD.finditer(command):
                config = _first_path(found.group(2))
                line = f"{job.where}: job '{job.name}' runs `secloop canary {found.group(1)}`"
                (facts.bluegreen_in_ci if found.group(1) == "bluegreen" else facts.judged_in_ci).append(line)
                if config:
                    judges.setdefault(config.removeprefix("./"), job.where)
            for found in _EXPERIMENT_CMD.finditer(command):
                facts.experiments.append(f"{job.where}: job '{job.name}' runs `secloop experiment analyze`")
                target = _first_path(found.group(1))
                if target:
                    experiments.add(target.removeprefix("./"))
    for path in repo.find(_JUDGE_FILES):
        judges.setdefault(path, path)
    for path, where in sorted(judges.items()):
        _validate_judge(repo, path, facts, where)
    for path in sorted(set(repo.find(_EXPERIMENT_FILES)) | experiments):
        _validate_experiment(repo, path, facts, path in experiments)
    return facts


def _merge(
    base: PracticeResult, evidence: list[str], findings: list[Finding], status: Status, summary: str
) -> PracticeResult:
    merged = tuple(dict.fromkeys([*base.evidence, *evidence]))
    score = (
        base.score
        if status is base.status
        else {Status.PASS: 100, Status.PARTIAL: 50}.get(status, base.score)
    )
    ordered = tuple(sorted((*base.findings, *findings), key=Finding.sort_key))
    return replace(base, status=status, summary=summary, evidence=merged, findings=ordered, score=score)


def evaluate_canary_engine(ctx: Context) -> PracticeResult:
    base = evaluate_canary(ctx)
    facts = collect(ctx.repo)
    evidence = facts.judged_in_ci + facts.canary
    status, summary = base.status, base.summary
    judge_ok = facts.judged_in_ci and not any(
        f.rule_id == JUDGE_CONFIG_INVALID.id for f in facts.canary_findings
    )
    if judge_ok and status is not Status.PASS:
        status, summary = Status.PASS, "canary releases are judged by `secloop canary judge` in CI"
    return _merge(base, evidence, facts.canary_findings, status, summary)


def evaluate_blue_green_engine(ctx: Context) -> PracticeResult:
    base = evaluate_blue_green(ctx)
    facts = collect(ctx.repo)
    evidence = facts.bluegreen_in_ci + facts.bluegreen
    status, summary = base.status, base.summary
    if facts.bluegreen_in_ci and status is not Status.PASS:
        status, summary = Status.PASS, "green is judged by `secloop canary bluegreen` in CI before the switch"
    elif (
        status is Status.PASS
        and facts.unjudged_bluegreen
        and not facts.judged_bluegreen
        and not facts.bluegreen_in_ci
    ):
        status, summary = (
            Status.PARTIAL,
            "blue/green is configured, but green is promoted without a pre-promotion check",
        )
    return _merge(base, evidence, facts.bluegreen_findings, status, summary)


def evaluate_ab_testing_engine(ctx: Context) -> PracticeResult:
    base = evaluate_ab_testing(ctx)
    facts = collect(ctx.repo)
    status, summary = base.status, base.summary
    valid = [line for line in facts.experiments if ": experiment with " in line]
    if valid and status is not Status.PASS:
        status, summary = (
            Status.PASS,
            "experiments are defined and analysed with `secloop experiment analyze`",
        )
    return _merge(base, facts.experiments, facts.experiment_findings, status, summary)


EVALUATORS: dict[str, Evaluator] = {
    "release.canary": evaluate_canary_engine,
    "release.blue-green": evaluate_blue_green_engine,
    "release.ab-testing": evaluate_ab_testing_engine,
}
