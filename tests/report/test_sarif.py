from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from secloop.core.enums import BaselineState, Confidence, Severity, Stage, Status
from secloop.core.model import Finding, Location, PracticeResult
from secloop.report import sarif
from secloop.report.interface import RenderInput

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8"))


def _validate(doc: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def _doc(data: RenderInput) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sarif.render(data))
    return doc


def _run(data: RenderInput) -> dict[str, Any]:
    run: dict[str, Any] = _doc(data)["runs"][0]
    return run


def _result(run: dict[str, Any], fingerprint: str) -> dict[str, Any]:
    (found,) = [r for r in run["results"] if r["partialFingerprints"]["secloop/v1"] == fingerprint]
    result: dict[str, Any] = found
    return result


def _empty(data: RenderInput) -> RenderInput:
    a = replace(
        data.assessment,
        commit=None,
        results=(),
        metrics=(),
        snapshots=(),
        next_steps=(),
        skipped=(),
        gate=None,
    )
    return replace(data, assessment=a)


def test_sample_validates_against_the_official_schema(sample_assessment: RenderInput) -> None:
    doc = _doc(sample_assessment)
    _validate(doc)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1


def test_empty_assessment_validates_and_has_no_results(sample_assessment: RenderInput) -> None:
    doc = _doc(_empty(sample_assessment))
    _validate(doc)
    run = doc["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    assert "versionControlProvenance" not in run
    assert run["properties"] == {
        "target": "shop",
        "commit": None,
        "as_of": "2025-06-01T12:00:00Z",
        "config_digest": "sha256:c0ffee",
    }


def test_driver_identifies_secloop(sample_assessment: RenderInput) -> None:
    driver = _run(sample_assessment)["tool"]["driver"]
    assert {k: v for k, v in driver.items() if k != "rules"} == {
        "name": "secloop",
        "version": "0.1.0",
        "semanticVersion": "0.1.0",
        "informationUri": "https://secloop.dev",
    }


def test_rules_come_from_the_registry_for_rules_that_occur(sample_assessment: RenderInput) -> None:
    rules = _run(sample_assessment)["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["TEST-PPE", "TEST-SECRET", "TEST-XSS"]
    assert rules[0] == {
        "id": "TEST-PPE",
        "name": "UntrustedCheckoutInPrivilegedWorkflow",
        "shortDescription": {"text": "Untrusted checkout in privileged workflow"},
        "fullDescription": {"text": "A pull_request_target workflow checks out the pull request's head."},
        "help": {
            "text": "A pull_request_target workflow checks out the pull request's head.\n\n"
            "Fix: Check out the base ref, or split the workflow.",
            "markdown": "A pull_request_target workflow checks out the pull request's head.\n\n"
            "**Fix:** Check out the base ref, or split the workflow.\n\n"
            "[Documentation](https://secloop.dev/docs/rules#test-ppe)",
        },
        "helpUri": "https://secloop.dev/docs/rules#test-ppe",
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "pipeline", "CWE-829", "CICD-SEC-4"],
            "precision": "high",
            "security-severity": "8.0",
        },
    }
    assert rules[1]["properties"]["security-severity"] == "9.5"
    assert rules[2]["properties"]["tags"] == ["security", "build", "CWE-79", "ASVS-5.3.3"]
    assert rules[2]["defaultConfiguration"] == {"level": "warning"}


def test_rule_only_declared_in_registry_is_not_listed_when_absent(sample_assessment: RenderInput) -> None:
    only_xss = tuple(r for r in sample_assessment.assessment.results if r.practice_id.startswith("build."))
    data = replace(sample_assessment, assessment=replace(sample_assessment.assessment, results=only_xss))
    run = _run(data)
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["TEST-XSS"]
    assert [r["ruleIndex"] for r in run["results"]] == [0]


