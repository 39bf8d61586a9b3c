"""Dockerfiles: the user the image runs as, base image pins, remote ADD, secrets baked into layers,
piping a download into a shell.

The unpinned-base-image check shares `DOCKER-UNPINNED-BASE-IMAGE` (declared once in
`secloop.iac.base_image`) and its fingerprint (path + image) with the operate evaluator, so both
report the same finding the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.enums import Severity
from secloop.iac.base_image import UNPINNED_BASE_IMAGE
from secloop.iac.model import Framework, Instruction, Resource, Violation
from secloop.iac.parsers.docker import assignments
from secloop.iac.policies.interface import Policy, Project, iac_rule, policy, violation
from secloop.iac.policies.kubernetes import image_pin

DOCKER = Framework.DOCKERFILE
_ROOT_USER = re.compile(r"^(root|0)(:.*)?$")
_SECRET_NAME = re.compile(
    r"(?i)(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH)(_|$)"
)
_NOT_SECRET = re.compile(r"(?i)_(FILE|PATH|DIR|URL|URI|NAME|ID|HOST|PORT|TYPE|LENGTH|TTL|HEADER)$")
_PIPE_SHELL = re.compile(
    r"\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/usr)?(?:/bin/)?"
    r"(?:ba|z|da|k|a)?sh\b|\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:python3?|perl|ruby|node)\b"
)

ROOT_USER = iac_rule(
    "IAC-DOCKER-ROOT-USER",
    "Container image runs as root",
    Severity.MEDIUM,
    "The final stage sets no USER (or sets root), so the application runs as UID 0 inside the "
    "container; a compromise or a container escape starts as root.",
    "Create an unprivileged user and end the Dockerfile with `USER app` (or a numeric UID).",
    (250,),
    "docker",
)
ADD_URL = iac_rule(
    "IAC-DOCKER-ADD-URL",
    "ADD downloads from a URL without a checksum",
    Severity.MEDIUM,
    "ADD fetches a remote file at build time without verifying it, so a changed or compromised "
    "download ends up in the image.",
    "Use `ADD --checksum=sha256:…` or download with curl and check the hash in the same RUN.",
    (494,),
    "docker",
    "supply-chain",
)
SECRET_ENV = iac_rule(
    "IAC-DOCKER-SECRET-ENV",
    "Secret passed through ENV or ARG",
    Severity.HIGH,
    "ENV values are stored in the image config and ARG values in its build history: anyone who can "
    "pull the image can read them.",
    "Use BuildKit secrets (`RUN --mount=type=secret,id=…`) at build time and inject runtime secrets "
    "from the orchestrator.",
    (538,),
    "docker",
    "secrets",
)
PIPE_SHELL = iac_rule(
    "IAC-DOCKER-CURL-PIPE-SHELL",
    "RUN pipes a download into a shell",
    Severity.HIGH,
    "`curl … | sh` runs whatever the server returns at build time, unreviewed and unverified.",
    "Download to a file, verify its checksum or signature, then run it.",
    (494,),
    "docker",
    "supply-chain",
)


def _stages(resource: Resource) -> tuple[list[Instruction], dict[str, int]]:
    froms = [i for i in resource.instructions if i.keyword == "FROM"]
    names: dict[str, int] = {}
    for instruction in froms:
        words = [w for w in instruction.value.split() if not w.startswith("--")]
        if len(words) >= 3 and words[1].lower() == "as":
            names[words[2].lower()] = instruction.stage
    return froms, names


def _image(instruction: Instruction) -> str:
    words = [w for w in instruction.value.split() if not w.startswith("--")]
    return words[0] if words else ""


def root_user(resource: Resource, _project: Project) -> Iterator[Violation]:
    froms, names = _stages(resource)
    stage = froms[-1].stage
    seen: set[int] = set()
    while stage not in seen:
        seen.add(stage)
        users = [i for i in resource.instructions if i.stage == stage and i.keyword == "USER"]
        if users:
            user = users[-1].value.strip()
            if _ROOT_USER.match(user):
                yield violation(resource, "user", users[-1].line, f"the image runs as {user}")
            return
        image = _image(froms[stage])
        parent = names.get(image.lower())
        if parent is None:
            if "nonroot" not in image and "rootless" not in image:
                yield violation(
                    resource,
                    "user",
                    froms[-1].line,
                    f"no USER in the final stage: the image runs as the user of {image}, "
                    "root unless that image says otherwise",
                )
            return
        stage = parent


def unpinned_base(resource: Resource, _project: Project) -> Iterator[Violation]:
    _froms, names = _stages(resource)
    for instruction in (i for i in resource.instructions if i.keyword == "FROM"):
        image = _image(instruction)
        if (
            (image.lower() in names and names[image.lower()] < instruction.stage)
            or image.lower() == "scratch"
            or "$" in image
        ):
            continue
        pin = image_pin(image)
        if pin in ("latest", "untagged"):
            why = "the :latest tag moves" if pin == "latest" else "no tag means :latest, which moves"
            yield violation(
                resource,
                image,
                instruction.line,
                f"base image '{image}' is not pinned: {why}; pin a version tag or a digest",
            )


def add_url(resource: Resource, _project: Project) -> Iterator[Violation]:
    for instruction in (i for i in resource.instructions if i.keyword == "ADD"):
        words = instruction.value.split()
        if any(w.startswith("--checksum") for w in words):
            continue
        urls = [w for w in words[:-1] if w.startswith(("http://", "https://"))]
        for url in urls:
            yield violation(
                resource, f"add:{url}", instruction.line, f"ADD downloads {url} without a checksum"
            )


def secret_env(resource: Resource, _project: Project) -> Iterator[Violation]:
    for instruction in (i for i in resource.instructions if i.keyword in ("ENV", "ARG")):
        for name, value in assignments(instruction.raw):
            if not _SECRET_NAME.search(name) or _NOT_SECRET.search(name):
                continue
            if instruction.keyword == "ENV" and not value:
                continue
            yield violation(
                resource,
                f"{instruction.keyword}:{name}",
                instruction.line,
                f"{instruction.keyword} {name} puts a secret into the image",
            )


def pipe_shell(resource: Resource, _project: Project) -> Iterator[Violation]:
    for instruction in (i for i in resource.instructions if i.keyword == "RUN"):
        match = _PIPE_SHELL.search(instruction.value)
        if match:
            yield violation(
                resource,
                f"run:{match.group(0)}",
                instruction.line,
                f"RUN pipes a download into a shell: {match.group(0)[:60]}",
            )


def _image_key(v: Violation) -> tuple[str, ...]:
    return (v.attribute,)


POLICIES = (
    policy(ROOT_USER, DOCKER, ["Dockerfile"], root_user),
    Policy(UNPINNED_BASE_IMAGE, DOCKER, frozenset({"Dockerfile"}), unpinned_base, key=_image_key),
    policy(ADD_URL, DOCKER, ["Dockerfile"], add_url),
    policy(SECRET_ENV, DOCKER, ["Dockerfile"], secret_env),
    policy(PIPE_SHELL, DOCKER, ["Dockerfile"], pipe_shell),
)
