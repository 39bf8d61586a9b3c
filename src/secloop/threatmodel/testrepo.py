"""Generated repository and network checks: the mitigations a request over HTTP cannot see.

Repository checks look for a control in the files of the repository the model describes (pinned
actions, SBOM, signing, CODEOWNERS, ...); network checks connect to a component from outside its
trust boundary. Same placeholders as `secloop.threatmodel.testcode`.
"""

from __future__ import annotations

from secloop.threatmodel.testops import OPS_BODIES, OPS_HELPERS

REPO_HEADER = '''"""{marker}; regenerate instead of editing.

Model: {model}. Repository checks: each test looks for a mitigation in the repository the model
describes ({env}=<folder>, default the model's root as seen from this file). Tests of threats that
are still open are expected to fail (strict xfail).
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import pytest

ENV = {env!r}
ROOT = Path(os.environ.get(ENV) or Path(__file__).resolve().parent / {relative!r}).resolve()
'''

REPO_HELPERS = (
    """

def _files(*patterns: str) -> list[Path]:
    found = {p for pattern in patterns for p in ROOT.glob(pattern)}
    return sorted(p for p in found if p.is_file() and ".git" not in p.parts)


def _workflows() -> list[Path]:
    return _files(".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "Jenkinsfile")


def _mentions(files: list[Path], pattern: str) -> list[Path]:
    flags = re.IGNORECASE | re.MULTILINE
    return [f for f in files if re.search(pattern, f.read_text("utf-8", "replace"), flags)]
"""
    + OPS_HELPERS
)

