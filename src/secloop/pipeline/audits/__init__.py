"""The explicit, reviewable list of pipeline audits; adding one is one file plus one line here."""

from __future__ import annotations

from secloop.pipeline.audits.archived_uses import ArchivedUses
from secloop.pipeline.audits.artifact_credentials import ArtifactCredentials
from secloop.pipeline.audits.bot_condition import BotCondition
from secloop.pipeline.audits.cache_poisoning import CachePoisoning
from secloop.pipeline.audits.cloud_credentials import CloudCredentials
from secloop.pipeline.audits.curl_pipe_shell import CurlPipeShell
from secloop.pipeline.audits.dangerous_trigger import DangerousTrigger
from secloop.pipeline.audits.dependency_confusion import ExtraIndexUrl
from secloop.pipeline.audits.excessive_permissions import ExcessivePermissions
from secloop.pipeline.audits.github_app_token import BroadAppToken
from secloop.pipeline.audits.hardcoded_credential import HardcodedCredential
from secloop.pipeline.audits.insecure_commands import InsecureCommands
from secloop.pipeline.audits.interface import Audit
from secloop.pipeline.audits.known_vulnerable_action import KnownVulnerableAction
from secloop.pipeline.audits.label_gate import LabelGate
from secloop.pipeline.audits.obfuscation import ObfuscatedUses
from secloop.pipeline.audits.overprovisioned_secrets import OverprovisionedSecrets
from secloop.pipeline.audits.persist_credentials import PersistCredentials
from secloop.pipeline.audits.secret_outside_environment import SecretOutsideEnvironment
from secloop.pipeline.audits.secrets_in_if import SecretsInIf
from secloop.pipeline.audits.secrets_inherit import SecretsInherit
from secloop.pipeline.audits.self_hosted_runner import SelfHostedRunner
from secloop.pipeline.audits.template_injection import TemplateInjection
from secloop.pipeline.audits.third_party_secret import ThirdPartySecret
from secloop.pipeline.audits.trusted_publishing import TokenPublishing
from secloop.pipeline.audits.unpinned_action import UnpinnedAction
from secloop.pipeline.audits.unpinned_image import UnpinnedImage
from secloop.pipeline.audits.unredacted_secrets import UnredactedSecrets
from secloop.pipeline.audits.unsound_condition import UnsoundCondition
from secloop.pipeline.audits.unsound_contains import UnsoundContains
from secloop.pipeline.audits.untrusted_env_write import UntrustedEnvWrite
from secloop.pipeline.audits.unused_id_token import UnusedIdToken
from secloop.pipeline.audits.workflow_run_artifact import WorkflowRunArtifact

AUDITS: tuple[Audit, ...] = (
    DangerousTrigger(),
    TemplateInjection(),
    ExcessivePermissions(),
    UnpinnedAction(),
    SelfHostedRunner(),
    SecretsInherit(),
    PersistCredentials(),
    CurlPipeShell(),
    ArtifactCredentials(),
    CachePoisoning(),
    WorkflowRunArtifact(),
    KnownVulnerableAction(),
    SecretsInIf(),
    HardcodedCredential(),
    UntrustedEnvWrite(),
    InsecureCommands(),
    UnusedIdToken(),
    UnpinnedImage(),
    LabelGate(),
    BotCondition(),
    CloudCredentials(),
    ThirdPartySecret(),
    OverprovisionedSecrets(),
    UnredactedSecrets(),
    UnsoundCondition(),
    UnsoundContains(),
    ArchivedUses(),
    ExtraIndexUrl(),
    TokenPublishing(),
    BroadAppToken(),
    ObfuscatedUses(),
    SecretOutsideEnvironment(),
)