def test_new_finding_is_rendered_exactly(sample_assessment: RenderInput) -> None:
    assert _result(_run(sample_assessment), "fp-secret-new") == {
        "ruleId": "TEST-SECRET",
        "ruleIndex": 1,
        "level": "error",
        "message": {"text": "Token ghp_abcd… (sha256 1f2e3d4c) committed"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "src/app%20config.py", "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": 12,
                        "startColumn": 5,
                        "endLine": 12,
                        "endColumn": 45,
                        "snippet": {"text": "TOKEN = 'ghp_abcd…'"},
                    },
                }
            }
        ],
        "partialFingerprints": {"secloop/v1": "fp-secret-new"},
        "baselineState": "new",
        "properties": {
            "confidence": "high",
            "practice": "code.secrets",
            "severity": "critical",
            "fix": "Revoke the token.",
        },
    }


def test_baseline_unchanged_finding_keeps_related_locations(sample_assessment: RenderInput) -> None:
    result = _result(_run(sample_assessment), "fp-xss-unchanged")
    assert result["baselineState"] == "unchanged"
    assert result["level"] == "warning"
    assert "suppressions" not in result
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "web/views.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 40, "startColumn": 9},
            }
        }
    ]
    assert result["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "web/templates/search.html", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 7},
            },
        }
    ]
    assert result["properties"] == {
        "sink": "safe-filter",
        "confidence": "medium",
        "practice": "build.sast",
        "severity": "medium",
    }


def test_inline_suppression_is_in_source_with_its_location(sample_assessment: RenderInput) -> None:
    result = _result(_run(sample_assessment), "fp-secret-inline")
    assert result["baselineState"] == "new"
    assert result["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "test fixture, not a real key",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "tests/fixtures/key.txt", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 3},
                }
            },
            "properties": {"secloop/kind": "inline", "source": "tests/fixtures/key.txt:3"},
        }
    ]


def test_config_suppression_is_external_with_expiry(sample_assessment: RenderInput) -> None:
    result = _result(_run(sample_assessment), "fp-ppe-config")
    assert result["ruleIndex"] == 0
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "tracked in SEC-12",
            "properties": {"secloop/kind": "config", "expires": "2025-09-30", "source": "secloop.toml"},
        }
    ]


def test_results_are_sorted_by_location_and_stable(sample_assessment: RenderInput) -> None:
    run = _run(sample_assessment)
    assert [r["partialFingerprints"]["secloop/v1"] for r in run["results"]] == [
        "fp-ppe-config",
        "fp-secret-new",
        "fp-secret-inline",
        "fp-xss-unchanged",
    ]
    a = sample_assessment.assessment
    shuffled = replace(
        sample_assessment,
        assessment=replace(a, results=a.results[::-1], skipped=a.skipped[::-1]),
    )
    assert sarif.render(shuffled) == sarif.render(sample_assessment)


def test_skipped_become_tool_execution_notifications(sample_assessment: RenderInput) -> None:
    invocation = _run(sample_assessment)["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {"text": "YAML parse error: mapping values are not allowed here"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": ".github/workflows/broken.yml", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 7, "startColumn": 3},
                    }
                }
            ],
        },
        {
            "level": "warning",
            "message": {"text": "binary file over the 1 MiB limit"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "assets/big.bin", "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
        },
    ]


def test_run_carries_base_ids_gate_and_provenance_properties(sample_assessment: RenderInput) -> None:
    run = _run(sample_assessment)
    assert run["originalUriBaseIds"] == {
        "%SRCROOT%": {"description": {"text": "The root of the assessed repository shop"}}
    }
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["properties"] == {
        "target": "shop",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "as_of": "2025-06-01T12:00:00Z",
        "config_digest": "sha256:c0ffee",
        "snapshots": {"osv": "2025-05-31"},
        "gate": {
            "passed": False,
            "fail_on": "high",
            "fail_on_unknown": True,
            "reasons": [
                "1 active finding(s) at or above high (worst: critical)",
                "1 required practice(s) unknown: build.sca",
            ],
        },
    }
    # "shop" is no absolute URI, and SARIF requires one for repositoryUri.
    assert "versionControlProvenance" not in run


