"""The threat model as typed values: the schema of `threatmodel.yaml` (version 1).

Every model forbids unknown keys, so a typo is an error with its line instead of a silently ignored
setting. Cross-references (a flow naming a component that does not exist) are checked after this
schema, in `secloop.threatmodel.checks`, where each problem keeps the line of the key at fault.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from secloop.core.enums import Severity

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$", max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Classification(str, Enum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class Rating(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


CLASSIFICATION_RANK = {c: i for i, c in enumerate(Classification)}
RATING_RANK = {r: i for i, r in enumerate(Rating)}


class ComponentKind(str, Enum):
    PROCESS = "process"
    DATA_STORE = "data-store"
    EXTERNAL_ENTITY = "external-entity"


class ThreatStatus(str, Enum):
    OPEN = "open"
    MITIGATED = "mitigated"
    ACCEPTED = "accepted"
    TRANSFERRED = "transferred"
    NOT_APPLICABLE = "not-applicable"


class Category(str, Enum):
    """STRIDE for every element; LINDDUN for flows and stores that carry personal data."""

    SPOOFING = "spoofing"
    TAMPERING = "tampering"
    REPUDIATION = "repudiation"
    INFORMATION_DISCLOSURE = "information-disclosure"
    DENIAL_OF_SERVICE = "denial-of-service"
    ELEVATION_OF_PRIVILEGE = "elevation-of-privilege"
    LINKING = "linking"
    IDENTIFYING = "identifying"
    NON_REPUDIATION = "non-repudiation"
    DETECTING = "detecting"
    DATA_DISCLOSURE = "data-disclosure"
    UNAWARENESS = "unawareness"
    NON_COMPLIANCE = "non-compliance"

    @property
    def framework(self) -> str:
        return "STRIDE" if self in _STRIDE else "LINDDUN"


_STRIDE = frozenset(list(Category)[:6])


# -- question 1: what are we working on? ------------------------------------------------------------


class Scope(_Strict):
    in_scope: list[Text] = Field(default_factory=list, alias="in", description="What the model covers.")
    out_of_scope: list[Text] = Field(
        default_factory=list, alias="out", description="What it leaves out, on purpose."
    )


class System(_Strict):
    name: Text
    description: Text | None = None
    owner: Text | None = None
    scope: Scope | None = Field(default=None, description="Question 1: what are we working on?")
    code: list[Text] = Field(
        default_factory=list, description="Paths (globs) of the code this model describes."
    )
    reviewed: date | None = Field(default=None, description="When the model was last reviewed.")


class Requirement(_Strict):
    rating: Rating
    justification: Text


class CIA(_Strict):
    confidentiality: Requirement
    integrity: Requirement
    availability: Requirement


class Privacy(_Strict):
    pii: bool = False
    special_category: bool = Field(
        default=False, description="GDPR Art. 9 data: health, biometrics, beliefs, ..."
    )
    retention: Text | None = Field(
        default=None, description="How long it is kept, e.g. 'P2Y' or '30 days after closure'."
    )


class DataAsset(_Strict):
    id: Id
    name: Text | None = None
    description: Text | None = None
    classification: Classification
    cia: CIA | None = None
    privacy: Privacy = Field(default_factory=Privacy)


class Actor(_Strict):
    id: Id
    name: Text | None = None
    description: Text | None = None
    trusted: bool = False


class Properties(_Strict):
    """What is known about a component's controls; unset means not known (and rules assume the worst)."""

    authentication: Text | None = Field(
        default=None, description="How callers authenticate: none, password, session, oidc, mtls, ..."
    )
    authorization: Text | None = Field(default=None, description="none, rbac, abac, acl, iam, ...")
    mfa: bool | None = None
    encryption_at_rest: bool | None = None
    logging: bool | None = Field(default=None, description="Security events are logged.")
    central_logging: bool | None = Field(default=None, description="Logs leave the host for a log system.")
    log_protection: bool | None = Field(default=None, description="Logs cannot be altered by the app.")
    log_redaction: bool | None = Field(default=None, description="Personal data and secrets are masked.")
    audit_trail: bool | None = Field(default=None, description="Who changed what, when, is recorded.")
    input_validation: bool | None = None
    output_encoding: bool | None = None
    parameterized_queries: bool | None = None
    rate_limiting: bool | None = None
    hardened: bool | None = None
    runs_as_root: bool | None = None
    runs_untrusted_code: bool | None = Field(
        default=None, description="Runs code it did not build (CI jobs of pull requests, plugins)."
    )
    sandboxed: bool | None = None
    ephemeral: bool | None = Field(default=None, description="Rebuilt from scratch for every job/run.")
    least_privilege: bool | None = None
    secrets_storage: Text | None = Field(
        default=None, description="vault, secrets-manager, environment, config-file or source-code."
    )
    long_lived_credentials: bool | None = None
    default_credentials: bool | None = None
    backups: bool | None = None
    redundancy: bool | None = None
    dependency_scanning: bool | None = None
    multi_tenant: bool | None = None
    tenant_isolation: bool | None = None
    object_authorization: bool | None = Field(
        default=None, description="Access is checked per object (no IDOR)."
    )
    admin_interface: bool | None = None
    debug_enabled: bool | None = None
    error_details_exposed: bool | None = None
    renders_html: bool | None = None
    security_headers: bool | None = None
    csrf_protection: bool | None = None
    secure_cookies: bool | None = None
    token_validation: bool | None = None
    cors: Text | None = Field(default=None, description="none, allowlist or wildcard.")
    file_upload: bool | None = None
    upload_limits: bool | None = None
    xml_parsing: bool | None = None
    deserializes_untrusted_input: bool | None = None
    executes_commands: bool | None = None
    template_rendering: bool | None = Field(
        default=None, description="Renders templates that users can influence."
    )
    outbound_requests: bool | None = Field(default=None, description="Fetches URLs that users supply.")
    egress_allowlist: bool | None = None
    artifact_signing: bool | None = None
    stores_artifacts: bool | None = None
    branch_protection: bool | None = None
    code_review: bool | None = None
    pseudonymisation: bool | None = None
    data_deletion: bool | None = Field(default=None, description="Personal data can be erased on request.")
    privacy_notice: bool | None = None
    enumeration_protection: bool | None = Field(
        default=None, description="Responses do not reveal whether an account or record exists."
    )
    internet_facing: bool | None = None


