"""The explicit list of Bitbucket Pipelines audits."""

from __future__ import annotations

from secloop.pipeline.bitbucket.audits.curl_pipe_shell import BitbucketCurlPipeShell
from secloop.pipeline.bitbucket.audits.interface import BitbucketAudit
from secloop.pipeline.bitbucket.audits.pull_request_deployment import PullRequestDeployment
from secloop.pipeline.bitbucket.audits.unpinned_image import BitbucketUnpinnedImage

BITBUCKET_AUDITS: tuple[BitbucketAudit, ...] = (
    BitbucketUnpinnedImage(),
    BitbucketCurlPipeShell(),
    PullRequestDeployment(),
)
