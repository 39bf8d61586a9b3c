"""docker-compose services: privileged mode, host namespaces, the Docker socket, added capabilities."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.enums import Severity
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import Project, as_list, iac_rule, policy, truthy, violation
from secloop.sources.yaml_lines import YamlMap

COMPOSE = Framework.COMPOSE
_SOCKETS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
)

PRIVILEGED = iac_rule(
    "IAC-COMPOSE-PRIVILEGED",
    "Compose service runs privileged",
    Severity.HIGH,
    "`privileged: true` gives the container every capability and the host's devices.",
    "Remove `privileged: true`; add only the capabilities the process needs with `cap_add`.",
    (250,),
    "docker",
)
HOST_NAMESPACE = iac_rule(
    "IAC-COMPOSE-HOST-NAMESPACE",
    "Compose service shares a host namespace",
    Severity.MEDIUM,
    "`network_mode: host`, `pid: host` or `ipc: host` removes the isolation between the container and "
    "the host's network, processes or shared memory.",
    "Remove the setting; publish ports with `ports:`.",
    (668,),
    "docker",
)
DOCKER_SOCKET = iac_rule(
    "IAC-COMPOSE-DOCKER-SOCKET",
    "Compose service mounts the container runtime socket",
    Severity.HIGH,
    "Whoever controls a container with /var/run/docker.sock mounted can start a privileged container "
    "and own the host.",
    "Do not mount the socket; use a socket proxy that allows only the calls needed, read-only.",
    (250,),
    "docker",
)
CAPABILITIES = iac_rule(
    "IAC-COMPOSE-CAPABILITIES",
    "Compose service adds Linux capabilities",
    Severity.MEDIUM,
    "Capabilities such as SYS_ADMIN or NET_ADMIN give the container root-like powers over the kernel "
    "and the network.",
    "Remove `cap_add` entries other than NET_BIND_SERVICE; add `cap_drop: [ALL]`.",
    (250,),
    "docker",
)


def privileged(service: Resource, _project: Project) -> Iterator[Violation]:
    if truthy(service.body.get("privileged")):
        yield violation(
            service,
            "privileged",
            service.body.line_of("privileged"),
            f"service '{service.name}' is privileged",
        )


def host_namespace(service: Resource, _project: Project) -> Iterator[Violation]:
    for key in ("network_mode", "pid", "ipc"):
        if service.body.get(key) == "host":
            yield violation(
                service, key, service.body.line_of(key), f"service '{service.name}' sets {key}: host"
            )


def docker_socket(service: Resource, _project: Project) -> Iterator[Violation]:
    for volume in as_list(service.body.get("volumes")):
        source = volume.get("source") if isinstance(volume, YamlMap) else str(volume).split(":", 1)[0]
        if isinstance(source, str) and source.rstrip("/") in _SOCKETS:
            line = volume.line if isinstance(volume, YamlMap) else service.body.line_of("volumes")
            yield violation(service, f"volume:{source}", line, f"service '{service.name}' mounts {source}")


def capabilities(service: Resource, _project: Project) -> Iterator[Violation]:
    added = [
        str(c)
        for c in as_list(service.body.get("cap_add"))
        if str(c).upper().removeprefix("CAP_") != "NET_BIND_SERVICE"
    ]
    if added:
        yield violation(
            service,
            "cap_add",
            service.body.line_of("cap_add"),
            f"service '{service.name}' adds {', '.join(added)}",
        )


POLICIES = (
    policy(PRIVILEGED, COMPOSE, ["service"], privileged),
    policy(HOST_NAMESPACE, COMPOSE, ["service"], host_namespace),
    policy(DOCKER_SOCKET, COMPOSE, ["service"], docker_socket),
    policy(CAPABILITIES, COMPOSE, ["service"], capabilities),
)