class Component(_Strict):
    id: Id
    name: Text | None = None
    kind: ComponentKind
    technology: Text | None = None
    description: Text | None = None
    data: list[Id] = Field(default_factory=list, description="Data assets it stores or processes.")
    properties: Properties = Field(default_factory=Properties)


class Flow(_Strict):
    id: Id | None = Field(default=None, description="Defaults to 'SOURCE->DESTINATION'.")
    name: Text | None = None
    description: Text | None = None
    source: Id
    destination: Id
    protocol: Text | None = None
    authentication: Text | None = Field(default=None, description="none, session, oauth2, mtls, ...")
    encryption: Text | None = Field(default=None, description="none, tls, mtls, vpn, ssh, ...")
    data: list[Id] = Field(default_factory=list)
    base_url: Text | None = Field(default=None, description="Where generated tests send requests.")
    path: Text = "/"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    rate_limited: bool | None = None
    signed: bool | None = None
    replay_protection: bool | None = None
    certificate_validation: bool | None = None
    timeouts: bool | None = None

    @property
    def key(self) -> str:
        return self.id or f"{self.source}->{self.destination}"


class TrustBoundary(_Strict):
    id: Id
    name: Text | None = None
    description: Text | None = None
    parent: Id | None = None
    components: list[Id] = Field(default_factory=list, description="Components and actors inside.")


class Assumption(_Strict):
    id: Id | None = None
    text: Text
    valid_until: date | None = None


# -- question 3: what are we going to do about it? --------------------------------------------------


class Mitigation(_Strict):
    description: Text
    tests: list[Text] = Field(
        default_factory=list, description="Tests that verify it: 'path' or 'path::test_name'."
    )


class Threat(_Strict):
    id: Id | None = None
    rule: Text | None = Field(default=None, description="The rule this responds to, e.g. TM-SPOOF-...")
    target: Id = Field(description="The element: a component, actor, flow, data asset or boundary.")
    title: Text | None = None
    description: Text | None = None
    category: Category | None = None
    severity: Severity | None = None
    status: ThreatStatus = ThreatStatus.OPEN
    reason: Text | None = None
    expires: date | None = None
    owner: Text | None = None
    mitigations: list[Mitigation] = Field(default_factory=list)


class ThreatModel(_Strict):
    version: Literal[1] = 1
    system: System
    data_assets: list[DataAsset] = Field(default_factory=list)
    actors: list[Actor] = Field(default_factory=list)
    components: list[Component] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    trust_boundaries: list[TrustBoundary] = Field(default_factory=list)
    assumptions: list[Assumption] = Field(default_factory=list)
    threats: list[Threat] = Field(default_factory=list)


PROPERTY_NAMES: tuple[str, ...] = tuple(Properties.model_fields)
