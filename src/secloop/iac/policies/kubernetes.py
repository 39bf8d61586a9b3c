"""Kubernetes workloads (the pod template of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs,
Pods) and RBAC roles.

Container settings fall back to the pod's `securityContext` where Kubernetes does (runAsUser,
runAsNonRoot); an absent setting is judged by Kubernetes' default, which for most of these is the
unsafe one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secloop.core.enums import Severity
from secloop.core.rules import Rule
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.policies.interface import (
    Project,
    as_list,
    dig,
    falsy,
    iac_rule,
    policy,
    truthy,
    unknown,
    violation,
)
from secloop.sources.yaml_lines import YamlMap

K8S = Framework.KUBERNETES
WORKLOADS = (
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
)
ROLES = ("Role", "ClusterRole")
_SAFE_CAPS = {"NET_BIND_SERVICE"}
_SENSITIVE_PATHS = ("/", "/etc", "/proc", "/sys", "/root", "/home", "/var/lib/kubelet", "/var/run", "/run")


def _rule(
    rule_id: str, title: str, severity: Severity, description: str, fix: str, cwe: int, *tags: str
) -> Rule:
    return iac_rule(rule_id, title, severity, description, fix, (cwe,), "kubernetes", *tags)


PRIVILEGED = _rule(
    "IAC-K8S-PRIVILEGED",
    "Container runs privileged",
    Severity.HIGH,
    "A privileged container has every capability and the host's devices: escaping to the node is one step.",
    "Remove `privileged: true`; add only the capabilities the process needs.",
    250,
)
RUN_AS_ROOT = _rule(
    "IAC-K8S-RUN-AS-ROOT",
    "Container may run as root",
    Severity.MEDIUM,
    "Without `runAsNonRoot: true` or a non-zero `runAsUser` the container runs as the image's user, "
    "often root; a container escape then starts as root on the node.",
    "Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser`.",
    250,
)
HOST_NETWORK = _rule(
    "IAC-K8S-HOST-NETWORK",
    "Pod shares the node's network namespace",
    Severity.HIGH,
    "`hostNetwork: true` lets the pod sniff and bind the node's interfaces and reach services bound to "
    "localhost on the node.",
    "Remove `hostNetwork: true`; expose ports through a Service.",
    668,
)
HOST_PID = _rule(
    "IAC-K8S-HOST-PID",
    "Pod shares the node's process namespace",
    Severity.HIGH,
    "`hostPID: true` lets the pod see and signal every process on the node, and read their environment.",
    "Remove `hostPID: true`.",
    668,
)
HOST_IPC = _rule(
    "IAC-K8S-HOST-IPC",
    "Pod shares the node's IPC namespace",
    Severity.HIGH,
    "`hostIPC: true` lets the pod read shared memory of every process on the node.",
    "Remove `hostIPC: true`.",
    668,
)
CAPABILITIES = _rule(
    "IAC-K8S-CAPABILITIES",
    "Container adds Linux capabilities",
    Severity.HIGH,
    "Capabilities such as SYS_ADMIN or NET_ADMIN give a container root-like powers over the kernel "
    "and the network.",
    "Drop ALL and add back only NET_BIND_SERVICE if the process binds a low port.",
    250,
)
PRIVILEGE_ESCALATION = _rule(
    "IAC-K8S-PRIVILEGE-ESCALATION",
    "Container allows privilege escalation",
    Severity.MEDIUM,
    "Unless `allowPrivilegeEscalation: false` is set, setuid binaries in the image can gain more "
    "privileges than the process started with.",
    "Set `securityContext.allowPrivilegeEscalation: false`.",
    269,
)
READONLY_ROOT = _rule(
    "IAC-K8S-READONLY-ROOT-FS",
    "Container root filesystem is writable",
    Severity.LOW,
    "A writable root filesystem lets an intruder drop tools and change binaries; immutable containers "
    "write only to declared volumes.",
    "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where writes are needed.",
    732,
    "immutable-infrastructure",
)
RESOURCE_LIMITS = _rule(
    "IAC-K8S-RESOURCE-LIMITS",
    "Container has no CPU or memory limit",
    Severity.LOW,
    "Without limits one container can starve the node (by accident or in a denial of service).",
    "Set `resources.limits.memory` and `resources.limits.cpu`.",
    770,
)
IMAGE_TAG = _rule(
    "IAC-K8S-IMAGE-TAG",
    "Container image uses `latest` or no tag",
    Severity.MEDIUM,
    "`latest` (or no tag) moves: two rollouts of the same manifest can run different code, and a "
    "rollback does not roll back.",
    "Pin a version tag, better a digest (`image@sha256:…`).",
    1357,
    "immutable-infrastructure",
)
SA_TOKEN = _rule(
    "IAC-K8S-SA-TOKEN",
    "Pod mounts a service-account token it may not need",
    Severity.LOW,
    "Unless `automountServiceAccountToken: false` is set (on the pod or its ServiceAccount), every "
    "container gets an API token; an intruder uses it to talk to the cluster.",
    "Set `automountServiceAccountToken: false` where the pod does not call the Kubernetes API.",
    200,
)
HOST_PATH = _rule(
    "IAC-K8S-HOSTPATH",
    "Pod mounts a path of the node",
    Severity.MEDIUM,
    "A hostPath volume exposes the node's filesystem; sensitive paths (/, /etc, the container "
    "runtime socket) are a direct route to the node and are raised to high.",
    "Use emptyDir, a ConfigMap or a PersistentVolumeClaim instead.",
    668,
)
RBAC_EXEC = _rule(
    "IAC-K8S-RBAC-EXEC",
    "Role grants exec or attach into pods",
    Severity.MEDIUM,
    "`pods/exec` and `pods/attach` give a shell in running containers: a human path into production "
    "that bypasses the pipeline.",
    "Remove the rule; debug with logs, metrics and ephemeral environments.",
    269,
    "no-humans-in-production",
)
RBAC_WILDCARD = _rule(
    "IAC-K8S-RBAC-WILDCARD",
    "Role grants every verb on every resource",
    Severity.HIGH,
    '`verbs: ["*"]` on `resources: ["*"]` is cluster-admin (within the role\'s scope), including '
    "secrets and exec.",
    "List the resources and verbs the subject needs.",
    269,
)


def pod_spec(resource: Resource) -> YamlMap | None:
    if resource.type == "Pod":
        path: tuple[str, ...] = ("spec",)
    elif resource.type == "CronJob":
        path = ("spec", "jobTemplate", "spec", "template", "spec")
    else:
        path = ("spec", "template", "spec")
    spec = dig(resource.body, *path)
    return spec if isinstance(spec, YamlMap) else None


def namespace_of(resource: Resource) -> str:
    return str(dig(resource.body, "metadata", "namespace") or "default")


def containers(spec: YamlMap) -> list[YamlMap]:
    return [
        c
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in as_list(spec.get(key))
        if isinstance(c, YamlMap)
    ]


def _context(container: YamlMap) -> YamlMap:
    sc = container.get("securityContext")
    return sc if isinstance(sc, YamlMap) else YamlMap(container.line)


def _where(container: YamlMap) -> str:
    return f"container:{container.get('name', '?')}"


def _each(resource: Resource) -> Iterator[tuple[YamlMap, YamlMap, YamlMap]]:
    """(pod spec, container, container securityContext) for every container of a workload."""
    spec = pod_spec(resource)
    if spec is None:
        return
    for container in containers(spec):
        yield spec, container, _context(container)


def _flag(sc: YamlMap, key: str, container: YamlMap) -> int:
    return sc.line_of(key) if key in sc else container.line


def privileged(resource: Resource, _project: Project) -> Iterator[Violation]:
    for _spec, c, sc in _each(resource):
        if truthy(sc.get("privileged")):
            yield violation(
                resource,
                _where(c),
                sc.line_of("privileged"),
                f"{resource.address}: container '{c.get('name')}' is privileged",
            )


def run_as_root(resource: Resource, _project: Project) -> Iterator[Violation]:
    for spec, c, sc in _each(resource):
        found = spec.get("securityContext")
        pod = found if isinstance(found, YamlMap) else YamlMap(spec.line)
        owner = sc if "runAsUser" in sc else pod
        user = owner.get("runAsUser")
        nonroot = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))
        name = c.get("name")
        if user == 0:
            yield violation(
                resource,
                _where(c),
                owner.line_of("runAsUser"),
                f"{resource.address}: container '{name}' runs as UID 0",
            )
        elif (isinstance(user, int) and user > 0) or truthy(nonroot) or unknown(user) or unknown(nonroot):
            continue
        else:
            yield violation(
                resource,
                _where(c),
                c.line,
                f"{resource.address}: container '{name}' may run as root "
                "(no runAsNonRoot: true or runAsUser)",
            )


def _host(key: str) -> Any:
    def check(resource: Resource, _project: Project) -> Iterator[Violation]:
        spec = pod_spec(resource)
        if spec is not None and truthy(spec.get(key)):
            yield violation(resource, "pod", spec.line_of(key), f"{resource.address} sets {key}: true")

    return check


def capabilities(resource: Resource, _project: Project) -> Iterator[Violation]:
    for _spec, c, sc in _each(resource):
        caps = sc.get("capabilities")
        if not isinstance(caps, YamlMap):
            continue
        added = [
            str(x) for x in as_list(caps.get("add")) if str(x).upper().removeprefix("CAP_") not in _SAFE_CAPS
        ]
        if added:
            yield violation(
                resource,
                _where(c),
                caps.line_of("add"),
                f"{resource.address}: container '{c.get('name')}' adds {', '.join(added)}",
            )


def privilege_escalation(resource: Resource, _project: Project) -> Iterator[Violation]:
    for _spec, c, sc in _each(resource):
        value = sc.get("allowPrivilegeEscalation")
        if not falsy(value) and not unknown(value):
            line = _flag(sc, "allowPrivilegeEscalation", c)
            yield violation(
                resource,
                _where(c),
                line,
                f"{resource.address}: container '{c.get('name')}' allows privilege escalation",
            )


def readonly_root(resource: Resource, _project: Project) -> Iterator[Violation]:
    for _spec, c, sc in _each(resource):
        value = sc.get("readOnlyRootFilesystem")
        if not truthy(value) and not unknown(value):
            line = _flag(sc, "readOnlyRootFilesystem", c)
            yield violation(
                resource,
                _where(c),
                line,
                f"{resource.address}: container '{c.get('name')}' has a writable root filesystem",
            )


def resource_limits(resource: Resource, _project: Project) -> Iterator[Violation]:
    for _spec, c, _sc in _each(resource):
        limits = dig(c, "resources", "limits")
        missing = [k for k in ("cpu", "memory") if not isinstance(limits, YamlMap) or k not in limits]
        if missing:
            res = c.get("resources")
            line = (
                res.line_of("limits")
                if isinstance(res, YamlMap) and "limits" in res
                else c.line_of("resources")
            )
            yield violation(
                resource,
                _where(c),
                line,
                f"{resource.address}: container '{c.get('name')}' has no {' or '.join(missing)} limit",
            )


def image_pin(image: str) -> str:
    """digest | tag | latest | untagged."""
    if "@" in image:
        return "digest"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "untagged"
    return "latest" if last.rsplit(":", 1)[1] == "latest" else "tag"


def image_tag(resource: Resource, _project: Project) -> Iterator[Violation]:
    for _spec, c, _sc in _each(resource):
        image = c.get("image")
        if not isinstance(image, str) or "$" in image or "{{" in image:
            continue
        pin = image_pin(image)
        if pin in ("latest", "untagged"):
            yield violation(
                resource, _where(c), c.line_of("image"), f"{resource.address}: image '{image}' is {pin}"
            )


def sa_token(resource: Resource, project: Project) -> Iterator[Violation]:
    spec = pod_spec(resource)
    if spec is None:
        return
    value = spec.get("automountServiceAccountToken")
    if falsy(value) or unknown(value):
        return
    if truthy(value):
        yield violation(
            resource,
            "pod",
            spec.line_of("automountServiceAccountToken"),
            f"{resource.address} mounts a service-account token",
        )
        return
    account = str(spec.get("serviceAccountName", spec.get("serviceAccount", "default")))
    namespace = namespace_of(resource)
    for sa in project.related(resource, "ServiceAccount"):
        if (
            sa.name == account
            and namespace_of(sa) == namespace
            and falsy(sa.body.get("automountServiceAccountToken"))
        ):
            return
    yield violation(
        resource,
        "pod",
        resource.line,
        f"{resource.address} mounts the '{account}' service-account token "
        "(automountServiceAccountToken is not false)",
    )


def host_path(resource: Resource, _project: Project) -> Iterator[Violation]:
    spec = pod_spec(resource)
    for volume in as_list(spec.get("volumes")) if spec is not None else []:
        path = dig(volume, "hostPath", "path")
        if not isinstance(volume, YamlMap) or path is None:
            continue
        text = str(path).rstrip("/") or "/"
        sensitive = text in _SENSITIVE_PATHS or text.endswith(".sock")
        yield violation(
            resource,
            f"volume:{volume.get('name', '?')}",
            volume.line,
            f"{resource.address} mounts host path {text}",
            Severity.HIGH if sensitive else None,
        )


def _role_rules(role: Resource) -> Iterator[YamlMap]:
    for rule in as_list(role.body.get("rules")):
        if isinstance(rule, YamlMap):
            yield rule


def rbac_exec(role: Resource, _project: Project) -> Iterator[Violation]:
    for rule in _role_rules(role):
        resources = {str(r) for r in as_list(rule.get("resources"))}
        verbs = {str(v) for v in as_list(rule.get("verbs"))}
        granted = sorted(resources & {"pods/exec", "pods/attach"})
        if granted and verbs & {"create", "get", "*"}:
            yield violation(
                role, f"rule:{','.join(granted)}", rule.line, f"{role.address} grants {' and '.join(granted)}"
            )


def rbac_wildcard(role: Resource, _project: Project) -> Iterator[Violation]:
    for index, rule in enumerate(_role_rules(role)):
        if "*" in as_list(rule.get("verbs")) and "*" in as_list(rule.get("resources")):
            yield violation(
                role, f"rule:{index}", rule.line, f"{role.address} grants every verb on every resource"
            )


POLICIES = (
    policy(PRIVILEGED, K8S, WORKLOADS, privileged),
    policy(RUN_AS_ROOT, K8S, WORKLOADS, run_as_root),
    policy(HOST_NETWORK, K8S, WORKLOADS, _host("hostNetwork")),
    policy(HOST_PID, K8S, WORKLOADS, _host("hostPID")),
    policy(HOST_IPC, K8S, WORKLOADS, _host("hostIPC")),
    policy(CAPABILITIES, K8S, WORKLOADS, capabilities),
    policy(PRIVILEGE_ESCALATION, K8S, WORKLOADS, privilege_escalation),
    policy(READONLY_ROOT, K8S, WORKLOADS, readonly_root),
    policy(RESOURCE_LIMITS, K8S, WORKLOADS, resource_limits),
    policy(IMAGE_TAG, K8S, WORKLOADS, image_tag),
    policy(SA_TOKEN, K8S, WORKLOADS, sa_token),
    policy(HOST_PATH, K8S, WORKLOADS, host_path),
    policy(RBAC_EXEC, K8S, ROLES, rbac_exec),
    policy(RBAC_WILDCARD, K8S, ROLES, rbac_wildcard),
)