def test_version_control_provenance_when_target_is_a_repository_uri(sample_assessment: RenderInput) -> None:
    a = replace(sample_assessment.assessment, target="https://github.com/example/shop")
    doc = _doc(replace(sample_assessment, assessment=a))
    _validate(doc)
    assert doc["runs"][0]["versionControlProvenance"] == [
        {
            "repositoryUri": "https://github.com/example/shop",
            "revisionId": "0123456789abcdef0123456789abcdef01234567",
            "mappedTo": {"uriBaseId": "%SRCROOT%"},
        }
    ]
    no_commit = replace(a, commit=None)
    assert "versionControlProvenance" not in _run(replace(sample_assessment, assessment=no_commit))


def test_finding_without_location_or_registered_rule(sample_assessment: RenderInput) -> None:
    orphan = Finding(
        rule_id="TEST-UNREGISTERED",
        severity=Severity.LOW,
        confidence=Confidence.LOW,
        message="repository-wide observation",
        locations=(),
        fingerprint="fp-orphan",
        suppression=None,
        baseline_state=BaselineState.NEW,
    )
    result = PracticeResult(
        "plan.threat-model", Stage.PLAN, Status.PARTIAL, 50, "partial", findings=(orphan,)
    )
    a = replace(sample_assessment.assessment, results=(result,), skipped=())
    doc = _doc(replace(sample_assessment, assessment=a))
    _validate(doc)
    run = doc["runs"][0]
    assert run["tool"]["driver"]["rules"] == []
    assert run["results"] == [
        {
            "ruleId": "TEST-UNREGISTERED",
            "level": "note",
            "message": {"text": "repository-wide observation"},
            "partialFingerprints": {"secloop/v1": "fp-orphan"},
            "baselineState": "new",
            "properties": {"confidence": "low", "practice": "plan.threat-model", "severity": "low"},
        }
    ]


def test_skipped_without_path_has_no_location(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    skipped = (replace(a.skipped[0], path="", line=None, column=None),)
    run = _run(replace(sample_assessment, assessment=replace(a, skipped=skipped)))
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {"level": "warning", "message": {"text": "YAML parse error: mapping values are not allowed here"}}
    ]


def test_location_without_line_has_no_region(sample_assessment: RenderInput) -> None:
    a = sample_assessment.assessment
    finding = replace(a.results[0].findings[0], locations=(Location("C:\\repo\\file name.py"),))
    results = (replace(a.results[0], findings=(finding,)),)
    run = _run(replace(sample_assessment, assessment=replace(a, results=results)))
    assert run["results"][0]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "C%3A/repo/file%20name.py", "uriBaseId": "%SRCROOT%"}
            }
        }
    ]


@pytest.mark.parametrize(
    ("severity", "score", "level"),
    [
        (Severity.CRITICAL, "9.5", "error"),
        (Severity.HIGH, "8.0", "error"),
        (Severity.MEDIUM, "5.5", "warning"),
        (Severity.LOW, "3.0", "note"),
        (Severity.INFO, "0.0", "note"),
    ],
)
def test_security_severity_and_level(severity: Severity, score: str, level: str) -> None:
    assert sarif.SECURITY_SEVERITY[severity] == score
    assert severity.sarif_level == level


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Hard-coded AWS access key", "HardCodedAWSAccessKey"),
        ("pull_request_target with checkout", "PullRequestTargetWithCheckout"),
        ("  spaced   out  ", "SpacedOut"),
    ],
)
def test_pascal_case(title: str, name: str) -> None:
    assert sarif.pascal_case(title) == name


def test_output_is_deterministic_json(sample_assessment: RenderInput) -> None:
    first = sarif.render(sample_assessment)
    assert first == sarif.render(sample_assessment)
    assert first.endswith("}\n")
    assert "2025-06-01T12:00:00Z" in first
