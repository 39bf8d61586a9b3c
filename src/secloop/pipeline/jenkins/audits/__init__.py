"""The explicit list of Jenkins audits."""

from __future__ import annotations

from secloop.pipeline.jenkins.audits.change_request_credentials import ChangeRequestCredentials
from secloop.pipeline.jenkins.audits.curl_pipe_shell import JenkinsCurlPipeShell
from secloop.pipeline.jenkins.audits.interface import JenkinsAudit
from secloop.pipeline.jenkins.audits.script_injection import ScriptInjection
from secloop.pipeline.jenkins.audits.secret_interpolation import SecretInterpolation
from secloop.pipeline.jenkins.audits.unpinned_image import JenkinsUnpinnedImage

JENKINS_AUDITS: tuple[JenkinsAudit, ...] = (
    ScriptInjection(),
    SecretInterpolation(),
    JenkinsUnpinnedImage(),
    JenkinsCurlPipeShell(),
    ChangeRequestCredentials(),
)
