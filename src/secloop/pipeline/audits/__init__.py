"""The explicit, reviewable list of pipeline audits; adding one is one file plus one line here."""

from __future__ import annotations

from secloop.pipeline.audits.curl_pipe_shell import CurlPipeShell
from secloop.pipeline.audits.dangerous_trigger import DangerousTrigger
from secloop.pipeline.audits.excessive_permissions import ExcessivePermissions
from secloop.pipeline.audits.interface import Audit
from secloop.pipeline.audits.persist_credentials import PersistCredentials
from secloop.pipeline.audits.secrets_inherit import SecretsInherit
from secloop.pipeline.audits.self_hosted_runner import SelfHostedRunner
from secloop.pipeline.audits.template_injection import TemplateInjection
from secloop.pipeline.audits.unpinned_action import UnpinnedAction

AUDITS: tuple[Audit, ...] = (
    DangerousTrigger(),
    TemplateInjection(),
    ExcessivePermissions(),
    UnpinnedAction(),
    SelfHostedRunner(),
    SecretsInherit(),
    PersistCredentials(),
    CurlPipeShell(),
)
