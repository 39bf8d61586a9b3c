"""The explicit list of Azure Pipelines audits."""

from __future__ import annotations

from secloop.pipeline.azure.audits.curl_pipe_shell import CurlPipeShell
from secloop.pipeline.azure.audits.interface import AzureAudit
from secloop.pipeline.azure.audits.persist_credentials import PersistCredentials
from secloop.pipeline.azure.audits.script_injection import ScriptInjection
from secloop.pipeline.azure.audits.unpinned_image import UnpinnedImage
from secloop.pipeline.azure.audits.unpinned_template import UnpinnedRepository

AZURE_AUDITS: tuple[AzureAudit, ...] = (
    ScriptInjection(),
    PersistCredentials(),
    CurlPipeShell(),
    UnpinnedRepository(),
    UnpinnedImage(),
)