REPO_BODIES: dict[str, tuple[str, str]] = {
    "repo-sbom": (
        "sbom_is_produced",
        '''    """@THREAT@: the repository keeps an SBOM or builds one in CI (@RULE@)."""
    kept = _files("**/*.cdx.json", "**/*.spdx.json", "**/*.spdx", "**/sbom*.json", "**/bom.xml")
    built = _mentions(_workflows(), r"cyclonedx|syft|spdx|sbom")
    assert kept or built, "no SBOM file and no SBOM step in CI"
''',
    ),
    "repo-pinned-dependencies": (
        "dependencies_and_actions_are_pinned",
        '''    """@THREAT@: CI actions are pinned by commit and manifests have lock files (@RULE@)."""
    loose = [f"{f.name}: {m}" for f in _workflows() for m in re.findall(
        r"uses:\\s*([\\w.-]+/[\\w./-]+@(?![0-9a-f]{40}\\b)[\\w.-]+)", f.read_text("utf-8", "replace"))]
    assert not loose, f"actions not pinned by commit: {loose[:5]}"
    locks = {"package.json": ("package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb"),
             "pyproject.toml": ("uv.lock", "poetry.lock", "pdm.lock", "requirements.txt"),
             "Gemfile": ("Gemfile.lock",), "go.mod": ("go.sum",), "Cargo.toml": ("Cargo.lock",)}
    unlocked = [str(m.relative_to(ROOT)) for name, names in locks.items() for m in _files(f"**/{name}")
                if "node_modules" not in m.parts and not any((m.parent / n).exists() for n in names)]
    assert not unlocked, f"manifests without a lock file: {unlocked[:5]}"
''',
    ),
    "repo-dependency-scanning": (
        "dependencies_are_scanned",
        '''    """@THREAT@: dependency updates or a vulnerability scan are configured (@RULE@)."""
    configured = _files(".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".renovaterc*")
    tools = r"pip-audit|npm audit|osv-scanner|trivy|grype|snyk|dependency-check|secloop deps"
    scanned = _mentions(_workflows(), tools)
    assert configured or scanned, "no Dependabot/Renovate configuration and no scan in CI"
''',
    ),
    "repo-image-scanning": (
        "images_are_scanned",
        '''    """@THREAT@: container images are scanned in CI (@RULE@)."""
    assert _mentions(_workflows(), r"trivy|grype|snyk container|docker scout|clair"), "no image scan in CI"
''',
    ),
    "repo-non-root-container": (
        "containers_do_not_run_as_root",
        '''    """@THREAT@: every Dockerfile switches to a non-root user (@RULE@)."""
    files = _files("**/Dockerfile", "**/*.Dockerfile", "**/Containerfile")
    if not files:
        pytest.skip("no Dockerfile in the repository")
    for f in files:
        text = f.read_text("utf-8", "replace")
        users = re.findall(r"^\\s*USER\\s+(\\S+)", text, re.MULTILINE | re.IGNORECASE)
        assert users and users[-1].split(":")[0] not in ("root", "0"), f"{f.relative_to(ROOT)} runs as root"
''',
    ),
    "repo-code-owners": (
        "changes_need_code_owners",
        '''    """@THREAT@: a CODEOWNERS file names reviewers for changes (@RULE@)."""
    owners = _files("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
    named = any(re.search(r"^[^#\\s]", f.read_text("utf-8"), re.MULTILINE) for f in owners)
    assert named, "no CODEOWNERS file with an owner"
''',
    ),
    "repo-artifact-signing": (
        "artifacts_are_signed",
        '''    """@THREAT@: CI signs artifacts or attests their provenance (@RULE@)."""
    pattern = r"cosign sign|sigstore|slsa-github-generator|attest-build-provenance|notation sign|gpg --detach"
    assert _mentions(_workflows(), pattern), "no signing or provenance step in CI"
''',
    ),
    "repo-signature-verification": (
        "deployments_verify_signatures",
        '''    """@THREAT@: deployment verifies artifact signatures or provenance (@RULE@)."""
    pattern = r"cosign verify|slsa-verifier|gh attestation verify|notation verify|policy-controller|kyverno"
    assert _mentions(_workflows() + _files("**/*.yaml", "**/*.yml"), pattern), "no verification step"
''',
    ),
    "repo-deploy-environments": (
        "deployments_use_protected_environments",
        '''    """@THREAT@: workflows that deploy run in a (protected) environment (@RULE@)."""
    deploying = _mentions(_workflows(), r"deploy")
    unprotected = [f.name for f in deploying if not _mentions([f], r"^\\s*environment:")]
    assert not unprotected, f"deploying without an environment: {unprotected}"
''',
    ),
    "repo-no-pr-target-checkout": (
        "pull_request_target_does_not_run_pr_code",
        '''    """@THREAT@: no pull_request_target workflow checks out the pull request's code (@RULE@)."""
    risky = [f.name for f in _mentions(_workflows(), r"pull_request_target")
             if _mentions([f], r"github\\.event\\.pull_request\\.head\\.(sha|ref)|refs/pull/")]
    assert not risky, f"pull_request_target runs pull-request code: {risky}"
''',
    ),
    "repo-no-secrets": (
        "no_credentials_in_the_repository",
        '''    """@THREAT@: no private keys or cloud and platform tokens are committed (@RULE@)."""
    patterns = [
        "-----BEGIN [A-Z ]*" + "PRIVATE KEY-----",
        r"\\b(AKIA|ASIA)[0-9A-Z]{16}\\b",
        r"\\bgh[pousr]_[A-Za-z0-9]{36}\\b",
        r"\\bxox[baprs]-[0-9A-Za-z-]{10,}",
        r"\\bAIza[0-9A-Za-z_-]{35}\\b",
    ]
    skip = {"node_modules", "venv", "__pycache__", "dist", "build", "vendor"}
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and (d == ".github" or not d.startswith("."))]
        for name in names:
            path = Path(folder) / name
            if path.stat().st_size > 1_000_000:
                continue
            text = path.read_text("utf-8", "replace")
            found += [str(path.relative_to(ROOT)) for p in patterns if re.search(p, text)]
    assert not found, f"credentials in: {sorted(set(found))[:10]}"
''',
    ),
}

REPO_BODIES.update(OPS_BODIES)
REPO_KINDS: tuple[str, ...] = tuple(REPO_BODIES)


NET_HEADER = '''"""{marker}; regenerate instead of editing.

Model: {model}. Network checks, meant to run from outside the trust boundaries (a CI runner, a
laptop): each test connects to a component at the address in its environment variable and skips
when that is unset. Tests of threats that are still open are expected to fail (strict xfail).
"""

from __future__ import annotations

import os
import socket

import pytest

TIMEOUT = float(os.environ.get("SECLOOP_TM_TIMEOUT", "3"))


def _connects(env: str) -> bool:
    address = os.environ.get(env, "")
    if not address:
        pytest.skip(f"set {{env}}=host:port of the component")
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=TIMEOUT):
            return True
    except OSError:
        return False
'''

NET_BODIES: dict[str, tuple[str, str]] = {
    "store-unreachable": (
        "store_is_unreachable_from_outside",
        '''    """@THREAT@: the data store does not accept connections from outside its boundary (@RULE@)."""
    assert not _connects(@ENV@), f"connected to {os.environ[@ENV@]} from outside the trust boundary"
''',
    ),
}

NET_KINDS: tuple[str, ...] = tuple(NET_BODIES)
