"""The explicit list of GitLab CI audits."""

from __future__ import annotations

from secloop.pipeline.gitlab.audits.curl_pipe_shell import GitlabCurlPipeShell
from secloop.pipeline.gitlab.audits.interface import GitlabAudit
from secloop.pipeline.gitlab.audits.job_token import JobTokenMisuse
from secloop.pipeline.gitlab.audits.merge_request_secrets import MergeRequestSecrets
from secloop.pipeline.gitlab.audits.secret_echo import SecretEcho
from secloop.pipeline.gitlab.audits.unpinned_image import GitlabUnpinnedImage
from secloop.pipeline.gitlab.audits.unpinned_include import UnpinnedInclude

GITLAB_AUDITS: tuple[GitlabAudit, ...] = (
    UnpinnedInclude(),
    GitlabUnpinnedImage(),
    JobTokenMisuse(),
    SecretEcho(),
    GitlabCurlPipeShell(),
    MergeRequestSecrets(),
)
