"""The threat model as typed values: the schema of `threatmodel.yaml` (version 1).

Every model forbids unknown keys, so a typo is an error with its line instead of a silently ignored
setting. Cross-references (a flow naming a component that does not exist) are checked after this
schema, in `secloop.threatmodel.checks`, where each problem keeps the line of the key at fault.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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
    asvs_level: Literal[1, 2, 3] | None = Field(
        default=None, description="OWASP ASVS level to verify; default derived from the C-I-A ratings."
    )


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
    session_timeout: bool | None = Field(
        default=None, description="Sessions end after inactivity and after an absolute lifetime."
    )
    session_rotation: bool | None = Field(default=None, description="A new session id is issued at login.")
    logout_invalidation: bool | None = Field(
        default=None, description="Logout and disabling an account end its sessions on the server."
    )
    reauthentication: bool | None = Field(
        default=None, description="Changing e-mail, password or MFA asks for the password again."
    )
    auth_notifications: bool | None = Field(
        default=None, description="Users are told about suspicious logins and credential changes."
    )
    account_lockout: bool | None = Field(default=None, description="Accounts lock after failed logins.")
    password_storage: Text | None = Field(
        default=None, description="argon2, scrypt, bcrypt, pbkdf2, yescrypt, sha256, md5, plaintext, ..."
    )
    password_reset: bool | None = Field(default=None, description="Offers a reset of forgotten passwords.")
    reset_token_expiry: bool | None = Field(
        default=None, description="Reset and activation tokens are random, single-use and short-lived."
    )
    token_expiry: bool | None = Field(default=None, description="Access and refresh tokens expire.")
    oauth_client: bool | None = Field(default=None, description="Logs users in through OAuth 2 / OIDC.")
    pkce: bool | None = None
    authorization_server: bool | None = Field(default=None, description="Issues OAuth 2 / OIDC tokens.")
    redirects: bool | None = Field(default=None, description="Redirects to URLs taken from the request.")
    redirect_allowlist: bool | None = None
    graphql: bool | None = None
    query_limits: bool | None = Field(default=None, description="GraphQL depth, amount or cost limits.")
    introspection: bool | None = Field(default=None, description="GraphQL introspection answers.")
    websocket: bool | None = None
    origin_check: bool | None = Field(default=None, description="WebSocket handshakes check Origin.")
    api_docs_exposed: bool | None = Field(
        default=None, description="API documentation (OpenAPI, Swagger UI) is served in production."
    )
    hsts: bool | None = Field(default=None, description="Responses carry Strict-Transport-Security.")
    cache_control: bool | None = Field(
        default=None, description="Sensitive responses carry Cache-Control: no-store."
    )
    shared_cache: bool | None = Field(default=None, description="Responses pass a shared cache or CDN.")
    version_disclosure: bool | None = Field(
        default=None, description="Responses name the server or framework version."
    )
    directory_listing: bool | None = None
    http_trace: bool | None = Field(default=None, description="The HTTP TRACE method is answered.")
    mass_assignment_protection: bool | None = Field(
        default=None, description="Request bodies bind only to allowed fields."
    )
    field_filtering: bool | None = Field(
        default=None, description="Responses return only the fields the caller needs."
    )
    ldap_queries: bool | None = None
    dynamic_code: bool | None = Field(
        default=None, description="Evaluates expressions or code built at run time (eval, SpEL, OGNL)."
    )
    regex_on_input: bool | None = Field(
        default=None, description="Matches untrusted input against complex regular expressions."
    )
    file_paths_from_input: bool | None = Field(
        default=None, description="Builds file paths from names in requests."
    )
    malware_scanning: bool | None = None
    sends_email: bool | None = None
    request_size_limit: bool | None = Field(default=None, description="Request bodies are size-limited.")
    pagination: bool | None = Field(default=None, description="Lists are paginated with a maximum size.")
    expensive_operations: bool | None = Field(
        default=None, description="Offers CPU-, memory- or cost-heavy operations (reports, exports, AI)."
    )
    business_limits: bool | None = Field(
        default=None, description="Anti-automation limits on business flows (orders, sign-ups, votes)."
    )
    concurrency_control: bool | None = Field(
        default=None, description="Transactions or locks keep concurrent changes consistent."
    )
    approval_workflow: bool | None = Field(
        default=None, description="High-value actions need a second person's approval."
    )
    client_side_storage: bool | None = Field(
        default=None, description="Keeps sensitive data in browser storage (localStorage, IndexedDB)."
    )
    third_party_scripts: bool | None = None
    subresource_integrity: bool | None = None
    legacy_crypto: bool | None = Field(
        default=None, description="Uses weak algorithms or modes (MD5, SHA-1, DES, RC4, ECB)."
    )
    managed_keys: bool | None = Field(
        default=None, description="Encryption keys live in a KMS, HSM or vault, apart from the data."
    )
    monitoring: bool | None = Field(default=None, description="Security alerts reach someone who acts.")
    time_sync: bool | None = Field(default=None, description="Clocks are synchronised (NTP), UTC stamps.")
    log_retention: bool | None = Field(default=None, description="Logs are kept for a defined period.")
    network_segmentation: bool | None = Field(
        default=None, description="Network policy limits what the component can reach."
    )
    public_access: bool | None = Field(default=None, description="Anonymous reads are allowed (a bucket).")
    versioning: bool | None = None
    sbom: bool | None = Field(default=None, description="A software bill of materials is kept.")
    pinned_dependencies: bool | None = Field(
        default=None, description="Dependencies and CI actions are pinned by version or digest."
    )
    image_scanning: bool | None = None
    protected_environments: bool | None = Field(
        default=None, description="Deployments need approval (protected environments)."
    )
    tracking: bool | None = Field(default=None, description="Embeds third-party trackers or analytics.")
    consent: bool | None = Field(default=None, description="Asks for consent before optional processing.")
    data_minimisation: bool | None = Field(
        default=None, description="Sends and keeps only the personal data a purpose needs."
    )
    access_requests: bool | None = Field(
        default=None, description="People can get a copy of their personal data."
    )
    internet_facing: bool | None = None


class Component(_Strict):
    id: Id
    name: Text | None = None
    kind: ComponentKind
    technology: Text | None = None
    description: Text | None = None
    data: list[Id] = Field(default_factory=list, description="Data assets it stores or processes.")
    code: list[Text] = Field(
        default_factory=list, description="Paths (globs) of its code, for stale-model detection."
    )
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
    sast: Id | None = Field(default=None, description="A SAST rule whose clean run verifies it.")
    iac: Id | None = Field(default=None, description="An IaC check whose clean run verifies it.")
    path: Text | None = Field(
        default=None, description="Glob limiting the sast/iac findings that count, e.g. 'src/shop/**'."
    )

    @model_validator(mode="after")
    def _path_needs_a_check(self) -> Mitigation:
        if self.path is not None and self.sast is None and self.iac is None:
            raise ValueError("'path' scopes a 'sast' or 'iac' link; give one of them")
        return self


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
